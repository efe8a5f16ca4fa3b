/**
 * The runtime core: runs the session machine with the real actors (services over the drivers),
 * and turns it into the bridge a shell sees: a stream of plain snapshots, and `send` for validated
 * user events. Knows nothing of Electron, HTTP or WebSocket.
 */
import type { Logger } from 'pino';
import { createActor, fromCallback, fromPromise, type Actor, type AnyMachineSnapshot } from 'xstate';
import { collectOrdersMachine } from '../../state-machines/collect-orders/collect-orders-machine.js';
import { kioskMachine, sendUserEvent } from '../../state-machines/kiosk/kiosk-machine.js';
import { stationPassageMachine } from '../../state-machines/station-passage/station-passage-machine.js';
import { topUpMachine } from '../../state-machines/top-up/top-up-machine.js';
import type {
  AuthorizePaymentInput,
  CollectOrderInput,
  CollectOrderOutput,
  FetchOrdersInput,
  FetchOrdersOutput,
  IdentifyCardOutput,
  StationPassageInput,
  StationPassageOutput,
  CreditCardInput,
  CreditCardOutput,
  KioskMachineInput,
  PaymentActorCommand,
  ReadCardOutput,
  RollbackPaymentInput,
  RollbackPaymentOutput,
  WaitForCardInput,
  WaitForCardOutput,
} from '../../state-machines/types.js';
import type { CardService } from '../services/card-service.js';
import type { OrderService } from '../services/order-service.js';
import type { TopUpService } from '../services/top-up.js';
import { kioskEventSchema } from '../../contract/bridge-events.js';
import type { KioskBridge, KioskEvent, KioskSnapshot, SendResult } from '../../contract/bridge.js';
import { systemTime, type TimerHandle, type Time } from '../../contract/time.js';
import { deriveSnapshot } from './snapshot.js';
import { FULL_SERVICE, type Availability } from '../../contract/health.js';
import type { ActionResult, DashboardFacts } from '../../contract/maintenance.js';
import { maintenanceMachine } from '../../state-machines/maintenance/maintenance-machine.js';
import type {
  CheckPinInput,
  CheckPinOutput,
  RunActionInput,
  VerifyCredentialInput,
  VerifyCredentialOutput,
} from '../../state-machines/maintenance/maintenance-types.js';

export interface KioskRuntimeDeps {
  machineInput: KioskMachineInput;
  cards: CardService;
  topUp: TopUpService;
  /** Collecting orders and the station passage (absent: those journeys fail and say goodbye). */
  orders?: OrderService;
  log: Logger;
  /** The time port: the machine's delays (XState's clock), the inactivity countdown. Default: system time. */
  time?: Time;
  /** Called after the session machine failed unexpectedly and before a fresh session starts. */
  onSessionCrash?: () => Promise<void>;
  /** Called when a journey broke (the session carried on): settle what it left open. */
  onJourneyFailed?: () => Promise<void>;
  /** Issue 13: the technicians' side (absent: no card is identified, maintenance never opens). */
  maintenance?: MaintenanceDeps;
}

/** Issue 13: what the maintenance journey needs from main (technician access, the actions, the dashboard). */
export interface MaintenanceDeps {
  identify(): Promise<IdentifyCardOutput>;
  verifyCredential(input: VerifyCredentialInput): Promise<VerifyCredentialOutput>;
  checkPin(input: CheckPinInput): Promise<CheckPinOutput>;
  runAction(input: RunActionInput): Promise<ActionResult>;
  /** The dashboard's live facts (refreshed every `dashboardRefreshMs` while the dashboard shows). */
  dashboard(): DashboardFacts;
  dashboardRefreshMs?: number;
}

export interface KioskRuntime {
  bridge: KioskBridge;
  start(): void;
  /** Stop the session; resolves once every card and payment operation that was running settled. */
  stop(): Promise<void>;
  /** Stop the session and start a fresh one at the start screen (`between` runs in the gap). */
  restart(between?: () => Promise<void>): Promise<void>;
  snapshot(): KioskSnapshot;
  /** Issue 13: what the kiosk may offer now (main/health); kept across session restarts. */
  setAvailability(availability: Availability): void;
}

