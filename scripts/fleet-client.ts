/**
 * One client process of the fleet simulator (scripts/fleet.ts starts several): a range of kiosks,
 * each with its own id, key, journal and the project's own uploader (main/uploader) and HTTP client
 * (main/backoffice-client). Reports to the coordinator as JSON lines on stdout.
 *
 * The kiosk journal here is an in-memory UploadQueue over records sealed exactly as the kiosk's
 * SQLite journal seals them (backoffice/db/testing/journal-gen.ts): thousands of SQLite journals
 * per process would measure this machine's memory, not the back office.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { systemClock, systemTime } from '../contract/time.js';
import type { JournalRecord } from '../contract/journal-record.js';
import { deriveKioskKeys } from '../contract/record-crypto.js';
import { FIXTURE_CARDS } from '../contract/fixture-cards.js';
import { createHttpBackOfficeClient, type JournalIntake } from '../main/backoffice-client/http-client.js';
import type { RejectedRecord, UploadQueue } from '../main/journal/journal.js';
import { createUploader, type Uploader } from '../main/uploader/uploader.js';
import { generateJournal } from '../backoffice/db/testing/journal-gen.js';

const Config = z.object({
  scenario: z.enum(['storm', 'steady', 'blocked', 'orders']),
  kiosks: z.array(z.object({ id: z.string(), secret: z.string(), url: z.string() })),
  records: z.int().min(0),
  batchSize: z.int().min(1).max(1000),
  probeBatchSize: z.int().min(1).max(1000).optional(),
  /** steady: records per kiosk per (compressed) minute and the minute's length in ms. */
  perMinute: z.int().min(1),
  minuteMs: z.int().min(100),
  durationMs: z.int().min(0),
  /** blocked: the card to watch for and the poll interval. */
  blockedCard: z.string(),
  pollMs: z.int().min(100),
  /** orders: queries per second from this process. */
  ordersPerSecond: z.number().positive(),
  timeoutMs: z.int().min(100),
  tmpDir: z.string(),
});
type Config = z.infer<typeof Config>;

