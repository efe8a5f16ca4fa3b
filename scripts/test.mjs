// The one test command (`npm test`): type check, every vitest project (unit + wire-level), then
// the Playwright browser tests. Prints one closing line "Tests: N passed, N failed, N skipped".
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

if (only('vitest')) {
  const out = 'test-results/vitest.json';
  run('vitest (unit + wire)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`]);
  if (existsSync(out)) {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += j.numPassedTests ?? 0;
    totals.failed += j.numFailedTests ?? 0;
    totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  }
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