function buildMachine(
  cards: CardService,
  topUp: TopUpService,
  orders: OrderService | undefined,
  track: <T>(p: Promise<T>) => Promise<T>,
  log: Logger,
  m: MaintenanceDeps | undefined,
) {
  const noMaintenance = () => Promise.reject(new Error('no maintenance configured'));
  const maintenance = maintenanceMachine.provide({
    actors: {
      verifyCredential: fromPromise<VerifyCredentialOutput, VerifyCredentialInput>(({ input }) => (m ? m.verifyCredential(input) : noMaintenance())),
      checkPin: fromPromise<CheckPinOutput, CheckPinInput>(({ input }) => (m ? m.checkPin(input) : noMaintenance())),
      // Tracked: an end-of-day or upload that runs is finished before the kiosk stops.
      runAction: fromPromise<ActionResult, RunActionInput>(({ input }) =>
        m
          ? track(m.runAction(input)).catch((e: unknown) => {
              // The machine shows "broke off"; the log says why (never a PIN here: actions carry none).
              log.error({ action: input.action, err: String(e) }, 'maintenance action broke off');
              throw e;
            })
          : noMaintenance(),
      ),
    },
  });
  const noOrders = () => Promise.reject(new Error('no order service configured'));
  const waitForCard = fromPromise<WaitForCardOutput, WaitForCardInput>(({ input, signal }) => cards.waitForCard(input.fresh, signal));
  const journey = topUpMachine.provide({
    actors: {
      waitForCard,
      authorizePayment: fromCallback<PaymentActorCommand, AuthorizePaymentInput>(({ input, sendBack, receive }) => {
        let live = true;
        let settled = false;
        track(
          topUp.authorize(input, (prompt) => {
            if (live) sendBack({ type: 'PAYMENT.PROMPT', prompt });
          }),
        ).then(
          (r) => {
            settled = true;
            if (!live) {
              // The session went away while the terminal was deciding: never leave money taken.
              if (r.result === 'approved')
                void track(topUp.rollback({ paymentId: r.paymentId, amountCents: input.amountCents, card: input.card }, 'session ended before the card was credited'));
              return;
            }
            if (r.result === 'approved') sendBack({ type: 'PAYMENT.APPROVED', paymentId: r.paymentId, reference: r.reference });
            else sendBack({ type: 'PAYMENT.FAILED', reason: r.reason, paymentId: r.paymentId, reference: r.reference });
          },
          (e: unknown) => {
            settled = true;
            log.error({ err: String(e) }, 'payment flow failed');
            if (live) sendBack({ type: 'PAYMENT.FAILED', reason: 'unknown' });
          },
        );
        receive((e) => {
          if (e.type === 'PAYMENT.ABORT') void topUp.abort();
        });
        return () => {
          if (!settled) void topUp.abort();
          live = false;
        };
      }),
      creditCard: fromPromise<CreditCardOutput, CreditCardInput>(({ input }) => track(topUp.credit(input))),
      rollbackPayment: fromPromise<RollbackPaymentOutput, RollbackPaymentInput>(({ input }) => track(topUp.rollback(input))),
    },
  });
  const collectOrders = collectOrdersMachine.provide({
    actors: {
      waitForCard,
      fetchOrders: fromPromise<FetchOrdersOutput, FetchOrdersInput>(({ input }) => (orders ? track(orders.fetchOrders(input)) : noOrders())),
      collectOrder: fromPromise<CollectOrderOutput, CollectOrderInput>(({ input }) => (orders ? track(orders.collect(input)) : noOrders())),
    },
  });
  const stationPassage = stationPassageMachine.provide({
    actors: {
      waitForCard,
      grantStationPassage: fromPromise<StationPassageOutput, StationPassageInput>(({ input }) =>
        orders ? track(orders.grantStationPassage(input)) : noOrders(),
      ),
    },
  });
  return kioskMachine.provide({
    actors: {
      waitForCard,
      readCard: fromPromise<ReadCardOutput, void>(() => track(cards.read())),
      identifyCard: fromPromise<IdentifyCardOutput, void>(() => (m ? track(m.identify()) : Promise.resolve({ format: 'traveller' as const }))),
      maintenance,
      topUp: journey,
      collectOrders,
      stationPassage,
    },
  });
}

type SessionActor = Actor<ReturnType<typeof buildMachine>>;

