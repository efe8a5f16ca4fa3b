/**
 * The technician's maintenance session (issue 13), invoked by the kiosk session when a technician
 * card is read at the start of a visit. Pure XState v5: credential check, PIN check and every
 * dashboard action are actors the runtime provides.
 *
 *   verifying (the card's signed credential: operator key, expiry, technician list, lockout)
 *     -> refused (forged, expired, revoked, unknown, locked out: shown briefly) -> locked
 *     -> pin  -> checkingPin -> dashboard | pin (attempts left) | lockedOut -> locked
 *   dashboard -> running (one action: progress, then its result) -> dashboard
 *   LOCK, CANCEL on the PIN screen, idle for `idleLockMs`, an actor failing -> locked
 *
 * `locked` is the only final state, so every session ends locked (the model-based walk proves
 * it). A traveller's card never gets here: the kiosk invokes this only for a card that carries a
 * technician credential, and the credential's own check refuses anything else.
 */
import { assign, fromPromise, setup } from 'xstate';
import type {
  ActionResult,
  CheckPinInput,
  CheckPinOutput,
  CredentialRefusal,
  MaintenanceAction,
  MaintenanceMachineInput,
  MaintenanceMachineOutput,
  RunActionInput,
  Technician,
  VerifyCredentialInput,
  VerifyCredentialOutput,
} from './maintenance-types.js';

export * from './maintenance-types.js';

export type MaintenanceScreen = 'maintenance-verifying' | 'maintenance-refused' | 'maintenance-pin' | 'maintenance-dashboard';

export interface MaintenanceContext {
  input: MaintenanceMachineInput;
  technician?: Technician;
  refusal?: CredentialRefusal;
  lockedUntil?: string;
  attemptsLeft?: number;
  /** The last PIN was wrong (the screen says so). */
  wrongPin: boolean;
  running?: MaintenanceAction;
  results: ActionResult[];
  why?: MaintenanceMachineOutput['why'];
}

export type MaintenanceEvent =
  | { type: 'PIN'; pin: string }
  | { type: 'RUN'; action: MaintenanceAction; reason?: string }
  | { type: 'LOCK' }
  | { type: 'CANCEL' }
  | { type: 'ACTIVITY' };

export const MAINTENANCE_EVENT_TYPES = ['PIN', 'RUN', 'LOCK', 'CANCEL', 'ACTIVITY'] as const satisfies readonly MaintenanceEvent['type'][];

const notProvided = (name: string) => () => Promise.reject(new Error(`maintenance: actor ${name} not provided`));

