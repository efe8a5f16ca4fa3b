/**
 * Model-based tests: every simple path of each of the kiosk's machines (the session, top-up,
 * collect orders, station passage), walked with @xstate/graph on the REAL machines. Nothing is
 * mocked inside a machine: where a machine waits for an actor (card reader, terminal, back office,
 * journaled card write) the walk supplies that actor's done events (every output the actor can
 * give, per its type in ../types.ts) and its error event, and it fires every delay. User events
 * are the ones each state handles (with every menu option, every order id...).
 *
 * Along every path it checks what must hold on every screen of a public kiosk:
 * - every state the traveller can be in shows a screen (or is a journey whose child shows one);
 * - no dead ends: every state has a way on (an event or an actor that will answer);
 * - the menu is never empty, and only offers what the card may do;
 * - no state is reached with the machine in error.
 * A model may add checks per state and per whole path (top-up: the money invariants, see
 * topUpModel). The number of paths walked is printed; the top-up machine's is pinned, so a change
 * that makes the walk cover less (or more) of it is seen.
 */
import { getSimplePaths } from '@xstate/graph';
import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine, AnyStateNode, EventObject } from 'xstate';
import { describe, expect, it } from 'vitest';
import { collectOrdersMachine, type CollectOrdersContext, type CollectOrdersInput } from './collect-orders/collect-orders-machine.js';
import type { OrderInfo } from '../domain/order-rules.js';
import { menuFor } from '../domain/card-kinds.js';
import { kioskMachine, type KioskContext } from './kiosk/kiosk-machine.js';
import { FULL_SERVICE } from '../contract/health.js';
import { screenFromMeta } from './screen.js';
import { stationPassageMachine, type StationPassageContext, type StationPassageMachineInput } from './station-passage/station-passage-machine.js';
import { card, TEST_INPUT, TODAY } from './test-harness.js';
import { topUpMachine, type TopUpContext, type TopUpInput } from './top-up/top-up-machine.js';
import type { CardAfterLoad, KioskMachineInput, ReadCardOutput } from './types.js';

interface Model {
  name: string;
  machine: AnyStateMachine;
  input: unknown;
  /** Possible outputs per actor source (done events); every actor may also fail (error event). */
  outputs: Record<string, unknown[]>;
  /** Concrete user events per event type. */
  userEvents: Record<string, AnyEventObject[]>;
  /** What makes two snapshots the same state for the walk (value + the context that decides). */
  key: (s: AnyMachineSnapshot) => string;
  /** Extra checks on every state reached. */
  check?: (s: AnyMachineSnapshot) => void;
  /** Leave an event type out in some states (keeps the walk finite in time; unit tests cover the rest). */
  skip?: (type: string, s: AnyMachineSnapshot) => boolean;
  /** Checks on a whole path: its states in order (the first is the initial state) and the events between them. */
  pathCheck?: (states: AnyMachineSnapshot[], events: EventObject[]) => void;
  /** States that show no screen of their own (a child journey shows it). */
  screenless?: (s: AnyMachineSnapshot) => boolean;
}

/** The active state nodes of a snapshot (XState keeps them as `_nodes`; there is no public accessor). */
const activeNodes = (s: AnyMachineSnapshot) => (s as unknown as { _nodes: AnyStateNode[] })._nodes;

