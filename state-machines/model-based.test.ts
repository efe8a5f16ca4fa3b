/**
 * Model-based tests: every simple path of the kiosk's session, collect-orders and station-passage
 * machines, walked with @xstate/graph on the REAL machines (the walk and what it checks on every
 * state: ./test-support/model-walk.ts). The top-up machine's walk, with its money invariants on
 * every path and its pinned path count, is ./top-up/top-up-model.test.ts.
 * Here, per model: the menu is never empty, and only offers what the card may do; nothing refused
 * is ever confirmed or written. The number of paths walked is printed.
 */
import { describe, expect, it } from 'vitest';
import { collectOrdersMachine, type CollectOrdersContext, type CollectOrdersInput } from './collect-orders/collect-orders-machine.js';
import type { OrderInfo } from '../domain/order-rules.js';
import { menuFor } from '../domain/card-kinds.js';
import { kioskMachine, type KioskContext } from './kiosk/kiosk-machine.js';
import { FULL_SERVICE } from '../contract/health.js';
import { stationPassageMachine, type StationPassageContext, type StationPassageMachineInput } from './station-passage/station-passage-machine.js';
import { card, TEST_INPUT, TODAY } from './test-harness.js';
import { common, walk, type Model } from './test-support/model-walk.js';
import type { CardAfterLoad, KioskMachineInput, ReadCardOutput } from './types.js';

// ---- the models -------------------------------------------------------------------------------

const personal = card({ kind: 'personal', balanceCents: 5000 });
const poorAnonymous = card({ kind: 'anonymous', balanceCents: 150 });
const business = card({ kind: 'business', balanceCents: 0 });
const expired = card({ kind: 'personal', expiryDate: '2024-06-30' });
const after: CardAfterLoad = { balanceCents: 6250, products: [], topUps: [] };

const KIOSK_INPUT: KioskMachineInput = {
  ...TEST_INPUT,
  orders: { cardKinds: ['personal', 'anonymous', 'business'], exclusiveProductGroups: [['DAL-VOORDEEL']] },
  stationPassage: { enabled: true, stationCode: 'UT', minutes: 60, belowBalanceCents: 2000, cardKinds: ['personal', 'anonymous'] },
  // Issue 13: technician cards are identified at the start and out-of-service screens.
  maintenance: { idleLockMs: 180_000, refusedMs: 5_000 },
};

const reads: ReadCardOutput[] = [
  { ok: true, card: personal, blockedListed: false, today: TODAY },
  { ok: true, card: poorAnonymous, blockedListed: false, today: TODAY },
  { ok: true, card: business, blockedListed: false, today: TODAY },
  { ok: true, card: expired, blockedListed: false, today: TODAY },
  { ok: true, card: card({ blocked: true }), blockedListed: false, today: TODAY },
  { ok: true, card: personal, blockedListed: true, today: TODAY },
  { ok: false, problem: 'defective' },
  { ok: false, problem: 'card-gone' },
  { ok: false, problem: 'reader-unavailable' },
];

const sessionModel: Model = {
  name: 'session',
  machine: kioskMachine,
  input: KIOSK_INPUT,
  outputs: {
    waitForCard: [{ uid: 'U' }],
    readCard: reads,
    identifyCard: [{ format: 'traveller' }, { format: 'technician', uid: '04E7C1A0000001', credential: 'c.s' }],
    // The maintenance journey's own walk is in maintenance/maintenance-machine.test.ts; it always ends locked.
    maintenance: [{ outcome: 'locked', why: 'lock', technicianId: 'T-0001' }],
    topUp: [{ outcome: 'back' }, { outcome: 'cancelled' }, { outcome: 'finished', balanceCents: 6000 }],
    collectOrders: [{ outcome: 'back', card: after }, { outcome: 'back' }, { outcome: 'finished', card: after }, { outcome: 'cancelled' }],
    stationPassage: [{ outcome: 'back', card: after }, { outcome: 'finished', card: after }],
  },
  userEvents: {
    ...common,
    START: [{ type: 'START' }],
    // Presentation events: one of each (they change no state the walk tells apart).
    SET_LOCALE: [{ type: 'SET_LOCALE', locale: 'en' }],
    TOGGLE_LARGE_TEXT: [{ type: 'TOGGLE_LARGE_TEXT' }],
    ACTIVITY: [{ type: 'ACTIVITY' }],
    MORE_TIME: [{ type: 'MORE_TIME' }],
    END_VISIT: [{ type: 'END_VISIT' }],
    CHOOSE: (['topup', 'collect-orders', 'balance', 'station-passage'] as const).map((option) => ({ type: 'CHOOSE', option })),
    // Forwarded to a journey child (the walk of that child covers what it does).
    SELECT_AMOUNT: [{ type: 'SELECT_AMOUNT', amountCents: 1000 }],
    SELECT_ORDER: [{ type: 'SELECT_ORDER', orderId: 'KSC-1' }],
    // Forwarded to the maintenance journey.
    PIN: [{ type: 'PIN', pin: '2580' }],
    RUN: [{ type: 'RUN', action: 'terminal-status' }],
    LOCK: [{ type: 'LOCK' }],
    // Issue 13: the health model's decisions (sent by the runtime): whole, a part missing, out of service.
    HEALTH: [
      { type: 'HEALTH', availability: FULL_SERVICE },
      { type: 'HEALTH', availability: { ...FULL_SERVICE, topUp: 'payment-terminal', collectOrders: 'backoffice' } },
      { type: 'HEALTH', availability: { ...FULL_SERVICE, outOfService: ['card-reader'] } },
    ],
  },
  key: (s) => {
    const c = s.context as KioskContext;
    return JSON.stringify([
      s.status,
      s.value,
      c.card?.kind ?? null,
      c.card?.cardNumber.slice(-4) ?? null,
      c.problem ?? null,
      c.menu,
      c.needFreshCard,
      c.health.outOfService.length > 0,
      c.health.topUp,
    ]);
  },
  screenless: (s) => {
    const j = (s.value as { journey?: unknown }).journey;
    return j === 'topUp' || j === 'collectOrders' || j === 'stationPassage' || j === 'maintenance';
  },
  // A health change is walked where it decides something (before a card is taken); elsewhere it
  // only updates the context the next card check reads (state-machines/kiosk/health-states.test.ts).
  skip: (type, s) => type === 'HEALTH' && !['start', 'outOfService'].includes((s.value as { journey?: string }).journey ?? ''),
  check: (s) => {
    const c = s.context as KioskContext;
    if ((s.value as { journey?: unknown }).journey === 'menu') {
      expect(c.menu.length, 'the menu is never empty').toBeGreaterThan(0);
      expect(c.menu).toEqual(menuFor(c.card!, c.today!, c.config, c.health));
      if (c.card!.kind === 'business') expect(c.menu).not.toContain('topup');
    }
    if (c.problem === 'blocked') expect(c.menu).toEqual([]);
  },
};

