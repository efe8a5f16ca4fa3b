/**
 * Test support for the machines (imported by *.test.ts only): actors whose outcome the test
 * decides, a simulated clock, and helpers to read the current screen. Nothing here talks to a
 * device; it stands in for the runtime's actors so each transition can be driven on purpose.
 */
import { createActor, fromCallback, fromPromise, SimulatedClock, type AnyEventObject, type AnyStateMachine, type AnyStateNode, type AnyTransitionDefinition } from 'xstate';
import type { CardInfo, KioskMachineInput, ReadCardOutput } from './types.js';
import type {
  AuthorizePaymentInput,
  CollectOrderInput,
  CollectOrderOutput,
  FetchOrdersInput,
  FetchOrdersOutput,
  StationPassageInput,
  StationPassageOutput,
  CreditCardInput,
  CreditCardOutput,
  PaymentActorEvent,
  RollbackPaymentInput,
  RollbackPaymentOutput,
  WaitForCardInput,
  WaitForCardOutput,
} from './types.js';
import { collectOrdersMachine } from './collect-orders/collect-orders-machine.js';
import { kioskMachine, sendUserEvent, USER_EVENT_TYPES, type KioskUserEvent } from './kiosk/kiosk-machine.js';
import { stationPassageMachine } from './station-passage/station-passage-machine.js';
import { topUpMachine } from './top-up/top-up-machine.js';
import { currentScreen, activeJourney } from './screen.js';
import { maintenanceMachine } from './maintenance/maintenance-machine.js';
import type {
  ActionResult,
  CheckPinInput,
  CheckPinOutput,
  RunActionInput,
  VerifyCredentialInput,
  VerifyCredentialOutput,
} from './maintenance/maintenance-types.js';
import type { IdentifyCardOutput } from './types.js';

/** Every transition any harness-driven machine took, as `source|event|index` (see transitionKey). */
export const TAKEN_TRANSITIONS = new Set<string>();

export function transitionKey(t: AnyTransitionDefinition): string {
  const source = t.source as AnyStateNode;
  const list = t.eventType ? source.transitions.get(t.eventType) : source.always;
  return `${source.id}|${t.eventType || '(always)'}|${list?.indexOf(t) ?? -1}`;
}

/** Every transition a machine defines (event, delayed, invoke done/error, eventless), as keys. */
export function allTransitionKeys(machine: AnyStateMachine): string[] {
  const keys: string[] = [];
  const walk = (node: AnyStateNode) => {
    for (const [type, list] of node.transitions) list.forEach((_, i) => keys.push(`${node.id}|${type}|${i}`));
    (node.always ?? []).forEach((_, i) => keys.push(`${node.id}|(always)|${i}`));
    for (const child of Object.values(node.states) as AnyStateNode[]) walk(child);
  };
  walk(machine.root as AnyStateNode);
  return keys;
}

/** An `inspect` option that records the transitions taken (for actors a test creates itself). */
export function recordTransitions(e: { type: string }): void {
  if (e.type === '@xstate.microstep') for (const t of (e as unknown as { _transitions: AnyTransitionDefinition[] })._transitions) TAKEN_TRANSITIONS.add(transitionKey(t));
}

export interface Pending<TIn, TOut> {
  input: TIn;
  resolve(value: TOut): void;
  reject(error: unknown): void;
  settled: boolean;
}

function pendingActor<TOut, TIn>(list: Pending<TIn, TOut>[]) {
  return fromPromise<TOut, TIn>(
    ({ input }) =>
      new Promise<TOut>((resolve, reject) => {
        const p: Pending<TIn, TOut> = {
          input,
          settled: false,
          resolve: (v) => {
            p.settled = true;
            resolve(v);
          },
          reject: (e) => {
            p.settled = true;
            reject(e);
          },
        };
        list.push(p);
      }),
  );
}

export const TEST_TIMING = {
  inactivityMs: 60_000,
  inactivityWarningMs: 20_000,
  creditWaitMs: 90_000,
  doneMs: 10_000,
  goodbyeMs: 3_000,
};

export const TEST_INPUT: KioskMachineInput = {
  timing: TEST_TIMING,
  topUp: { amountsCents: [500, 1000, 2000, 5000], maxBalanceCents: 15_000, cardKinds: ['personal', 'anonymous'] },
  menuOptions: ['balance'],
};

/** Issue 13: the session with technician cards asked for (the maintenance journey on). */
export const MAINTENANCE_TEST_INPUT: KioskMachineInput = { ...TEST_INPUT, maintenance: { idleLockMs: 180_000, refusedMs: 5_000 } };

export function card(over: Partial<CardInfo> = {}): CardInfo {
  return {
    uid: '04B1B2C3D4E5F6',
    cardNumber: '3528020000000014',
    kind: 'anonymous',
    expiryDate: '2029-01-31',
    balanceCents: 1250,
    blocked: false,
    products: [],
    transactions: [],
    topUps: [],
    ...over,
  };
}

export const TODAY = '2026-11-23';

export function okRead(c: CardInfo = card(), blockedListed = false): ReadCardOutput {
  return { ok: true, card: c, blockedListed, today: TODAY };
}