/** Every event the active states handle: user events, actor done/error, delays. */
function eventsFor(model: Model) {
  return (s: AnyMachineSnapshot): EventObject[] => {
    const out: EventObject[] = [];
    const seen = new Set<string>();
    for (const node of activeNodes(s)) {
      for (const [type] of node.transitions) {
        if (seen.has(type)) continue;
        seen.add(type);
        if (type.startsWith('xstate.done.actor.')) {
          const inv = node.invoke.find((i) => type === `xstate.done.actor.${i.id}`);
          const src = typeof inv?.src === 'string' ? inv.src : '';
          const outputs = model.outputs[src];
          if (!outputs) throw new Error(`${model.name}: no outputs listed for actor '${src}' (${type})`);
          for (const output of outputs) out.push({ type, output } as EventObject);
        } else if (type.startsWith('xstate.error.actor.')) {
          out.push({ type, error: new Error('actor failed') } as EventObject);
        } else if (type.startsWith('xstate.snapshot.')) {
          // A journey child moved to a screen where money or a card write is in flight, or not.
          // It takes every event it handles (the walk of that child covers what it does with them).
          for (const protect of [true, false])
            out.push({ type, snapshot: { status: 'active', hasTag: (t: string) => protect && t === 'protected', can: () => true } } as EventObject);
        } else if (type.startsWith('xstate.after.')) {
          out.push({ type });
        } else if (type.startsWith('IDLE.')) {
          // Raised by the machine itself, never sent from outside.
        } else if (model.skip?.(type, s)) {
          // walked elsewhere (see the model's skip)
        } else {
          const evs = model.userEvents[type];
          if (!evs) throw new Error(`${model.name}: no user events listed for '${type}'`);
          out.push(...evs);
        }
      }
    }
    return out;
  };
}

/** Does this state have a way on: a handled event, or an actor running that will answer? */
function hasWayOn(model: Model, s: AnyMachineSnapshot): boolean {
  if (s.status !== 'active') return true;
  return eventsFor(model)(s).length > 0;
}

function walk(model: Model): { paths: number; states: number; keys: Set<string> } {
  const events = eventsFor(model);
  const paths = getSimplePaths(model.machine, {
    input: model.input as never,
    events: events as never,
    serializeState: (s) => model.key(s as AnyMachineSnapshot),
    serializeEvent: (e) =>
      JSON.stringify(e, (k, v: unknown) =>
        k === 'error' ? 'error' : k === 'snapshot' ? ((v as { hasTag(t: string): boolean }).hasTag('protected') ? 'protected' : 'open') : v,
      ),
  });
  const states = new Set<string>();
  for (const path of paths) {
    const visited = [...path.steps.map((st) => st.state), path.state] as AnyMachineSnapshot[];
    model.pathCheck?.(visited, path.steps.map((st) => st.event));
    for (const s of visited) {
      if (s.status === 'error') throw new Error(`${model.name}: machine in error after ${path.steps.map((x) => x.event.type).join(' > ')}`);
      // Each distinct state is checked once (many paths share it).
      const key = model.key(s);
      if (states.has(key)) continue;
      states.add(key);
      if (s.status === 'active') {
        const shown = screenFromMeta(s);
        if (!shown) expect(model.screenless?.(s) ?? false, `${model.name}: no screen in ${JSON.stringify(s.value)}`).toBe(true);
        expect(hasWayOn(model, s), `${model.name}: dead end in ${JSON.stringify(s.value)}`).toBe(true);
      }
      model.check?.(s);
    }
  }
  return { paths: paths.length, states: states.size, keys: states };
}

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

const common = {
  RETRY: [{ type: 'RETRY' }],
  BACK: [{ type: 'BACK' }],
  CANCEL: [{ type: 'CANCEL' }],
  FINISH: [{ type: 'FINISH' }],
  CONFIRM: [{ type: 'CONFIRM' }],
};

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

const topUpInput: TopUpInput = {
  card: { uid: 'U', cardNumber: '3528020000000014', kind: 'anonymous', balanceCents: 14_000 },
  amountsCents: [500, 1000, 2000],
  maxBalanceCents: 15_000,
  creditWaitMs: 90_000,
  doneMs: 10_000,
};

