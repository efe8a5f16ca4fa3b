/**
 * The fleet simulator: `npm run fleet -- --scenario storm --kiosks 5000 --records 200 --processes 2`
 *
 * Starts a throwaway PostgreSQL cluster (or uses --database postgres://…), P back-office processes
 * (backoffice/main.ts) on it, and C client processes (scripts/fleet-client.ts) that run the kiosks
 * through the project's own uploader and HTTP client (kiosk i talks to back office i mod P, as a
 * load balancer would). Prints a progress line while it runs and the figures at the end.
 *
 * Scenarios:
 *   storm    every kiosk reconnects at once with --records of backlog: time to drain, records/s,
 *            batch p50/p99, retries (503/timeouts), exactly-once and false-gap checks, DB size.
 *   steady   every kiosk appends --per-minute records each (compressed) minute (--minute-ms) for
 *            --duration-ms and uploads them: batch latency p50/p99 over the whole run, p99 after
 *            the first minute (the warm-up: every kiosk's first call, cold connections and code),
 *            and how late the simulator's own event loop ran (measured latencies include it).
 *   blocked  every kiosk polls the blocked list every --poll-ms; one card is blocked centrally:
 *            distribution of the time until each kiosk has it.
 *   orders   pending-order queries at --orders-per-second in all: latency p50/p99.
 * Every scenario also reports the CPU seconds its clients, back offices and PostgreSQL used while
 * it ran (cpuSeconds…, from /proc) and the machine's speed just before (cpuProbeMs: a fixed
 * workload, lower is faster; scripts/proc-cpu.ts). The storm saturates both cores, so its drain
 * time is about the sum over two, and that sum follows the machine's speed at the time.
 * Options: --clients C (client processes, default 2), --batch N (uploader batch, default 500),
 * --probe N (the uploader's probe batch after start and after no answer; default the kiosk's,
 * KIOSK_PROBE_BATCH_SIZE; --probe 0: none),
 * --timeout-ms (kiosk request timeout, default 10000), --pool (connections per back office),
 * --min-retry-rate (each back office's floor for return slots, batches/s; default 100 / processes),
 * --intake-concurrency / --intake-queue (each back office's journal batches at work / allowed to
 * wait; default 4 / the back office's own default, DEFAULT_INTAKE_QUEUE),
 * --tcp (reach the throwaway cluster over loopback TCP, not its Unix socket),
 * --json (print the figures as one JSON line too).
 *
 * Stopping it (SIGINT / Ctrl-C, SIGTERM) in any phase: the client processes are stopped, then the
 * back-office processes (SIGTERM: they drain), then the throwaway PostgreSQL cluster (pg_ctl stop,
 * its directory removed); what was measured so far is printed; the exit code is 130 (SIGINT) or
 * 143 (SIGTERM). A second signal skips the orderly part (everything SIGKILLed, the cluster removed).
 * Children run in their own process groups so a stop reaches the node process under each tsx
 * wrapper too (a SIGKILL to tsx alone left it running, orphaned, and crashing on EPIPE).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../contract/time.js';
import { openDatabase } from '../backoffice/db/engine.js';
import { openPgStore } from '../backoffice/db/pg-store.js';
import { startBackOfficeProcess, writeKiosksFile, type BackOfficeProcess } from '../backoffice/db/testing/backoffice-process.js';
import { startPgCluster, type PgCluster } from '../backoffice/db/testing/pg-cluster.js';
import { KIOSK_PROBE_BATCH_SIZE } from '../main/uploader/uploader.js';
import { DEFAULT_INTAKE_QUEUE } from '../backoffice/intake-gate.js';
import { cpuProbeMs, postmasterPid, treeCpuSeconds } from './proc-cpu.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface FleetOptions {
  scenario: 'storm' | 'steady' | 'blocked' | 'orders';
  kiosks: number;
  records: number;
  processes: number;
  clients: number;
  batch: number;
  /** The uploader's probe (first batch after start and after no answer); default the kiosk's; 0: none. */
  probe?: number;
  timeoutMs: number;
  perMinute: number;
  minuteMs: number;
  durationMs: number;
  pollMs: number;
  ordersPerSecond: number;
  pool?: number;
  /** Journal batches at work / allowed to wait, per back-office process (IntakeGate). */
  intakeConcurrency?: number;
  intakeQueue?: number;
  /** Each back-office process's floor for return slots, batches/s; default 100 / processes. */
  minRetryRate?: number;
  database?: string;
  /** Reach the throwaway cluster over loopback TCP instead of its Unix socket. */
  tcp?: boolean;
  quiet?: boolean;
}

