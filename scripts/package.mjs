// `npm run package`: build (scripts/build.mjs), then the appliance's Debian package
// (scripts/package-deb.mjs, checked by lintian when it is installed) and the Electron package
// (scripts/package-electron.mjs: AppImage + deb where an Electron distribution is present).
// The install proof on a fresh Debian root is scripts/package-check.sh (CI runs it after this).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function run(label, cmd, args) {
  const started = Date.now();
  console.log(`[package] ${label}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[package] ${label} failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  console.log(`[package] ${label}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
if (!process.argv.includes('--no-build')) run('build', process.execPath, ['scripts/build.mjs']);
run('Debian package of the appliance', process.execPath, ['scripts/package-deb.mjs']);
if (spawnSync('lintian', ['--version']).status === 0) {
  const deb = readdirSync(path.join(root, 'release')).filter((f) => /^ns-kiosk_.*_amd64\.deb$/.test(f)).sort().at(-1);
  // --fail-on error,warning: an unexplained warning fails the build (overrides carry their reasons).
  run('lintian', 'lintian', ['--fail-on', 'error,warning', path.join('release', deb)]);
} else console.log('[package] lintian not installed (apt-get install lintian): package not linted');
run('Electron package', process.execPath, ['scripts/package-electron.mjs']);
