/**
 * The kiosk on the wire path: the whole kiosk (composition root, top-up service, journal,
 * emulated payment terminal) with its card reader in wire mode: the real nfc-pcsc driver over a
 * real pcscd, vpcd and the virtual card. Proves the top-up journey works there as in process,
 * including a credit write torn mid-way and finished on the next tap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKiosk, type Kiosk } from '../../../main/composition.js';
import { parseConfig } from '../../../main/config.js';
import type { ScreenId } from '../../../contract/bridge.js';
import type { AnySnapshot } from '../../../test/support/snapshot-fields.js';
import { ensurePcscd, type PcscdHandle, wireSkipReason } from '../../../test/support/pcscd.js';
import type { WireCardEmulator } from './wire-emulator.js';

const skip = wireSkipReason();

describe.skipIf(skip)(`kiosk top-up on the wire card path${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pcscd: PcscdHandle;
  let kiosk: Kiosk;
  let dataDir: string;
  const snaps: AnySnapshot[] = [];
  const last = () => snaps[snaps.length - 1]!;
  const until = async (pred: (s: AnySnapshot) => boolean, what: string, ms = 10_000) => {
    const t0 = Date.now();
    while (!snaps.length || !pred(last())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen is ${snaps.length ? last().screen : 'none'}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return last();
  };
  const screen = (id: ScreenId) => until((s) => s.screen === id && !s.busy, `screen ${id}`);

  beforeAll(async () => {
    pcscd = await ensurePcscd();
    dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-wire-'));
    const config = parseConfig({
      dataDir,
      logLevel: 'silent',
      backOffice: { engine: 'sqlite' },
      hardware: { card: { mode: 'wire', startPcscd: false }, payment: { promptDelayMs: 5, commitWindowMs: 60_000 } },
      timing: { inactivityMs: 60_000, inactivityWarningMs: 20_000, creditWaitMs: 30_000, doneMs: 60_000, goodbyeMs: 200 },
    });
    kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
    kiosk.bridge.subscribe((s) => snaps.push(s));
    await kiosk.start();
  });

  afterAll(async () => {
    await kiosk?.stop();
    await pcscd?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a whole top-up through pcscd: card read, paid, credited, shown again with the new balance', async () => {
    const tester = kiosk.tester!;
    kiosk.bridge.send({ type: 'START' });
    await screen('present-card');
    await tester.card!.present('anonymous');
    const menu = await screen('menu');
    expect(menu.card?.maskedNumber).toBe('•••• •••• •••• 0014');
    const before = menu.card!.balanceCents;
    kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await screen('topup-amount');
    kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 1000 });
    kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    const done = await screen('topup-done');
    expect(done.topUp?.newBalanceCents).toBe(before + 1000);
    expect(tester.terminal!.ledger().at(-1)).toMatchObject({ amountCents: 1000, state: 'committed' });
    kiosk.bridge.send({ type: 'FINISH' });
    await screen('start');
    kiosk.bridge.send({ type: 'START' });
    await tester.card!.remove();
    await tester.card!.present('anonymous');
    expect((await screen('menu')).card?.balanceCents).toBe(before + 1000);
    await tester.card!.remove();
    expect(kiosk.bridge.send({ type: 'CANCEL' })).toEqual({ ok: true });
    await screen('start');
  });

  it('a credit write torn mid-way on the wire is finished on the next tap, credited exactly once', async () => {
    const tester = kiosk.tester!;
    const emu = tester.card as unknown as WireCardEmulator;
    kiosk.bridge.send({ type: 'START' });
    await screen('present-card');
    await tester.card!.present('personal-products');
    const menu = await screen('menu');
    const before = menu.card!.balanceCents;
    kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await screen('topup-amount');
    // Cut the credit write after its second block write: the new purse copy is half written,
    // the index not yet flipped.
    emu.card.tearAfterWriteApdus(2);
    kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 500 });
    kiosk.bridge.send({ type: 'CONFIRM' }); // "Pay € …" after choosing the amount
    const problem = await until((s) => s.screen !== 'topup-amount' && s.screen !== 'payment' && !s.busy, 'the kiosk reacting to the tear');
    expect(['present-again', 'write-problem']).toContain(problem.screen);
    expect(emu.presented()).toBeUndefined(); // the tear took the card away
    // The card still holds exactly the old state.
    const { decodeCardImage } = await import('../codec.js');
    const { loadKeyFile } = await import('../keys.js');
    expect(decodeCardImage(emu.fixtureImage('personal-products')!, loadKeyFile()).balanceCents).toBe(before);
    await tester.card!.present('personal-products');
    const done = await screen('topup-done');
    expect(done.topUp?.newBalanceCents).toBe(before + 500);
    kiosk.bridge.send({ type: 'FINISH' });
    await screen('start');
    kiosk.bridge.send({ type: 'START' });
    await tester.card!.remove();
    await tester.card!.present('personal-products');
    expect((await screen('menu')).card?.balanceCents).toBe(before + 500);
  });
});