const KSC: OrderInfo = { orderId: 'KSC-1', kind: 'kaartservicecode', announcedOn: '2026-11-20' };
const NSX_OLD: OrderInfo = { orderId: 'NSX-OLD', kind: 'ns-extra', announcedOn: '2025-11-01', amountCents: 500 };

const ordersInput: CollectOrdersInput = {
  card: { uid: 'U', cardNumber: '3528010000000017', kind: 'personal', balanceCents: 1000, expiryDate: '2030-01-31', products: [], topUps: [] },
  today: TODAY,
  maxBalanceCents: 15_000,
  exclusiveProductGroups: [],
};

const collectOrdersModel: Model = {
  name: 'collect-orders',
  machine: collectOrdersMachine,
  input: ordersInput,
  outputs: {
    fetchOrders: [{ ok: true, orders: [KSC, NSX_OLD] }, { ok: true, orders: [] }, { ok: false, reason: 'backoffice' }],
    waitForCard: [{ uid: 'U' }],
    collectOrder: [
      { result: 'loaded', card: after },
      { result: 'refused', refusal: { reason: 'over-limit', roomCents: 0 } },
      { result: 'card-removed' },
      { result: 'wrong-card' },
      { result: 'write-failed' },
    ],
  },
  userEvents: {
    ...common,
    SELECT_ORDER: [KSC, NSX_OLD, { orderId: 'UNKNOWN' }].map((o) => ({ type: 'SELECT_ORDER', orderId: o.orderId })),
  },
  key: (s) => {
    const c = s.context as CollectOrdersContext;
    return JSON.stringify([s.status, s.value, c.pending.map((o) => o.orderId), c.loaded, c.selectedId ?? null, c.lateRefusal?.orderId ?? null, c.writeProblem ?? null, c.needFreshCard, c.outcome ?? null]);
  },
  check: (s) => {
    const c = s.context as CollectOrdersContext;
    // Nothing refused is ever confirmed or written.
    if (s.matches('confirm') || s.matches({ collecting: 'writing' })) expect(c.selectedId).toBe('KSC-1');
  },
};

const passageInput: StationPassageMachineInput = { card: { uid: 'U', cardNumber: '3528020000000014' }, stationCode: 'UT', minutes: 60, today: TODAY };

const stationPassageModel: Model = {
  name: 'station-passage',
  machine: stationPassageMachine,
  input: passageInput,
  outputs: {
    waitForCard: [{ uid: 'U' }],
    grantStationPassage: [
      { result: 'granted', product: { code: 'STATION-PASSAGE', validFrom: TODAY, validUntil: `${TODAY}T11:00:00.000Z`, station: 'UT' }, card: after },
      { result: 'refused' },
      { result: 'card-removed' },
      { result: 'wrong-card' },
      { result: 'write-failed' },
    ],
  },
  userEvents: common,
  key: (s) => {
    const c = s.context as StationPassageContext;
    return JSON.stringify([s.status, s.value, c.writeProblem ?? null, c.needFreshCard, !!c.granted, c.outcome ?? null]);
  },
};

describe('model-based: every path of every kiosk machine', () => {
  // One test per machine, so that mutation testing (perTest coverage) runs only the walk of the
  // machine a mutant sits in. (The top-up walk: ./top-up/top-up-model.test.ts.)
  for (const m of [sessionModel, collectOrdersModel, stationPassageModel]) {
    it(`walks every simple path of the ${m.name} machine`, { timeout: 300_000 }, () => {
      const t0 = performance.now();
      const r = walk(m);
      expect(r.paths, `${m.name}: paths`).toBeGreaterThan(10);
      console.log(`model-based: ${m.name}: ${r.paths} paths over ${r.states} states in ${Math.round(performance.now() - t0)} ms`);
    });
  }
});
