/**
 * Reconciliation and pending credits (issue 12) on both stores: the in-process SQLite store and
 * PostgreSQL (a real throwaway cluster this file starts, testing/pg-cluster.ts). Kiosks are real
 * kiosk parts: their SQLite journals, the kiosk's HTTP back-office client, its order service and
 * card service over an emulated card. One emulated reader stands for "the card": a tap at kiosk A
 * and later at kiosk B both reach that one card's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_CARDS, type FixtureCardId } from '../contract/fixture-cards.js';
import { fixedClock } from '../contract/time.js';
import { sequentialRandom } from '../contract/random.js';
import { signRequest } from '../contract/request-signing.js';
import type { JournalEntryInput } from '../contract/journal-record.js';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../hardware/card/index.js';
import { createHttpBackOfficeClient } from '../main/backoffice-client/http-client.js';
import { cardRef, openJournal, type SqliteJournal } from '../main/journal/sqlite-journal.js';
import { createCardService } from '../main/services/card-service.js';
import { createOrderService } from '../main/services/order-service.js';
import { orderRef, paymentRef } from '../main/money/ids.js';
import type { OrderInfo } from '../domain/order-rules.js';
import { startBackOffice, startPgBackOffice } from './server.js';
import { openDatabase, type Db } from './db/engine.js';
import { migrate } from './db/migrate.js';
import { postgresAvailability, startPgCluster, type PgCluster } from './db/testing/pg-cluster.js';
import { csrfToken } from './operator-routes.js';
import { creditOrderId } from './reconciliation.js';
import { validateEntry } from '../main/journal/entry-validation.js';
import { OrderId } from '../contract/backoffice-api.js';

const A = 'kiosk-a';
const B = 'kiosk-b';
const SECRETS: Record<string, string> = { [A]: 'kiosk-a-secret-abcdefghijkl', [B]: 'kiosk-b-secret-abcdefghijkl' };
const OPERATOR = 'alice';
const OP_TOKEN = 'alice-operator-token-0123456789abcdef';
const DAY = 24 * 3600_000;
const log = pino({ level: 'silent' });
const num = (f: FixtureCardId) => FIXTURE_CARDS[f].cardNumber;
const ident = (f: FixtureCardId) => ({ uid: FIXTURE_CARDS[f].uid, cardNumber: FIXTURE_CARDS[f].cardNumber });
const pgAvailable = postgresAvailability();

interface Running {
  url: string;
  close(): Promise<void>;
}

type Engine = { name: string; skip: string | false; setup(): Promise<void>; teardown(): Promise<void>; start(clock: ReturnType<typeof fixedClock>, dir: string): Promise<Running> };

let cluster: PgCluster | undefined;
let pgDb: Db | undefined;
const engines: Engine[] = [
  {
    name: 'SQLite (in-process store)',
    skip: false,
    async setup() {},
    async teardown() {},
    async start(clock, dir) {
      const s = await startBackOffice({ port: 0, dbPath: join(dir, 'bo.sqlite'), clock, kiosks: SECRETS, operators: { [OPERATOR]: OP_TOKEN }, reconciliation: { sweepEveryMs: 0 } });
      return { url: s.url, close: () => s.close() };
    },
  },
  {
    name: 'PostgreSQL (a throwaway cluster)',
    skip: pgAvailable.ok ? false : pgAvailable.reason,
    async setup() {
      cluster = await startPgCluster({ settings: { fsync: 'off' } });
      pgDb = await openDatabase(await cluster.createDatabase('recon_test'), { max: 4 });
      await migrate(pgDb);
    },
    async teardown() {
      await pgDb?.close();
      cluster?.destroy();
    },
    async start(clock) {
      await pgDb!.query(
        `TRUNCATE cards, orders, blocked_changes, kiosk_state, journal_records, meta, recon_cursor, recon_payments, recon_loads, recon_refs_seen, recon_credits, recon_cases, recon_case_events, recon_uncertain_loads`,
      );
      const s = await startPgBackOffice({
        port: 0,
        database: { ...pgDb!, close: async () => {} },
        clock,
        kiosks: SECRETS,
        operators: { [OPERATOR]: OP_TOKEN },
        reconciliation: { sweepEveryMs: 0 },
      });
      return { url: s.url, close: () => s.close() };
    },
  },
];


/**
 * Every admitted outcome of docs/money-proofs.md ("Reconciliation" section), as the journal records
 * it, and where reconciliation must leave it once the configured time has passed: a consistent
 * state (no case) or exactly one case of a kind. `seen`: a later card read shows the payment's ref.
 */
