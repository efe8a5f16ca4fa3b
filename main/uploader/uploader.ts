/**
 * Store-and-forward delivery of the journal to the back office.
 *
 * - Records go in seq order, in batches; each carries its idempotency key (record-crypto.ts), and a
 *   record counts as delivered only when the back office's answer acknowledges that key
 *   ('accepted' or 'duplicate'). A lost answer just means the batch is sent again; the back office
 *   answers 'duplicate' and nothing happens twice.
 * - A record the back office refuses ('rejected': tampered, chain broken, conflict) is set aside in
 *   the journal (UploadQueue.markRejected) for a technician, and the queue moves on. A batch the
 *   back office cannot parse (400) or finds too large (413) is split until the one offending record
 *   is found and set aside; nothing else is ever given up on.
 * - Failures (no answer, timeout, 5xx, 401) back off exponentially with full jitter:
 *   wait = random() * min(maxDelayMs, baseDelayMs * 2^failures), so many kiosks coming back online
 *   together do not hammer the back office in step. A back office that says it is saturated
 *   (429/503 with Retry-After: BackOfficeBusyError) is asked again when Retry-After has passed,
 *   plus a jitter of up to a twentieth of it (at least 1 s): wait = busyDelay(retryAfter). The back
 *   office spreads its Retry-Afters over the time it needs to drain (backoffice/intake-gate.ts
 *   RetrySchedule); adding the exponential backoff on top (as this did before) left it mostly
 *   idle in the storm's last 20 s, kiosks turned away ~4 times each waiting out backoffs of up to
 *   30 s (backoffice/README.md). A busy answer does not count towards that backoff.
 * - Optionally (probeBatchSize; the kiosk uses KIOSK_PROBE_BATCH_SIZE) the first batch after start
 *   and after a failure without answer is a small probe; full batches follow once one is acknowledged
 *   or the back office has answered busy (its Retry-After is a slot for a full batch).
 * - Nothing undelivered is ever deleted; delivered records are purged after `retentionMs`.
 * Time, randomness and waiting are injected, so a week offline can be simulated in a test.
 */
import { BackOfficeRejectedError } from '../backoffice-client/types.js';
import { BackOfficeBusyError, type JournalIntake } from '../backoffice-client/http-client.js';
import { sleep, type Time } from '../../contract/time.js';
import type { JournalRecord, RejectedRecord, UploadQueue } from '../journal/journal.js';
import { idempotencyKey } from '../../contract/record-crypto.js';

export interface UploaderOptions {
  queue: UploadQueue;
  intake: JournalIntake;
  /** The time port: timestamps, and every wait (backoff, idle) runs on its timers. */
  time: Time;
  /** Uniform in [0, 1) (e.g. Random.next). */
  random: () => number;
  /** Records per request; default 500 (the back office accepts up to 1000). */
  batchSize?: number;
  /**
   * Records in a probe: the first batch after start and after a failed attempt that got no answer,
   * before full batches again once one is acknowledged or the back office answered busy; default
   * batchSize (no probe); the kiosk uses KIOSK_PROBE_BATCH_SIZE. When a busy answer also meant a
   * probe (as up to stop 16), a 25-record probe drained the fleet storm slower (206 s against 157 s: three
   * batches per kiosk instead of one); since a busy answer leads to a full batch, faster (above).
   */
  probeBatchSize?: number;
  /** Backoff base and cap; defaults 1 s and 5 min. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** When nothing is pending, look again after this long (notify() wakes it sooner); default 30 s. */
  idleDelayMs?: number;
  /** Keep delivered records this long before purging; default 30 days. */
  retentionMs?: number;
  /** Purge at most this often; default 1 h. */
  purgeIntervalMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export type UploadAttempt =
  | { kind: 'idle' }
  | { kind: 'sent'; delivered: number; rejected: number; unanswered: number }
  | { kind: 'failed'; error: string; refused?: boolean; retryAfterMs?: number };

export interface UploaderStatus {
  pending: number;
  delivered: number;
  rejected: number;
  lastSeq: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorAt?: string;
  lastDeliveryAt?: string;
  nextAttemptAt?: string;
  running: boolean;
}

export interface Uploader {
  start(): void;
  stop(): Promise<void>;
  /** A record was appended: upload soon (wakes an idle wait, never shortens a backoff). */
  notify(): void;
  /** Send the next batch once. */
  uploadOnce(): Promise<UploadAttempt>;
  /** Send batches until nothing is pending or one fails. */
  drain(): Promise<{ delivered: number; rejected: number; failed?: string }>;
  /** Purge delivered records older than the retention now; returns how many. */
  purge(): number;
  status(): UploaderStatus;
  /** Records the back office refused (technician view). */
  rejected(): RejectedRecord[];
}

export function backoffDelay(failures: number, random: () => number, baseDelayMs: number, maxDelayMs: number): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures, 30));
  return Math.floor(random() * ceiling);
}

