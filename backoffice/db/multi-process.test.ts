/**
 * Stateless, several at once, on a real PostgreSQL cluster this file starts itself: two back-office
 * processes (backoffice/main.ts) against one database.
 * - the same batch delivered to both at the same moment is accepted exactly once;
 * - gap reports are never false (no reported gap holds a record already acknowledged);
 * - blocked-list versions seen by polling kiosks only go up, and no change is ever skipped;
 * - backpressure: a saturated back office answers 503 + Retry-After at once; shutdown drains;
 * - the database connection lost mid-batch: a retryable 503, nothing half-stored;
 * - one kiosk's malformed, oversized or broken-chain batches get a clear answer while another
 *   kiosk's batches at the same moment are stored normally.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../contract/time.js';
import { signRequest } from '../../contract/request-signing.js';
import type { IntakeResponseDto } from '../../contract/backoffice-api.js';
import { BackOfficeBusyError, createHttpBackOfficeClient, type HttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { openDatabase, type Db } from './engine.js';
import { openPgStore, type PgStore } from './pg-store.js';
import { startBackOfficeProcess, writeKiosksFile, type BackOfficeProcess } from './testing/backoffice-process.js';
import { generateJournal } from './testing/journal-gen.js';
import { postgresAvailability, startPgCluster, type PgCluster } from './testing/pg-cluster.js';
import { startPgBackOffice } from '../server.js';

const pgAvailable = postgresAvailability();
const KIOSKS = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`k${i}`, `secret-of-kiosk-${i}-0123456789`]));

describe.skipIf(!pgAvailable.ok)(`several back-office processes on one PostgreSQL${pgAvailable.ok ? '' : ` — skipped: ${pgAvailable.reason}`}`, () => {
  let cluster: PgCluster;
  let dir: string;
  let url: string;
  let a: BackOfficeProcess;
  let b: BackOfficeProcess;
  let db: Db;
  let store: PgStore;

  beforeAll(async () => {
    cluster = await startPgCluster({ settings: { fsync: 'off' } });
    url = await cluster.createDatabase('fleet');
    dir = mkdtempSync(join(tmpdir(), 'bo-mp-'));
    const kiosksFile = writeKiosksFile(dir, KIOSKS);
    // Both start at once: the migration lock lets one migrate while the other waits.
    [a, b] = await Promise.all([
      startBackOfficeProcess({ databaseUrl: url, kiosksFile }),
      startBackOfficeProcess({ databaseUrl: url, kiosksFile }),
    ]);
    db = await openDatabase(url, { max: 4, connectionTimeoutMs: 30_000 });
    store = await openPgStore({ db, clock: systemClock, seedFixtures: false });
  }, 180_000);
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await store?.close();
    cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const clientOf = (p: BackOfficeProcess, kioskId: string, timeoutMs = 30_000): HttpBackOfficeClient =>
    createHttpBackOfficeClient({ baseUrl: p.url, kioskId, secret: KIOSKS[kioskId]!, clock: systemClock, blockedCachePath: join(dir, `${kioskId}-${p.url.split(':').pop()}-${Math.random()}.json`), timeoutMs });

  it('a batch delivered to both processes at the same moment is accepted exactly once', async () => {
    const now = new Date();
    for (const kioskId of ['k0', 'k1', 'k2', 'k3']) {
      const { records } = generateJournal({ kioskId, secret: KIOSKS[kioskId]!, count: 120, startAt: now, seed: kioskId.length });
      for (let i = 0; i < records.length; i += 40) {
        const batch = records.slice(i, i + 40);
        const [ra, rb] = await Promise.all([clientOf(a, kioskId).submitRecords(batch), clientOf(b, kioskId).submitRecords(batch)]);
        for (let j = 0; j < batch.length; j++) {
          const statuses = [ra.results[j]!.status, rb.results[j]!.status].sort();
          expect(statuses, `${kioskId} seq ${batch[j]!.seq}`).toEqual(['accepted', 'duplicate']);
        }
      }
      const stored = await store.journalRecords(kioskId);
      expect(stored.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
      expect(stored.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    }
  }, 90_000);

  it('gap reports are never false while batches of one kiosk arrive out of order through both processes', async () => {
    const kioskId = 'k4';
    const { records } = generateJournal({ kioskId, secret: KIOSKS[kioskId]!, count: 200, startAt: new Date(), seed: 4 });
    const batches: (typeof records)[] = [];
    for (let i = 0; i < records.length; i += 10) batches.push(records.slice(i, i + 10));
    // A fixed shuffle: later batches before earlier ones, half through each process, 4 at a time.
    const order = batches.map((_, i) => i).sort((x, y) => ((x * 7919) % 13) - ((y * 7919) % 13));
    const acknowledged = new Set<number>();
    let falseGaps = 0;
    for (let i = 0; i < order.length; i += 4) {
      const wave = order.slice(i, i + 4);
      const knownBefore = new Set(acknowledged);
      const answers: IntakeResponseDto[] = await Promise.all(wave.map((bi, k) => clientOf(k % 2 ? a : b, kioskId).submitRecords(batches[bi]!)));
      for (const ans of answers) {
        for (const g of ans.gaps) for (let s = g.from; s <= g.to; s++) if (knownBefore.has(s)) falseGaps++;
        for (const r of ans.results) if (r.status !== 'rejected') acknowledged.add(r.seq);
      }
    }
    expect(falseGaps).toBe(0);
    expect(await store.intakeStatus(kioskId)).toEqual({ contiguousSeq: 200, maxSeq: 200, gaps: [] });
  }, 90_000);

  it('blocked-list versions only go up and no change is skipped while two writers block cards and kiosks poll both processes', async () => {
    const other = await openPgStore({ db: await openDatabase(url, { max: 4, connectionTimeoutMs: 30_000 }), clock: systemClock, seedFixtures: false });
    try {
      const startVersion = await store.blockedVersion();
      const pollers = ['k5', 'k6', 'k7', 'k8'].map((k, i) => clientOf(i % 2 ? a : b, k));
      const seen: number[][] = pollers.map(() => []);
      let writing = true;
      const polling = pollers.map(async (c, i) => {
        while (writing) {
          seen[i]!.push((await c.refreshBlockedList()).version);
        }
        seen[i]!.push((await c.refreshBlockedList()).version);
      });
      const cards = Array.from({ length: 60 }, (_, i) => String(3528_7000_0000_0000 + i));
      const versions: number[] = [];
      try {
        // Two writers on their own connections, 8 changes at a time (4 on each).
        for (let i = 0; i < cards.length; i += 8) {
          versions.push(...(await Promise.all(cards.slice(i, i + 8).map((c, k) => (k % 2 ? store : other).setBlocked(c, true)))));
        }
        for (let i = 0; i < 20; i += 8) {
          await Promise.all(cards.slice(i, Math.min(i + 8, 20)).map((c, k) => (k % 2 ? other : store).setBlocked(c, false)));
        }
      } finally {
        writing = false;
        await Promise.allSettled(polling);
      }
      await Promise.all(polling);
      expect(new Set(versions).size).toBe(60);
      const final = await store.blockedVersion();
      expect(final).toBe(startVersion + 80);
      for (const [i, c] of pollers.entries()) {
        const v = seen[i]!;
        expect(v.every((x, j) => j === 0 || x >= v[j - 1]!), `poller ${i} versions ${v.join(',')}`).toBe(true);
        expect(c.blockedListVersion()).toBe(final);
        // Nothing skipped: the incrementally built cache says exactly what the list says.
        for (const [j, card] of cards.entries()) expect(c.isBlocked(card), `poller ${i} card ${j}`).toBe(j >= 20);
      }
    } finally {
      await other.close();
    }
  }, 90_000);

  it('the database connection lost mid-batch gives a retryable 503 and nothing of the batch is stored', async () => {
    const kioskId = 'k9';
    const orderId = 'MP-ORDER-1';
    await store.addCard('3528700000009999', 'personal');
    await store.addOrder({ orderId, cardNumber: '3528700000009999', kind: 'kaartservicecode', announcedOn: '2026-01-01' });
    const { records } = generateJournal({ kioskId, secret: KIOSKS[kioskId]!, count: 100, startAt: new Date(), seed: 9, orderIds: [orderId], orderCards: { [orderId]: '3528700000009999' } });
    expect(records.some((r) => r.type === 'order.loaded')).toBe(true);
    // Hold the order's row: the intake inserts the batch's records, then waits on that row…
    const holder = await openDatabase(url, { max: 1 });
    let answer: Promise<unknown>;
    let cut = false;
    const t0 = performance.now();
    await holder.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM orders WHERE order_id = $1 FOR UPDATE`, [orderId]);
      answer = clientOf(a, kioskId).submitRecords(records).catch((e: unknown) => e);
      // …until its connection is cut, as when the database server goes away mid-batch.
      // pg_stat_activity is read once per transaction and then cached: without clearing that
      // snapshot this loop never saw the waiter, ran all its 1200 rounds (~60 s) and the 503 came
      // from the intake's 15 s statement_timeout instead of a lost connection.
      for (let i = 0; i < 1200 && !cut; i++) {
        await tx.query(`SELECT pg_stat_clear_snapshot()`);
        const r = await tx.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE orders%'`);
        if (r.rows.length > 0) {
          await tx.query(`SELECT pg_terminate_backend($1)`, [r.rows[0]!.pid]);
          cut = true;
        } else await new Promise((res) => setTimeout(res, 50));
      }
    });
    await holder.close();
    expect(cut, 'the intake was seen waiting on the order row and its connection cut').toBe(true);
    const err = await answer!;
    // Well inside the intake's statement_timeout (15 s): the 503 is the lost connection's.
    expect(performance.now() - t0).toBeLessThan(12_000);
    expect(err).toBeInstanceOf(BackOfficeBusyError);
    expect((err as BackOfficeBusyError).message).toMatch(/503 unavailable/);
    expect((err as BackOfficeBusyError).retryAfterMs).toBeGreaterThan(0);
    expect(await store.journalRecords(kioskId)).toEqual([]);
    // Retried, it is stored whole, once.
    const again = await clientOf(b, kioskId).submitRecords(records);
    expect(again.results.every((r) => r.status === 'accepted')).toBe(true);
    expect((await store.journalRecords(kioskId)).length).toBe(100);
    expect(await store.order(orderId)).toMatchObject({ collected: true });
  }, 90_000);

  it('a saturated back office answers 503 + Retry-After at once instead of timing out, and shutdown drains the batch in flight', async () => {
    // One batch at a time, nobody may wait: the second concurrent batch is turned away at once.
    const bo = await startPgBackOffice({ port: 0, database: url, clock: systemClock, kiosks: KIOSKS, seedFixtures: false, intake: { concurrency: 1, maxWaiting: 0, retryAfterS: 3, minRetryRate: 0.1 } });
    const orderId = 'MP-ORDER-2';
    await store.addOrder({ orderId, cardNumber: '3528700000009999', kind: 'kaartservicecode', announcedOn: '2026-01-01' });
    const held = generateJournal({ kioskId: 'k10', secret: KIOSKS.k10!, count: 50, startAt: new Date(), seed: 10, orderIds: [orderId], orderCards: { [orderId]: '3528700000009999' } }).records;
    const other = generateJournal({ kioskId: 'k11', secret: KIOSKS.k11!, count: 50, startAt: new Date(), seed: 11 }).records;
    const holder = await openDatabase(url, { max: 1 });
    let first!: Promise<IntakeResponseDto>;
    let closed!: Promise<void>;
    await holder.transaction(async (tx) => {
      await tx.query(`SELECT 1 FROM orders WHERE order_id = $1 FOR UPDATE`, [orderId]);
      first = createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: 'k10', secret: KIOSKS.k10!, clock: systemClock, blockedCachePath: join(dir, 'x.json') }).submitRecords(held);
      while (bo.load().running === 0) await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      const busy = await createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: 'k11', secret: KIOSKS.k11!, clock: systemClock, blockedCachePath: join(dir, 'y.json') })
        .submitRecords(other)
        .catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(BackOfficeBusyError);
      expect((busy as BackOfficeBusyError).retryAfterMs).toBe(3000);
      expect(performance.now() - t0).toBeLessThan(2000);
      // The next ones turned away are given later return slots (RetrySchedule: here one per 10 s),
      // not the same Retry-After: a storm comes back spread over the drain.
      const later: number[] = [];
      for (const id of ['k12', 'k13'] as const) {
        const e = await createHttpBackOfficeClient({ baseUrl: bo.url, kioskId: id, secret: KIOSKS[id]!, clock: systemClock, blockedCachePath: join(dir, `${id}.json`) })
          .submitRecords(generateJournal({ kioskId: id, secret: KIOSKS[id]!, count: 5, startAt: new Date(), seed: 12 }).records)
          .catch((x: unknown) => x);
        expect(e).toBeInstanceOf(BackOfficeBusyError);
        later.push((e as BackOfficeBusyError).retryAfterMs);
      }
      expect(later[0]).toBeGreaterThan(10_000);
      expect(later[1]).toBeGreaterThan(later[0]! + 5_000);
      // Shutdown now: no new work, but the batch in flight is finished, not dropped.
      closed = bo.close(10_000);
    });
    await holder.close();
    await closed;
    expect((await first).results.every((r) => r.status === 'accepted')).toBe(true);
    expect((await store.journalRecords('k10')).length).toBe(50);
    expect(await store.journalRecords('k11')).toEqual([]);
  }, 90_000);

  it("one kiosk's malformed, oversized and broken-chain batches get a clear 4xx/rejection while another kiosk's batches in the same moment are stored", async () => {
    const bad = 'k12';
    const good = 'k13';
    const raw = async (p: BackOfficeProcess, body: string) => {
      const path = '/v1/journal';
      const res = await fetch(p.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest({ kioskId: bad, secret: KIOSKS[bad]!, method: 'POST', pathWithQuery: path, body, at: new Date() }) },
        body,
      });
      return { status: res.status, json: (await res.json()) as { error?: string; results?: { seq: number; status: string; reason?: string }[] } };
    };
    const mine = generateJournal({ kioskId: bad, secret: KIOSKS[bad]!, count: 20, startAt: new Date(), seed: 12 }).records;
    // Records 11..20 of ANOTHER history of this kiosk: record 11 does not chain onto the stored 10.
    const forkedTail = generateJournal({ kioskId: bad, secret: KIOSKS[bad]!, count: 20, startAt: new Date(Date.now() + 1000), seed: 99 }).records.slice(10);
    const goodRecords = generateJournal({ kioskId: good, secret: KIOSKS[good]!, count: 240, startAt: new Date(), seed: 13 }).records;
    expect((await raw(a, JSON.stringify({ records: mine.slice(0, 10) }))).status).toBe(200);

    const goodRuns = Array.from({ length: 6 }, (_, i) => clientOf(i % 2 ? a : b, good).submitRecords(goodRecords.slice(i * 40, i * 40 + 40)));
    const [malformed, oversized, wrongShape, forked] = await Promise.all([
      raw(a, '{"records": [ {"kioskId": "k12", '),
      raw(b, JSON.stringify({ records: mine.slice(10), pad: 'x'.repeat(1_100_000) })),
      raw(b, JSON.stringify({ records: [] })),
      raw(a, JSON.stringify({ records: forkedTail })),
    ]);
    const goodAnswers = await Promise.all(goodRuns);

    expect(malformed).toEqual({ status: 400, json: { error: 'bad-request', message: 'malformed JSON body' } });
    expect(oversized).toMatchObject({ status: 413, json: { error: 'payload-too-large' } });
    expect(wrongShape).toMatchObject({ status: 400, json: { error: 'bad-request' } });
    // A broken chain is answered per record (the batch's other records may be fine): 11 is refused.
    expect(forked.status).toBe(200);
    expect(forked.json.results![0]).toMatchObject({ seq: 11, status: 'rejected', reason: 'chain-broken' });
    const stored = await store.journalRecords(bad);
    expect(stored.find((r) => r.seq === 11)).toBeUndefined();
    expect(stored.filter((r) => r.seq <= 10).map((r) => r.hash)).toEqual(mine.slice(0, 10).map((r) => r.hash));

    for (const ans of goodAnswers) expect(ans.results.every((r) => r.status === 'accepted')).toBe(true);
    expect((await store.journalRecords(good)).map((r) => r.hash)).toEqual(goodRecords.map((r) => r.hash));
    expect(await store.intakeStatus(good)).toEqual({ contiguousSeq: 240, maxSeq: 240, gaps: [] });
  }, 90_000);

  it('a back-office process stops promptly on SIGTERM', async () => {
    const r = await a.stop();
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(10_000);
  });
});
