// The version and build an operator sees (/health, the start log line, the maintenance screen via
// main/version.ts): written once per build as dist/build-info.json by every builder
// (scripts/build-host.mjs, scripts/build.mjs), read back by main/version.ts.
// build = the git commit of the sources (`-dirty` when the build's sources differ from it). Where
// there is no git (a `git archive` copy, e.g. the fresh-root check), scripts/build-commit.txt holds
// the commit: git archive fills it in (export-subst in .gitattributes).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Source folders whose uncommitted changes make a build `-dirty`. */
export const SOURCE_DIRS = ['main', 'hardware', 'state-machines', 'backoffice', 'contract', 'domain', 'renderer', 'locales', 'package.json'];

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

/** The commit of the sources in `root`, or undefined where neither git nor an archive says. */
export function sourceCommit(root) {
  const head = git(root, ['rev-parse', 'HEAD']);
  if (head && /^[0-9a-f]{40}$/.test(head)) return head;
  const file = path.join(root, 'scripts', 'build-commit.txt');
  const archived = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return /^[0-9a-f]{40}$/.test(archived) ? archived : undefined;
}

export function buildInfo(root, now = new Date()) {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  const commit = sourceCommit(root);
  // `git status` only where git knows the tree; an archive copy is clean by construction.
  const dirty = commit !== undefined && git(root, ['status', '--porcelain', '--', ...SOURCE_DIRS]);
  return {
    version: pkg.version,
    build: commit ? `${commit.slice(0, 12)}${dirty ? '-dirty' : ''}` : 'unknown',
    commit: commit ?? null,
    builtAt: now.toISOString(),
  };
}

export function writeBuildInfo(root) {
  const info = buildInfo(root);
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}