export type FleetFigures = Record<string, number | string | boolean>;

/** The run was stopped by a signal: what it had measured until then. */
export class FleetInterrupted extends Error {
  constructor(
    readonly signal: string,
    readonly figures: FleetFigures,
  ) {
    super(`fleet run interrupted by ${signal}`);
    this.name = 'FleetInterrupted';
  }
}

/** Synchronous cleanups for a second signal (main's signal handler): no waiting any more. */
const onInterrupt: (() => void)[] = [];

/** Signal a child's whole process group (tsx's wrapper and the node process under it). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function pct(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

interface Client {
  child: ChildProcess;
  last: Record<string, unknown>;
  lines: Record<string, unknown>[];
  wait(type: string): Promise<Record<string, unknown>>;
  tell(msg: Record<string, unknown>): void;
}

function startClient(config: Record<string, unknown>, dir: string, n: number): Client {
  // Thousands of kiosks do not fit on a command line: the configuration goes in a file.
  const configPath = join(dir, `client-${n}.json`);
  writeFileSync(configPath, JSON.stringify(config), { mode: 0o600 });
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['--expose-gc', join(ROOT, 'scripts/fleet-client.ts'), configPath], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true, // its own process group: see killGroup
  });
  // A client that already exited (killed, crashed) closed its stdin: a message to it is lost, not
  // a crash of the simulator (EPIPE); its exit is reported by wait().
  child.stdin!.on('error', () => undefined);
  const lines: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  const c: Client = {
    child,
    last: {},
    lines,
    wait: (type) =>
      new Promise((resolve, reject) => {
        const got = lines.find((l) => l.type === type);
        if (got) return resolve(got);
        waiters.push({ type, resolve });
        child.once('exit', (code) => reject(new Error(`fleet client exited (${code}) before '${type}'`)));
      }),
    tell: (msg) => {
      if (child.stdin!.writable) child.stdin!.write(`${JSON.stringify(msg)}\n`);
    },
  };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        console.error(`fleet client said: ${line}`);
        continue;
      }
      if (msg.type === 'error') console.error(`fleet client error: ${String(msg.message)}`);
      if (msg.type === 'progress') c.last = msg;
      else lines.push(msg);
      for (const w of waiters.splice(0)) {
        if (w.type === msg.type) w.resolve(msg);
        else waiters.push(w);
      }
    }
  });
  return c;
}

export async function runFleet(o: FleetOptions, signal?: AbortSignal): Promise<FleetFigures> {
  const say = (s: string) => {
    if (!o.quiet) process.stdout.write(s);
  };
  // Every wait of the run gives way to a stop signal (then the finally below cleans up in order).
  const interrupt = new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(new Error('interrupted'));
    signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true });
  });
  interrupt.catch(() => undefined);
  const until = <T>(p: Promise<T>): Promise<T> => (signal ? Promise.race([p, interrupt]) : p);
  const partial: FleetFigures = { scenario: o.scenario, kiosks: o.kiosks, processes: o.processes, phase: 'starting the PostgreSQL cluster' };
  let progress: NodeJS.Timeout | undefined;
  let store: Awaited<ReturnType<typeof openPgStore>> | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'fleet-'));
  // The kiosks' blocked-list caches: each real kiosk fsyncs its own file on its own disk; thousands
  // of simulated kiosks in one process would queue their fsyncs behind each other on this machine's
  // one disk (5 ms each: 2,500 = 13 s of blocked event loop). On tmpfs when there is one.
  const cacheDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/fleet-cache-') : dir;
  let cluster: PgCluster | undefined;
  const backOffices: BackOfficeProcess[] = [];
  const clients: Client[] = [];
  try {
    onInterrupt.push(() => {
      for (const c of clients) killGroup(c.child, 'SIGKILL');
      for (const b of backOffices) b.kill('SIGKILL');
      cluster?.destroy();
      rmSync(dir, { recursive: true, force: true });
      rmSync(cacheDir, { recursive: true, force: true });
    });
    let url = o.database;
    if (!url) {
      cluster = await startPgCluster({ settings: { max_connections: '300', shared_buffers: '256MB', synchronous_commit: 'on' } });
      say(`fleet: PostgreSQL cluster ${cluster.dataDir} (port ${cluster.port}), working directory ${dir}\n`);
      await until(cluster.createDatabase('fleet'));
      // Over the Unix socket: on loopback TCP the back office's writev of each 100 KB intake
      // query carried the kernel's TCP work for both ends (10 of its 42 busy seconds in a
      // 2,000-kiosk storm). A back office on the database's host would use the socket too.
      url = o.tcp ? cluster.url('fleet') : cluster.socketUrl('fleet');
    }
    partial.phase = 'starting the back-office processes';
    const kiosks = Array.from({ length: o.kiosks }, (_, i) => ({ id: `fleet-${String(i).padStart(5, '0')}`, secret: `fleet-kiosk-secret-${i}-${(i * 2654435761) % 1e9}` }));
    const kiosksFile = writeKiosksFile(dir, Object.fromEntries(kiosks.map((k) => [k.id, k.secret])));
    const pool = o.pool ?? Math.max(4, Math.floor(40 / o.processes));
    // Return slots (intake-gate.ts RetrySchedule): each process hands them out at its share of the
    // one-process floor of 100 batches/s, or together they promise P times what the machine drains
    // and turn the same kiosks away again (2 processes at 100 each: 10,810 503s; at 50: see README).
    // The kiosk's own probe unless told otherwise; 0: none (every batch full).
    const probeBatchSize = Math.min(o.batch, (o.probe ?? KIOSK_PROBE_BATCH_SIZE) || o.batch);
    const minRetryRate = o.minRetryRate ?? Math.max(1, Math.round(100 / o.processes));
    const intakeEnv = { BACKOFFICE_POOL: String(pool), BACKOFFICE_INTAKE_CONCURRENCY: String(o.intakeConcurrency ?? 4), BACKOFFICE_INTAKE_QUEUE: String(o.intakeQueue ?? DEFAULT_INTAKE_QUEUE), BACKOFFICE_INTAKE_MIN_RETRY_RATE: String(minRetryRate) };
    // The first process migrates; the others find the schema there (they would wait on the lock).
    const boOptions = { kiosksFile, env: intakeEnv, detached: true, ...(signal ? { signal } : {}) };
    backOffices.push(await until(startBackOfficeProcess({ databaseUrl: url, ...boOptions })));
    const more = Array.from({ length: o.processes - 1 }, () => startBackOfficeProcess({ databaseUrl: url!, ...boOptions }));
    // Kept as they come, so a stop in the middle still finds (and stops) every one that started.
    for (const p of more) void p.then((b) => backOffices.push(b), () => undefined);
    await until(Promise.all(more));
    const db = await until(openDatabase(url, { max: 2 }));
    store = await until(openPgStore({ db, clock: systemClock, seedFixtures: false }));
    const blockedCard = '3528019999990001';
    const perClient = Math.ceil(o.kiosks / o.clients);
    for (let c = 0; c < o.clients; c++) {
      const mine = kiosks.slice(c * perClient, (c + 1) * perClient).map((k, i) => ({ ...k, url: backOffices[(c * perClient + i) % backOffices.length]!.url }));
      if (mine.length === 0) continue;
      clients.push(
        startClient({
          scenario: o.scenario,
          kiosks: mine,
          records: o.records,
          batchSize: o.batch,
          probeBatchSize,
          perMinute: o.perMinute,
          minuteMs: o.minuteMs,
          durationMs: o.durationMs,
          blockedCard,
          pollMs: o.pollMs,
          ordersPerSecond: o.ordersPerSecond / o.clients,
          timeoutMs: o.timeoutMs,
          tmpDir: cacheDir,
        }, dir, c),
      );
    }
    say(`fleet: ${o.scenario}, ${o.kiosks} kiosks, ${o.processes} back-office process(es), ${clients.length} client process(es); preparing journals…\n`);
    partial.phase = 'preparing the kiosks';
    const ready = await until(Promise.all(clients.map((c) => c.wait('ready'))));
    // What each part costs (CPU seconds from /proc, run only), and how fast the machine was just
    // before: the storm saturates both cores, so its drain time follows both (proc-cpu.ts).
    const probeMs = cpuProbeMs();
    const postmaster = cluster ? [postmasterPid(cluster.dataDir)] : [];
    const cpuNow = () => ({
      backOffice: treeCpuSeconds(backOffices.map((b) => b.child.pid!)),
      postgres: cluster ? treeCpuSeconds(postmaster) : undefined,
    });
    const cpuBefore = cpuNow();
    const t0 = performance.now();
    partial.phase = 'running';
    let blockedAt = 0;
    if (o.scenario === 'blocked') {
      await until(new Promise((r) => setTimeout(r, o.pollMs * 1.5))); // every kiosk has polled once
      blockedAt = Date.now();
      await store.setBlocked(blockedCard, true);
    }
    for (const c of clients) c.tell({ type: 'go', at: blockedAt });
    const expected = o.kiosks * o.records;
    progress = setInterval(() => {
      const delivered = clients.reduce((s, c) => s + Number(c.last.delivered ?? 0), 0);
      const busy = clients.reduce((s, c) => s + Number(c.last.busy ?? 0), 0);
      const timeouts = clients.reduce((s, c) => s + Number(c.last.timeouts ?? 0), 0);
      const secs = (performance.now() - t0) / 1000;
      Object.assign(partial, { seconds: Number(secs.toFixed(1)), delivered, batches: clients.reduce((s, c) => s + Number(c.last.batches ?? 0), 0), retries503: busy, timeouts });
      const of = o.scenario === 'storm' ? ` / ${expected}` : '';
      say(`\r  ${secs.toFixed(1)} s  delivered ${delivered}${of}  ${Math.round(delivered / Math.max(secs, 0.001))}/s  503s ${busy}  timeouts ${timeouts}   `);
    }, 1000);
    const done = await until(Promise.all(clients.map((c) => c.wait('done'))));
    const cpuAfter = cpuNow();
    clearInterval(progress);
    partial.phase = 'counting';
    const wall = performance.now() - t0;
    say('\n');
    const sum = (k: string) => done.reduce((s, d) => s + Number(d[k] ?? 0), 0);
    const lat = done.flatMap((d) => (d.latencies as number[] | undefined) ?? []);
    const figures: FleetFigures = { scenario: o.scenario, kiosks: o.kiosks, processes: o.processes, clients: clients.length, probeBatch: probeBatchSize, cpuProbeMs: probeMs };
    // The clients' own count (fleet-client.ts): between their 'ready' and their 'done'.
    figures.cpuSecondsClients = Number(done.reduce((s, d, i) => s + Number(d.cpuSeconds) - Number(ready[i]!.cpuSeconds), 0).toFixed(1));
    for (const part of ['backOffice', 'postgres'] as const) {
      const [a, b] = [cpuBefore[part], cpuAfter[part]];
      if (a !== undefined && b !== undefined) figures[`cpuSeconds${part[0]!.toUpperCase()}${part.slice(1)}`] = Number((b - a).toFixed(1));
    }
    if (o.scenario === 'storm' || o.scenario === 'steady') {
      const counts = (
        await db.query<{ n: number; distinct: number }>(`SELECT count(*)::bigint AS n, count(DISTINCT (kiosk_id, seq))::bigint AS distinct FROM journal_records`)
      ).rows[0]!;
      const incomplete = (await db.query<{ n: number }>(`SELECT count(*)::bigint AS n FROM kiosk_state WHERE contiguous_seq <> max_seq`)).rows[0]!.n;
      const size = await store.journalSize();
      Object.assign(figures, {
        recordsSent: o.scenario === 'storm' ? expected : sum('appended'),
        recordsStored: counts.n,
        storedExactlyOnce: counts.n === counts.distinct && counts.n === (o.scenario === 'storm' ? expected : sum('appended')),
        // Which way it failed, when it did: a record stored twice, or records still in the kiosks'
        // queues at the end (steady gives the backlog 30 s after the last minute, then stops).
        duplicateRows: Number(counts.n) - Number(counts.distinct),
        recordsNotStored: (o.scenario === 'storm' ? expected : sum('appended')) - Number(counts.n),
        kiosksWithGaps: incomplete,
        falseGapReports: o.scenario === 'storm' ? sum('gapReports') : 'n/a',
        batches: sum('batches'),
        batchP50ms: Math.round(pct(lat, 50)),
        batchP99ms: Math.round(pct(lat, 99)),
        batchMaxMs: Math.round(pct(lat, 100)),
        retries503: sum('busy'),
        // What the 503s carried: every record in them was sent and read for nothing.
        recordsIn503s: sum('busyRecords'),
        timeouts: sum('timeouts'),
        otherFailures: sum('otherFailures'),
        duplicatesAnswered: sum('duplicates'),
        errorSamples: done.flatMap((d) => (d.errorSamples as string[] | undefined) ?? []).slice(0, 3).join(' | ') || 'none',
        dbMBPerMillionRecords: size.records > 0 ? Math.round((size.bytes / size.records) * 1e6 / 1e6) : 0,
      });
      if (o.scenario === 'storm') {
        const ms = Math.max(...done.map((d) => Number(d.ms)));
        Object.assign(figures, { drainSeconds: Number((ms / 1000).toFixed(1)), recordsPerSecond: Math.round(expected / (ms / 1000)) });
      } else {
        // The first minute is the warm-up: every kiosk's first call (its key looked up and derived
        // once per process), new connections, cold code. The whole run's p99 above includes it.
        const steadyLat = done.flatMap((d) => (d.steadyLatencies as number[] | undefined) ?? []);
        Object.assign(figures, {
          seconds: Number((wall / 1000).toFixed(1)),
          batchesAfterFirstMinute: steadyLat.length,
          batchP99AfterFirstMinuteMs: Math.round(pct(steadyLat, 99)),
          simulatorLoopDelayP99ms: Math.round(Math.max(...done.map((d) => Number(d.loopDelayP99ms ?? 0)))),
          simulatorLoopDelayMaxMs: Math.round(Math.max(...done.map((d) => Number(d.loopDelayMaxMs ?? 0)))),
        });
      }
    } else if (o.scenario === 'blocked') {
      const seen = done.flatMap((d) => d.seenAfter as number[]);
      Object.assign(figures, {
        pollMs: o.pollMs,
        kiosksInformed: seen.length,
        kiosksMissing: sum('missing'),
        versionRegressions: sum('versionRegressions'),
        p50ms: Math.round(pct(seen, 50)),
        p99ms: Math.round(pct(seen, 99)),
        maxMs: Math.round(pct(seen, 100)),
        allWithinOnePoll: seen.length === o.kiosks && pct(seen, 100) <= o.pollMs,
        polls503: sum('busy'),
        pollFailures: sum('otherFailures'),
        errorSamples: done.flatMap((d) => (d.errorSamples as string[] | undefined) ?? []).slice(0, 3).join(' | ') || 'none',
      });
    } else {
      Object.assign(figures, {
        queries: sum('queries'),
        queriesPerSecond: Math.round(sum('queries') / (wall / 1000)),
        failures: sum('failures'),
        p50ms: Number(pct(lat, 50).toFixed(1)),
        p99ms: Number(pct(lat, 99).toFixed(1)),
      });
    }
    const stops = await Promise.all(backOffices.splice(0).map((b) => b.stop()));
    figures.shutdownMaxMs = Math.round(Math.max(...stops.map((s) => s.ms)));
    return figures;
  } catch (e) {
    if (signal?.aborted) throw new FleetInterrupted(String(signal.reason ?? 'a signal'), partial);
    throw e;
  } finally {
    // In order: the kiosks stop asking, the back offices drain and exit, then the database goes.
    if (progress) clearInterval(progress);
    for (const c of clients) killGroup(c.child, 'SIGTERM');
    const gone = await Promise.all(clients.map((c) => exited(c.child, 3000)));
    clients.forEach((c, i) => gone[i] || killGroup(c.child, 'SIGKILL'));
    await Promise.all(
      backOffices.splice(0).map(async (b) => {
        // SIGTERM: main.ts drains (at most 10 s) and exits; past 15 s it is killed.
        const stopped = await Promise.race([b.stop().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
        if (!stopped) b.kill('SIGKILL');
      }),
    );
    await store?.close().catch(() => undefined);
    try {
      cluster?.stop('fast'); // pg_ctl stop -m fast -w
    } catch (e) {
      console.error(`fleet: pg_ctl stop failed (${String(e)}); stopping it immediately`);
    }
    cluster?.destroy(); // immediate stop if still running, then its directory removed
    rmSync(dir, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
    onInterrupt.length = 0;
  }
}

/** Exit code for a run stopped by `signal` (128 + its number, as a shell reports it). */
export function exitCodeFor(signal: string): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}