/**
 * The wait after a busy answer: Retry-After, and up to a twentieth more (at least 1 s: Retry-After
 * is whole seconds, and the back office hands one value to every kiosk of a second) of jitter. The
 * back office spreads the fleet with its Retry-Afters (intake-gate.ts RetrySchedule); a quarter
 * more, as before, stretched the return of the storm's last kiosks (told ~50 s) by up to 12 s, and
 * the drain with it (fleet storm, 2 processes: 65.5 s, with a twentieth 55.6 s).
 */
export function busyDelay(retryAfterMs: number, random: () => number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, retryAfterMs + Math.floor(random() * Math.max(1000, retryAfterMs / 20)));
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * The kiosk's probe (composition.ts; the fleet simulator's default too): 10 records first after
 * start and after no answer. After an outage the whole fleet comes back at once; each first batch
 * is then a small one, and a busy back office turns away 5,000 of those (then gives each a slot for
 * a full batch) instead of 5,000 full ones it must read and drop. Fleet storm, 5,000 kiosks x 200
 * records, 1 process: 82 s and no timeouts, against 99 s and 1,312 timeouts without a probe
 * (backoffice/README.md "Fleet figures").
 */
export const KIOSK_PROBE_BATCH_SIZE = 10;

export function createUploader(options: UploaderOptions): Uploader {
  const { queue, intake, time, random } = options;
  const batchSize = options.batchSize ?? 500;
  const probeBatchSize = Math.max(1, Math.min(batchSize, options.probeBatchSize ?? batchSize));
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 5 * 60_000;
  const idleDelayMs = options.idleDelayMs ?? 30_000;
  const retentionMs = options.retentionMs ?? 30 * 86_400_000;
  const purgeIntervalMs = options.purgeIntervalMs ?? 3_600_000;
  const log = options.log ?? (() => {});

  let failures = 0;
  /** Consecutive failures that were not busy answers: the exponent of the backoff. */
  let hardFailures = 0;
  /** Whether the next batch is a probe: nothing acknowledged since start or since the last failure. */
  let probing = true;
  let lastError: string | undefined;
  let lastErrorAt: string | undefined;
  let lastDeliveryAt: string | undefined;
  let nextAttemptAt: string | undefined;
  let lastPurge = -Infinity;
  let inFlight: Promise<UploadAttempt> | undefined;
  let running = false;
  let loop: Promise<void> | undefined;
  let stopCtl = new AbortController();
  let wakeCtl: AbortController | undefined;

  /** Send `records`; on 400/413 split to find the offending record and set it aside. */
  async function send(records: JournalRecord[]): Promise<Exclude<UploadAttempt, { kind: 'idle' }>> {
    let response;
    try {
      response = await intake.submitRecords(records);
    } catch (e) {
      if (e instanceof BackOfficeRejectedError && (e.status === 400 || e.status === 413)) {
        if (records.length === 1) {
          const r = records[0]!;
          queue.markRejected(r.seq, `${e.code}: ${e.message}`);
          log('uploader: record refused by the back office, set aside', { seq: r.seq, code: e.code });
          return { kind: 'sent', delivered: 0, rejected: 1, unanswered: 0 };
        }
        // Split: the first half goes now; the rest follows in the next batch.
        return send(records.slice(0, Math.ceil(records.length / 2)));
      }
      const refused = e instanceof BackOfficeRejectedError;
      const busy = e instanceof BackOfficeBusyError ? { retryAfterMs: e.retryAfterMs } : {};
      return { kind: 'failed', error: describe(e), ...(refused ? { refused } : {}), ...busy };
    }
    const bySeq = new Map(records.map((r) => [r.seq, r]));
    const delivered: number[] = [];
    let rejected = 0;
    for (const res of response.results) {
      const rec = bySeq.get(res.seq);
      if (!rec || res.key !== idempotencyKey(rec)) continue; // not an answer about what we sent
      bySeq.delete(res.seq);
      if (res.status === 'rejected') {
        queue.markRejected(res.seq, res.reason ?? 'rejected');
        rejected++;
        log('uploader: record rejected by the back office, set aside', { seq: res.seq, reason: res.reason });
      } else {
        delivered.push(res.seq);
      }
    }
    queue.markDelivered(delivered);
    if (delivered.length > 0) lastDeliveryAt = time.now().toISOString();
    if (response.gaps.length > 0) log('uploader: back office reports sequence gaps', { gaps: response.gaps.slice(0, 5) });
    return { kind: 'sent', delivered: delivered.length, rejected, unanswered: bySeq.size };
  }

  async function attempt(): Promise<UploadAttempt> {
    const batch = queue.undelivered(probing ? probeBatchSize : batchSize);
    if (batch.length === 0) return { kind: 'idle' };
    const r = await send(batch);
    if (r.kind === 'failed') {
      failures++;
      if (r.retryAfterMs === undefined) hardFailures++;
      // A busy back office has answered: its Retry-After is a slot for a full batch. A probe is for
      // first contact (after start, or after no answer).
      probing = r.retryAfterMs === undefined;
      lastError = r.error;
      lastErrorAt = time.now().toISOString();
      log('uploader: delivery failed', { error: r.error, failures });
    } else if (r.delivered + r.rejected > 0) {
      failures = 0;
      hardFailures = 0;
      probing = false;
    } else {
      // Answered, but acknowledged nothing we sent: treat like a failure so we back off.
      failures++;
      hardFailures++;
      lastError = 'back office acknowledged none of the batch';
      lastErrorAt = time.now().toISOString();
    }
    return r;
  }

  function uploadOnce(): Promise<UploadAttempt> {
    inFlight ??= attempt().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function purge(): number {
    lastPurge = time.now().getTime();
    const n = queue.purgeDelivered(new Date(lastPurge - retentionMs));
    if (n > 0) log('uploader: purged delivered records past retention', { purged: n });
    return n;
  }

  async function wait(ms: number, wakeable: boolean): Promise<void> {
    nextAttemptAt = new Date(time.now().getTime() + ms).toISOString();
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    stopCtl.signal.addEventListener('abort', onStop, { once: true });
    if (wakeable) wakeCtl = ctl;
    try {
      await sleep(time, ms, ctl.signal);
    } finally {
      stopCtl.signal.removeEventListener('abort', onStop);
      if (wakeCtl === ctl) wakeCtl = undefined;
      nextAttemptAt = undefined;
    }
  }

  async function run(): Promise<void> {
    while (running) {
      let r: UploadAttempt;
      try {
        r = await uploadOnce();
      } catch (e) {
        // A journal error (disk full...) must not kill the loop: report and back off.
        failures++;
        hardFailures++;
        lastError = describe(e);
        lastErrorAt = time.now().toISOString();
        r = { kind: 'failed', error: lastError };
      }
      if (!running) break;
      if (r.kind === 'sent' && failures === 0) continue;
      if (r.kind === 'idle') {
        if (time.now().getTime() - lastPurge >= purgeIntervalMs) {
          try {
            purge();
          } catch (e) {
            log('uploader: purge failed', { error: describe(e) });
          }
        }
        await wait(idleDelayMs, true);
      } else {
        const told = r.kind === 'failed' ? r.retryAfterMs : undefined;
        await wait(told !== undefined ? busyDelay(told, random, maxDelayMs) : backoffDelay(hardFailures, random, baseDelayMs, maxDelayMs), false);
      }
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      stopCtl = new AbortController();
      loop = run();
    },
    async stop() {
      running = false;
      stopCtl.abort();
      await loop;
      await inFlight?.catch(() => undefined);
      loop = undefined;
    },
    notify() {
      wakeCtl?.abort();
    },
    uploadOnce,
    async drain() {
      let delivered = 0;
      let rejected = 0;
      for (;;) {
        const r = await uploadOnce();
        if (r.kind === 'idle') return { delivered, rejected };
        if (r.kind === 'failed') return { delivered, rejected, failed: r.error };
        delivered += r.delivered;
        rejected += r.rejected;
        if (r.delivered + r.rejected === 0) return { delivered, rejected, failed: lastError ?? 'no progress' };
      }
    },
    purge,
    status() {
      const c = queue.counts();
      return {
        ...c,
        consecutiveFailures: failures,
        running,
        ...(lastError !== undefined ? { lastError } : {}),
        ...(lastErrorAt !== undefined ? { lastErrorAt } : {}),
        ...(lastDeliveryAt !== undefined ? { lastDeliveryAt } : {}),
        ...(nextAttemptAt !== undefined ? { nextAttemptAt } : {}),
      };
    },
    rejected: () => queue.rejected(),
  };
}
