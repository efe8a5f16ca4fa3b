import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBackOffice, type BackOfficeServer } from '../../backoffice/server.js';
import { BackOfficeBusyError, createHttpBackOfficeClient, type JournalIntake } from '../backoffice-client/http-client.js';
import { BackOfficeRejectedError, BackOfficeUnavailableError } from '../backoffice-client/types.js';
import { fixedClock, systemTime, type Time } from '../../contract/time.js';
import { openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { startFaultProxy, type FaultProxy } from './testing/fault-proxy.js';
import { idempotencyKey } from '../../contract/record-crypto.js';
import { backoffDelay, createUploader, type UploaderOptions } from './uploader.js';

const KIOSK = 'kiosk-up';
const SECRET = 'uploader-test-secret-0123456789';
const DAY = 86_400_000;

let dir: string;
let clock: ReturnType<typeof fixedClock>;
let server: BackOfficeServer;
let proxy: FaultProxy;
let journal: SqliteJournal;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uploader-'));
  clock = fixedClock('2026-11-23T08:00:00Z');
  server = await startBackOffice({ port: 0, dbPath: join(dir, 'bo.sqlite'), clock, kiosks: { [KIOSK]: SECRET } });
  proxy = await startFaultProxy(server.url);
  journal = openJournal({ path: join(dir, 'journal.sqlite'), kioskId: KIOSK, hmacKey: SECRET, clock });
});
afterEach(async () => {
  journal.close();
  await proxy.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function append(n: number) {
  for (let i = 0; i < n; i++) journal.append({ type: 'kiosk.note', operationId: `note-${journal.counts().lastSeq + 1}`, amountCents: i });
}

/** Waiting advances the shared fake clock instead of real time. */
const sleeps: number[] = [];
const fakeSleep = async (ms: number) => {
  sleeps.push(ms);
  clock.advance(ms);
  await new Promise((r) => setImmediate(r));
};

/** A time port whose every timer "waits" by fakeSleep (then `afterWait`), so a week passes at once. */
function jumpingTime(afterWait: (ms: number) => Promise<void> | void = () => {}): Time {
  const cancelled = new Set<number>();
  let next = 1;
  return {
    now: () => clock.now(),
    setTimeout(fn, ms) {
      const id = next++;
      void (async () => {
        await fakeSleep(ms);
        await afterWait(ms);
        if (!cancelled.delete(id)) fn();
      })();
      return { id };
    },
    clearTimeout(handle) {
      if (handle) cancelled.add(handle.id);
    },
  };
}

function uploader(extra: Partial<UploaderOptions> = {}, secret = SECRET) {
  const intake = createHttpBackOfficeClient({ baseUrl: proxy.url, kioskId: KIOSK, secret, clock, blockedCachePath: join(dir, 'blocked.json'), timeoutMs: 300 });
  // full batches from the first (the probe has its own test below)
  return createUploader({ queue: journal, intake, time: jumpingTime(), random: () => 0.5, batchSize: 50, probeBatchSize: 50, ...extra });
}

/** Every record arrived exactly once, first acceptance in seq order, identical to the kiosk's. */
function expectAllDeliveredOnceInOrder(n: number) {
  const atBackOffice = server.store.journalRecords(KIOSK);
  expect(atBackOffice.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(atBackOffice.map((r) => r.hash)).toEqual(journal.records(0, n + 10).map((r) => r.hash));
  expect(proxy.accepted).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  expect(journal.counts()).toMatchObject({ pending: 0, delivered: n, rejected: 0 });
  expect(server.store.intakeStatus(KIOSK)).toEqual({ contiguousSeq: n, maxSeq: n, gaps: [] });
}

async function runUntilDelivered(u: ReturnType<typeof uploader>, n: number, onIdle?: () => void) {
  for (let i = 0; i < 10_000 && journal.counts().delivered < n; i++) {
    const r = await u.uploadOnce();
    if (r.kind !== 'sent' || u.status().consecutiveFailures > 0) {
      onIdle?.();
      await fakeSleep(backoffDelay(u.status().consecutiveFailures, () => 0.5, 1000, 300_000));
    }
  }
}

describe('uploader against a misbehaving back office', () => {
  beforeEach(() => {
    sleeps.length = 0;
  });

  it('back office answers 500: backs off with full jitter, then delivers every record once, in order', async () => {
    append(120);
    proxy.mode = 'error-500';
    const u = uploader();
    for (let i = 0; i < 5; i++) expect((await u.uploadOnce()).kind).toBe('failed');
    expect(u.status()).toMatchObject({ consecutiveFailures: 5, pending: 120, lastError: expect.stringMatching(/HTTP 500/) });
    proxy.mode = 'pass';
    expect(await u.drain()).toEqual({ delivered: 120, rejected: 0 });
    expectAllDeliveredOnceInOrder(120);
  });

  it('back office times out: the request is abandoned, nothing is marked delivered, the retry delivers', async () => {
    append(30);
    proxy.mode = 'hang';
    const u = uploader();
    const r = await u.uploadOnce();
    expect(r).toMatchObject({ kind: 'failed', error: expect.stringMatching(/not reachable/) });
    expect(journal.counts().delivered).toBe(0);
    proxy.mode = 'pass';
    await u.drain();
    expectAllDeliveredOnceInOrder(30);
  });

  it('connection dropped before the back office saw the batch: retried and delivered once', async () => {
    append(30);
    proxy.mode = 'drop';
    const u = uploader();
    expect((await u.uploadOnce()).kind).toBe('failed');
    proxy.mode = 'pass';
    await u.drain();
    expectAllDeliveredOnceInOrder(30);
  });

  it('answer lost after the back office stored the batch (delivered twice): the resend is a duplicate, counted once', async () => {
    append(60);
    const u = uploader();
    proxy.mode = 'ack-lost';
    expect((await u.uploadOnce()).kind).toBe('failed');
    expect(server.store.journalRecords(KIOSK)).toHaveLength(50); // stored, but the kiosk does not know
    expect(journal.counts().delivered).toBe(0);
    proxy.mode = 'double';
    await u.drain();
    proxy.mode = 'pass';
    expectAllDeliveredOnceInOrder(60);
  });

  it('back office down for a simulated week while the kiosk keeps working: catches up, every record once, in order', async () => {
    append(40);
    await proxy.setDown(true);
    const weekLater = clock.now().getTime() + 7 * DAY;
    let upAgain = false;
    const u = uploader({
      baseDelayMs: 1000,
      maxDelayMs: 15 * 60_000,
      random: (() => {
        let x = 0.37;
        return () => (x = (x * 9301 + 0.49297) % 1); // deterministic, spread over [0, 1)
      })(),
      time: jumpingTime(async (ms) => {
        if (clock.now().getTime() % (6 * 3_600_000) < ms) append(3); // the kiosk keeps selling
        if (!upAgain && clock.now().getTime() >= weekLater) {
          upAgain = true;
          await proxy.setDown(false);
        }
      }),
    });
    u.start();
    for (let i = 0; i < 20_000 && !(upAgain && journal.counts().pending === 0); i++) await new Promise((r) => setImmediate(r));
    await u.stop();
    expect(upAgain).toBe(true);
    const n = journal.counts().lastSeq;
    expect(n).toBeGreaterThan(40);
    expectAllDeliveredOnceInOrder(n);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(15 * 60_000);
  }, 60_000);

  it('a record the back office refuses is set aside for technicians and not retried; the rest is delivered', async () => {
    append(9);
    // The back office already holds a different record 10 for this kiosk (e.g. from a journal that was wiped).
    const other = openJournal({ path: ':memory:', kioskId: KIOSK, hmacKey: SECRET, clock });
    for (let i = 0; i < 10; i++) other.append({ type: 'kiosk.note', operationId: `other-${i}` });
    server.store.intake(KIOSK, SECRET, other.records(9, 1));
    append(1);
    const u = uploader();
    // 10 conflicts with what the back office holds, and 9 no longer links to the 10 it holds.
    expect(await u.drain()).toEqual({ delivered: 8, rejected: 2 });
    expect(u.rejected().map((r) => [r.record.seq, r.reason])).toEqual([
      [9, 'chain-broken'],
      [10, 'conflict'],
    ]);
    expect(await u.uploadOnce()).toEqual({ kind: 'idle' });
    expect(journal.records().map((r) => r.seq)).toContain(10); // set aside, never deleted
  });

  it('a wrong kiosk secret is a failure with backoff, not a reason to set records aside', async () => {
    append(5);
    const u = uploader({}, 'not-the-right-secret-0123');
    const r = await u.uploadOnce();
    // The back office's 401 cannot be signed with a key it does not share: an unauthenticated
    // answer, so a plain failure (never a refusal that sets records aside).
    expect(r).toMatchObject({ kind: 'failed', error: expect.stringMatching(/HTTP 401.*not signed/) });
    expect(journal.counts()).toMatchObject({ pending: 5, rejected: 0 });
  });

  it('delivered records are purged after the retention; undelivered ones are kept and still delivered', async () => {
    append(20);
    const u = uploader({ retentionMs: 30 * DAY });
    await u.drain();
    append(5);
    clock.advance(31 * DAY);
    expect(u.purge()).toBe(20);
    expect(journal.records().map((r) => r.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(journal.verifyChain().ok).toBe(true);
    await u.drain();
    expect(server.store.journalRecords(KIOSK).map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(journal.counts()).toMatchObject({ pending: 0, delivered: 5 });
  });
});

describe('uploader logic (fake intake)', () => {
  it('full jitter: each wait is uniform in [0, min(cap, base * 2^failures))', () => {
    expect(backoffDelay(0, () => 0.999, 1000, 60_000)).toBe(999);
    expect(backoffDelay(3, () => 0.5, 1000, 60_000)).toBe(4000);
    expect(backoffDelay(20, () => 0.999, 1000, 60_000)).toBe(59_940);
    expect(backoffDelay(5, () => 0, 1000, 60_000)).toBe(0);
  });

  it('a batch the back office cannot parse is split until the one bad record is found and set aside', async () => {
    const clk = fixedClock('2026-11-23T08:00:00Z');
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: SECRET, clock: clk });
    for (let i = 0; i < 10; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    const intake: JournalIntake = {
      async submitRecords(records) {
        if (records.some((r) => r.seq === 7)) throw new BackOfficeRejectedError(400, 'bad-request', 'record 7 is unreadable');
        return {
          results: records.map((r) => ({ seq: r.seq, key: `${r.kioskId}/${r.seq}/${r.hash.slice(0, 16)}`, status: 'accepted' as const })),
          contiguousSeq: 0,
          gaps: [],
        };
      },
    };
    const u = createUploader({ queue: j, intake, time: systemTime(clk), random: () => 0.5, batchSize: 10 });
    expect(await u.drain()).toEqual({ delivered: 9, rejected: 1 });
    expect(j.rejected().map((r) => r.record.seq)).toEqual([7]);
  });

  it('probe: the first batch after start and after no answer is small; after a busy answer (a Retry-After slot) and an acknowledged one, full batches', async () => {
    const clk = fixedClock('2026-11-23T08:00:00Z');
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: SECRET, clock: clk });
    for (let i = 0; i < 200; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
    const sizes: number[] = [];
    let busyOnce = [3]; // the third request is turned away (503)
    let downOnce = [5]; // the fifth gets no answer
    const intake: JournalIntake = {
      async submitRecords(records) {
        sizes.push(records.length);
        if (busyOnce.includes(sizes.length)) throw new BackOfficeBusyError('back office busy (HTTP 503 overloaded)', 1000);
        if (downOnce.includes(sizes.length)) throw new BackOfficeUnavailableError('back office not reachable: ECONNREFUSED');
        return { results: records.map((r) => ({ seq: r.seq, key: idempotencyKey(r), status: 'accepted' as const })), contiguousSeq: 0, gaps: [] };
      },
    };
    const u = createUploader({ queue: j, intake, time: systemTime(clk), random: () => 0.5, batchSize: 50, probeBatchSize: 10 });
    for (let i = 0; i < 6; i++) await u.uploadOnce();
    // start: probe 10; acknowledged: full 50; turned away (50); in its slot: full 50 again;
    // no answer (50); after that: probe 10
    expect(sizes).toEqual([10, 50, 50, 50, 50, 10]);
    await u.drain();
    expect(sizes.slice(6)).toEqual([50, 30]);
    expect(j.counts()).toMatchObject({ pending: 0, delivered: 200 });
    downOnce = [];
    busyOnce = [];
    // probeBatchSize = batchSize: no probe
    const sizes2: number[] = [];
    const j2 = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: SECRET, clock: clk });
    for (let i = 0; i < 60; i++) j2.append({ type: 'kiosk.note', operationId: `n${i}` });
    const counting: JournalIntake = {
      submitRecords(rs) {
        sizes2.push(rs.length);
        return intake.submitRecords(rs);
      },
    };
    const u2 = createUploader({ queue: j2, intake: counting, time: systemTime(clk), random: () => 0.5, batchSize: 50, probeBatchSize: 50 });
    await u2.drain();
    expect(sizes2).toEqual([50, 10]);
  });

  it('an answer about records that were not sent (wrong key) does not mark anything delivered', async () => {
    const clk = fixedClock('2026-11-23T08:00:00Z');
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: SECRET, clock: clk });
    j.append({ type: 'kiosk.note', operationId: 'n' });
    const intake: JournalIntake = {
      submitRecords: async () => ({ results: [{ seq: 1, key: 'k/1/0000000000000000', status: 'accepted' }], contiguousSeq: 1, gaps: [] }),
    };
    const u = createUploader({ queue: j, intake, time: systemTime(clk), random: () => 0.5 });
    expect((await u.drain()).failed).toBeDefined();
    expect(j.counts().pending).toBe(1);
  });

  it('notify() wakes an idle uploader at once', async () => {
    const clk = fixedClock('2026-11-23T08:00:00Z');
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: SECRET, clock: clk });
    const sent: number[] = [];
    const intake: JournalIntake = {
      async submitRecords(records) {
        sent.push(...records.map((r) => r.seq));
        return { results: records.map((r) => ({ seq: r.seq, key: `${r.kioskId}/${r.seq}/${r.hash.slice(0, 16)}`, status: 'accepted' as const })), contiguousSeq: 0, gaps: [] };
      },
    };
    const u = createUploader({ queue: j, intake, time: systemTime(clk), random: () => 0.5, idleDelayMs: 3_600_000 }); // real sleep: an hour unless woken
    u.start();
    await new Promise((r) => setTimeout(r, 20));
    j.append({ type: 'kiosk.note', operationId: 'n' });
    u.notify();
    // Not woken, the uploader would sleep an hour; 10 s is only the test's patience on a loaded machine.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && sent.length === 0) await new Promise((r) => setTimeout(r, 5));
    await u.stop();
    expect(sent).toEqual([1]);
  });
});
