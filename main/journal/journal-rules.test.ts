/**
 * The journal's small rule modules, each on its own (found unproven by mutation testing, issue 12
 * item 6): which records open and close an operation, the privacy gate on entries, the row a stored
 * record reads back as, the start-up chain check's report, and the recovery card check's answers
 * for every way the card on the reader can disappoint.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderId } from '../../contract/backoffice-api.js';
import { JOURNAL_ENTRY_TYPES, JournalError, type JournalEntryInput, type JournalEntryType, type JournalRecord } from './journal.js';
import { isFinal, operationKind } from './operation-rules.js';
import { validateEntry } from './entry-validation.js';
import { migrate, rowToRecord, type RecordRow } from './journal-schema.js';
import { checkChainAtStartUp } from './start-up-check.js';
import { createCardWriteCheck } from './card-write-check.js';
import type { ChainCheck } from './sqlite-journal.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(JournalError);
    expect((e as Error).name).toBe('JournalError');
    return (e as JournalError).code;
  }
  return undefined;
}

describe('operation rules: which record opens an operation, which closes it', () => {
  it('the opening types and the kind each opens; every other type opens nothing', () => {
    const opening: Partial<Record<JournalEntryType, string>> = {
      'payment.intent': 'payment',
      'order.collect-intent': 'order',
      'card.write-intent': 'card',
      'kiosk.note': 'note',
      'card.refs-seen': 'note',
      'maintenance.action': 'maintenance',
    };
    for (const t of JOURNAL_ENTRY_TYPES) expect(operationKind(t), t).toBe(opening[t]);
  });

  it('the final types of each kind, and nothing else closes it', () => {
    const finals: Record<string, JournalEntryType[]> = {
      payment: ['payment.committed', 'payment.reversed', 'payment.refund-owed', 'payment.failed'],
      order: ['order.collected', 'order.collect-failed'],
      card: ['card.written', 'card.write-failed'],
      note: ['kiosk.note', 'card.refs-seen'],
      maintenance: ['maintenance.action'],
    };
    for (const [kind, types] of Object.entries(finals)) {
      for (const t of JOURNAL_ENTRY_TYPES) expect(isFinal(kind as never, { type: t }), `${kind} ${t}`).toBe(types.includes(t));
    }
  });

  it('a payment.failed the terminal left unclear (uncertain: true) does not close the payment; any other payment.failed does', () => {
    expect(isFinal('payment', { type: 'payment.failed', data: { uncertain: true } })).toBe(false);
    expect(isFinal('payment', { type: 'payment.failed', data: { uncertain: false } })).toBe(true);
    expect(isFinal('payment', { type: 'payment.failed', data: { uncertain: 'true' } })).toBe(true);
    expect(isFinal('payment', { type: 'payment.failed' })).toBe(true);
    // `uncertain` on another final type does not keep it open
    expect(isFinal('card', { type: 'card.write-failed', data: { uncertain: true } })).toBe(true);
  });
});

describe('entry validation: the schema and the privacy gate', () => {
  const note = (data: JournalEntryInput['data'], operationId = 'n1'): JournalEntryInput => ({ type: 'kiosk.note', operationId, ...(data ? { data } : {}) });

  it('a valid entry passes unchanged', () => {
    const e: JournalEntryInput = { type: 'payment.intent', operationId: 'p-1', amountCents: 250, data: { ref: 'abcd1234', n: 3, ok: true, none: null } };
    expect(validateEntry(e)).toEqual(e);
    expect(validateEntry(note(undefined))).toEqual(note(undefined));
  });

  it('an entry outside the schema is invalid-entry, and the message says what is wrong', () => {
    let msg = '';
    try {
      validateEntry({ type: 'payment.intent', operationId: 'p', amountCents: 1.5 });
    } catch (e) {
      msg = (e as Error).message;
      expect((e as JournalError).code).toBe('invalid-entry');
    }
    expect(msg).toMatch(/^invalid journal entry: .*amountCents/s);
  });

  it('personal data keys are refused whatever their case or separators', () => {
    for (const k of ['name', 'Name', 'first_name', 'last-name', 'full name', 'birthDate', 'date_of_birth', 'DOB', 'card-number', 'PAN', 'e_mail', 'email']) {
      expect(codeOf(() => validateEntry(note({ [k]: 'x' }))), k).toBe('privacy');
    }
  });

  it('keys that only contain a personal word are allowed (the rule is the whole key)', () => {
    for (const k of ['operatorName', 'panel', 'emailSent', 'nameless', 'xdob']) expect(codeOf(() => validateEntry(note({ [k]: 'x' }))), k).toBeUndefined();
  });

  it('a string of 13 or more digits in a row is refused as a card number; 12 digits, or digits split up, pass', () => {
    expect(codeOf(() => validateEntry(note({ x: '1234567890123' })))).toBe('privacy');
    expect(codeOf(() => validateEntry(note({ x: 'card 3528010000000017 seen' })))).toBe('privacy');
    expect(codeOf(() => validateEntry(note({ x: '123456789012' })))).toBeUndefined();
    expect(codeOf(() => validateEntry(note({ x: '1234-5678-9012-3456' })))).toBeUndefined();
    // a number value is not a card number string (amounts, counts)
    expect(codeOf(() => validateEntry(note({ x: 1234567890123 })))).toBeUndefined();
  });

  it('every order id the contract allows can be journaled (data.orderId), and one with 13 digits in a row is no order id: an order offered must be collectable', () => {
    // The journal refuses 13 digits in a row; an OrderId holding them was offered by the back office
    // and then failed at the collection's first journal record. One rule now (contract/journal-record.ts).
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/), (id) => {
        const isOrderId = OrderId.safeParse(id).success;
        const journals = codeOf(() => validateEntry(note({ orderId: id }))) === undefined;
        expect(isOrderId, id).toBe(journals);
      }),
      { numRuns: 2_000 },
    );
    // the digit-heavy ids the generator may rarely draw, each way
    for (const [id, ok] of [['1234567890123', false], ['NS-20261201-0000000000001', false], ['123456789012', true], ['NS-202612-01-000001', true], ['PC-12345678-12345678-12345678', true]] as const) {
      expect(OrderId.safeParse(id).success, id).toBe(ok);
      expect(codeOf(() => validateEntry(note({ orderId: id }))), id).toBe(ok ? undefined : 'privacy');
    }
  });

  it('the privacy message names the offending key', () => {
    expect(() => validateEntry(note({ email: 'a@b' }))).toThrow("journal data may not hold personal data (key 'email')");
    expect(() => validateEntry(note({ seen: '3528010000000017' }))).toThrow("journal data 'seen' looks like a full card number; use cardRef()");
  });

  it('an operation id holding a card number is refused', () => {
    expect(codeOf(() => validateEntry(note(undefined, 'op-3528010000000017')))).toBe('privacy');
    expect(codeOf(() => validateEntry(note(undefined, 'op-352801000000')))).toBeUndefined();
    expect(() => validateEntry(note(undefined, 'op-3528010000000017'))).toThrow('an operation id may not contain a card number');
  });
});

describe('journal schema: migrations and the stored row', () => {
  it('a fresh database is migrated to the newest version; migrating again changes nothing', () => {
    const db = new Database(':memory:');
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    migrate(db);
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare(`SELECT seq, hash FROM chain_head`).all()).toEqual([{ seq: 0, hash: '0'.repeat(64) }]);
    db.close();
  });

  const row: RecordRow = {
    seq: 3,
    at: '2026-11-23T08:00:00.000Z',
    type: 'payment.intent',
    operation_id: 'p',
    amount_cents: null,
    card_hash: null,
    card_last4: null,
    data_json: null,
    prev_hash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
    hmac: 'c'.repeat(64),
    key_id: null,
  };

  it('a row with every optional column empty reads back without those fields', () => {
    expect(rowToRecord('k', row)).toEqual({ seq: 3, kioskId: 'k', at: row.at, type: 'payment.intent', operationId: 'p', prevHash: row.prev_hash, hash: row.hash, hmac: row.hmac });
  });

  it('a row with amount 0, a card, key id 0 and data reads each back', () => {
    const r = rowToRecord('k', { ...row, amount_cents: 0, card_hash: 'h', card_last4: '0017', key_id: 0, data_json: '{"ref":"x"}' });
    expect(r).toMatchObject({ amountCents: 0, card: { hash: 'h', last4: '0017' }, keyId: 0, data: { ref: 'x' } });
  });

  it('a card needs both its hash and last4 to read back', () => {
    expect(rowToRecord('k', { ...row, card_hash: 'h' }).card).toBeUndefined();
    expect(rowToRecord('k', { ...row, card_last4: '0017' }).card).toBeUndefined();
  });

  it('a key id missing from the row (older query) reads back as none', () => {
    expect('keyId' in rowToRecord('k', { ...row, key_id: undefined as unknown as null })).toBe(false);
  });
});

describe('start-up chain check', () => {
  it('a broken chain: money stopped, one error logged with where and why, one kiosk.note journaled under the given id', () => {
    const check: ChainCheck = { ok: false, checked: 4, firstBad: { seq: 5, reason: 'bad-hmac' } };
    const appended: JournalEntryInput[] = [];
    const logged: { msg: string; extra: object }[] = [];
    const r = checkChainAtStartUp(
      { verifyChain: () => check, append: (e) => (appended.push(e), undefined as never) },
      (msg, extra) => logged.push({ msg, extra }),
      'chain-op',
    );
    expect(r).toEqual({ moneyStopped: true, check });
    expect(logged).toEqual([
      { msg: 'journal chain broken at start-up: money journeys stopped until a technician checks the journal', extra: { checked: 4, firstBadSeq: 5, reason: 'bad-hmac' } },
    ]);
    expect(appended).toEqual([
      { type: 'kiosk.note', operationId: 'chain-op', data: { event: 'journal-chain-broken', firstBadSeq: 5, reason: 'bad-hmac', checked: 4, money: 'stopped' } },
    ]);
  });

  it('an intact chain: nothing logged, nothing journaled', () => {
    let appended = 0;
    const check: ChainCheck = { ok: true, checked: 2 };
    const r = checkChainAtStartUp({ verifyChain: () => check, append: () => (appended++, undefined as never) }, () => appended++, 'x');
    expect(r).toEqual({ moneyStopped: false, check });
    expect(appended).toBe(0);
  });
});

describe('recovery card check, with a scripted reader', () => {
  const CARD_NO = '3528010000000017';
  const hash = (n: string) => `hash-of-${n}`;
  const cardOnReader = { cardNumber: CARD_NO, creditRefs: ['log00001'], topUps: [{ ref: 'top00001' }], products: [{ ref: 'prd00001' }, {}] };
  const op = (ref: unknown, withCard = true): { records: Pick<JournalRecord, 'type' | 'card' | 'data'>[] } => ({
    records: [
      { type: 'card.write-intent' as const, card: { hash: hash(CARD_NO), last4: '0017' }, data: { ref: 'older001' } },
      { type: 'card.write-failed' as const, data: {} },
      { type: 'card.write-intent' as const, ...(withCard ? { card: { hash: hash(CARD_NO), last4: '0017' } } : {}), data: { ref: ref as string } },
    ],
  });

  function make(o: { present?: boolean[]; read?: (areas: string[]) => Promise<unknown>; waitMs?: number } = {}) {
    const seen: [string, string][] = [];
    let polls = 0;
    const present = o.present ?? [true];
    let waited = 0;
    const reader = {
      currentCard: () => (present[Math.min(polls++, present.length - 1)] ? { uid: 'u' } : undefined),
      read: o.read ?? (async () => cardOnReader),
    };
    const check = createCardWriteCheck({
      reader: reader as never,
      cardHash: hash,
      onChecked: (r, why) => seen.push([r, why]),
      ...(o.waitMs !== undefined
        ? {
            waitForCard: {
              ms: o.waitMs,
              time: {
                setTimeout: (f: () => void, ms: number) => {
                  waited += ms;
                  f();
                  return 0 as never;
                },
              },
            },
          }
        : {}),
    });
    return { check, seen, polls: () => polls, waited: () => waited };
  }

  it('written when the newest intent\'s ref is in the credit-ref log, a top-up record or a product', async () => {
    for (const ref of ['log00001', 'top00001', 'prd00001']) {
      const t = make();
      expect(await t.check(op(ref))).toBe('written');
      expect(t.seen).toEqual([['written', `the card carries ${ref}`]]);
    }
  });

  it('not-written names the refs the card does carry', async () => {
    const t = make();
    expect(await t.check(op('older001'))).toBe('not-written');
    expect(t.seen).toEqual([['not-written', 'the card does not carry older001 (has: log00001,top00001,prd00001)']]);
    const u = make({ read: async () => ({ cardNumber: CARD_NO, creditRefs: [], topUps: [], products: [] }) });
    await u.check(op('x'));
    expect(u.seen[0]![1]).toBe('the card does not carry x (has: none)');
  });

  it('unknown when the intent names no ref or no card (nothing to compare with)', async () => {
    const t = make();
    expect(await t.check(op(undefined))).toBe('unknown');
    expect(await t.check(op(42))).toBe('unknown');
    expect(await t.check(op('top00001', false))).toBe('unknown');
    expect(await t.check({ records: [] })).toBe('unknown');
    expect(t.seen.map((s) => s[1])).toEqual(Array(4).fill('the write intent names no ref or card'));
    expect(t.polls()).toBe(0);
  });

  it('reads the areas that hold refs: identity, purse (top-up records, credit-ref log) and products', async () => {
    const asked: string[][] = [];
    const t = make({ read: async (areas) => (asked.push(areas), cardOnReader) });
    await t.check(op('top00001'));
    expect(asked).toEqual([['identity', 'purse', 'products']]);
  });

  it('the newest write intent is the one asked about, even when a later record (its failure) follows it', async () => {
    const t = make();
    const records: Pick<JournalRecord, 'type' | 'card' | 'data'>[] = [...op('top00001').records, { type: 'card.write-failed', data: { reason: 'x', uncertain: true } }];
    expect(await t.check({ records })).toBe('written');
  });

  it('an intent without data is unknown, not a crash', async () => {
    const t = make();
    expect(await t.check({ records: [{ type: 'card.write-intent', card: { hash: hash(CARD_NO), last4: '0017' } }] })).toBe('unknown');
  });

  it('unknown when the card cannot be read, with the reader\'s message', async () => {
    const t = make({
      read: async () => {
        throw new Error('tag lost');
      },
    });
    expect(await t.check(op('top00001'))).toBe('unknown');
    expect(t.seen).toEqual([['unknown', 'the card could not be read: tag lost']]);
  });

  it('unknown when another card lies on the reader', async () => {
    const t = make({ read: async () => ({ ...cardOnReader, cardNumber: '3528010000000025' }) });
    expect(await t.check(op('top00001'))).toBe('unknown');
    expect(t.seen).toEqual([['unknown', 'another card is on the reader']]);
  });

  it('no card and no wait configured: unknown at once', async () => {
    const t = make({ present: [false] });
    expect(await t.check(op('top00001'))).toBe('unknown');
    expect(t.seen).toEqual([['unknown', 'no card on the reader']]);
    expect(t.polls()).toBe(1);
  });

  it('waits for a card in 50 ms steps up to the bound: a card reported on the third poll is read', async () => {
    const t = make({ present: [false, false, true], waitMs: 1000 });
    expect(await t.check(op('top00001'))).toBe('written');
    expect(t.waited()).toBe(100);
  });

  it('the wait is bounded: no card within the bound -> unknown after ms/50 polls', async () => {
    const t = make({ present: [false], waitMs: 200 });
    expect(await t.check(op('top00001'))).toBe('unknown');
    expect(t.waited()).toBe(200);
    expect(t.polls()).toBe(1 + 4);
  });
});

describe('JournalError', () => {
  it('carries its code, its message and the name JournalError', () => {
    const e = new JournalError('closed', 'the journal is closed');
    expect([e.code, e.message, e.name, e instanceof Error]).toEqual(['closed', 'the journal is closed', 'JournalError', true]);
  });
});

