import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testKioskConfig } from '../test/support/kiosk-config.js';
import { createKiosk, type Kiosk } from './composition.js';
import type { ScreenId } from '../contract/bridge.js';
import type { AnySnapshot } from '../test/support/snapshot-fields.js';
import { openJournal } from './journal/sqlite-journal.js';
import { readFileSync } from 'node:fs';

const dirs: string[] = [];
const kiosks: Kiosk[] = [];

afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function makeKiosk(overrides: Record<string, unknown> = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-test-'));
  dirs.push(dataDir);
  const config = testKioskConfig(dataDir, 'silent', overrides);
  const kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
  kiosks.push(kiosk);
  const snaps: AnySnapshot[] = [];
  kiosk.bridge.subscribe((s) => snaps.push(s));
  await kiosk.start();
  const last = () => snaps[snaps.length - 1]!;
  const until = async (pred: (s: AnySnapshot) => boolean, what: string, ms = 5000) => {
    const t0 = Date.now();
    while (!pred(last())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen is ${last().screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return last();
  };
  const screen = (id: ScreenId) => until((s) => s.screen === id && !s.busy, `screen ${id}`);
  return { kiosk, config, snaps, last, until, screen, dataDir };
}

describe('createKiosk on emulated hardware (real drivers, journal, back office)', () => {
  it('runs a whole top-up: the card is credited, the payment committed, the journal complete', async () => {
    const k = await makeKiosk();
    const tester = k.kiosk.tester!;
    expect(k.last().screen).toBe('start');
    expect(k.kiosk.bridge.send({ type: 'START' })).toEqual({ ok: true });
    await k.screen('present-card');
    await tester.card!.present('anonymous');
    const menu = await k.screen('menu');
    expect(menu.menu).toEqual(expect.arrayContaining(['topup', 'balance']));
    expect(menu.card?.maskedNumber).toBe('•••• •••• •••• 0014');
    expect(JSON.stringify(menu)).not.toContain('3528020000000014');
    const before = menu.card!.balanceCents;

    k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await k.screen('topup-amount');
    k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    k.kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    await k.until((s) => s.screen === 'payment', 'payment');
    const done = await k.screen('topup-done');
    expect(done.topUp?.newBalanceCents).toBe(before + 1000);
    expect(k.snaps.some((s) => s.screen === 'payment' && s.payment?.prompt !== undefined)).toBe(true);

    const ledger = tester.terminal!.ledger();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ amountCents: 1000, state: 'committed' });

    const journal = openJournal({ path: path.join(k.dataDir, 'journal.sqlite'), kioskId: k.config.kioskId, hmacKey: readFileSync(path.join(k.dataDir, 'kiosk-secret'), 'utf8').trim(), clock: { now: () => new Date() } });
    // card.refs-seen: what each card read showed (reconciliation evidence), not part of the payment.
    const types = journal.records().filter((r) => r.type !== 'card.refs-seen').map((r) => r.type);
    journal.close();
    expect(types).toEqual(['payment.intent', 'payment.approved', 'card.write-intent', 'card.written', 'payment.committed']);

    k.kiosk.bridge.send({ type: 'FINISH' });
    await k.screen('goodbye');
    await k.screen('start');
    // Presented again, the card shows its new balance.
    k.kiosk.bridge.send({ type: 'START' });
    await tester.card!.remove();
    await tester.card!.present('anonymous');
    const again = await k.screen('menu');
    expect(again.card?.balanceCents).toBe(before + 1000);
  });

  it('a declined payment shows payment-failed and takes nothing', async () => {
    const k = await makeKiosk();
    const tester = k.kiosk.tester!;
    tester.terminal!.setBehaviour('decline');
    k.kiosk.bridge.send({ type: 'START' });
    await tester.card!.present('anonymous');
    await k.screen('menu');
    k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    k.kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    const failed = await k.screen('payment-failed');
    expect(failed.payment?.failure).toBe('declined');
    expect(tester.terminal!.ledger().filter((e) => e.state !== 'reversed')).toHaveLength(0);
  });

  it('refuses an amount over the EUR 150 limit on the near-limit card, showing the room', async () => {
    const k = await makeKiosk();
    k.kiosk.bridge.send({ type: 'START' });
    await k.kiosk.tester!.card!.present('near-limit');
    const menu = await k.screen('menu');
    k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await k.screen('topup-amount');
    k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 5000 });
    const refused = await k.until((s) => s.topUp?.refusal !== undefined, 'refusal');
    expect(refused.screen).toBe('topup-amount');
    expect(refused.topUp?.refusal).toEqual({ reason: 'over-limit', roomCents: 15_000 - menu.card!.balanceCents });
  });

  it('a wrong card held for the credit gets its own screen; the right one is then credited', async () => {
    const k = await makeKiosk();
    const tester = k.kiosk.tester!;
    k.kiosk.bridge.send({ type: 'START' });
    await tester.card!.present('anonymous');
    await k.screen('menu');
    k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    // Take the card away before paying, so the kiosk asks for it after the payment.
    await tester.card!.remove();
    k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    k.kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    await k.screen('present-again');
    await tester.card!.present('business');
    const wrong = await k.screen('write-problem');
    expect(wrong.writeProblem).toBe('wrong-card');
    await tester.card!.remove();
    await tester.card!.present('anonymous');
    await k.screen('topup-done');
    expect(tester.terminal!.ledger()[0]?.state).toBe('committed');
  });

  it('blocked, expired and corrupt fixture cards each get their card-problem screen', async () => {
    const k = await makeKiosk();
    const tester = k.kiosk.tester!;
    for (const [fixture, problem] of [
      ['blocked', 'blocked'],
      ['expired', 'expired'],
      ['corrupt', 'defective'],
    ] as const) {
      k.kiosk.bridge.send({ type: 'START' });
      await tester.card!.present(fixture);
      const s = await k.screen('card-problem');
      expect(s.problem).toBe(problem);
      await tester.card!.remove();
      k.kiosk.bridge.send({ type: 'BACK' });
      await k.screen('start');
    }
  });

  it('tester reset returns to start, restores fixtures and settles an approved payment', async () => {
    const k = await makeKiosk();
    const tester = k.kiosk.tester!;
    k.kiosk.bridge.send({ type: 'START' });
    await tester.card!.present('anonymous');
    await k.screen('menu');
    await tester.card!.remove();
    k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    k.kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    await k.screen('present-again');
    await tester.reset();
    await k.screen('start');
    expect(tester.card!.presented()).toBeUndefined();
    expect(tester.terminal!.ledger()[0]?.state).toBe('reversed');
  });

  it('refuses invalid events with a typed error and events the screen does not take with not-allowed-now', async () => {
    const k = await makeKiosk();
    expect(k.kiosk.bridge.send({ type: 'NOPE' })).toMatchObject({ ok: false, error: 'invalid-event' });
    expect(k.kiosk.bridge.send('garbage')).toMatchObject({ ok: false, error: 'invalid-event' });
    expect(k.kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: -5 })).toMatchObject({ ok: false, error: 'invalid-event' });
    expect(k.kiosk.bridge.send({ type: 'FINISH' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
    expect(k.kiosk.bridge.send({ type: 'SET_LOCALE', locale: 'fr' })).toEqual({ ok: true });
    await k.until((s) => s.locale === 'fr', 'locale fr');
  });
});
