/**
 * Attack: a page (or anyone holding the bridge) sends an amount the kiosk does not offer, e.g. a
 * 1-cent top-up (issue 11 finding 8). Only the configured amounts may be paid: the event is refused,
 * the terminal is never asked, the journal stays empty, the screen stays where it was.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KioskSnapshot } from '../../contract/bridge.js';
import { createKiosk, type Kiosk } from '../../main/composition.js';
import { parseConfig } from '../../main/config.js';

let dir: string;
let kiosk: Kiosk;
const snaps: KioskSnapshot[] = [];
const last = () => snaps[snaps.length - 1]!;
async function screen(id: string): Promise<void> {
  const t0 = Date.now();
  while (!(last().screen === id && !last().busy)) {
    if (Date.now() - t0 > 5000) throw new Error(`timed out waiting for ${id}; screen is ${last().screen}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'kiosk-attack-amount-'));
  const config = parseConfig({ dataDir: dir, logLevel: 'silent', backOffice: { engine: 'sqlite' }, hardware: { payment: { promptDelayMs: 5 } } });
  kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
  kiosk.bridge.subscribe((s) => snaps.push(s));
  await kiosk.start();
});
afterAll(async () => {
  await kiosk.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('attack: an amount that is not offered', () => {
  it.each([1, 499, 501, 14_999, 15_000])('a top-up of %i cents is refused and nothing is paid', async (amountCents) => {
    kiosk.bridge.send({ type: 'START' });
    await screen('present-card');
    await kiosk.tester!.card!.present('anonymous');
    await screen('menu');
    kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await screen('topup-amount');

    const result = kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents });
    expect(result).toMatchObject({ ok: false, error: 'not-allowed-now' });
    await new Promise((r) => setTimeout(r, 50));
    expect(last().screen).toBe('topup-amount');
    expect(kiosk.tester!.terminal!.ledger()).toEqual([]);

    kiosk.bridge.send({ type: 'CANCEL' });
    await kiosk.tester!.reset();
    await screen('start');
  });

  it('an offered amount still goes to payment (the refusal above is about the amount only)', async () => {
    kiosk.bridge.send({ type: 'START' });
    await screen('present-card');
    await kiosk.tester!.card!.present('anonymous');
    await screen('menu');
    kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' });
    await screen('topup-amount');
    expect(kiosk.bridge.send({ type: 'SELECT_AMOUNT', amountCents: 500 })).toEqual({ ok: true });
    expect(kiosk.bridge.send({ type: 'CONFIRM' })).toEqual({ ok: true });
    await screen('topup-done');
    expect(kiosk.tester!.terminal!.ledger()).toMatchObject([{ amountCents: 500, state: 'committed' }]);
  });
});