export const maintenanceMachine = setup({
  types: {
    context: {} as MaintenanceContext,
    events: {} as MaintenanceEvent,
    input: {} as MaintenanceMachineInput,
    output: {} as MaintenanceMachineOutput,
    meta: {} as { screen: MaintenanceScreen },
    tags: {} as 'busy',
  },
  actors: {
    verifyCredential: fromPromise<VerifyCredentialOutput, VerifyCredentialInput>(notProvided('verifyCredential')),
    checkPin: fromPromise<CheckPinOutput, CheckPinInput>(notProvided('checkPin')),
    runAction: fromPromise<ActionResult, RunActionInput>(notProvided('runAction')),
  },
  delays: {
    idleLock: ({ context }) => context.input.timing.idleLockMs,
    refused: ({ context }) => context.input.timing.refusedMs,
  },
}).createMachine({
  id: 'maintenance',
  context: ({ input }) => ({ input, wrongPin: false, results: [] }),
  initial: 'verifying',
  output: ({ context }) => ({
    outcome: 'locked',
    why: context.why ?? 'failed',
    ...(context.technician ? { technicianId: context.technician.technicianId } : {}),
  }),
  states: {
    verifying: {
      meta: { screen: 'maintenance-verifying' },
      tags: ['busy'],
      invoke: {
        src: 'verifyCredential',
        input: ({ context }) => ({ credential: context.input.credential, uid: context.input.uid }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'pin',
            actions: assign(({ event }) => (event.output.ok ? { technician: event.output.technician, attemptsLeft: event.output.attemptsLeft } : {})),
          },
          {
            target: 'refused',
            actions: assign(({ event }) =>
              event.output.ok ? {} : { refusal: event.output.reason, ...(event.output.lockedUntil ? { lockedUntil: event.output.lockedUntil } : {}) },
            ),
          },
        ],
        onError: { target: 'locked', actions: assign({ why: 'failed' }) },
      },
    },
    refused: {
      meta: { screen: 'maintenance-refused' },
      after: { refused: { target: 'locked', actions: assign({ why: 'refused' }) } },
      on: { CANCEL: { target: 'locked', actions: assign({ why: 'refused' }) } },
    },
    pin: {
      meta: { screen: 'maintenance-pin' },
      after: { idleLock: { target: 'locked', actions: assign({ why: 'idle' }) } },
      on: {
        PIN: { guard: ({ event }) => /^\d{4,12}$/.test(event.pin), target: 'checkingPin' },
        CANCEL: { target: 'locked', actions: assign({ why: 'cancelled' }) },
        ACTIVITY: { target: 'pin', reenter: true },
      },
    },
    checkingPin: {
      meta: { screen: 'maintenance-pin' },
      tags: ['busy'],
      invoke: {
        src: 'checkPin',
        input: ({ context, event }) => ({
          technicianId: context.technician!.technicianId,
          uid: context.input.uid,
          pin: (event as { pin?: string }).pin ?? '',
        }),
        onDone: [
          { guard: ({ event }) => event.output.ok, target: 'dashboard', actions: assign({ wrongPin: false, attemptsLeft: undefined }) },
          {
            guard: ({ event }) => !event.output.ok && event.output.attemptsLeft > 0,
            target: 'pin',
            actions: assign(({ event }) => ({ wrongPin: true, attemptsLeft: event.output.ok ? 0 : event.output.attemptsLeft })),
          },
          {
            target: 'refused',
            actions: assign(({ event }) => ({
              wrongPin: true,
              attemptsLeft: 0,
              refusal: 'locked-out' as const,
              ...(!event.output.ok && event.output.lockedUntil ? { lockedUntil: event.output.lockedUntil } : {}),
            })),
          },
        ],
        onError: { target: 'locked', actions: assign({ why: 'failed' }) },
      },
    },
    dashboard: {
      meta: { screen: 'maintenance-dashboard' },
      after: { idleLock: { target: 'locked', actions: assign({ why: 'idle' }) } },
      on: {
        RUN: { target: 'running' },
        LOCK: { target: 'locked', actions: assign({ why: 'lock' }) },
        ACTIVITY: { target: 'dashboard', reenter: true },
      },
    },
    running: {
      meta: { screen: 'maintenance-dashboard' },
      tags: ['busy'],
      entry: assign({ running: ({ event }) => (event as { action?: MaintenanceAction }).action }),
      invoke: {
        src: 'runAction',
        input: ({ context, event }) => {
          const e = event as { action: MaintenanceAction; reason?: string };
          return { technicianId: context.technician!.technicianId, action: e.action, ...(e.reason ? { reason: e.reason } : {}) };
        },
        onDone: { target: 'dashboard', actions: assign({ results: ({ context, event }) => [event.output, ...context.results].slice(0, 20) }) },
        // An action that broke is a result too (the actor journals it); the session stays open.
        onError: {
          target: 'dashboard',
          actions: assign({
            results: ({ context }) => [{ action: context.running!, outcome: 'failed' as const, detail: { error: 'the action broke off' } }, ...context.results].slice(0, 20),
          }),
        },
      },
    },
    locked: { type: 'final' },
  },
});

export type MaintenanceMachine = typeof maintenanceMachine;
