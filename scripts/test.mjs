// The one test command (`npm test`): the Debian packages the tests need (installed when this runs
// as root or with password-less sudo, else one line saying what to run), type check, layers, every
// vitest project (unit + wire-level), then the Playwright browser tests. Prints one closing line
// "Tests: N passed, N failed, N skipped". Parts: `npm test -- system typecheck layers unit wire soak e2e`
// (`vitest` = unit + wire); none named = all. `smoke` (not part of "all") runs a few unit files that
// load every native module the kiosk needs (better-sqlite3, argon2) and build the whole kiosk in
// process: the fresh-root check uses it, because the full unit suite already ran on the CI machine.
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
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

/**
 * One step: a command, its exit status counted. With `log`, its output goes to that file and is
 * printed whole when it ends (a step running beside another: two steps writing to one terminal at
 * once are unreadable); without, it writes to the terminal as it goes.
 */
function run(label, cmd, cmdArgs, { env = process.env, log } = {}) {
  console.log(`\n=== ${label}: ${cmd} ${cmdArgs.join(' ')}${log ? ` (beside the other steps; its output: ${log}, printed when it ends)` : ''}`);
  const started = Date.now();
  const fd = log ? openSync(log, 'w') : undefined;
  const child = spawn(cmd, cmdArgs, { stdio: fd === undefined ? 'inherit' : ['ignore', fd, fd], env });
  if (fd !== undefined) closeSync(fd);
  return new Promise((resolve) => {
    let settled = false;
    const done = (status, why) => {
      if (settled) return;
      settled = true;
      const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      if (log) {
        console.log(`\n=== ${label} (ran beside): exit ${status} in ${took}; its output:`);
        process.stdout.write(readFileSync(log, 'utf8'));
      }
      if (why) console.log(why);
      console.log(`=== ${label}: exit ${status} in ${took}`);
      if (status !== 0) failedSteps.push(label);
      resolve(status);
    };
    child.once('error', (e) => done(null, `cannot start ${cmd}: ${e.message}`));
    child.once('exit', (code, signal) => done(code ?? signal));
  });
}

/** A vitest step; its JSON report adds to the totals (a suite that failed in a hook counts as failed). */
async function vitest(label, out, vitestArgs, opts) {
  rmSync(out, { force: true });
  await run(label, bin('vitest'), ['run', ...vitestArgs, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], opts);
  if (!existsSync(out)) return;
  const j = JSON.parse(readFileSync(out, 'utf8'));
  totals.passed += j.numPassedTests ?? 0;
  totals.failed += (j.numFailedTests ?? 0) + (j.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
}

if (only('typecheck')) {
  await run('typecheck (main, hardware, state-machines, backoffice, tests)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  await run('typecheck (renderer)', bin('tsc'), ['-p', 'renderer/tsconfig.json', '--noEmit']);
}

if (only('layers')) {
  await run('layers (dependency-cruiser: the layer table of docs/ARCHITECTURE.md)', bin('depcruise'), [
    '--config', '.dependency-cruiser.cjs', 'contract', 'domain', 'state-machines', 'hardware', 'main', 'backoffice', 'renderer', 'scripts', 'test',
  ]);
}

const wantUnit = only('vitest') || args.includes('unit');
const wantWire = only('vitest') || args.includes('wire');

/**
 * The wire-level tests: the money proofs (vitest project `money`, test/money), then the driver
 * stacks (project `wire`). Never at the same time: the driver-stack tests start and kill the one
 * pcscd the money proofs use.
 */
async function wireLane(log) {
  await vitest('vitest (money: the kill-at-every-step money proofs)', 'test-results/vitest-money.json', ['--project', 'money'], log ? { log: `${log}-money.log` } : {});
  await vitest('vitest (wire: the card and ZVT driver stacks)', 'test-results/vitest-wire.json', ['--project', 'wire'], log ? { log: `${log}-wire.log` } : {});
}

/** Everything else: the unit tests, the smoke files, the soak's short run, Playwright. */
async function mainLane() {
  if (wantUnit) await vitest('vitest (unit)', 'test-results/vitest-unit.json', ['--project', 'unit']);

  if (args.includes('smoke')) {
    const files = [
      'main/composition.test.ts',
      'main/journal/sqlite-journal.test.ts',
      'main/maintenance/technician-access.test.ts',
      'backoffice/server.test.ts',
      'hardware/payment/emulated/emulated-hardware.test.ts',
      'test/start.test.ts',
    ];
    await vitest('vitest smoke (native modules, the whole kiosk in process)', 'test-results/vitest-smoke.json', ['--project', 'unit', ...files]);
  }

  if (only('soak')) {
    // The soak benchmark's short run (scripts/soak.ts; `npm run soak` is the 10,000-session one):
    // fails on a stuck session, RSS growth past 10 MB after warm-up, or a series that only grows.
    await run('soak (200 traveller sessions, every journey, faults mixed in)', process.execPath, [
      '--expose-gc', '--max-semi-space-size=4', '--import', 'tsx', path.join(root, 'scripts', 'soak.ts'), '--sessions', '200', '--every', '40',
    ]);
  }

  if (only('e2e')) {
    const out = 'test-results/playwright.json';
    rmSync(out, { force: true });
    await run('playwright (browser host in Chromium; Electron where a binary exists)', bin('playwright'), ['test', '--reporter=list,json'], {
      env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: out },
    });
    if (existsSync(out)) {
      const j = JSON.parse(readFileSync(out, 'utf8'));
      const s = j.stats ?? {};
      totals.passed += (s.expected ?? 0) + (s.flaky ?? 0);
      totals.failed += s.unexpected ?? 0;
      totals.skipped += s.skipped ?? 0;
    }
  }
}

// The wire-level tests spend their time waiting on protocol timers and on processes they killed
// (a kill-at-every-step case is ~10 s: mostly the terminal's T2 repeat and the restarted kiosk's
// orphan listen), not on the CPU. In a run with the unit tests or Playwright they go beside those
// (scripts/test.mjs's two lanes: on two cores `npm test` went from ~33 to ~21 min); the wire
// lane's output is printed when it ends. KIOSK_TEST_SERIAL=1 runs everything one after the other.
const beside = wantWire && (wantUnit || only('e2e')) && process.env.KIOSK_TEST_SERIAL !== '1';
if (beside) await Promise.all([wireLane('test-results/lane-wire'), mainLane()]);
else {
  await mainLane();
  if (wantWire) await wireLane();
}

console.log('');
if (failedSteps.length) console.log(`Failed steps: ${failedSteps.join(', ')}`);
console.log(`Tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);