const topUpModel: Model = {
  name: 'top-up',
  machine: topUpMachine,
  input: topUpInput,
  outputs: {
    waitForCard: [{ uid: 'U' }],
    creditCard: [{ result: 'credited', balanceCents: 15_000 }, { result: 'card-removed' }, { result: 'wrong-card' }, { result: 'write-failed' }],
    rollbackPayment: [{ result: 'reversed' }, { result: 'refund-owed', reference: 'ABCD1234' }],
    authorizePayment: [],
  },
  userEvents: {
    ...common,
    // Balance 140.00 of 150.00: one exactly to EUR 150, one over it (refused with the room shown),
    // one not offered (no transition at all).
    SELECT_AMOUNT: [1000, 2000, 700].map((amountCents) => ({ type: 'SELECT_AMOUNT', amountCents })),
    // The payment actor's own events (a fromCallback actor sends them).
    'PAYMENT.PROMPT': [{ type: 'PAYMENT.PROMPT', prompt: 'insert-card' }],
    'PAYMENT.APPROVED': [{ type: 'PAYMENT.APPROVED', paymentId: 'p-1', reference: 'P1' }],
    'PAYMENT.FAILED': [{ type: 'PAYMENT.FAILED', reason: 'declined', paymentId: 'p-1', reference: 'P1' }],
  },
  // The selected amount is part of the state: paying 5.00 and paying 20.00 are different states
  // (without it the walk would check only the first amount that reached each state).
  key: (s) => {
    const c = s.context as TopUpContext;
    return JSON.stringify([s.status, s.value, c.selectedCents ?? null, c.refusal ?? null, c.writeProblem ?? null, c.needFreshCard, c.creditWindowExpired, c.failure ?? null, c.outcome ?? null]);
  },
  check: (s) => {
    const c = s.context as TopUpContext;
    // Never more than the maximum: an amount over the limit never reaches the terminal, nor the card.
    if (s.matches('paying') || s.matches('awaitingCredit') || s.matches('undoing')) {
      expect(c.selectedCents, 'an amount is selected before paying').toBeDefined();
      expect(c.amountsCents, 'only an offered amount is paid').toContain(c.selectedCents);
      expect(c.selectedCents! + c.card.balanceCents, `over the limit in ${JSON.stringify(s.value)}`).toBeLessThanOrEqual(c.maxBalanceCents);
    }
  },
  // Money on every path: no credit and no rollback without an approval; once approved, the path
  // never leaves the journey without the card credited or the payment rolled back.
  pathCheck: (states, events) => {
    const approvedAt = events.findIndex((e) => e.type === 'PAYMENT.APPROVED');
    const describe = () => events.map((e) => e.type.replace('xstate.done.actor.', 'done:')).join(' > ');
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!;
      const afterApproval = approvedAt !== -1 && i > approvedAt; // states[i] follows events[i - 1]
      if (s.matches({ awaitingCredit: 'writing' }) || s.matches('undoing') || s.matches('done')) {
        expect(afterApproval, `credit or rollback without an approved payment: ${describe()}`).toBe(true);
      }
    }
    if (approvedAt === -1) return;
    const end = states.at(-1)!;
    if (end.status !== 'done') return; // the path stops inside the journey: a longer one goes on
    const later = states.slice(approvedAt + 1);
    const credited = later.some((s) => s.matches('done'));
    const rolledBack = later.some((s) => s.matches('undoing'));
    expect(credited || rolledBack, `approved, then left with neither a credit nor a rollback: ${describe()}`).toBe(true);
    expect(credited && rolledBack, `credited and rolled back: ${describe()}`).toBe(false);
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

/** The number of simple paths of the top-up machine under topUpModel (see the pin above). */
const TOP_UP_PATHS = 18_879;

describe('model-based: every path of every kiosk machine', () => {
  // One test per machine, so that mutation testing (perTest coverage) runs only the walk of the
  // machine a mutant sits in.
  for (const m of [sessionModel, topUpModel, collectOrdersModel, stationPassageModel]) {
    it(`walks every simple path of the ${m.name} machine`, { timeout: 300_000 }, () => {
      const t0 = performance.now();
      const r = walk(m);
      expect(r.paths, `${m.name}: paths`).toBeGreaterThan(10);
      if (m === topUpModel) {
        // Pinned: a change to the machine or to this model that changes how much is walked shows here.
        expect(r.paths, 'top-up: paths').toBe(TOP_UP_PATHS);
        // The amount that takes the card to exactly EUR 150 is paid (not refused); the one over it never is.
        expect([...r.keys].some((k) => k.includes('"paying",1000,null'))).toBe(true);
        expect([...r.keys].some((k) => k.includes('"paying",2000'))).toBe(false);
      }
      console.log(`model-based: ${m.name}: ${r.paths} paths over ${r.states} states in ${Math.round(performance.now() - t0)} ms`);
    });
  }
});
