// The one test command (`npm test`): the Debian packages the tests need (installed when this runs
// as root or with password-less sudo, else one line saying what to run), type check, layers, every
// vitest project (unit + wire-level), then the Playwright browser tests. Prints one closing line
// "Tests: N passed, N failed, N skipped". Parts: `npm test -- system typecheck layers unit wire soak e2e`
// (`vitest` = unit + wire); none named = all. `smoke` (not part of "all") runs a few unit files that
// load every native module the kiosk needs (better-sqlite3, argon2) and build the whole kiosk in
// process: the fresh-root check uses it, because the full unit suite already ran on the CI machine.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
mkdirSync('test-results', { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const args = process.argv.slice(2);
const only = (name) => args.length === 0 || args.includes(name);

let failedSteps = [];

/** Debian packages (scripts/install-system-packages.sh): install what is missing, or say what to run. */
function ensureSystemPackages() {
  const script = path.join(root, 'scripts', 'install-system-packages.sh');
  const check = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  if (check.status !== 0) {
    const missing = check.stdout.trim();
    const asRoot = process.getuid?.() === 0;
    const sudo = !asRoot && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
    if (!asRoot && !sudo) {
      console.error(`npm test needs Debian packages (${missing}): run \`sudo scripts/install-system-packages.sh\` once, then npm test again.`);
      process.exit(1);
    }
    console.log(`\n=== system packages: installing ${missing}`);
    const r = spawnSync(asRoot ? 'bash' : 'sudo', asRoot ? [script] : ['-n', 'bash', script], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error('npm test: installing the Debian packages failed (see above); run `sudo scripts/install-system-packages.sh`, then npm test again.');
      process.exit(1);
    }
  }
  // nfc-pcsc is optional: an install made before libpcsclite-dev was there left it out. Install again
  // with the npm that runs us, so the PC/SC driver (and its addon, scripts/postinstall.mjs) is there.
  try {
    createRequire(path.join(root, 'package.json')).resolve('nfc-pcsc');
  } catch {
    const npm = process.env.npm_execpath;
    console.log('\n=== system packages: PC/SC is here now; npm install adds the optional PC/SC driver (nfc-pcsc)');
    const r = npm
      ? spawnSync(process.env.npm_node_execpath || 'node', [npm, 'install', '--no-audit', '--no-fund'], { stdio: 'inherit' })
      : spawnSync('npm', ['install', '--no-audit', '--no-fund'], { stdio: 'inherit' });
    if (r.status !== 0) failedSteps.push('npm install (PC/SC driver)');
  }
}

if (only('system')) ensureSystemPackages();
const totals = { passed: 0, failed: 0, skipped: 0 };

function run(label, cmd, cmdArgs) {
  console.log(`\n=== ${label}: ${cmd} ${cmdArgs.join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: process.env });
  console.log(`=== ${label}: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failedSteps.push(label);
  return r.status;
}

if (only('typecheck')) {
  run('typecheck (main, hardware, state-machines, backoffice, tests)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  run('typecheck (renderer)', bin('tsc'), ['-p', 'renderer/tsconfig.json', '--noEmit']);
}

if (only('layers')) {
  run('layers (dependency-cruiser: the layer table of docs/ARCHITECTURE.md)', bin('depcruise'), [
    '--config', '.dependency-cruiser.cjs', 'contract', 'domain', 'state-machines', 'hardware', 'main', 'backoffice', 'renderer', 'scripts', 'test',
  ]);
}

const vitestProjects = only('vitest') ? [] : ['unit', 'wire'].filter((p) => args.includes(p));
if (only('vitest') || vitestProjects.length) {
  const out = 'test-results/vitest.json';
  const projects = vitestProjects.flatMap((p) => ['--project', p]);
  run(`vitest (${vitestProjects.join(' + ') || 'unit + wire'})`, bin('vitest'), ['run', ...projects, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += j.numFailedTests ?? 0;
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  }
}

if (args.includes('smoke')) {
  const out = 'test-results/vitest-smoke.json';
  const files = [
    'main/composition.test.ts',
    'main/journal/sqlite-journal.test.ts',
    'main/maintenance/technician-access.test.ts',
    'backoffice/server.test.ts',
    'hardware/payment/emulated/emulated-hardware.test.ts',
    'test/start.test.ts',
  ];
  run('vitest smoke (native modules, the whole kiosk in process)', bin('vitest'), ['run', '--project', 'unit', ...files, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += j.numFailedTests ?? 0;
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  }
}

if (only('soak')) {
  // The soak benchmark's short run (scripts/soak.ts; `npm run soak` is the 10,000-session one):
  // fails on a stuck session, RSS growth past 10 MB after warm-up, or a series that only grows.
  run('soak (200 traveller sessions, every journey, faults mixed in)', process.execPath, [
    '--expose-gc', '--max-semi-space-size=4', '--import', 'tsx', path.join(root, 'scripts', 'soak.ts'), '--sessions', '200', '--every', '40',
  ]);
}

if (only('e2e')) {
  const out = 'test-results/playwright.json';
  const env = { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out };
  console.log('\n=== playwright (browser host in Chromium; Electron where a binary exists)');
  const started = Date.now();
  const r = spawnSync(bin('playwright'), ['test', '--reporter=list,json'], { stdio: 'inherit', env });
  console.log(`=== playwright: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failedSteps.push('playwright');
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    const s = j.stats ?? {};
    totals.passed += (s.expected ?? 0) + (s.flaky ?? 0);
    totals.failed += s.unexpected ?? 0;
    totals.skipped += s.skipped ?? 0;
  }
}

console.log('');
if (failedSteps.length) console.log(`Failed steps: ${failedSteps.join(', ')}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);
