/**
 * Benchmark: how long from `npm start` to the start screen being shown, and from a card being
 * presented (tester API, emulated hardware) to the menu being shown.
 *
 *   tsx scripts/bench-startup.ts [--runs 5] [--cards 5]
 *
 * Each run spawns `npm start -- --browser --no-open` with a fresh data directory and free port
 * (cold: new journal, new back-office database), launches Debian's Chromium headless at the same
 * moment (playwright-core, never a downloaded browser), points it at the kiosk as soon as the
 * kiosk prints its address, and waits until the renderer shows `[data-screen="start"]`. Then, per
 * card: present the fixture card at the start screen, wait for `[data-screen="menu"]`.
 * Prints median and p95 (nearest rank) of each, and the CPU time (user + system) the process tree of
 * `npm start` (npm, the start script, the kiosk host and anything they waited for) had used when
 * the start screen showed: on a loaded machine wall time mostly measures the others' load, CPU time
 * much less so. KIOSK_HOST_FROM_SOURCE=1 measures the host run through tsx instead of compiled.
 *
 * The floor, side by side: before each kiosk run (alternating, so both see the same machine), the
 * same Chromium is launched at the same moment as a bare node:http server (`node -e`, one static
 * page holding `[data-screen="start"]`, nothing else); its time to that element is what any kiosk
 * made of a Node process and this browser needs on this machine, before doing anything of its own.
 * `--no-floor` skips it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freeLoopbackPort } from '../main/free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}

function stats(xs: number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { median: rank(0.5), p95: rank(0.95), min: s[0]!, max: s[s.length - 1]! };
}

function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the kiosk did not print its address in time')), timeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const m = /kiosk running at (http:\/\/\S+)/.exec(line) ?? /^KIOSK_URL=(\S+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => reject(new Error(`npm start exited early (${code})`)));
  });
}

/** CPU ms (user + system, with waited-for children) used so far by `pid` and its descendants (Linux /proc). */
function treeCpuMs(pid: number): number {
  const TICKS_PER_S = 100; // USER_HZ on Linux
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      procs.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    total += procs.get(p)?.ticks ?? 0;
    for (const [child, info] of procs) if (info.ppid === p) todo.push(child);
  }
  return (total * 1000) / TICKS_PER_S;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

/** Send one bridge event through the page's own WebSocket contract (as the renderer would). */
async function sendEvent(page: Page, event: unknown): Promise<void> {
  await page.evaluate(async (ev) => {
    const host = (globalThis as unknown as { location: { host: string } }).location.host;
    const ws = new WebSocket(`ws://${host}/bridge`);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error('bridge connection failed'));
    });
    const done = new Promise<void>((resolve) => {
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { type: string; id?: string };
        if (msg.type === 'result' && msg.id === 'bench') resolve();
      };
    });
    ws.send(JSON.stringify({ type: 'event', id: 'bench', event: ev }));
    await done;
    ws.close();
  }, event);
}

/**
 * The start-up phases, in order, from the KIOSK_TRACE marks scripts/start.mjs and main/start.ts
 * print under KIOSK_STARTUP_TRACE=1 (each: ms since `npm start` was spawned, at its end).
 */
const PHASES = [
  ['npm', 'start-process-start'],
  ['start script loaded', 'start-script-running'],
  ['start checks (renderer, host build)', 'start-spawning-host'],
  ['host process up', 'host-process-start'],
  ['host modules loaded', 'host-modules-loaded'],
  ['configuration', 'host-config-loaded'],
  ['browser host listening (URL printed)', 'host-listening'],
  // From here the core loads and starts while the browser loads the screen (main/start.ts).
  ['core modules loaded', 'host-core-modules-loaded'],
  ['core created (journal, back office, devices)', 'host-kiosk-created'],
  ['core started', 'host-kiosk-started'],
] as const;
/** Marks timed apart (not in the chain of phases above): each as ms since `npm start` (median). */
const SIDE_MARKS = [
  ['browser host ready (fastify, bridge)', 'host-ready'],
  ['browser: launched, page open (in parallel)', 'browser: launched, page open (in parallel)'],
  ['page: first response', 'page: first response'],
  ['page: DOM loaded (scripts run)', 'page: DOM loaded (scripts run)'],
] as const;
/** Per mark: ms since `npm start` was spawned, and the CPU ms its process had used by then. */
type PhaseTimes = Record<string, { at: number; cpu?: number }>;

