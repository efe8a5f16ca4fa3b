/**
 * Journey cost as a figure: walks each traveller journey through the real core (the one
 * composition root, emulated card reader and ZVT terminal, the journal, the in-process back office)
 * and prints, per journey, the taps a traveller makes, the times the card is held to the reader,
 * and the screens shown from the first touch to the goodbye.
 *
 *   npm run journey-cost
 *
 * Each step takes the shortest way the kiosk offers: the card is held on the start screen (a tap
 * on "start" is counted only when the start screen does not react to the card by itself), and an
 * amount is paid with a "pay" tap only when the amount screen asks for one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import type { KioskSnapshot, ScreenId } from '../contract/bridge.js';
import type { FixtureCardId } from '../contract/fixture-cards.js';
import { createKiosk } from '../main/composition.js';
import { testKioskConfig } from '../test/support/kiosk-config.js';

interface Cost {
  journey: string;
  taps: number;
  cardHolds: number;
  screens: number;
  path: string;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'journey-cost-'));
const kiosk = await createKiosk(testKioskConfig(dataDir, 'silent'), { logger: pino({ level: 'silent' }) });
const tester = kiosk.tester;
if (!tester?.card || !tester.terminal) throw new Error('journey-cost needs the emulated card reader and terminal');
const card = tester.card;
let last: KioskSnapshot | undefined;
const seen: ScreenId[] = [];
kiosk.bridge.subscribe((s) => {
  last = s;
  if (seen.at(-1) !== s.screen) seen.push(s.screen);
});
await kiosk.start();

async function until(pred: (s: KioskSnapshot) => boolean, what: string, ms = 8000): Promise<KioskSnapshot> {
  const t0 = Date.now();
  while (!last || !pred(last)) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen is ${last?.screen}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return last;
}
const settled = (id: ScreenId) => until((s) => s.screen === id && !s.busy, `screen ${id}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function walk(journey: string, fixture: FixtureCardId, steps: (c: Cost, tap: (e: Record<string, unknown>) => void) => Promise<void>): Promise<Cost> {
  await tester!.reset();
  tester!.terminal!.setBehaviour('approve');
  await settled('start');
  seen.length = 0;
  seen.push('start');
  const cost: Cost = { journey, taps: 0, cardHolds: 0, screens: 0, path: '' };
  const tap = (event: Record<string, unknown>) => {
    const r = kiosk.bridge.send(event);
    if (!r.ok) throw new Error(`${journey}: ${JSON.stringify(event)} refused on ${last?.screen}`);
    cost.taps += 1;
  };
  // Hold the card on the start screen; tap "start" only if the screen does not move by itself.
  await card.present(fixture);
  cost.cardHolds += 1;
  await sleep(300);
  if (last?.screen === 'start') tap({ type: 'START' });
  await settled('menu');
  await card.remove();
  await steps(cost, tap);
  await settled('goodbye');
  const shown = seen.filter((s) => s !== 'goodbye');
  // The start screen counts as the first screen; the goodbye screen is where the visit ends.
  cost.screens = shown.length;
  cost.path = shown.join(' > ');
  return cost;
}

async function holdAgain(cost: Cost, fixture: FixtureCardId): Promise<void> {
  await settled('present-again');
  await card.present(fixture);
  cost.cardHolds += 1;
}

async function collect(cost: Cost, tap: (e: Record<string, unknown>) => void, fixture: FixtureCardId, orderId: string) {
  tap({ type: 'CHOOSE', option: 'collect-orders' });
  await until((s) => s.screen === 'orders' && 'orders' in s && s.orders !== undefined && !s.busy, 'order list');
  tap({ type: 'SELECT_ORDER', orderId });
  await settled('order-confirm');
  tap({ type: 'CONFIRM' });
  await holdAgain(cost, fixture);
  await settled('order-done');
  await card.remove();
  tap({ type: 'FINISH' });
}

const costs: Cost[] = [];
try {
  costs.push(
    await walk('top-up (EUR 20)', 'anonymous', async (cost, tap) => {
      tap({ type: 'CHOOSE', option: 'topup' });
      await settled('topup-amount');
      tap({ type: 'SELECT_AMOUNT', amountCents: 2000 });
      await sleep(100);
      if (last?.screen === 'topup-amount') tap({ type: 'CONFIRM' });
      await holdAgain(cost, 'anonymous');
      await settled('topup-done');
      await card.remove();
      tap({ type: 'FINISH' });
    }),
  );
  costs.push(await walk('order: kaartservicecode', 'personal-kaartservicecode', (c, tap) => collect(c, tap, 'personal-kaartservicecode', 'FX-KSC-0017')));
  costs.push(await walk('order: NS Extra', 'personal-ns-extra', (c, tap) => collect(c, tap, 'personal-ns-extra', 'FX-NSX-0025')));
  costs.push(await walk('order: travel product (business card)', 'business', (c, tap) => collect(c, tap, 'business', 'FX-BUS-0011')));
  costs.push(
    await walk('balance', 'personal-products', async (_c, tap) => {
      tap({ type: 'CHOOSE', option: 'balance' });
      await settled('balance');
      tap({ type: 'FINISH' });
    }),
  );
} finally {
  await kiosk.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log('| journey | taps | card holds | screens | path |');
console.log('|---|---:|---:|---:|---|');
for (const c of costs) console.log(`| ${c.journey} | ${c.taps} | ${c.cardHolds} | ${c.screens} | ${c.path} |`);
