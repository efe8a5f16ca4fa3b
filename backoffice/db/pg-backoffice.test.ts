/**
 * The back office's suite on PostgreSQL, twice: against a real PostgreSQL cluster this file starts
 * itself (initdb + pg_ctl in a temp dir, testing/pg-cluster.ts) and against the embedded engine
 * (PGlite). Same schema (node-pg-migrate), same queries, same HTTP API, same kiosk client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { fixedClock } from '../../contract/time.js';
import { cardRef, checkRecord, sealRecord } from '../../contract/record-crypto.js';
import type { JournalRecord } from '../../contract/journal-record.js';
import { signRequest } from '../../contract/request-signing.js';
import { createHttpBackOfficeClient } from '../../main/backoffice-client/http-client.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';
import { startPgBackOffice, type PgBackOfficeServer } from '../server.js';
import { MAX_PREPARED_STATEMENTS, openDatabase, type Db } from './engine.js';
import { MIGRATIONS_TABLE, migrate } from './migrate.js';
import { postgresAvailability, startPgCluster, type PgCluster } from './testing/pg-cluster.js';

const KIOSK = 'kiosk-7';
const SECRET = 'kiosk-7-secret-abcdefghijkl';
const OTHER = 'other';
const OTHER_SECRET = 'other-secret-abcdefghijkl';
const card = (id: keyof typeof FIXTURE_CARDS) => FIXTURE_CARDS[id].cardNumber;
const pgAvailable = postgresAvailability();

const engines: { name: string; skip: string | false; open: () => Promise<{ db: Db; done: () => void }> }[] = [
  {
    name: 'PostgreSQL server (a throwaway cluster)',
    skip: pgAvailable.ok ? false : pgAvailable.reason,
    async open() {
      const cluster: PgCluster = await startPgCluster({ settings: { fsync: 'off' } });
      const db = await openDatabase(await cluster.createDatabase('backoffice_test'), { max: 4 });
      return { db, done: () => cluster.destroy() };
    },
  },
  {
    name: 'embedded engine (PGlite)',
    skip: false,
    async open() {
      return { db: await openDatabase('pglite:memory'), done: () => {} };
    },
  },
];

for (const engine of engines) {
  // A skip says why: only where the server binaries are absent, never under CI (postgresAvailability throws there).
  describe.skipIf(engine.skip !== false)(`back office on ${engine.name}${engine.skip ? ` — skipped: ${engine.skip}` : ''}`, () => {
    let db: Db;
    let done: () => void;
    let server: PgBackOfficeServer;
    let dir: string;
    let clock: ReturnType<typeof fixedClock>;

    beforeAll(async () => {
      ({ db, done } = await engine.open());
      await migrate(db);
      dir = mkdtempSync(join(tmpdir(), 'bo-pg-test-'));
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await db?.close();
      done?.();
      rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await server?.app.close();
      // Every test starts from the seeded fixtures: empty the tables (the schema stays migrated).
      await db.query(
        `TRUNCATE cards, orders, blocked_changes, kiosk_state, journal_records, meta, recon_cursor, recon_payments, recon_loads, recon_refs_seen, recon_credits, recon_cases, recon_case_events, recon_uncertain_loads`,
      );
      clock = fixedClock('2026-11-23T09:00:00Z');
      server = await startPgBackOffice({
        port: 0,
        database: { ...db, close: async () => {} },
        clock,
        kiosks: { [KIOSK]: SECRET, [OTHER]: OTHER_SECRET },
        bodyLimit: 256 * 1024,
      });
    }, 60_000);

    const client = (secret = SECRET) =>
      createHttpBackOfficeClient({ baseUrl: server.url, kioskId: KIOSK, secret, clock, blockedCachePath: join(dir, `blocked-${Math.random()}.json`) });
    const kioskJournal = (kioskId = KIOSK, secret = SECRET) => openJournal({ path: ':memory:', kioskId, hmacKey: secret, clock });
    async function raw(method: string, path: string, body: string | undefined) {
      const headers: Record<string, string> = signRequest({ kioskId: KIOSK, secret: SECRET, method, pathWithQuery: path, body: body ?? '', at: clock.now() });
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    }

    /** A payment written onto the card, then reversed by the terminal: credited, not paid (one case, once reconciled). */
    function creditedNotPaid(j: ReturnType<typeof kioskJournal>, id: string): void {
      const onCard = cardRef(card('personal-ns-extra'), SECRET);
      for (const [type, data] of [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.written'], ['payment.reversed', { cardCredited: true }]] as const)
        j.append({ type, operationId: id, amountCents: 500, card: onCard, ...(data ? { data } : {}) });
    }
    /** The kiosk's reconciliation cursor ([] before its first reconciliation). */
    const reconCursor = async () => (await db.query<{ seq: string }>(`SELECT seq FROM recon_cursor WHERE kiosk_id = $1`, [KIOSK])).rows.map((r) => Number(r.seq));

    it('runs its schema as versioned migrations (node-pg-migrate), the journal partitioned by month', async () => {
      const ran = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY run_on`);
      expect(ran.rows.map((r) => r.name)).toEqual(['1764460000000_initial-schema', '1796057400000_enrollment', '1796057700000_reconciliation', '1796058000000_technicians-fleet', '1796060000000_intake-round-trips', '1796061000000_recon-uncertain-loads']);
      const part = await db.query<{ strategy: string }>(`SELECT partstrat AS strategy FROM pg_partitioned_table WHERE partrelid = 'journal_records'::regclass`);
      expect(part.rows).toEqual([{ strategy: 'r' }]);
      // Keys of the tables that grow with the fleet start with kiosk_id (the distribution column).
      const keys = await db.query<{ table: string; first: string }>(
        `SELECT c.conrelid::regclass::text AS table, a.attname AS first FROM pg_constraint c
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'p' AND c.conrelid IN ('journal_records'::regclass, 'kiosk_state'::regclass, 'kiosk_heartbeats'::regclass) ORDER BY 1`,
      );
      expect(keys.rows).toEqual([
        { table: 'journal_records', first: 'kiosk_id' },
        { table: 'kiosk_heartbeats', first: 'kiosk_id' },
        { table: 'kiosk_state', first: 'kiosk_id' },
      ]);
    });

    it('serves the fixture orders, collects idempotently per operation and refuses a second operation', async () => {
      const c = client();
      expect((await c.pendingOrders(card('personal-kaartservicecode'))).map((o) => [o.orderId, o.kind])).toEqual([
        ['FX-NSX-0017', 'ns-extra'],
        ['FX-KSC-0017', 'kaartservicecode'],
      ]);
      expect(await c.pendingOrders(card('blocked'))).toEqual([]);
      const prod = await c.pendingOrders(card('personal-products'));
      expect(prod[0]).toMatchObject({ kind: 'product', product: { code: 'DAL-VOORDEEL', travelClass: 2, validFrom: '2026-11-23', validUntil: '2027-11-22' } });
      await c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-1');
      await c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-1');
      await expect(c.markCollected('FX-KSC-0017', card('personal-kaartservicecode'), 'op-2')).rejects.toMatchObject({ code: 'already-collected' });
      await expect(c.markCollected('FX-NSX-0014', card('anonymous'), 'op-a')).rejects.toMatchObject({ status: 409, code: 'not-loadable' });
      await expect(c.markCollected('NOPE', card('business'), 'op-3')).rejects.toMatchObject({ status: 404, code: 'unknown-order' });
      expect(await server.store.order('FX-KSC-0017')).toEqual({ collected: true, collectedOperation: 'op-1' });
    });

    it('refuses to store an order a kiosk could offer but never collect (13 digits in a row in its id, a card number not of 16 digits): nothing stored', async () => {
      const cardNumber = card('personal-kaartservicecode');
      await expect(server.store.addOrder({ orderId: '1234567890123', cardNumber, kind: 'kaartservicecode', announcedOn: '2026-11-01' })).rejects.toThrow(/13 or more digits/);
      await expect(server.store.addOrder({ orderId: 'NS-OK-1', cardNumber: '12345', kind: 'kaartservicecode', announcedOn: '2026-11-01' })).rejects.toThrow(/16 digits/);
      expect(await server.store.order('1234567890123')).toBeUndefined();
      expect(await server.store.order('NS-OK-1')).toBeUndefined();
      await server.store.addOrder({ orderId: '123456789012', cardNumber, kind: 'kaartservicecode', announcedOn: '2026-11-01' });
      expect(await server.store.order('123456789012')).toMatchObject({ collected: false });
    });

    it('NS Extra follows a lost card to its replacement', async () => {
      await server.store.addCard(card('personal-ns-extra'), 'personal', '3528019999999990');
      await server.store.addCard('3528019999999990', 'personal');
      const c = client();
      expect((await c.pendingOrders('3528019999999990')).map((o) => o.orderId)).toEqual(['FX-NSX-0025-OLD', 'FX-NSX-0025']);
      await c.markCollected('FX-NSX-0025', '3528019999999990', 'op-repl');
      expect(await server.store.order('FX-NSX-0025')).toEqual({ collected: true, collectedOperation: 'op-repl' });
    });

    it('hands out the blocked list as deltas since a version', async () => {
      const c = client();
      expect(await c.refreshBlockedList()).toEqual({ version: 1, applied: 1 });
      expect(c.isBlocked(card('blocked'))).toBe(true);
      expect(await server.store.setBlocked(card('personal-products'), true)).toBe(2);
      expect(await server.store.setBlocked(card('blocked'), false)).toBe(3);
      expect(await c.refreshBlockedList()).toEqual({ version: 3, applied: 2 });
      expect(c.isBlocked(card('blocked'))).toBe(false);
      expect(c.isBlocked(card('personal-products'))).toBe(true);
    });

    it('accepts a journal once, answers a replay as duplicate, rejects tampering, and reports gaps truthfully', async () => {
      const j = kioskJournal();
      for (let i = 0; i < 6; i++) j.append({ type: 'kiosk.note', operationId: `p${i}`, amountCents: 100 * (i + 1) });
      const recs = j.undelivered(10);
      const c = client();
      const r1 = await c.submitRecords([recs[0]!, recs[3]!, recs[5]!]);
      expect(r1).toMatchObject({ contiguousSeq: 1, gaps: [{ from: 2, to: 3 }, { from: 5, to: 5 }] });
      const forged2 = sealRecord({ ...recs[2]!, operationId: 'forged', hash: undefined, hmac: undefined } as never, SECRET);
      const tampered = { ...recs[1]!, amountCents: 1 };
      const other = kioskJournal(OTHER, OTHER_SECRET);
      other.append({ type: 'kiosk.note', operationId: 'x' });
      const r2 = await c.submitRecords([forged2, tampered, other.undelivered(1)[0]!]);
      expect(r2.results.map((x) => x.reason)).toEqual(['chain-broken', 'hash-mismatch', 'wrong-kiosk']);
      const r3 = await c.submitRecords(recs);
      expect(r3.results.map((x) => x.status)).toEqual(['duplicate', 'accepted', 'accepted', 'duplicate', 'accepted', 'duplicate']);
      expect(r3).toMatchObject({ contiguousSeq: 6, gaps: [] });
      expect((await server.store.journalRecords(KIOSK)).map((r) => [r.seq, r.amountCents])).toEqual(recs.map((r) => [r.seq, r.amountCents]));
      const size = await server.store.journalSize();
      expect(size).toMatchObject({ records: 6, partitions: ['journal_records_2026_11'] });
    });

    it('stores every field of every record as sent: each row rebuilds its record, whose hash and HMAC still verify', async () => {
      const j = kioskJournal();
      const onCard = cardRef(card('personal-products'), SECRET);
      j.append({ type: 'payment.intent', operationId: 'op-1', amountCents: 1250, card: onCard });
      j.append({ type: 'payment.approved', operationId: 'op-1', amountCents: 1250, card: onCard, data: { receipt: 'R-1 "é\\n"', terminalId: 42 } });
      j.append({ type: 'kiosk.note', operationId: 'op-2' }); // no amount, card or data: NULLs
      clock.set('2026-11-23T10:00:00.5+01:00');
      j.append({ type: 'kiosk.note', operationId: 'op-3', data: {} });
      const sent = j.undelivered(10);
      await client().submitRecords(sent);
      const rows = (
        await db.query<Record<string, unknown>>(
          `SELECT kiosk_id, seq, at, at_text, hash, prev_hash, type, operation_id, amount_cents, card_hash, card_last4, data, hmac FROM journal_records ORDER BY seq`,
        )
      ).rows;
      const rebuilt = rows.map((r) => ({
        kioskId: r.kiosk_id,
        seq: Number(r.seq),
        at: r.at_text,
        type: r.type,
        operationId: r.operation_id,
        ...(r.amount_cents === null ? {} : { amountCents: Number(r.amount_cents) }),
        ...(r.card_hash === null ? {} : { card: { hash: r.card_hash, last4: r.card_last4 } }),
        ...(r.data === null ? {} : { data: r.data }),
        prevHash: r.prev_hash,
        hash: r.hash,
        hmac: r.hmac,
      }));
      expect(rebuilt).toEqual(sent.map((r) => ({ ...r })));
      for (const r of rebuilt) expect(checkRecord(r as JournalRecord, SECRET)).toEqual({ ok: true });
      // The timestamp column is the record's own instant, whatever offset its text carries.
      expect(rows.map((r) => (r.at as Date).toISOString())).toEqual(sent.map((r) => new Date(r.at).toISOString()));
    });

    it('an order.loaded record confirms the collection of its order', async () => {
      const j = kioskJournal();
      const onCard = cardRef(FIXTURE_CARDS['personal-products'].cardNumber, SECRET); // the order's own card
      j.append({ type: 'order.collect-intent', operationId: 'op-x', card: onCard, data: { orderId: 'FX-PRD-0033' } });
      j.append({ type: 'order.loaded', operationId: 'op-x', card: onCard, data: { orderId: 'FX-PRD-0033' } });
      await client().submitRecords(j.undelivered(10));
      expect(await server.store.order('FX-PRD-0033')).toEqual({ collected: true, collectedOperation: 'op-x' });
    });

    it("a reconciliation that fails inside the intake's transaction leaves the batch stored all the same; the next intake catches it up", async () => {
      const j = kioskJournal();
      const id = '11111111-aaaaaaaa-bbbbbbbb-cccccccc';
      creditedNotPaid(j, id);
      // Reconciliation's first write fails, as a bug or a broken table would make it.
      await db.query(`CREATE FUNCTION test_recon_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$`);
      await db.query(`CREATE TRIGGER test_recon_fails BEFORE INSERT ON recon_payments FOR EACH STATEMENT EXECUTE FUNCTION test_recon_fails()`);
      try {
        const r1 = await client().submitRecords(j.undelivered(10));
        expect(r1).toMatchObject({ contiguousSeq: 5, gaps: [] });
        expect(r1.results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
        expect((await server.store.journalRecords(KIOSK)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
        // Nothing of the failed reconciliation stayed: no cursor moved, no case.
        expect(await reconCursor()).toEqual([]);
        expect(await server.store.recon.listCases({ limit: 10 })).toEqual([]);
      } finally {
        await db.query(`DROP TRIGGER test_recon_fails ON recon_payments`);
        await db.query(`DROP FUNCTION test_recon_fails()`);
      }
      j.append({ type: 'kiosk.note', operationId: 'later' });
      const r2 = await client().submitRecords(j.undelivered(10).filter((r) => r.seq === 6));
      expect(r2).toMatchObject({ contiguousSeq: 6, gaps: [] });
      expect(await reconCursor()).toEqual([6]);
      expect((await server.store.recon.listCases({ limit: 10 })).map((x) => [x.kind, x.operationId, x.state])).toEqual([['credited-not-paid', id, 'open']]);
    });

    it('a batch that fills a gap in front of 1,200 stored records reconciles them all: one step in its transaction, the rest after its commit', async () => {
      const j = kioskJournal();
      const id = '22222222-aaaaaaaa-bbbbbbbb-cccccccc';
      for (let i = 0; i < 1100; i++) j.append({ type: 'kiosk.note', operationId: `n${i}` });
      creditedNotPaid(j, id); // seqs 1101-1105
      for (let i = 0; i < 95; i++) j.append({ type: 'kiosk.note', operationId: `m${i}` });
      const recs = j.undelivered(2000);
      expect(recs).toHaveLength(1200);
      const c = client();
      // Everything but seq 1, in batches the body limit allows: nothing is contiguous yet.
      for (let from = 1; from < 1200; from += 200) expect(await c.submitRecords(recs.slice(from, from + 200))).toMatchObject({ contiguousSeq: 0 });
      expect(await server.store.recon.listCases({ limit: 10 })).toEqual([]);
      // Seq 1 arrives: 1,200 contiguous at once, more than one reconciliation step (500).
      expect(await c.submitRecords([recs[0]!])).toMatchObject({ contiguousSeq: 1200, gaps: [] });
      expect(await reconCursor()).toEqual([1200]);
      expect((await server.store.recon.listCases({ limit: 10 })).map((x) => [x.kind, x.operationId])).toEqual([['credited-not-paid', id]]);
    });

    it('records of another month go to their own partition, and retention drops a partition', async () => {
      const j = kioskJournal();
      j.append({ type: 'kiosk.note', operationId: 'nov' });
      clock.set('2026-12-02T10:00:00Z');
      j.append({ type: 'kiosk.note', operationId: 'dec' });
      await client().submitRecords(j.undelivered(10));
      expect((await server.store.journalSize()).partitions).toEqual(['journal_records_2026_11', 'journal_records_2026_12']);
      await db.query(`DROP TABLE journal_records_2026_11`);
      expect((await server.store.journalRecords(KIOSK)).map((r) => r.operationId)).toEqual(['dec']);
    });

    it('answers malformed, oversized and wrong-shaped batches with a clear 4xx and stores nothing', async () => {
      expect(await raw('POST', '/v1/journal', '{"records":')).toEqual({ status: 400, json: { error: 'bad-request', message: 'malformed JSON body' } });
      expect((await raw('POST', '/v1/journal', JSON.stringify({ records: [{ seq: 1 }] }))).status).toBe(400);
      expect((await raw('POST', '/v1/journal', JSON.stringify({ records: [] }))).status).toBe(400);
      const huge = JSON.stringify({ records: [], pad: 'x'.repeat(300 * 1024) });
      expect(await raw('POST', '/v1/journal', huge)).toEqual({ status: 413, json: { error: 'payload-too-large', message: expect.any(String) } });
      expect(await server.store.intakeStatus(KIOSK)).toEqual({ contiguousSeq: 0, maxSeq: 0, gaps: [] });
    });
  });
}

describe.skipIf(!pgAvailable.ok)(`statements on a PostgreSQL server${pgAvailable.ok ? '' : ` — skipped: ${pgAvailable.reason}`}`, () => {
  it('a parameterised statement is prepared once per connection and reused; past the bound the others still run, unnamed', async () => {
    const cluster = await startPgCluster({ settings: { fsync: 'off' } });
    try {
      const db = await openDatabase(await cluster.createDatabase('prepared_test'), { max: 1 }); // one connection
      try {
        const prepared = async () => (await db.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map((r) => r.statement);
        for (let i = 0; i < 3; i++) expect((await db.query<{ n: number }>('SELECT $1::int + 1 AS n', [i])).rows[0]!.n).toBe(i + 1);
        expect((await prepared()).filter((s) => s === 'SELECT $1::int + 1 AS n')).toHaveLength(1);
        for (let i = 0; i < MAX_PREPARED_STATEMENTS + 5; i++) expect((await db.query<{ n: number }>(`SELECT $1::int + ${i} AS n`, [1])).rows[0]!.n).toBe(1 + i);
        expect(await prepared()).toHaveLength(MAX_PREPARED_STATEMENTS);
        // Still correct in a transaction, on the statements already prepared.
        expect(await db.transaction(async (tx) => (await tx.query<{ n: number }>('SELECT $1::int + 1 AS n', [41])).rows[0]!.n)).toBe(42);
      } finally {
        await db.close();
      }
    } finally {
      cluster.destroy();
    }
  });
});