/** A running session machine with every actor under the test's control. */
export function startKiosk(input: KioskMachineInput = TEST_INPUT) {
  const waits: Pending<WaitForCardInput, WaitForCardOutput>[] = [];
  const reads: Pending<void, ReadCardOutput>[] = [];
  const credits: Pending<CreditCardInput, CreditCardOutput>[] = [];
  const rollbacks: Pending<RollbackPaymentInput, RollbackPaymentOutput>[] = [];
  const payments: { input: AuthorizePaymentInput; send(e: PaymentActorEvent): void; received: AnyEventObject[]; stopped: boolean }[] = [];
  const fetches: Pending<FetchOrdersInput, FetchOrdersOutput>[] = [];
  const collects: Pending<CollectOrderInput, CollectOrderOutput>[] = [];
  const passages: Pending<StationPassageInput, StationPassageOutput>[] = [];
  const identifies: Pending<void, IdentifyCardOutput>[] = [];
  const verifies: Pending<VerifyCredentialInput, VerifyCredentialOutput>[] = [];
  const pinChecks: Pending<CheckPinInput, CheckPinOutput>[] = [];
  const actions: Pending<RunActionInput, ActionResult>[] = [];
  const clock = new SimulatedClock();
  const maintenance = maintenanceMachine.provide({
    actors: {
      verifyCredential: pendingActor<VerifyCredentialOutput, VerifyCredentialInput>(verifies),
      checkPin: pendingActor<CheckPinOutput, CheckPinInput>(pinChecks),
      runAction: pendingActor<ActionResult, RunActionInput>(actions),
    },
  });

  const topUp = topUpMachine.provide({
    actors: {
      waitForCard: pendingActor<WaitForCardOutput, WaitForCardInput>(waits),
      creditCard: pendingActor<CreditCardOutput, CreditCardInput>(credits),
      rollbackPayment: pendingActor<RollbackPaymentOutput, RollbackPaymentInput>(rollbacks),
      authorizePayment: fromCallback<{ type: 'PAYMENT.ABORT' }, AuthorizePaymentInput>(({ input, sendBack, receive }) => {
        const p = { input, send: (e: PaymentActorEvent) => sendBack(e), received: [] as AnyEventObject[], stopped: false };
        receive((e) => p.received.push(e));
        payments.push(p);
        return () => {
          p.stopped = true;
        };
      }),
    },
  });
  const collectOrders = collectOrdersMachine.provide({
    actors: {
      waitForCard: pendingActor<WaitForCardOutput, WaitForCardInput>(waits),
      fetchOrders: pendingActor<FetchOrdersOutput, FetchOrdersInput>(fetches),
      collectOrder: pendingActor<CollectOrderOutput, CollectOrderInput>(collects),
    },
  });
  const stationPassage = stationPassageMachine.provide({
    actors: {
      waitForCard: pendingActor<WaitForCardOutput, WaitForCardInput>(waits),
      grantStationPassage: pendingActor<StationPassageOutput, StationPassageInput>(passages),
    },
  });
  const machine = kioskMachine.provide({
    actors: {
      waitForCard: pendingActor<WaitForCardOutput, WaitForCardInput>(waits),
      readCard: pendingActor<ReadCardOutput, void>(reads),
      identifyCard: pendingActor<IdentifyCardOutput, void>(identifies),
      maintenance,
      topUp,
      collectOrders,
      stationPassage,
    },
  });
  const actor = createActor(machine, {
    input,
    clock,
    inspect: recordTransitions,
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (e) => errors.push(e) });
  actor.start();

  const last = <T>(list: T[], what: string): T => {
    const x = list[list.length - 1];
    if (!x) throw new Error(`no ${what} started`);
    return x;
  };

  return {
    actor,
    clock,
    waits,
    reads,
    credits,
    rollbacks,
    payments,
    fetches,
    collects,
    passages,
    identifies,
    verifies,
    pinChecks,
    actions,
    errors,
    /** A traveller's event goes through the same door as in the runtime (sendUserEvent: the
     * session's can() decides, a refused touch still counts as activity); internal events go straight in. */
    send: (e: Parameters<typeof actor.send>[0]): void => {
      if ((USER_EVENT_TYPES as readonly string[]).includes(e.type)) sendUserEvent(actor, e as KioskUserEvent);
      else actor.send(e);
    },
    screen: () => currentScreen(actor.getSnapshot()),
    ctx: () => actor.getSnapshot().context,
    journey: () => activeJourney(actor.getSnapshot()),
    idle: () => (actor.getSnapshot().value as { idle: string }).idle,
    lastWait: () => last(waits, 'card wait'),
    lastRead: () => last(reads, 'card read'),
    lastCredit: () => last(credits, 'credit'),
    lastRollback: () => last(rollbacks, 'rollback'),
    lastPayment: () => last(payments, 'payment'),
    lastFetch: () => last(fetches, 'order fetch'),
    lastCollect: () => last(collects, 'order collect'),
    lastPassage: () => last(passages, 'station passage'),
    lastIdentify: () => last(identifies, 'card identification'),
    lastVerify: () => last(verifies, 'credential check'),
    lastPinCheck: () => last(pinChecks, 'PIN check'),
    lastAction: () => last(actions, 'maintenance action'),
    /** Let resolved promises reach the machine. */
    flush: async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    },
  };
}

export type KioskHarness = ReturnType<typeof startKiosk>;

/** Drive a fresh session to the menu with the given read result. */
export async function toMenu(h: KioskHarness, read: ReadCardOutput = okRead()): Promise<void> {
  h.send({ type: 'START' });
  h.lastWait().resolve({ uid: 'X' });
  await h.flush();
  h.lastRead().resolve(read);
  await h.flush();
}

/** From the menu to an approved payment of `amountCents` (default 1000). */
export async function toApproved(h: KioskHarness, amountCents = 1000): Promise<void> {
  h.send({ type: 'CHOOSE', option: 'topup' });
  h.send({ type: 'SELECT_AMOUNT', amountCents });
  h.send({ type: 'CONFIRM' });
  h.lastPayment().send({ type: 'PAYMENT.APPROVED', paymentId: 'abcdef0123456789', reference: 'ABCDEF01' });
  await h.flush();
}
