// `npm run build`: the renderer (Vite -> dist/renderer) and the main process, hardware, machines
// and back office compiled for Electron (tsc -> dist/, the preload as CommonJS preload.cjs).
// Then, if asked (`npm run build -- --package`), electron-builder packs dist/ with
// electron-builder.yml; it needs an unpacked Electron (ELECTRON_DIST) since none can be fetched here.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(label, cmd, args, env = process.env) {
  const started = Date.now();
  console.log(`[build] ${label}: ${path.basename(cmd)} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`[build] ${label} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  console.log(`[build] ${label}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// Stale compiled files would be loaded by Electron; start main's output clean (renderer: Vite empties its own).
for (const dir of ['contract', 'domain', 'main', 'hardware', 'state-machines', 'backoffice']) rmSync(path.join('dist', dir), { recursive: true, force: true });

run('renderer', bin('vite'), ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
run('main (tsc)', bin('tsc'), ['-p', 'tsconfig.build.json']);

// Non-TypeScript files the compiled code reads at run time (SQL, JSON fixtures, keys) sit beside
// their modules in the source tree: copy them next to the compiled modules.
const ASSET = /\.(sql|json|pem|key|bin)$/;
function copyAssets(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) copyAssets(p);
    else if (ASSET.test(name) && !name.startsWith('tsconfig')) cpSync(p, path.join('dist', p));
  }
}
for (const dir of ['contract', 'domain', 'main', 'hardware', 'state-machines', 'backoffice']) copyAssets(dir);

if (!existsSync('dist/main/electron/preload.cjs')) {
  console.error('[build] dist/main/electron/preload.cjs missing after tsc');
  process.exit(1);
}

if (process.argv.includes('--package')) {
  const electronDist = process.env.ELECTRON_DIST;
  if (!electronDist) {
    console.error('[build] --package needs ELECTRON_DIST: a folder with an unpacked Electron 45 (none can be downloaded here)');
    process.exit(1);
  }
  run('package (electron-builder)', bin('electron-builder'), ['--config', 'electron-builder.yml', '--linux', 'dir', `-c.electronDist=${electronDist}`]);
}
console.log('[build] ok: dist/renderer (renderer), dist/main/electron/main.js (Electron entry)');
