/**
 * The kiosk session's vocabulary: the events a shell may send and the internal ones, the
 * session's context, and the one door a traveller's event goes through (`sendUserEvent`).
 * The machine itself is kiosk-machine.ts.
 */
import type { CardProblem, Locale, MenuOption } from '../../contract/bridge.js';
import type { Availability, NotOfferedReason } from '../../contract/health.js';
import type { CardInfo, KioskMachineInput } from '../types.js';
import type { MaintenanceAction } from '../maintenance/maintenance-types.js';

/** Events a shell may send (validated by contract/bridge-events.ts kioskEventSchema before they get here). */
export type KioskUserEvent =
  | { type: 'START' }
  | { type: 'SET_LOCALE'; locale: Locale }
  | { type: 'TOGGLE_LARGE_TEXT' }
  | { type: 'ACTIVITY' }
  | { type: 'MORE_TIME' }
  | { type: 'END_VISIT' }
  | { type: 'CHOOSE'; option: MenuOption }
  | { type: 'SELECT_AMOUNT'; amountCents: number }
  | { type: 'SELECT_ORDER'; orderId: string }
  | { type: 'CONFIRM' }
  | { type: 'RETRY' }
  | { type: 'BACK' }
  | { type: 'CANCEL' }
  | { type: 'FINISH' }
  /** Issue 13, the technician's events (forwarded to the maintenance journey while it runs). */
  | { type: 'PIN'; pin: string }
  | { type: 'RUN'; action: MaintenanceAction; reason?: string }
  | { type: 'LOCK' };

/** Internal events: never accepted from a shell. */
export type KioskInternalEvent =
  | { type: 'IDLE.ARM' }
  | { type: 'IDLE.DISARM' }
  | { type: 'IDLE.TIMEOUT' }
  | { type: 'IDLE.ACTIVITY' }
  /** Issue 13: what the kiosk may offer now (from main/health); sent by the runtime only. */
  | { type: 'HEALTH'; availability: Availability };

export type KioskMachineEvent = KioskUserEvent | KioskInternalEvent;

/** Emitted to the runtime (actor.on): a journey broke; whatever it left open must be settled. */
export type KioskEmitted = { type: 'journey-failed'; journey: string };

export const USER_EVENT_TYPES = [
  'START',
  'SET_LOCALE',
  'TOGGLE_LARGE_TEXT',
  'ACTIVITY',
  'MORE_TIME',
  'END_VISIT',
  'CHOOSE',
  'SELECT_AMOUNT',
  'SELECT_ORDER',
  'CONFIRM',
  'RETRY',
  'BACK',
  'CANCEL',
  'FINISH',
  'PIN',
  'RUN',
  'LOCK',
] as const satisfies readonly KioskUserEvent['type'][];

/** What can take a user event: a running session actor (or anything with its snapshot's `can`). */
export interface UserEventTarget {
  getSnapshot(): { can(event: KioskMachineEvent): boolean };
  send(event: KioskMachineEvent): void;
}

/**
 * The one door for a traveller's event into a session. The session's own `can()` decides: taken,
 * it is sent (and the machine counts it as activity itself); not taken, nothing changes but the
 * touch still counts (ACTIVITY), and the answer is false. Used by the runtime and by the tests.
 */
export function sendUserEvent(target: UserEventTarget, event: KioskUserEvent): boolean {
  if (!target.getSnapshot().can(event)) {
    target.send({ type: 'ACTIVITY' });
    return false;
  }
  target.send(event);
  return true;
}

export interface KioskContext {
  config: KioskMachineInput;
  locale: Locale;
  largeText: boolean;
  card?: CardInfo;
  today?: string;
  problem?: CardProblem;
  unavailable?: 'card-reader';
  menu: MenuOption[];
  /** Issue 12: no money taken now (the journal cannot be written): the top-up is shown unavailable. */
  moneyUnavailable?: 'journal-unavailable';
  /** Issue 13: what the kiosk may offer now (the health model's decision). */
  health: Availability;
  /** Options this card would get that the kiosk cannot offer now, and why. */
  notOffered: { option: MenuOption; reason: NotOfferedReason }[];
  /** The next card wait needs a new presentation: the card lying there just failed to read. */
  needFreshCard: boolean;
  /** The running journey child's latest snapshot (from onSnapshot): which events it takes now. */
  journeyNow?: { can(event: KioskMachineEvent): boolean };
  /** Issue 13: the technician card just held (its credential is checked by the maintenance journey). */
  technicianCard?: { uid: string; credential: string };
  /** Issue 13: the maintenance child's latest snapshot: which technician events it takes now. */
  maintenanceNow?: { can(event: KioskMachineEvent): boolean };
}