type Step = [JournalEntryInput['type'], Record<string, string | number | boolean>?];
const W: Step[] = [['payment.intent'], ['payment.approved'], ['card.write-intent']];
const ADMITTED_OUTCOMES: { outcome: string; steps: Step[]; seen?: boolean; expected: 'consistent' | 'credited-not-paid' | 'paid-not-credited' | 'refund-owed' }[] = [
  { outcome: 'committed, card written', steps: [...W, ['card.written'], ['payment.committed']], expected: 'consistent' },
  { outcome: 'committed, card found written at recovery', steps: [...W, ['card.written', { confirmedBy: 'card-check' }], ['payment.committed']], expected: 'consistent' },
  { outcome: 'declined / failed before approval', steps: [['payment.intent'], ['payment.failed', { code: 'declined' }]], expected: 'consistent' },
  { outcome: 'approved, reversed before any write', steps: [['payment.intent'], ['payment.approved'], ['payment.rollback-intent'], ['payment.reversed']], expected: 'consistent' },
  { outcome: 'write failed (certain), reversed', steps: [...W, ['card.write-failed', { uncertain: false }], ['payment.rollback-intent'], ['payment.reversed']], expected: 'consistent' },
  { outcome: 'written, terminal reversed on its own', steps: [...W, ['card.written'], ['payment.reversed', { cardCredited: true }]], expected: 'credited-not-paid' },
  { outcome: 'write uncertain, reversed, card never seen again', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.rollback-intent'], ['payment.reversed']], expected: 'consistent' },
  { outcome: 'write uncertain, reversed, card later seen with the ref', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.rollback-intent'], ['payment.reversed']], seen: true, expected: 'credited-not-paid' },
  { outcome: 'could not be undone: refund owed', steps: [...W, ['card.write-failed', { uncertain: false }], ['payment.rollback-intent'], ['payment.refund-owed']], expected: 'refund-owed' },
  { outcome: 'credit pending, never loaded nor seen', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.credit-pending', { ref: 'REF' }]], expected: 'paid-not-credited' },
  { outcome: 'credit pending, card seen with the ref', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.credit-pending', { ref: 'REF' }]], seen: true, expected: 'consistent' },
  { outcome: 'credit pending, then the terminal reversed on its own (credit withdrawn)', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.credit-pending', { ref: 'REF' }], ['payment.reversed', { creditPending: true }]], expected: 'consistent' },
  { outcome: 'credit pending, then the terminal reversed on its own, card seen with the ref', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.credit-pending', { ref: 'REF' }], ['payment.reversed', { creditPending: true }]], seen: true, expected: 'credited-not-paid' },
  { outcome: 'committed while the write was uncertain, card never seen', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.committed']], expected: 'paid-not-credited' },
  { outcome: 'committed while the write was uncertain, card seen with the ref', steps: [...W, ['card.write-failed', { uncertain: true }], ['payment.committed']], seen: true, expected: 'consistent' },
  { outcome: 'approved, then nothing (kiosk lost)', steps: [['payment.intent'], ['payment.approved']], expected: 'paid-not-credited' },
  { outcome: 'approved and written, commit never journaled (kiosk lost)', steps: [...W, ['card.written']], expected: 'consistent' },
];

for (const engine of engines) {
  describe.skipIf(engine.skip !== false)(`reconciliation on ${engine.name}${engine.skip ? ` — skipped: ${engine.skip}` : ''}`, () => {
    let dir: string;
    let clock: ReturnType<typeof fixedClock>;
    let bo: Running;
    let card: EmulatedCardReader;
    const journals: SqliteJournal[] = [];

    beforeAll(() => engine.setup(), 120_000);
    afterAll(() => engine.teardown());
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'recon-'));
      clock = fixedClock('2026-11-23T09:00:00Z');
      bo = await engine.start(clock, dir);
      card = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
      await card.start();
    }, 60_000);
    afterEach(async () => {
      for (const j of journals.splice(0)) j.close();
      await bo.close();
      rmSync(dir, { recursive: true, force: true });
    });

    /** A kiosk: its journal, its back-office client, its card and order services on "the card". */
    function kiosk(kioskId: string) {
      const secret = SECRETS[kioskId]!;
      const journal = openJournal({ path: ':memory:', kioskId, hmacKey: secret, clock });
      journals.push(journal);
      const seq = sequentialRandom();
      const client = createHttpBackOfficeClient({ baseUrl: bo.url, kioskId, secret, clock, blockedCachePath: join(dir, `blocked-${kioskId}.json`) });
      const orders = createOrderService({
        reader: card,
        backOffice: client,
        journal,
        clock,
        random: { ...seq, id: (bytes?: number) => `${kioskId === A ? 'a' : 'b'}${seq.id(bytes).slice(1)}` },
        timeZone: 'Europe/Amsterdam',
        maxBalanceCents: 15_000,
        exclusiveProductGroups: [],
        cardRef: (n) => cardRef(n, secret),
        log,
      });
      const cards = createCardService({ reader: card, backOffice: client, clock, timeZone: 'Europe/Amsterdam', log, refsSeen: { journal, cardRef: (n) => cardRef(n, secret) } });
      let sent = 0;
      return {
        kioskId,
        journal,
        client,
        orders,
        cards,
        ref: (n: string) => cardRef(n, secret),
        append: (e: JournalEntryInput) => journal.append(e),
        /** Store-and-forward, as the uploader does it: every record not sent yet. */
        async upload() {
          const records = journal.records().slice(sent);
          sent += records.length;
          if (records.length > 0) {
            const r = await client.submitRecords(records);
            expect(r.results.every((x) => x.status === 'accepted' || x.status === 'duplicate')).toBe(true);
          }
        },
        /** A payment the kiosk kept while it could not confirm the credit (the money windows' outcome). */
        creditPending(paymentId: string, f: FixtureCardId, amountCents: number) {
          const c = cardRef(num(f), secret);
          const e = (type: JournalEntryInput['type'], data?: JournalEntryInput['data']) => journal.append({ type, operationId: paymentId, amountCents, card: c, ...(data ? { data } : {}) });
          e('payment.intent', { kioskId });
          e('payment.approved', { receipt: 'R1' });
          e('card.write-intent', { ref: paymentRef(paymentId) });
          e('card.write-failed', { reason: 'card-gone', uncertain: true });
          e('payment.credit-pending', { ref: paymentRef(paymentId) });
        },
      };
    }

    async function operator(method: string, path: string, body?: unknown, auth: string | null = `${OPERATOR}:${OP_TOKEN}`) {
      const headers: Record<string, string> = {};
      if (auth !== null) headers['authorization'] = `Basic ${Buffer.from(auth).toString('base64')}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(bo.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, text, wwwAuthenticate: res.headers.get('www-authenticate'), json: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, any> };
    }
    const cases = async (q = '') => (await operator('GET', `/operator/api/cases${q}`)).json['cases'] as any[];

    /** Put a top-up with `ref` on the card (the earlier write that did land). */
    async function creditCard(f: FixtureCardId, amountCents: number, ref: string) {
      await card.present(f);
      await card.write(ident(f), (c) => ({ ...c, balanceCents: c.balanceCents + amountCents, topUps: [{ at: clock.now().toISOString(), amountCents, location: A, ref }, ...c.topUps].slice(0, 2) }));
    }

    const PAY1 = 'a1b2c3d4-00000000-11111111-22222222';

    it('a pending credit loads exactly once across two kiosks, through the order-collection path, under the payment ref', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      a.creditPending(PAY1, 'anonymous', 1000);
      await a.upload();
      await card.present('anonymous');
      const before = (await card.read()).balanceCents;
      // Tap at kiosk B: the back office learns the card number and serves the credit as an order.
      const atB = await b.orders.fetchOrders({ cardNumber: num('anonymous') });
      const credit = atB.ok ? atB.orders!.find((o) => o.orderId === creditOrderId(A, PAY1)) : undefined;
      expect(credit).toEqual({ orderId: creditOrderId(A, PAY1), kind: 'ns-extra', announcedOn: '2026-11-23', amountCents: 1000, creditRef: paymentRef(PAY1) });
      // Kiosk A sees it too (the traveller walks between machines): both try to load it.
      const atA = await a.orders.fetchOrders({ cardNumber: num('anonymous') });
      expect(atA.ok && atA.orders!.some((o) => o.orderId === credit!.orderId)).toBe(true);
      const today = '2026-11-23';
      const first = await b.orders.collect({ order: credit as OrderInfo, card: ident('anonymous'), today });
      expect(first.result).toBe('loaded');
      const second = await a.orders.collect({ order: credit as OrderInfo, card: ident('anonymous'), today });
      // Kiosk A finds the ref on the card: it writes nothing (the card was credited once).
      expect(second.result).toBe('loaded');
      const after = await card.read();
      expect(after.balanceCents).toBe(before + 1000);
      expect(after.topUps.filter((t) => t.ref === paymentRef(PAY1))).toHaveLength(1);
      // Gone from the card's list at every kiosk; the back office says loaded; no case is open.
      await a.upload();
      await b.upload();
      expect((await b.client.pendingOrders(num('anonymous'))).some((o) => o.orderId === credit!.orderId)).toBe(false);
      expect((await a.client.pendingOrders(num('anonymous'))).some((o) => o.orderId === credit!.orderId)).toBe(false);
      expect((await operator('GET', '/operator/api/credits')).json['credits']).toMatchObject([{ orderId: credit!.orderId, state: 'loaded' }]);
      // Days later the sweep finds a paid payment whose credit was loaded: consistent, no case.
      clock.advance(3 * DAY);
      await operator('POST', '/operator/api/reconcile');
      expect(await cases()).toEqual([]);
    });

    it('a pending credit whose payment the terminal then reversed on its own is never served: not before binding, and withdrawn after it (nothing given away)', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      const PAY2 = 'b1b2c3d4-00000000-11111111-22222222';
      // PAY1: kept (credit pending), then the terminal had nothing open: payment.reversed {creditPending}, before any tap.
      a.creditPending(PAY1, 'anonymous', 1000);
      a.append({ type: 'payment.reversed', operationId: PAY1, amountCents: 1000, card: a.ref(num('anonymous')), data: { creditPending: true, cardCredited: null } });
      // PAY2: kept, its credit bound to the card by a tap (served), and only then reversed.
      a.creditPending(PAY2, 'anonymous', 700);
      await a.upload();
      expect((await b.client.pendingOrders(num('anonymous'))).map((o) => o.orderId)).toContain(creditOrderId(A, PAY2));
      a.append({ type: 'payment.reversed', operationId: PAY2, amountCents: 700, card: a.ref(num('anonymous')), data: { creditPending: true, cardCredited: null } });
      await a.upload();
      await card.present('anonymous');
      const before = (await card.read()).balanceCents;
      const served = await b.orders.fetchOrders({ cardNumber: num('anonymous') });
      const ids = served.ok ? served.orders!.map((o) => o.orderId) : [];
      expect(ids).not.toContain(creditOrderId(A, PAY1));
      expect(ids).not.toContain(creditOrderId(A, PAY2));
      // A kiosk that fetched the list before the reversal and collects all the same is refused by the back office.
      expect(await b.client.markCollected(creditOrderId(A, PAY2), num('anonymous'), 'late-collect').then(() => 'collected', (e: Error) => e.message)).not.toBe('collected');
      expect((await card.read()).balanceCents).toBe(before);
      // Nothing was credited and nothing is paid: consistent, no case (also after the unconfirmed time).
      clock.advance(3 * DAY);
      await operator('POST', '/operator/api/reconcile');
      expect(await cases()).toEqual([]);
      // Had that late kiosk written it onto the card, its journal says so: one case, credited but not paid.
      const c = b.ref(num('anonymous'));
      for (const [type, data] of [['order.collect-intent', {}], ['card.write-intent', { ref: paymentRef(PAY2) }], ['card.written', { balanceCents: before + 700 }]] as const)
        b.append({ type, operationId: 'late-collect', amountCents: 700, card: c, data: { orderId: creditOrderId(A, PAY2), ...data } });
      await b.upload();
      expect((await cases()).map((x) => [x.kind, x.operationId])).toEqual([['credited-not-paid', PAY2]]);
    });

    it('a card that already holds the ref (refs-seen uploaded) settles the credit without loading it', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      a.creditPending(PAY1, 'anonymous', 1000);
      await a.upload();
      // The uncertain write had landed.
      await creditCard('anonymous', 1000, paymentRef(PAY1));
      const before = (await card.read()).balanceCents;
      // Tap at kiosk B: its card read journals the refs the card holds, uploaded before the order query.
      expect((await b.cards.read()).ok).toBe(true);
      await b.upload();
      const refs = b.journal.records().filter((r) => r.type === 'card.refs-seen');
      expect(refs[0]!.data?.['refs']).toContain(paymentRef(PAY1));
      // The query learns the card number; the refs seen at B name this card: settled, not served.
      expect((await b.client.pendingOrders(num('anonymous'))).some((o) => o.kind === 'ns-extra' && o.creditRef !== undefined)).toBe(false);
      // A later read at kiosk A (after binding) changes nothing either.
      expect((await a.cards.read()).ok).toBe(true);
      await a.upload();
      expect((await a.client.pendingOrders(num('anonymous'))).some((o) => o.kind === 'ns-extra' && o.creditRef !== undefined)).toBe(false);
      expect((await card.read()).balanceCents).toBe(before);
      expect((await operator('GET', '/operator/api/credits')).json['credits']).toMatchObject([{ state: 'on-card' }]);
      clock.advance(3 * DAY);
      await operator('POST', '/operator/api/reconcile');
      expect(await cases()).toEqual([]);
    });

    it('a card that holds the ref, its refs not uploaded yet: the kiosk finds the payment ref on the card and writes nothing', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      a.creditPending(PAY1, 'anonymous', 1000);
      await a.upload();
      await creditCard('anonymous', 1000, paymentRef(PAY1));
      const before = (await card.read()).balanceCents;
      const served = await b.orders.fetchOrders({ cardNumber: num('anonymous') });
      const credit = served.ok ? served.orders!.find((o) => o.orderId === creditOrderId(A, PAY1)) : undefined;
      expect(credit).toBeDefined();
      expect((await b.orders.collect({ order: credit!, card: ident('anonymous'), today: '2026-11-23' })).result).toBe('loaded');
      expect((await card.read()).balanceCents).toBe(before);
      const op = b.journal.records().filter((r) => r.data?.['orderId'] === credit!.orderId).map((r) => [r.type, r.data?.['confirmedBy']]);
      expect(op).toContainEqual(['card.written', 'card-ref']);
      expect(op.some(([t]) => t === 'card.write-intent')).toBe(false);
      await b.upload();
      expect(await cases()).toEqual([]);
    });

    it('a card that holds the ref at the same kiosk settles the credit before any tap binds it', async () => {
      const a = kiosk(A);
      await creditCard('anonymous', 1000, paymentRef(PAY1));
      a.creditPending(PAY1, 'anonymous', 1000);
      expect((await a.cards.read()).ok).toBe(true);
      await a.upload();
      expect(await a.client.pendingOrders(num('anonymous'))).toEqual([expect.objectContaining({ orderId: 'FX-NSX-0014' })]);
      expect((await operator('GET', '/operator/api/credits')).json['credits']).toMatchObject([{ state: 'on-card' }]);
    });

    it('attack: a card.refs-seen naming another card\'s ref settles nothing; the credit still loads on its own card', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      a.creditPending(PAY1, 'anonymous', 1000);
      await a.upload();
      // Bind it to its card (a tap), then kiosk B and kiosk A each claim that ANOTHER card holds the ref.
      await b.client.pendingOrders(num('anonymous'));
      for (const k of [a, b]) k.append({ type: 'card.refs-seen', operationId: `refs-seen:forged:${k.kioskId}`, card: k.ref(num('personal-ns-extra')), data: { refs: paymentRef(PAY1) } });
      await a.upload();
      await b.upload();
      const served = await b.client.pendingOrders(num('anonymous'));
      expect(served.some((o) => o.orderId === creditOrderId(A, PAY1))).toBe(true);
      expect((await operator('GET', '/operator/api/credits')).json['credits']).toMatchObject([{ state: 'bound' }]);
      // And the other card is never served someone else's credit.
      expect((await b.client.pendingOrders(num('personal-ns-extra'))).some((o) => o.orderId === creditOrderId(A, PAY1))).toBe(false);
    });

    /** Kiosk `k` journals an order load whose outcome it could not know (the orders crash table's card-absent cases). */
    function uncertainLoad(k: ReturnType<typeof kiosk>, operationId: string, orderId: string, f: FixtureCardId, amountCents: number) {
      const c = k.ref(num(f));
      const e = (type: JournalEntryInput['type'], data: Record<string, string | boolean> = {}) => k.append({ type, operationId, amountCents, card: c, data: { orderId, ...data } });
      e('order.collect-intent', { kind: 'ns-extra', ref: orderRef(orderId) });
      e('card.write-intent', { ref: orderRef(orderId) });
      e('card.write-failed', { reason: 'interrupted', uncertain: true });
      e('order.collect-failed', { reason: 'card-write-unknown' });
    }
    const served = async (k: ReturnType<typeof kiosk>, f: FixtureCardId) => (await k.client.pendingOrders(num(f))).map((o) => o.orderId);

    it('an order load of unknown outcome that landed: a card read at any kiosk showing its ref marks it collected (not served again); writing it again after that opens loaded-twice', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      // Kiosk A was killed after the last block write; the card was away at recovery: collect-failed, order pending.
      uncertainLoad(a, 'collect-1', 'FX-NSX-0025', 'personal-ns-extra', 1250);
      await a.upload();
      expect(await served(b, 'personal-ns-extra')).toContain('FX-NSX-0025');
      // The write had landed: the card holds the NS Extra under the order's ref.
      await creditCard('personal-ns-extra', 1250, orderRef('FX-NSX-0025'));
      // Attack first: kiosk B claims ANOTHER card holds that ref: the order stays pending.
      b.append({ type: 'card.refs-seen', operationId: 'refs-seen:forged', card: b.ref(num('anonymous')), data: { refs: orderRef('FX-NSX-0025') } });
      await b.upload();
      expect(await served(b, 'personal-ns-extra')).toContain('FX-NSX-0025');
      // The traveller taps at kiosk B, just to see the balance: the read journals the card's refs.
      expect((await b.cards.read()).ok).toBe(true);
      await b.upload();
      expect(await served(b, 'personal-ns-extra')).not.toContain('FX-NSX-0025');
      expect(await served(a, 'personal-ns-extra')).not.toContain('FX-NSX-0025');
      expect(await cases()).toEqual([]);
      // A kiosk that fetched the list before and writes it all the same (or its ref had left the card): loaded twice.
      const c = a.ref(num('personal-ns-extra'));
      for (const [type, data] of [['order.collect-intent', {}], ['card.write-intent', { ref: orderRef('FX-NSX-0025') }], ['card.written', { balanceCents: 5000 }], ['order.loaded', {}]] as const)
        a.append({ type, operationId: 'collect-2', amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025', ...data } });
      await a.upload();
      expect((await cases()).map((x) => [x.kind, x.orderId, x.state])).toEqual([['loaded-twice', 'FX-NSX-0025', 'open']]);
    });

    it('an order load of unknown outcome: the ref seen before the uncertain record arrives (kiosk offline) settles it too; a load that did not land stays pending and loads once', async () => {
      const a = kiosk(A);
      const b = kiosk(B);
      uncertainLoad(a, 'collect-1', 'FX-NSX-0025', 'personal-ns-extra', 1250);
      await creditCard('personal-ns-extra', 1250, orderRef('FX-NSX-0025'));
      expect((await b.cards.read()).ok).toBe(true);
      await b.upload();
      // Kiosk A comes back online after B's read reached the back office.
      await a.upload();
      expect(await served(b, 'personal-ns-extra')).not.toContain('FX-NSX-0025');
      // The other order of that card: its uncertain load did NOT land; the read shows no ref -> still served, loaded exactly once.
      uncertainLoad(a, 'collect-3', 'FX-NSX-0017', 'personal-kaartservicecode', 500);
      await a.upload();
      await card.present('personal-kaartservicecode');
      expect((await b.cards.read()).ok).toBe(true);
      await b.upload();
      const list = await b.orders.fetchOrders({ cardNumber: num('personal-kaartservicecode') });
      const order = list.ok ? list.orders!.find((o) => o.orderId === 'FX-NSX-0017') : undefined;
      expect(order).toBeDefined();
      const before = (await card.read()).balanceCents;
      expect((await b.orders.collect({ order: order!, card: ident('personal-kaartservicecode'), today: '2026-11-23' })).result).toBe('loaded');
      expect((await card.read()).balanceCents - before).toBe(500);
      await b.upload();
      expect(await served(b, 'personal-kaartservicecode')).not.toContain('FX-NSX-0017');
      expect(await cases()).toEqual([]);
    });

    it('opens a case per disagreement: credited but not paid, refund owed, paid but not credited in time, loaded twice', async () => {
      const a = kiosk(A);
      const c = a.ref(num('personal-ns-extra'));
      const op = (id: string, steps: [JournalEntryInput['type'], Record<string, string | number | boolean>?][]) =>
        steps.forEach(([type, data]) => a.append({ type, operationId: id, amountCents: 500, card: c, ...(data ? { data } : {}) }));
      // Written, then reversed: credited, not paid.
      op('11111111-aaaaaaaa-bbbbbbbb-cccccccc', [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.written'], ['payment.rollback-intent'], ['payment.reversed', { cardCredited: true }]]);
      // Refund owed.
      op('22222222-aaaaaaaa-bbbbbbbb-cccccccc', [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.write-failed', { uncertain: false }], ['payment.rollback-intent'], ['payment.refund-owed']]);
      // Paid, write uncertain, committed: nothing on the card yet.
      op('33333333-aaaaaaaa-bbbbbbbb-cccccccc', [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.write-failed', { uncertain: true }], ['payment.committed']]);
      // A normal top-up: consistent.
      op('44444444-aaaaaaaa-bbbbbbbb-cccccccc', [['payment.intent'], ['payment.approved'], ['card.write-intent'], ['card.written'], ['payment.committed']]);
      // A declined payment: consistent.
      op('55555555-aaaaaaaa-bbbbbbbb-cccccccc', [['payment.intent'], ['payment.failed', { code: 'declined' }]]);
      // The same NS Extra written by two operations (its ref pushed off the card in between).
      for (const id of ['load-1', 'load-2']) {
        a.append({ type: 'order.collect-intent', operationId: id, amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025' } });
        a.append({ type: 'card.write-intent', operationId: id, amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025' } });
        a.append({ type: 'card.written', operationId: id, amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025', balanceCents: 3000 } });
        a.append({ type: 'order.loaded', operationId: id, amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025' } });
      }
      // A third operation that found it on the card: loaded nothing.
      a.append({ type: 'order.collect-intent', operationId: 'load-3', amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025' } });
      a.append({ type: 'card.written', operationId: 'load-3', amountCents: 1250, card: c, data: { orderId: 'FX-NSX-0025', confirmedBy: 'card-ref' } });
      await a.upload();
      const open = await cases();
      expect(open.map((x) => [x.kind, x.operationId ?? x.orderId, x.state]).sort()).toEqual(
        [
          ['credited-not-paid', '11111111-aaaaaaaa-bbbbbbbb-cccccccc', 'open'],
          ['loaded-twice', 'FX-NSX-0025', 'open'],
          ['refund-owed', '22222222-aaaaaaaa-bbbbbbbb-cccccccc', 'open'],
        ].sort(),
      );
      expect(open.find((x) => x.kind === 'refund-owed')).toMatchObject({ kioskId: A, cardLast4: num('personal-ns-extra').slice(-4), amountCents: 500, ref: '22222222' });
      // Not yet: a paid payment gets the configured time (24 h by default) to show its credit.
      clock.advance(DAY - 60_000);
      await operator('POST', '/operator/api/reconcile');
      expect((await cases('?kind=paid-not-credited')).length).toBe(0);
      clock.advance(120_000);
      expect((await operator('POST', '/operator/api/reconcile')).json).toEqual({ changed: 1 });
      const pnc = await cases('?kind=paid-not-credited');
      expect(pnc).toMatchObject([{ operationId: '33333333-aaaaaaaa-bbbbbbbb-cccccccc', state: 'open' }]);
      // Idempotent: reconciling again opens nothing new.
      expect((await operator('POST', '/operator/api/reconcile')).json).toEqual({ changed: 0 });
      // The card shows up at a kiosk holding the ref: the case settles itself, by the reconciliation.
      a.append({ type: 'card.refs-seen', operationId: 'refs-seen:1', card: c, data: { refs: '33333333,deadbeef' } });
      await a.upload();
      const detail = (await operator('GET', `/operator/api/cases/${pnc[0].id}`)).json;
      expect(detail['case'].state).toBe('settled-by-credit');
      expect(detail['events'].map((e: any) => [e.actor, e.toState])).toEqual([
        ['reconciliation', 'open'],
        ['reconciliation', 'settled-by-credit'],
      ]);
    });

    it('an open paid-not-credited case settles itself when the kiosk, back after a day, journals the write and the commit as a plain top-up', async () => {
      const a = kiosk(A);
      const c = a.ref(num('personal-ns-extra'));
      const id = '66666666-aaaaaaaa-bbbbbbbb-cccccccc';
      const op = (steps: JournalEntryInput['type'][]) => steps.forEach((type) => a.append({ type, operationId: id, amountCents: 500, card: c }));
      // Approved, then the kiosk went silent: after the configured day the case opens.
      op(['payment.intent', 'payment.approved', 'card.write-intent']);
      await a.upload();
      clock.advance(DAY + 60_000);
      expect((await operator('POST', '/operator/api/reconcile')).json).toEqual({ changed: 1 });
      const [pnc] = await cases('?kind=paid-not-credited');
      expect(pnc).toMatchObject({ operationId: id, state: 'open' });
      // Back: the write and the commit arrive in one batch. Alone they would need no look (a plain
      // written top-up); the open case is why this payment is read back and settled.
      op(['card.written', 'payment.committed']);
      await a.upload();
      const detail = (await operator('GET', `/operator/api/cases/${pnc!.id}`)).json;
      expect(detail['case'].state).toBe('settled-by-credit');
      expect((await cases()).filter((x) => x.state === 'open')).toEqual([]);
    });

    it('every admitted outcome of docs/money-proofs.md ends in a consistent state or its one case', async () => {
      const a = kiosk(A);
      const c = a.ref(num('personal-ns-extra'));
      const ids = ADMITTED_OUTCOMES.map((_, i) => `${(0xa0000000 + i).toString(16)}-00000000-11111111-22222222`);
      ADMITTED_OUTCOMES.forEach((o, i) => {
        for (const [type, data] of o.steps) {
          const d = data && data['ref'] === 'REF' ? { ...data, ref: paymentRef(ids[i]!) } : data;
          a.append({ type, operationId: ids[i]!, amountCents: 300, card: c, ...(d ? { data: d } : {}) });
        }
      });
      await a.upload();
      clock.advance(DAY + 60_000);
      const seen = ADMITTED_OUTCOMES.flatMap((o, i) => (o.seen ? [paymentRef(ids[i]!)] : []));
      a.append({ type: 'card.refs-seen', operationId: 'refs-seen:outcomes', card: c, data: { refs: seen.join(',') } });
      await a.upload();
      await operator('POST', '/operator/api/reconcile');
      const all = await cases();
      const got = ADMITTED_OUTCOMES.map((o, i) => {
        const mine = all.filter((x) => x.operationId === ids[i] && x.state === 'open');
        return [o.outcome, mine.length === 0 ? 'consistent' : mine.map((x) => x.kind).join('+')];
      });
      expect(got).toEqual(ADMITTED_OUTCOMES.map((o) => [o.outcome, o.expected]));
    });

    it('operators move open cases (refunded, written off, settled by credit) with an audit trail; a closed case stays closed', async () => {
      const a = kiosk(A);
      const c = a.ref(num('anonymous'));
      for (const id of ['66666666-aaaaaaaa-bbbbbbbb-cccccccc', '77777777-aaaaaaaa-bbbbbbbb-cccccccc'])
        for (const type of ['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.refund-owed'] as const) a.append({ type, operationId: id, amountCents: 700, card: c });
      await a.upload();
      const [second, first] = await cases('?state=open');
      const r = await operator('POST', `/operator/api/cases/${first.id}/transition`, { to: 'refunded', note: 'bank transfer 2026-11-24' });
      expect(r.status).toBe(200);
      expect(r.json['case']).toMatchObject({ state: 'refunded' });
      expect((await operator('POST', `/operator/api/cases/${first.id}/transition`, { to: 'written-off', note: 'again' })).json).toMatchObject({ error: 'case-not-open' });
      expect((await operator('POST', `/operator/api/cases/999999/transition`, { to: 'written-off', note: 'x' })).status).toBe(404);
      expect((await operator('POST', `/operator/api/cases/${second.id}/transition`, { to: 'open', note: 'x' })).status).toBe(400);
      expect((await operator('POST', `/operator/api/cases/${second.id}/transition`, { to: 'written-off', note: '' })).status).toBe(400);
      const d = (await operator('GET', `/operator/api/cases/${first.id}`)).json;
      expect(d['events']).toMatchObject([
        { actor: 'reconciliation', fromState: null, toState: 'open' },
        { actor: 'operator:alice', fromState: 'open', toState: 'refunded', note: 'bank transfer 2026-11-24' },
      ]);
      expect((await cases('?state=refunded')).map((x) => x.id)).toEqual([first.id]);
      expect((await cases(`?last4=${num('anonymous').slice(-4)}&kind=refund-owed&kiosk=${A}`)).length).toBe(2);
      expect((await operator('GET', '/operator/api/cases?state=bogus')).status).toBe(400);
    });

    it('attack: unsigned, forged and kiosk-signed operator calls are refused and change nothing', async () => {
      const a = kiosk(A);
      for (const type of ['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.refund-owed'] as const)
        a.append({ type, operationId: '88888888-aaaaaaaa-bbbbbbbb-cccccccc', amountCents: 700, card: a.ref(num('anonymous')) });
      await a.upload();
      const [open] = await cases();
      const path = `/operator/api/cases/${open.id}/transition`;
      const body = { to: 'written-off', note: 'forged' };
      expect((await operator('POST', path, body, null)).status).toBe(401);
      // Odd spellings of the route get the same check (decided on the matched route, not the URL).
      for (const odd of [path.replace('/operator', '/%6Fperator'), path.replace('/api/', '//api/'), `${path}/`, path.replace('/transition', '/%74ransition')])
        expect([401, 404]).toContain((await operator('POST', odd, body, null)).status);
      expect((await operator('POST', path, body, `${OPERATOR}:${OP_TOKEN}x`)).status).toBe(401);
      expect((await operator('POST', path, body, `mallory:${OP_TOKEN}`)).status).toBe(401);
      expect((await operator('POST', path, body, `${OPERATOR}:`)).status).toBe(401);
      expect((await operator('GET', '/operator/api/cases', undefined, null)).wwwAuthenticate).toMatch(/^Basic /);
      // A kiosk, correctly signed with its own key, cannot settle (nor list) a case.
      const text = JSON.stringify(body);
      const signed = signRequest({ kioskId: A, secret: SECRETS[A]!, method: 'POST', pathWithQuery: path, body: text, at: clock.now() });
      const res = await fetch(bo.url + path, { method: 'POST', headers: { ...signed, 'content-type': 'application/json' }, body: text });
      expect(res.status).toBe(401);
      const list = signRequest({ kioskId: A, secret: SECRETS[A]!, method: 'GET', pathWithQuery: '/operator/api/cases', body: '', at: clock.now() });
      expect((await fetch(bo.url + '/operator/api/cases', { headers: list })).status).toBe(401);
      // The page's form post needs the operator's CSRF token as well as the credentials.
      const basic = `Basic ${Buffer.from(`${OPERATOR}:${OP_TOKEN}`).toString('base64')}`;
      const form = (csrf: string) =>
        fetch(bo.url + `/operator/cases/${open.id}/transition`, {
          method: 'POST',
          redirect: 'manual',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ to: 'written-off', note: 'via page', csrf }).toString(),
        });
      expect((await form('0'.repeat(64))).status).toBe(401);
      expect((await cases())[0].state).toBe('open');
      const ok = await form(csrfToken(OPERATOR, OP_TOKEN));
      expect(ok.status).toBe(303);
      expect((await cases())[0].state).toBe('written-off');
      // A url-encoded body is no way into a kiosk route.
      const kioskForm = signRequest({ kioskId: A, secret: SECRETS[A]!, method: 'POST', pathWithQuery: '/v1/orders/query', body: 'cardNumber=1', at: clock.now() });
      expect((await fetch(bo.url + '/v1/orders/query', { method: 'POST', headers: { ...kioskForm, 'content-type': 'application/x-www-form-urlencoded' }, body: 'cardNumber=1' })).status).toBe(415);
    });

    it('the operator page lists cases with filters and actions, every journal value HTML-escaped', async () => {
      // Operation ids are free text up to 200 characters (journal-record.ts): a kiosk's journal may carry markup.
      const a = kiosk(A);
      const evilOp = `<b>evil</b><script>alert("x")</script>`;
      for (const type of ['payment.intent', 'payment.approved', 'payment.rollback-intent', 'payment.refund-owed'] as const)
        a.append({ type, operationId: evilOp, amountCents: 1234, card: a.ref(num('anonymous')) });
      await a.upload();
      const page = await operator('GET', '/operator/cases?state=open&kind=');
      expect(page.status).toBe(200);
      expect(page.text).toContain('&lt;b&gt;evil&lt;/b&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(page.text).not.toContain('<b>evil');
      expect(page.text).not.toContain('<script');
      expect(page.text).toContain('€ 12.34');
      expect(page.text).toContain(`name="csrf" value="${csrfToken(OPERATOR, OP_TOKEN)}"`);
      expect((await operator('GET', '/operator/cases?state=refunded')).text).toContain('no cases');
      expect((await operator('GET', '/operator/cases', undefined, null)).status).toBe(401);
    });
  });
}

describe("a pending credit's order id", () => {
  it("is always a valid OrderId that the kiosk's journal accepts (never 13 digits in a row, which it refuses as a card number)", () => {
    // 5,000 payments: without the grouping about one id in 45 had such a run (this test then fails).
    for (let i = 0; i < 5000; i++) {
      const orderId = creditOrderId(`kiosk-${i % 7}`, `pay-${i.toString(16).padStart(12, '0')}`);
      expect(OrderId.safeParse(orderId).success).toBe(true);
      expect(() => validateEntry({ type: 'card.written', operationId: 'op', data: { orderId } } as JournalEntryInput)).not.toThrow();
    }
  });
});