async function main(): Promise<void> {
  // Ctrl-C / SIGTERM: an orderly stop (runFleet's finally: clients, back offices, then pg_ctl stop
  // of the throwaway cluster, which pg_ctl daemonised: it would outlive us), the figures so far,
  // exit 130/143. A second signal: everything killed at once, the cluster removed, exit.
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      for (const c of onInterrupt.splice(0)) {
        try {
          c();
        } catch {
          // best effort
        }
      }
      process.exit(exitCodeFor(sig));
    }
    process.stderr.write(`\nfleet: ${sig}: stopping the clients, the back offices and the PostgreSQL cluster (again to kill at once)…\n`);
    stop.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'storm' },
      kiosks: { type: 'string', default: '5000' },
      records: { type: 'string', default: '200' },
      processes: { type: 'string', default: '1' },
      clients: { type: 'string', default: '2' },
      batch: { type: 'string', default: '500' },
      probe: { type: 'string' },
      'timeout-ms': { type: 'string', default: '10000' },
      'per-minute': { type: 'string', default: '4' },
      'minute-ms': { type: 'string', default: '5000' },
      'duration-ms': { type: 'string', default: '30000' },
      'poll-ms': { type: 'string', default: '10000' },
      'orders-per-second': { type: 'string', default: '500' },
      pool: { type: 'string' },
      'intake-concurrency': { type: 'string' },
      'intake-queue': { type: 'string' },
      'min-retry-rate': { type: 'string' },
      database: { type: 'string' },
      tcp: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected a whole number >= ${min}, got ${v}`);
    return n;
  };
  const scenario = values.scenario;
  if (scenario !== 'storm' && scenario !== 'steady' && scenario !== 'blocked' && scenario !== 'orders') throw new Error(`--scenario: storm, steady, blocked or orders`);
  let figures: FleetFigures;
  try {
    figures = await runFleet({
    scenario,
    kiosks: int('kiosks', values.kiosks, 1),
    records: int('records', values.records, 0),
    processes: int('processes', values.processes, 1),
    clients: int('clients', values.clients, 1),
    batch: int('batch', values.batch, 1),
    ...(values.probe !== undefined ? { probe: int('probe', values.probe, 0) } : {}),
    timeoutMs: int('timeout-ms', values['timeout-ms'], 100),
    perMinute: int('per-minute', values['per-minute'], 1),
    minuteMs: int('minute-ms', values['minute-ms'], 100),
    durationMs: int('duration-ms', values['duration-ms'], 0),
    pollMs: int('poll-ms', values['poll-ms'], 100),
    ordersPerSecond: int('orders-per-second', values['orders-per-second'], 1),
    ...(values.pool ? { pool: int('pool', values.pool, 1) } : {}),
    ...(values['intake-concurrency'] ? { intakeConcurrency: int('intake-concurrency', values['intake-concurrency'], 1) } : {}),
    ...(values['intake-queue'] ? { intakeQueue: int('intake-queue', values['intake-queue'], 0) } : {}),
    ...(values['min-retry-rate'] ? { minRetryRate: int('min-retry-rate', values['min-retry-rate'], 1) } : {}),
    ...(values.database ? { database: values.database } : {}),
    ...(values.tcp ? { tcp: true } : {}),
    }, stop.signal);
  } catch (e) {
    if (!(e instanceof FleetInterrupted)) throw e;
    console.log(`\nfleet: interrupted by ${e.signal}; measured so far:`);
    for (const [k, v] of Object.entries(e.figures)) console.log(`  ${k.padEnd(24)} ${v}`);
    if (values.json) console.log(JSON.stringify({ interrupted: e.signal, ...e.figures }));
    process.exit(exitCodeFor(e.signal));
  }
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(24)} ${v}`);
  if (values.json) console.log(JSON.stringify(figures));
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