async function oneRun(
  cards: number,
): Promise<{ listeningMs: number; startupMs: number; cpuMs: number; cardToMenuMs: number[]; phases: PhaseTimes }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-bench-'));
  const port = await freeLoopbackPort();
  const t0 = performance.now();
  const t0Epoch = performance.timeOrigin + t0;
  const npm = spawn('npm', ['start', '--silent', '--', '--browser', '--no-open'], {
    cwd: root,
    env: {
      ...process.env,
      KIOSK_PORT: String(port),
      KIOSK_DATA_DIR: dataDir,
      KIOSK_LOG_LEVEL: 'warn',
      KIOSK_PAYMENT_PROMPT_DELAY_MS: '50',
      KIOSK_STARTUP_TRACE: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const phases: PhaseTimes = {};
  createInterface({ input: npm.stderr! }).on('line', (line) => {
    const m = /^KIOSK_TRACE (\S+) (\d+(?:\.\d+)?) (\d+)$/.exec(line);
    if (m) phases[m[1]!] = { at: Number(m[2]) - t0Epoch, cpu: Number(m[3]) };
    else process.stderr.write(`${line}\n`);
  });
  // The kiosk's browser is started with the kiosk (an appliance starts both at boot) and has its
  // window open by the time the kiosk listens, or not: its own start-up is timed apart.
  const browserP = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }).then(async (browser) => {
    const page = await browser.newPage({ viewport: { width: 1080, height: 1920 } }).catch(async (e: unknown) => {
      await browser.close();
      throw e;
    });
    browserReadyMs = performance.now() - t0;
    return { browser, page };
  });
  browserP.catch(() => {}); // awaited below
  let browserReadyMs = 0;
  try {
    const url = await waitForUrl(npm, 120_000);
    const listeningMs = performance.now() - t0;
    const { browser, page } = await browserP;
    phases['browser: launched, page open (in parallel)'] = { at: browserReadyMs };
    try {
      await page.goto(url, { waitUntil: 'commit' });
      phases['page: first response'] = { at: performance.now() - t0 };
      await page.waitForLoadState('domcontentloaded');
      phases['page: DOM loaded (scripts run)'] = { at: performance.now() - t0 };
      await page.locator('[data-screen="start"]').waitFor({ state: 'visible', timeout: 60_000 });
      const startupMs = performance.now() - t0;
      const cpuMs = treeCpuMs(npm.pid!);
      phases['page: start screen shown'] = { at: startupMs };

      const cardToMenuMs: number[] = [];
      for (let i = 0; i < cards; i++) {
        await post(`${url}/tester/reset`, {});
        await page.locator('[data-screen="start"]').waitFor({ state: 'visible' });
        // Since the station screen (issue 14) a card held at the start screen opens the menu directly.
        const c0 = performance.now();
        await post(`${url}/tester/card/present`, { fixtureId: 'anonymous' });
        await page.locator('[data-screen="menu"]').waitFor({ state: 'visible', timeout: 30_000 });
        cardToMenuMs.push(performance.now() - c0);
      }
      return { listeningMs, startupMs, cpuMs, cardToMenuMs, phases };
    } finally {
      await browser.close();
    }
  } finally {
    await browserP.then(({ browser }) => browser.close(), () => {}); // a kiosk that never listened
    // npm, the start script and the kiosk share one process group: stop them together.
    try {
      process.kill(-npm.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => (npm.exitCode !== null ? r(undefined) : npm.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A bare node:http server on `port`, serving one static start screen (the floor's server). */
const FLOOR_SERVER = `
const html = '<!doctype html><html><body><main data-screen="start"><h1>Welkom</h1></main></body></html>';
require('node:http').createServer((q, r) => { r.writeHead(200, { 'content-type': 'text/html' }); r.end(html); })
  .listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => console.log('KIOSK_URL=http://127.0.0.1:' + process.env.FLOOR_PORT));
`;

/** The floor: Chromium and a bare Node server started at the same moment, to the start element. */
async function floorRun(): Promise<number> {
  const port = await freeLoopbackPort();
  const t0 = performance.now();
  const server = spawn(process.execPath, ['-e', FLOOR_SERVER], { env: { ...process.env, FLOOR_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const browserP = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  browserP.catch(() => {}); // awaited below
  try {
    const url = await waitForUrl(server, 30_000);
    const browser = await browserP;
    try {
      const page = await browser.newPage({ viewport: { width: 1080, height: 1920 } });
      await page.goto(url, { waitUntil: 'commit' });
      await page.locator('[data-screen="start"]').waitFor({ state: 'visible', timeout: 30_000 });
      return performance.now() - t0;
    } finally {
      await browser.close();
    }
  } finally {
    await browserP.then((b) => b.close(), () => {});
    server.kill('SIGKILL');
  }
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function main(): Promise<void> {
  const runs = arg('runs', 5);
  const cards = arg('cards', 5);
  const startup: number[] = [];
  const listening: number[] = [];
  const cardToMenu: number[] = [];
  const cpu: number[] = [];
  const phaseRuns: PhaseTimes[] = [];
  console.log(`load average at the start: ${loadAverage()}`);
  const withFloor = !process.argv.includes('--no-floor');
  const floor: number[] = [];
  for (let i = 1; i <= runs; i++) {
    if (withFloor) {
      floor.push(await floorRun());
      console.log(`floor ${i}/${runs}: Chromium + a bare Node server, started together -> start element ${floor.at(-1)!.toFixed(0)} ms`);
    }
    const r = await oneRun(cards);
    phaseRuns.push(r.phases);
    startup.push(r.startupMs);
    cpu.push(r.cpuMs);
    listening.push(r.listeningMs);
    cardToMenu.push(...r.cardToMenuMs);
    console.log(
      `run ${i}/${runs}: npm start -> host listening ${r.listeningMs.toFixed(0)} ms, -> start screen ${r.startupMs.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms); card -> menu ${r.cardToMenuMs.map((x) => x.toFixed(0)).join(', ')} ms`,
    );
  }
  const fmt = (s: ReturnType<typeof stats>) =>
    `median ${s.median.toFixed(0)} ms, p95 ${s.p95.toFixed(0)} ms (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`;
  console.log('');
  console.log('phases (medians over runs): wall ms of the phase, ms since `npm start` at its end, CPU ms its process spent in it');
  let prev: PhaseTimes[string][] = phaseRuns.map(() => ({ at: 0 }));
  let prevMark = '';
  for (const [label, mark] of [...PHASES, ['page loaded, bridge snapshot, start screen', 'page: start screen shown'] as const]) {
    const marks = phaseRuns.map((p) => p[mark]);
    if (marks.some((x) => x === undefined)) {
      console.log(`  ${label.padEnd(46)} (no mark)`);
      continue;
    }
    const ends = marks as PhaseTimes[string][];
    const own = ends.map((x, i) => x.at - prev[i]!.at);
    // CPU: the same process as the previous mark -> the difference; a process's first mark -> all it used.
    const sameProcess = prevMark.split('-')[0] === mark.split('-')[0];
    const cpu = ends.every((x) => x.cpu !== undefined) ? ends.map((x, i) => x.cpu! - (sameProcess ? (prev[i]!.cpu ?? 0) : 0)) : undefined;
    console.log(
      `  ${label.padEnd(46)} ${stats(own).median.toFixed(0).padStart(6)} ms  (at ${stats(ends.map((x) => x.at)).median.toFixed(0).padStart(5)} ms)${cpu ? `  CPU ${stats(cpu).median.toFixed(0).padStart(5)} ms` : ''}`,
    );
    prev = ends;
    prevMark = mark;
  }
  for (const [label, mark] of SIDE_MARKS) {
    const ats = phaseRuns.map((p) => p[mark]?.at).filter((x): x is number => x !== undefined);
    if (ats.length) console.log(`  ${label.padEnd(46)} at ${stats(ats).median.toFixed(0).padStart(5)} ms`);
  }
  console.log('');
  console.log(`npm start -> kiosk listening (${listening.length} runs): ${fmt(stats(listening))}`);
  console.log(`npm start -> start screen shown (${startup.length} runs): ${fmt(stats(startup))}`);
  if (floor.length) {
    const f = stats(floor).median;
    const k = stats(startup).median;
    console.log(`floor: Chromium + a bare Node server -> start element (${floor.length} runs, alternating): ${fmt(stats(floor))}`);
    console.log(`the kiosk's own share (start screen median - floor median): ${(k - f).toFixed(0)} ms; kiosk / floor ${(k / f).toFixed(2)}x`);
  }
  console.log(`CPU used by npm start's process tree until the start screen (${cpu.length} runs): ${fmt(stats(cpu))}`);
  console.log(`load average at the end: ${loadAverage()} (${process.env.KIOSK_HOST_FROM_SOURCE === '1' ? 'host through tsx' : 'compiled host'})`);
  console.log(`card presented -> menu shown (${cardToMenu.length} presentations): ${fmt(stats(cardToMenu))}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