// 'ready' and 'done' carry this process's CPU seconds so far: the fleet adds up what the clients
// used in between (a client may have exited by the time the fleet could read /proc).
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const send = (msg: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(msg.type === 'ready' || msg.type === 'done' ? { ...msg, cpuSeconds: cpuSeconds() } : msg)}\n`);
// The simulator (scripts/fleet.ts) is our only reader: once it is gone (EPIPE on our stdout: the
// progress line goes out every second) there is nobody to report to, so stop instead of crashing
// on the write or running on as an orphan.
process.stdout.on('error', () => process.exit(1));

class MemoryQueue implements UploadQueue {
  private readonly pending = new Map<number, JournalRecord>();
  delivered = 0;
  rejectedCount = 0;
  lastSeq = 0;
  add(records: JournalRecord[]): void {
    for (const r of records) {
      this.pending.set(r.seq, r);
      this.lastSeq = Math.max(this.lastSeq, r.seq);
    }
  }
  undelivered(limit: number): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const r of this.pending.values()) {
      if (out.length >= limit) break;
      out.push(r);
    }
    return out;
  }
  markDelivered(seqs: readonly number[]): void {
    for (const s of seqs) if (this.pending.delete(s)) this.delivered++;
  }
  markRejected(seq: number): void {
    if (this.pending.delete(seq)) this.rejectedCount++;
  }
  requeue(): void {}
  purgeDelivered(): number {
    return 0;
  }
  counts() {
    return { pending: this.pending.size, delivered: this.delivered, rejected: this.rejectedCount, lastSeq: this.lastSeq };
  }
  rejected(): RejectedRecord[] {
    return [];
  }
}

/** Times every intake call: latency of answered batches, and failures by kind. */
function timed(inner: JournalIntake, stats: Stats): JournalIntake {
  return {
    async submitRecords(records) {
      const t0 = performance.now();
      try {
        const r = await inner.submitRecords(records);
        const ms = performance.now() - t0;
        stats.latencies.push(ms);
        if (stats.goAt !== undefined && t0 - stats.goAt >= stats.warmUpMs) stats.steadyLatencies.push(ms);
        stats.batches++;
        if (r.gaps.length > 0) stats.gapReports++;
        for (const x of r.results) if (x.status === 'duplicate') stats.duplicates++;
        return r;
      } catch (e) {
        const name = (e as Error).name;
        if (name === 'BackOfficeBusyError') {
          stats.busy++;
          stats.busyRecords += records.length;
        }
        else if (/timeout|aborted/i.test((e as Error).message)) stats.timeouts++;
        else stats.otherFailures++;
        if (stats.errorSamples.length < 5) stats.errorSamples.push(`${name}: ${(e as Error).message}`);
        throw e;
      }
    },
  };
}

interface Stats {
  latencies: number[];
  /** steady: batches sent after the warm-up (every kiosk has called once; the processes are warm). */
  steadyLatencies: number[];
  goAt: number | undefined;
  warmUpMs: number;
  batches: number;
  busy: number;
  /** Records in the batches answered busy: sent (and read by the back office) for nothing. */
  busyRecords: number;
  timeouts: number;
  otherFailures: number;
  duplicates: number;
  gapReports: number;
  errorSamples: string[];
}

async function main(): Promise<void> {
  const cfg: Config = Config.parse(JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')));
  const stats: Stats = { latencies: [], steadyLatencies: [], goAt: undefined, warmUpMs: cfg.minuteMs, batches: 0, busy: 0, busyRecords: 0, timeouts: 0, otherFailures: 0, duplicates: 0, gapReports: 0, errorSamples: [] };
  const startAt = new Date(Date.now() - 86_400_000);
  const kiosks = cfg.kiosks.map((k, i) => {
    const queue = new MemoryQueue();
    const client = createHttpBackOfficeClient({ baseUrl: k.url, kioskId: k.id, secret: k.secret, clock: systemClock, blockedCachePath: `${cfg.tmpDir}/blocked-${k.id}.json`, timeoutMs: cfg.timeoutMs });
    const uploader: Uploader = createUploader({ queue, intake: timed(client, stats), time: systemTime(), random: Math.random, batchSize: cfg.batchSize, ...(cfg.probeBatchSize !== undefined ? { probeBatchSize: cfg.probeBatchSize } : {}), idleDelayMs: cfg.scenario === 'steady' ? cfg.minuteMs * 2 : 60_000 });
    return { ...k, queue, client, uploader, seed: i + 1, nextSeq: 1, prevHash: undefined as string | undefined, timer: undefined as NodeJS.Timeout | undefined };
  });
  // A kiosk derives its keys when it starts (record-crypto.ts keeps them), long before an outage
  // ends: so do these, before the run, not inside the first wave's requests (1,250 kiosks x 5 HKDF
  // derivations took a client process 1.3 s of CPU in the storm's first seconds, profiled).
  for (const k of cfg.kiosks) deriveKioskKeys(k.secret);
  const total = () => kiosks.reduce((s, k) => s + k.queue.delivered, 0);
  const progress = setInterval(() => send({ type: 'progress', delivered: total(), batches: stats.batches, busy: stats.busy, timeouts: stats.timeouts }), 1000);

  function append(k: (typeof kiosks)[number], n: number) {
    const j = generateJournal({ kioskId: k.id, secret: k.secret, count: n, startAt: new Date(startAt.getTime() + k.nextSeq * 1000), fromSeq: k.nextSeq, ...(k.prevHash ? { prevHash: k.prevHash } : {}), seed: k.seed * 7919 + k.nextSeq });
    k.queue.add(j.records);
    k.nextSeq += n;
    k.prevHash = j.records.at(-1)?.hash;
  }

  if (cfg.scenario === 'storm') {
    for (const k of kiosks) append(k, cfg.records);
    // Collected now, not in the storm's first seconds: generating a quarter of a million records
    // leaves V8 a full heap to mark and compact, and it did so right after 'go', on both cores
    // (half of a client's CPU in the first 6 s was GC, profiled; the back offices got ~0.6 of a
    // core and stored nothing for 4-6 s). A real kiosk holds 200 records, not 250,000.
    // (fleet.ts starts the clients with --expose-gc.)
    (globalThis as { gc?: () => void }).gc?.();
    send({ type: 'ready' });
    await waitFor('go');
    const t0 = performance.now();
    for (const k of kiosks) k.uploader.start();
    while (kiosks.some((k) => k.queue.counts().pending > 0)) await sleep(100);
    const ms = performance.now() - t0;
    await Promise.all(kiosks.map((k) => k.uploader.stop()));
    send({ type: 'done', ms, delivered: total(), rejected: kiosks.reduce((s, k) => s + k.queue.rejectedCount, 0), ...stats });
  } else if (cfg.scenario === 'steady') {
    send({ type: 'ready' });
    await waitFor('go');
    // How late this simulator's own event loop ran: a batch's measured latency includes it.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    stats.goAt = performance.now();
    for (const k of kiosks) k.uploader.start();
    const timers = kiosks.map((k) =>
      setTimeout(() => {
        const tick = () => {
          append(k, cfg.perMinute);
          k.uploader.notify();
        };
        tick();
        k.timer = setInterval(tick, cfg.minuteMs);
      }, Math.random() * cfg.minuteMs),
    );
    await sleep(cfg.durationMs);
    timers.forEach(clearTimeout);
    for (const k of kiosks) clearInterval(k.timer);
    const deadline = Date.now() + 30_000;
    while (kiosks.some((k) => k.queue.counts().pending > 0) && Date.now() < deadline) await sleep(100);
    await Promise.all(kiosks.map((k) => k.uploader.stop()));
    loop.disable();
    send({ type: 'done', delivered: total(), appended: kiosks.reduce((s, k) => s + k.nextSeq - 1, 0), ...stats, loopDelayP99ms: loop.percentile(99) / 1e6, loopDelayMaxMs: loop.max / 1e6 });
  } else if (cfg.scenario === 'blocked') {
    // Every kiosk polls the blocked list; report when each first knows the card is blocked.
    // Real kiosks were switched on at different moments: each starts polling at a random point of
    // the first interval (5,000 polls in the same millisecond would measure a herd no fleet makes).
    const stops: (() => void)[] = [];
    const starts = kiosks.map((k) =>
      setTimeout(() => {
        stops.push(
          k.client.startBlockedListRefresh(
            cfg.pollMs,
            (e) => {
              stats.otherFailures++;
              if (stats.errorSamples.length < 5) stats.errorSamples.push(`${(e as Error).name}: ${(e as Error).message}`);
            },
            () => stats.busy++, // shed (503 + Retry-After): retried after the jittered wait
          ),
        );
      }, Math.random() * cfg.pollMs),
    );
    send({ type: 'ready' });
    const go = await waitFor('go');
    const blockedAt = Number((go as { at?: number }).at ?? Date.now());
    const seenAfter: number[] = [];
    const seen = new Set<string>();
    // isBlocked hashes the card (an HMAC): asked only when a kiosk's list version moved, not for
    // every kiosk every 20 ms (that alone took half a core per client process). A version that
    // goes down is an inconsistency (versions are monotonic) and is counted.
    // Every kiosk is looked at once first: the card is blocked before 'go' arrives, and a kiosk
    // that polled the new list in between would otherwise never show a version change (a race
    // that left one kiosk of 20 "missing" in CI's fleet test).
    const lastVersion = new Map(kiosks.map((k) => [k.id, Number.NEGATIVE_INFINITY]));
    let versionRegressions = 0;
    const deadline = Date.now() + cfg.durationMs;
    while (seen.size < kiosks.length && Date.now() < deadline) {
      for (const k of kiosks) {
        const v = k.client.blockedListVersion();
        const before = lastVersion.get(k.id)!;
        if (v === before) continue;
        if (v < before) versionRegressions++;
        lastVersion.set(k.id, v);
        if (!seen.has(k.id) && k.client.isBlocked(cfg.blockedCard)) {
          seen.add(k.id);
          seenAfter.push(Date.now() - blockedAt);
        }
      }
      await sleep(20);
    }
    starts.forEach(clearTimeout);
    stops.forEach((s) => s());
    send({ type: 'done', seenAfter, missing: kiosks.length - seen.size, versionRegressions, ...stats });
  } else {
    send({ type: 'ready' });
    await waitFor('go');
    const cards = Object.values(FIXTURE_CARDS).map((c) => c.cardNumber);
    const latencies: number[] = [];
    let failures = 0;
    const start = Date.now();
    const end = start + cfg.durationMs;
    const inflight = new Set<Promise<void>>();
    let i = 0;
    // Open loop: the queries due by now are sent, however late this loop's timer fired (a sleep of
    // 1000/rate per query offered a fifth of the asked rate on a loaded machine).
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - start) / 1000) * cfg.ordersPerSecond);
      while (i < due) {
        const k = kiosks[i % kiosks.length]!;
        const card = cards[i % cards.length]!;
        i++;
        const t0 = performance.now();
        const p = k.client
          .pendingOrders(card)
          .then(() => void latencies.push(performance.now() - t0))
          .catch(() => void failures++)
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await sleep(10);
    }
    await Promise.all(inflight);
    send({ type: 'done', queries: i, failures, latencies });
  }
  clearInterval(progress);
  process.exit(0);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function waitFor(type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (msg.type === type) {
          process.stdin.off('data', onData);
          resolve(msg);
        }
      }
    };
    process.stdin.on('data', onData);
  });
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
