/**
 * Deadlocks on a real PostgreSQL server (a throwaway cluster this file starts): what the back office
 * does when PostgreSQL's deadlock detector breaks a cycle and picks a journal intake as the victim.
 *
 * The other side of each cycle is a transaction of the test's own, taking the same locks as the
 * intake in the other order, as another back-office process reconciling another kiosk's batch could.
 * Its deadlock_timeout is raised, so the detector always runs in (and aborts) the intake: the
 * victim is known, the outcome deterministic. The cycle and the 40P01 are PostgreSQL's own.
 * - Inside reconciliation: the batch is stored all the same (reconciliation is derived state and
 *   is done again later); nothing of the aborted reconciliation stays.
 * - Inside the intake itself: a retryable 503; nothing of the batch is stored; retried, it is
 *   stored once.
 * And the same place without a deadlock: the connection lost inside reconciliation (its backend
 * terminated). The redo, on another connection, stores the batch (a lost connection inside the
 * intake itself is a 503: multi-process.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { fixedClock } from '../../contract/time.js';
import { cardRef } from '../../contract/record-crypto.js';
import { BackOfficeBusyError, createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';
import { startPgBackOffice, type PgBackOfficeServer } from '../server.js';
import { openDatabase, type Db, type Queryable } from './engine.js';
import { migrate } from './migrate.js';
import { postgresAvailability, startPgCluster, type PgCluster } from './testing/pg-cluster.js';

const pgAvailable = postgresAvailability();
const KIOSKS = { 'kiosk-recon': 'kiosk-recon-secret-abcdefghijkl', 'kiosk-intake': 'kiosk-intake-secret-abcdefghijk', 'kiosk-lost': 'kiosk-lost-secret-abcdefghijklmn' };
type KioskId = keyof typeof KIOSKS;

describe.skipIf(!pgAvailable.ok)(`deadlocks and a lost connection in a journal intake, on a PostgreSQL server${pgAvailable.ok ? '' : ` — skipped: ${pgAvailable.reason}`}`, () => {
  let cluster: PgCluster;
  let url: string;
  let db: Db;
  let server: PgBackOfficeServer;
  let dir: string;
  const clock = fixedClock('2026-11-23T09:00:00Z');

  beforeAll(async () => {
    cluster = await startPgCluster({ settings: { fsync: 'off' } });
    url = await cluster.createDatabase('deadlock_test');
    db = await openDatabase(url, { max: 4 });
    await migrate(db);
    dir = mkdtempSync(join(tmpdir(), 'bo-deadlock-'));
    server = await startPgBackOffice({ port: 0, database: { ...db, close: async () => {} }, clock, kiosks: KIOSKS, bodyLimit: 256 * 1024 });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
    cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const client = (kioskId: KioskId) =>
    createHttpBackOfficeClient({ baseUrl: server.url, kioskId, secret: KIOSKS[kioskId], clock, blockedCachePath: join(dir, `blocked-${Math.random()}.json`) });
  const kioskJournal = (kioskId: KioskId) => openJournal({ path: ':memory:', kioskId, hmacKey: KIOSKS[kioskId], clock });
  const storedSeqs = async (kioskId: KioskId) => (await server.store.journalRecords(kioskId)).map((r) => r.seq);
  const reconCursor = async (kioskId: KioskId) => (await db.query<{ seq: string }>(`SELECT seq FROM recon_cursor WHERE kiosk_id = $1`, [kioskId])).rows.map((r) => Number(r.seq));

  /** The statement of each deadlock PostgreSQL broke so far, as its server log names them (the
   * victim's: "ERROR:  deadlock detected" … "STATEMENT:  …"). */
  function deadlocksLogged(): string[] {
    const log = readFileSync(join(dirname(cluster.dataDir), 'server.log'), 'utf8');
    return [...log.matchAll(/ERROR: {2}deadlock detected.*\n(?:.*\n)*?.*STATEMENT: {2}(.*)/g)].map((m) => m[1]!.trim());
  }

  /** `probe`'s first answer other than undefined, asked from `tx` every 25 ms for ~10 s; the
   * statistics snapshot is cleared each time, or pg_stat_activity would never change. */
  async function pollFrom<T>(tx: Queryable, failure: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 400; i++) {
      await tx.query(`SELECT pg_stat_clear_snapshot()`);
      const found = await probe();
      if (found !== undefined) return found;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`${failure} within 10 s`);
  }

  /** The pid of another backend waiting on a lock in a statement that starts with `prefix`. */
  const lockWaiter = async (tx: Queryable, prefix: string) =>
    (await tx.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND starts_with(query, $1)`, [prefix])).rows[0]?.pid;

  /** The pid of a backend waiting on a lock while running a statement that starts with `prefix`. */
  const waiterOn = (tx: Queryable, prefix: string): Promise<number> => pollFrom(tx, `nobody waited on a lock in "${prefix}…"`, () => lockWaiter(tx, prefix));

  /** Whether the intake's redo is seen waiting for the kiosk's lock, or has already stored the
   * batch's last record (`lastSeq`). */
  const redoWaitingOrStored = (tx: Queryable, kioskId: KioskId, lastSeq: number): Promise<'waiting' | 'stored'> =>
    pollFrom(tx, `the intake of ${kioskId} was neither seen waiting again nor stored`, async () => {
      if ((await lockWaiter(tx, 'SELECT journal_intake_lock')) !== undefined) return 'waiting';
      const stored = await tx.query(`SELECT 1 FROM journal_records WHERE kiosk_id = $1 AND seq = $2`, [kioskId, lastSeq]);
      return stored.rows.length > 0 ? 'stored' : undefined;
    });

  /**
   * The other side of the cycle: in a transaction that never loses a deadlock (its timeout far
   * above the intake's 1 s), take `first`; send the batch; once the intake waits on it, ask for the
   * kiosk's intake lock (its kiosk_state row), which the intake holds. PostgreSQL detects the cycle
   * in the intake's backend and aborts it; this transaction then gets the row. `whileHeld` runs
   * with both locks still held; the transaction then commits (it changed nothing).
   */
  async function deadlockAgainst(kioskId: KioskId, first: string, waitsIn: string, send: () => Promise<unknown>, whileHeld: (tx: Queryable) => Promise<void>): Promise<unknown> {
    const other = await openDatabase(url, { max: 1 });
    try {
      let answer!: Promise<unknown>;
      await other.transaction(async (tx) => {
        await tx.query(`SET LOCAL deadlock_timeout = '60s'`);
        await tx.query(first);
        answer = send().catch((e: unknown) => e);
        await waiterOn(tx, waitsIn);
        const t0 = performance.now();
        // (The row exists before: a row the intake had only just inserted would be invisible here,
        // and no cycle would form.)
        expect((await tx.query(`SELECT 1 FROM kiosk_state WHERE kiosk_id = $1 FOR UPDATE`, [kioskId])).rows).toHaveLength(1);
        // Broken by the detector after the intake's deadlock_timeout (1 s), well inside its 15 s
        // statement_timeout: the abort is the deadlock's, not a timeout's.
        expect(performance.now() - t0).toBeLessThan(10_000);
        await whileHeld(tx);
      });
      return await answer;
    } finally {
      await other.close();
    }
  }

  /** A payment written onto the card, then reversed by the terminal: once reconciled, one case. */
  function creditedNotPaid(j: ReturnType<typeof kioskJournal>, kioskId: KioskId, id: string): void {
    const onCard = cardRef(FIXTURE_CARDS['personal-ns-extra'].cardNumber, KIOSKS[kioskId]);
    for (const [type, data] of [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.written'], ['payment.reversed', { cardCredited: true }]] as const)
      j.append({ type, operationId: id, amountCents: 500, card: onCard, ...(data ? { data } : {}) });
  }

  it("a deadlock inside reconciliation aborts the intake's transaction; the batch is stored all the same, nothing of the reconciliation stays, and the next intake catches it up", async () => {
    const kioskId = 'kiosk-recon';
    const j = kioskJournal(kioskId);
    const id = '33333333-aaaaaaaa-bbbbbbbb-cccccccc';
    // Seq 1 first: the kiosk's state row and the month's partition exist before the cycle.
    j.append({ type: 'kiosk.note', operationId: 'first' });
    expect(await client(kioskId).submitRecords(j.undelivered(10))).toMatchObject({ contiguousSeq: 1 });
    expect(await reconCursor(kioskId)).toEqual([1]);
    creditedNotPaid(j, kioskId, id);
    const logged = deadlocksLogged().length;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const answer = await deadlockAgainst(
        kioskId,
        // Reconciliation's payments table: the intake, holding its kiosk lock, waits to write it.
        `LOCK TABLE recon_payments IN SHARE MODE`,
        'INSERT INTO recon_payments',
        () => client(kioskId).submitRecords(j.undelivered(10).slice(1)),
        async (tx) => {
          // The intake is done again without reconciliation: it was not given up. Mostly it is
          // seen waiting for the kiosk lock this transaction holds; but PostgreSQL lets a newcomer
          // lock a row whose locker has just aborted before the woken waiter does, so on a busy
          // machine the redo can take the kiosk's row first and be stored before this
          // transaction is granted it (seen once in CI).
          expect(['waiting', 'stored']).toContain(await redoWaitingOrStored(tx, kioskId, 6));
        },
      );
      expect(answer).toMatchObject({ contiguousSeq: 6, gaps: [] });
      expect((answer as { results: { status: string }[] }).results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^reconciliation of kiosk-recon deferred: .*deadlock detected/)]);
      expect(deadlocksLogged().slice(logged)).toEqual([expect.stringMatching(/^INSERT INTO recon_payments/)]);
    } finally {
      errors.mockRestore();
    }
    expect(await storedSeqs(kioskId)).toEqual([1, 2, 3, 4, 5, 6]);
    // Nothing of the aborted reconciliation stayed: the cursor where it was, no payment, no case.
    expect(await reconCursor(kioskId)).toEqual([1]);
    expect((await db.query(`SELECT 1 FROM recon_payments WHERE kiosk_id = $1`, [kioskId])).rows).toEqual([]);
    expect(await server.store.recon.listCases({ limit: 10 })).toEqual([]);
    // The next batch reconciles both.
    j.append({ type: 'kiosk.note', operationId: 'later' });
    expect(await client(kioskId).submitRecords(j.undelivered(10).filter((r) => r.seq === 7))).toMatchObject({ contiguousSeq: 7, gaps: [] });
    expect(await reconCursor(kioskId)).toEqual([7]);
    expect((await server.store.recon.listCases({ limit: 10 })).map((x) => [x.kind, x.operationId, x.state])).toEqual([['credited-not-paid', id, 'open']]);
  }, 60_000);

  it('a deadlock inside the intake itself is a retryable 503 with nothing of the batch stored; retried, the batch is stored once', async () => {
    const kioskId = 'kiosk-intake';
    const j = kioskJournal(kioskId);
    for (let i = 0; i < 6; i++) j.append({ type: 'kiosk.note', operationId: `n${i}`, amountCents: 100 * (i + 1) });
    const recs = j.undelivered(10);
    // Seq 1 first: the kiosk's state row and the month's partition exist before the cycle.
    expect(await client(kioskId).submitRecords([recs[0]!])).toMatchObject({ contiguousSeq: 1 });
    const logged = deadlocksLogged().length;
    const answer = await deadlockAgainst(
      kioskId,
      // The journal itself: the intake, holding its kiosk lock, waits to insert the batch.
      `LOCK TABLE journal_records IN SHARE MODE`,
      'INSERT INTO journal_records',
      () => client(kioskId).submitRecords(recs.slice(1)),
      async () => {},
    );
    expect(deadlocksLogged().slice(logged)).toEqual([expect.stringMatching(/^INSERT INTO journal_records/)]);
    expect(answer).toBeInstanceOf(BackOfficeBusyError);
    expect((answer as BackOfficeBusyError).message).toMatch(/503 unavailable/);
    expect((answer as BackOfficeBusyError).retryAfterMs).toBeGreaterThan(0);
    expect(await storedSeqs(kioskId)).toEqual([1]);
    expect(await server.store.intakeStatus(kioskId)).toEqual({ contiguousSeq: 1, maxSeq: 1, gaps: [] });
    // Retried (the uploader would, after the Retry-After): every record stored, once.
    const again = await client(kioskId).submitRecords(recs.slice(1));
    expect(again.results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    expect(await storedSeqs(kioskId)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 60_000);

  it('a connection lost inside reconciliation does not refuse the batch: the intake is done again on another connection and stores it; the next intake catches reconciliation up', async () => {
    const kioskId = 'kiosk-lost';
    const j = kioskJournal(kioskId);
    const id = '44444444-aaaaaaaa-bbbbbbbb-cccccccc';
    // Seq 1 first: the kiosk's state row and the month's partition exist before.
    j.append({ type: 'kiosk.note', operationId: 'first' });
    expect(await client(kioskId).submitRecords(j.undelivered(10))).toMatchObject({ contiguousSeq: 1 });
    creditedNotPaid(j, kioskId, id);
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const other = await openDatabase(url, { max: 1 });
    let answer!: unknown;
    try {
      await other.transaction(async (tx) => {
        // Reconciliation's payments table held: the intake, holding its kiosk lock, waits to
        // write it; then its backend is terminated, as when its connection goes mid-batch.
        await tx.query(`LOCK TABLE recon_payments IN SHARE MODE`);
        const sent = client(kioskId)
          .submitRecords(j.undelivered(10).slice(1))
          .catch((e: unknown) => e);
        const pid = await waiterOn(tx, 'INSERT INTO recon_payments');
        expect((await tx.query<{ t: boolean }>(`SELECT pg_terminate_backend($1) AS t`, [pid])).rows).toEqual([{ t: true }]);
        // Answered while the table is still held: the redo does not reconcile.
        answer = await sent;
      });
      expect(answer).toMatchObject({ contiguousSeq: 6, gaps: [] });
      expect((answer as { results: { status: string }[] }).results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
      expect(errors.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^reconciliation of kiosk-lost deferred: .*(terminating connection|Connection terminated)/)]);
    } finally {
      errors.mockRestore();
      await other.close();
    }
    expect(await storedSeqs(kioskId)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await reconCursor(kioskId)).toEqual([1]);
    expect((await db.query(`SELECT 1 FROM recon_payments WHERE kiosk_id = $1`, [kioskId])).rows).toEqual([]);
    j.append({ type: 'kiosk.note', operationId: 'later' });
    expect(await client(kioskId).submitRecords(j.undelivered(10).filter((r) => r.seq === 7))).toMatchObject({ contiguousSeq: 7, gaps: [] });
    expect(await reconCursor(kioskId)).toEqual([7]);
    expect((await server.store.recon.listCases({ limit: 10 })).filter((x) => x.operationId === id).map((x) => [x.kind, x.state])).toEqual([['credited-not-paid', 'open']]);
  }, 60_000);
});