export function createKioskRuntime(deps: KioskRuntimeDeps): KioskRuntime {
  const { machineInput, log } = deps;
  const time = deps.time ?? systemTime();
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const drop = () => inFlight.delete(p);
    p.then(drop, drop);
    return p;
  };
  const machine = buildMachine(deps.cards, deps.topUp, deps.orders, track, log, deps.maintenance);
  const listeners = new Set<(s: KioskSnapshot) => void>();
  const warningSeconds = Math.ceil(machineInput.timing.inactivityWarningMs / 1000);

  let actor: SessionActor | undefined;
  let rev = 0;
  let current: KioskSnapshot = {
    rev: 0,
    screen: 'start',
    locale: 'nl',
    largeText: false,
    busy: false,
    inactivity: { warning: false, secondsLeft: warningSeconds },
  };
  // The placeholder counts as published: a session starting on the same screen emits nothing new.
  let lastKey = JSON.stringify(current);
  let warningSince: number | undefined;
  let ticker: TimerHandle | undefined;
  let restarting: Promise<void> | undefined;
  let availability: Availability = FULL_SERVICE;
  let dashboardTimer: TimerHandle | undefined;

  /** Issue 13: while the dashboard shows, its facts are refreshed (published only when they changed). */
  function refreshDashboard(): void {
    if (dashboardTimer !== undefined || !deps.maintenance) return;
    dashboardTimer = time.setTimeout(() => {
      dashboardTimer = undefined;
      if (!actor || current.screen !== 'maintenance-dashboard') return;
      publish(actor.getSnapshot());
    }, deps.maintenance.dashboardRefreshMs ?? 2_000);
  }

  function secondsLeft(): number {
    if (warningSince === undefined) return warningSeconds;
    const left = machineInput.timing.inactivityWarningMs - (time.now().getTime() - warningSince);
    return Math.max(0, Math.ceil(left / 1000));
  }

  /** While the warning shows, publish once a second so the countdown moves (a port timer, re-set each tick). */
  function tickEverySecond(): void {
    ticker = time.setTimeout(() => {
      ticker = undefined;
      if (!actor || warningSince === undefined) return;
      tickEverySecond();
      publish(actor.getSnapshot());
    }, 1000);
  }

  function stopTicking(): void {
    time.clearTimeout(ticker);
    ticker = undefined;
    warningSince = undefined;
  }

  function publish(root: AnyMachineSnapshot): void {
    const warning = (root.value as { idle?: string }).idle === 'warning';
    if (warning && warningSince === undefined) {
      warningSince = time.now().getTime();
      tickEverySecond();
    } else if (!warning && warningSince !== undefined) {
      stopTicking();
    }
    let next: KioskSnapshot | undefined;
    try {
      next = deriveSnapshot(root, { rev: 0, secondsLeft: secondsLeft(), ...(deps.maintenance ? { dashboard: deps.maintenance.dashboard } : {}) });
    } catch (e) {
      log.error({ err: String(e) }, 'snapshot derivation failed');
      return;
    }
    if (!next) return; // between screens: the next step shows where the session went
    if (next.screen === 'maintenance-dashboard') refreshDashboard();
    const key = JSON.stringify(next);
    if (key === lastKey) return;
    lastKey = key;
    current = { ...next, rev: ++rev };
    for (const l of listeners) {
      try {
        l(current);
      } catch (e) {
        log.error({ err: String(e) }, 'snapshot listener failed');
      }
    }
  }

  function startSession(): void {
    const a: SessionActor = createActor(machine, { input: machineInput, clock: time });
    actor = a;
    a.subscribe({
      next: (s) => {
        if (actor === a) publish(s);
      },
      error: (err) => {
        if (actor !== a) return;
        log.error({ err: String(err) }, 'session machine failed; starting a fresh session');
        void restart(deps.onSessionCrash);
      },
    });
    a.on('journey-failed', (e) => {
      log.error({ journey: e.journey }, 'a journey failed; settling what it left open');
      void (async () => {
        // Let its card write or payment finish first: they journal their own outcome.
        while (inFlight.size) await Promise.allSettled([...inFlight]);
        await deps.onJourneyFailed?.();
      })().catch((err: unknown) => log.error({ err: String(err) }, 'settling after a failed journey failed'));
    });
    a.start();
    if (availability !== FULL_SERVICE) a.send({ type: 'HEALTH', availability });
    publish(a.getSnapshot());
  }

  async function stopSession(): Promise<void> {
    const a = actor;
    actor = undefined;
    a?.stop();
    stopTicking();
    time.clearTimeout(dashboardTimer);
    dashboardTimer = undefined;
    // Let a running card write or payment finish (they journal their own outcome).
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  }

  async function restart(between?: () => Promise<void>): Promise<void> {
    if (restarting) return restarting;
    restarting = (async () => {
      try {
        await stopSession();
        if (between) await between();
      } catch (e) {
        log.error({ err: String(e) }, 'error while restarting the session');
      } finally {
        startSession();
        restarting = undefined;
      }
    })();
    return restarting;
  }

  const bridge: KioskBridge = {
    subscribe(listener) {
      listeners.add(listener);
      try {
        listener(current);
      } catch (e) {
        log.error({ err: String(e) }, 'snapshot listener failed');
      }
      return () => listeners.delete(listener);
    },
    send(raw) {
      const parsed = kioskEventSchema.safeParse(raw);
      if (!parsed.success) {
        const detail = parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.') || 'event'}: ${i.message}`)
          .join('; ');
        return { ok: false, error: 'invalid-event', detail };
      }
      const event = parsed.data;
      const a = actor;
      if (!a || a.getSnapshot().status !== 'active') return { ok: false, error: 'not-allowed-now', detail: 'the kiosk is restarting' };
      try {
        // The session's own can() decides; a refused touch still counts as activity.
        if (!sendUserEvent(a, event)) return { ok: false, error: 'not-allowed-now', detail: `${event.type} does nothing on the ${current.screen} screen` };
        return { ok: true } satisfies SendResult;
      } catch (e) {
        log.error({ err: String(e), event: event.type }, 'event handling failed');
        return { ok: false, error: 'not-allowed-now', detail: 'the kiosk could not handle this event now' };
      }
    },
  };

  return {
    bridge,
    start() {
      if (!actor) startSession();
    },
    stop: stopSession,
    restart,
    snapshot: () => current,
    setAvailability(next) {
      availability = next;
      actor?.send({ type: 'HEALTH', availability: next });
    },
  };
}
