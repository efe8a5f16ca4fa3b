/**
 * The kiosk session's `setup`: its types, the actors it invokes (card wait and read from the
 * runtime; the journey children), its delays and its shared actions. The machine config is in
 * kiosk-machine.ts, the journey states in kiosk-journeys.ts.
 */
import { assign, fromPromise, raise, setup, stateIn } from 'xstate';
import { DEFAULT_LOCALE } from '../../contract/bridge.js';
import { collectOrdersMachine } from '../collect-orders/collect-orders-machine.js';
import { notProvidedIn } from '../shared/card-write.js';
import { stationPassageMachine } from '../station-passage/station-passage-machine.js';
import { topUpMachine, type ScreenMeta } from '../top-up/top-up-machine.js';
import type { IdentifyCardOutput, KioskMachineInput, ReadCardOutput, WaitForCardInput, WaitForCardOutput } from '../types.js';
import { maintenanceMachine } from '../maintenance/maintenance-machine.js';
import type { KioskContext, KioskEmitted, KioskMachineEvent } from './kiosk-events.js';

const notProvided = notProvidedIn('kiosk');

export const kioskSetup = setup({
  types: {
    context: {} as KioskContext,
    events: {} as KioskMachineEvent,
    input: {} as KioskMachineInput,
    meta: {} as ScreenMeta,
    tags: {} as 'busy' | 'protected',
    emitted: {} as KioskEmitted,
  },
  actors: {
    waitForCard: fromPromise<WaitForCardOutput, WaitForCardInput>(notProvided('waitForCard')),
    readCard: fromPromise<ReadCardOutput, void>(notProvided('readCard')),
    identifyCard: fromPromise<IdentifyCardOutput, void>(notProvided('identifyCard')),
    maintenance: maintenanceMachine,
    topUp: topUpMachine,
    collectOrders: collectOrdersMachine,
    stationPassage: stationPassageMachine,
  },
  delays: {
    inactivity: ({ context }) => context.config.timing.inactivityMs,
    inactivityWarning: ({ context }) => context.config.timing.inactivityWarningMs,
    goodbye: ({ context }) => context.config.timing.goodbyeMs,
  },
  guards: {
    /** The "do you need more time?" warning shows now. */
    warningShows: stateIn('#kiosk.idle.warning'),
    /** Issue 13: the health model says the kiosk must take no card now. */
    outOfService: ({ context }) => context.health.outOfService.length > 0,
    inService: ({ context }) => context.health.outOfService.length === 0,
    /** Issue 13: technician cards are asked for (the runtime provides the maintenance journey). */
    maintenanceOn: ({ context }) => context.config.maintenance !== undefined,
  },
  actions: {
    arm: raise({ type: 'IDLE.ARM' }),
    disarm: raise({ type: 'IDLE.DISARM' }),
    /** A user event was taken: the idle region restarts its count (it hears nothing else of them). */
    activity: raise({ type: 'IDLE.ACTIVITY' }),
    resetSession: assign({
      locale: DEFAULT_LOCALE,
      largeText: false,
      card: undefined,
      today: undefined,
      problem: undefined,
      unavailable: undefined,
      menu: [],
      notOffered: [],
      needFreshCard: false,
      technicianCard: undefined,
    }),
  },
});
