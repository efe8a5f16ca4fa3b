/**
 * The kiosk's version and build, from one place: `/health`, the start log line and (later) the
 * maintenance screen read KIOSK_VERSION.
 * - Compiled (this module runs from `<root>/dist/...`: the browser-host bundle, the Electron build):
 *   `dist/build-info.json`, written by the build (scripts/build-info.mjs) from the sources' commit.
 * - From source (tsx, tests): version from package.json, build = the git commit of the tree now
 *   (`-dirty` is only known to a build), or `dev` where there is no git.
 * A build-info file that is missing or malformed gives build `unknown`, never a crash: the kiosk
 * still serves travellers, and the operator sees that the build cannot be told.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface KioskVersion {
  /** package.json version (semver). */
  version: string;
  /** Short commit of the sources (12 hex digits, `-dirty` if built from a changed tree), `dev` or `unknown`. */
  build: string;
  /** When the build was made (ISO 8601), null when running from source. */
  builtAt: string | null;
}

export const PACKAGE_NAME = 'ns-station-kiosk';

const packageJsonSchema = z.object({ name: z.string(), version: z.string().min(1) });
export const buildInfoSchema = z.object({
  version: z.string().min(1),
  build: z.string().regex(/^([0-9a-f]{12}(-dirty)?|unknown)$/),
  commit: z.string().regex(/^[0-9a-f]{40}$/).nullable(),
  builtAt: z.iso.datetime(),
});

/** The folder holding the kiosk's package.json, walking up from `from`. */
export function findPackageRoot(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const parsed = packageJsonSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && parsed.data.name === PACKAGE_NAME) return dir;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}

function gitCommit(root: string): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000 }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Resolve the version of the kiosk whose module lives in `moduleDir`. */
export function resolveKioskVersion(moduleDir: string): KioskVersion {
  const root = findPackageRoot(moduleDir);
  if (!root) return { version: '0.0.0', build: 'unknown', builtAt: null };
  const pkg = packageJsonSchema.parse(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')));
  const compiled = path.relative(path.join(root, 'dist'), moduleDir);
  if (!compiled.startsWith('..') && !path.isAbsolute(compiled)) {
    const file = path.join(root, 'dist', 'build-info.json');
    try {
      const info = buildInfoSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
      return { version: info.version, build: info.build, builtAt: info.builtAt };
    } catch {
      return { version: pkg.version, build: 'unknown', builtAt: null };
    }
  }
  const commit = gitCommit(root);
  return { version: pkg.version, build: commit ? commit.slice(0, 12) : 'dev', builtAt: null };
}

export const KIOSK_VERSION: KioskVersion = Object.freeze(resolveKioskVersion(path.dirname(fileURLToPath(import.meta.url))));
