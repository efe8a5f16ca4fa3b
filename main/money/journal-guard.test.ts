/**
 * Issue 12, window 6: the kiosk takes no money while its journal cannot be written, and says so
 * (the menu shows the top-up unavailable: journal unavailable); a journal that fails right after
 * the card write never leads recovery to reverse blindly.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, EmulatedCardReader, loadKeyFile } from '../../hardware/card/index.js';
import { FIXTURE_CARDS } from '../../contract/fixture-cards.js';
import { sequentialRandom } from '../../contract/random.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import { recoverUnfinished } from '../journal/recovery.js';
import { cardRef } from '../journal/sqlite-journal.js';
import type { Journal } from '../journal/journal.js';
import { createCardService } from '../services/card-service.js';
import { createTopUpService } from '../services/top-up.js';
import { kioskView } from '../../state-machines/kiosk/kiosk-view.js';
import { okRead, startKiosk, toMenu } from '../../state-machines/test-harness.js';
import { createJournalGuard } from './journal-guard.js';
import type { ReadCardOutput } from '../../state-machines/types.js';
import { openMoneyRig, TEST_SECRET } from './testing/rig.js';

const ANON = { uid: FIXTURE_CARDS.anonymous.uid, cardNumber: FIXTURE_CARDS.anonymous.cardNumber };
const log = pino({ level: 'silent' });

/** A journal on a disk that can fill up: while `full`, every append fails as SQLite does. */
function fillable(journal: Journal) {
  const s = { full: false, failOn: undefined as string | undefined };
  const j = new Proxy(journal, {
    get(t, p) {
      if (p === 'append')
        return (e: Parameters<Journal['append']>[0]) => {
          if (s.failOn === e.type) s.full = true;
          if (s.full) throw Object.assign(new Error('SQLITE_FULL: database or disk is full'), { code: 'SQLITE_FULL' });
          return t.append(e);
        };
      const v = Reflect.get(t, p, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
  return { journal: j, disk: s };
}

async function setup() {
  const { clock, journal, payment } = await openMoneyRig();
  const reader = new EmulatedCardReader({ keys: loadKeyFile(DEFAULT_EMULATION_KEY_FILE), clock });
  await reader.start();
  await reader.present('anonymous');
  const { journal: sick, disk } = fillable(journal);
  const guard = createJournalGuard(sick, { clock, probeEveryMs: 0 });
  const asked: string[] = [];
  const terminal: PaymentTerminal = { ...payment.terminal, authorize: (r, p) => (asked.push(r.paymentId), payment.terminal.authorize(r, p)) };
  const topUp = createTopUpService({
    reader,
    terminal,
    journal: guard.journal,
    clock,
    random: sequentialRandom(),
    kioskId: 'K1',
    maxBalanceCents: 15_000,
    cardRef: (n) => cardRef(n, TEST_SECRET),
    log,
    journalHealth: () => guard.health(),
  });
  const cards = createCardService({ reader, backOffice: { isBlocked: () => false }, clock, timeZone: 'Europe/Amsterdam', log, journalHealth: () => guard.health() });
  const balance = async () => (await reader.read(['identity', 'purse'])).balanceCents;
  return { journal, payment, reader, guard, disk, topUp, cards, asked, balance };
}

describe('no journal, no money (window 6)', () => {
  it('after a failed append the top-up refuses before the terminal is asked, the card read says why; a successful probe reopens it', async () => {
    const t = await setup();
    t.disk.full = true;
    await expect(t.topUp.authorize({ amountCents: 500, card: ANON })).rejects.toThrow(/SQLITE_FULL/);
    expect(t.guard.health()).toMatchObject({ ok: false, reason: 'journal-unavailable' });
    expect(await t.topUp.authorize({ amountCents: 500, card: ANON })).toMatchObject({ result: 'failed', reason: 'terminal-not-ready' });
    expect(t.asked).toEqual([]); // the terminal never saw a payment
    expect(await t.cards.read()).toMatchObject({ ok: true, moneyUnavailable: 'journal-unavailable' });
    t.disk.full = false;
    expect(t.guard.health()).toEqual({ ok: true });
    expect(t.journal.recordsOfType(['kiosk.note']).at(-1)?.data).toMatchObject({ event: 'journal-writable' });
    expect(await t.cards.read()).not.toHaveProperty('moneyUnavailable');
    expect((await t.topUp.authorize({ amountCents: 500, card: ANON })).result).toBe('approved');
  });

  it('the menu offers no top-up while the journal is unavailable, and the view says why', async () => {
    const h = startKiosk();
    await toMenu(h, { ...(okRead() as Extract<ReadCardOutput, { ok: true }>), moneyUnavailable: 'journal-unavailable' });
    expect(h.screen()).toBe('menu');
    expect(h.ctx().menu).not.toContain('topup');
    const view = kioskView(h.actor.getSnapshot(), { rev: 1, secondsLeft: 0 });
    expect(view).toMatchObject({ screen: 'menu', notOffered: [{ option: 'topup', reason: 'journal-unavailable' }] });
    h.send({ type: 'CHOOSE', option: 'topup' });
    expect(h.screen()).toBe('menu');

    const ok = startKiosk();
    await toMenu(ok);
    expect(ok.ctx().menu).toContain('topup');
    expect(kioskView(ok.actor.getSnapshot(), { rev: 1, secondsLeft: 0 })).not.toHaveProperty('notOffered');
  });

  for (const cardAtRestart of ['present', 'absent'] as const)
    it(`the journal fails right after the card write (card.written lost); recovery with the card ${cardAtRestart} never reverses blindly`, async () => {
      const t = await setup();
      const before = await t.balance();
      const auth = await t.topUp.authorize({ amountCents: 500, card: ANON });
      t.disk.failOn = 'card.written';
      await expect(t.topUp.credit({ paymentId: auth.paymentId, amountCents: 500, card: ANON })).rejects.toThrow(/SQLITE_FULL/);
      expect(await t.balance()).toBe(before + 500); // the card has the credit
      expect(t.journal.operation(auth.paymentId).at(-1)?.type).toBe('card.write-intent');
      // the disk is freed, the kiosk restarts
      t.disk.full = false;
      t.disk.failOn = undefined;
      if (cardAtRestart === 'absent') await t.reader.remove();
      const checkCardWrite = async () => {
        if (cardAtRestart === 'absent') return 'unknown' as const;
        const c = await t.reader.read(['identity', 'purse']);
        return c.topUps.some((u) => u.ref === auth.reference.toLowerCase()) ? ('written' as const) : ('not-written' as const);
      };
      await recoverUnfinished({ journal: t.journal, terminal: t.payment.terminal, log: () => {}, checkCardWrite });
      const types = t.journal.operation(auth.paymentId).map((r) => r.type);
      expect(types).not.toContain('payment.reversed');
      expect(types.at(-1)).toBe('payment.committed');
      expect(types).toContain(cardAtRestart === 'absent' ? 'payment.credit-pending' : 'card.written');
      expect(t.payment.control!.ledger()[0]?.state).toBe('committed');
    });
});
