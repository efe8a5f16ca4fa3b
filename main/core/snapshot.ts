/**
 * From machine state to the plain KioskSnapshot a shell renders: composes the view functions
 * each machine exports (the session's kiosk-view.ts, and the running journey's top-up-view.ts,
 * collect-orders-view.ts or station-passage-view.ts). Nothing here holds an actor reference; the
 * card number appears only masked (last four digits), and nothing personal (name, birth date) is
 * ever in the machines to begin with.
 */
import type { AnyMachineSnapshot, SnapshotFrom } from 'xstate';
import type { KioskSnapshot } from '../../contract/bridge.js';
import { collectOrdersView } from '../../state-machines/collect-orders/collect-orders-view.js';
import type { CollectOrdersMachine } from '../../state-machines/collect-orders/collect-orders-machine.js';
import type { KioskMachine } from '../../state-machines/kiosk/kiosk-machine.js';
import { kioskView, sessionBase } from '../../state-machines/kiosk/kiosk-view.js';
import { activeJourney, activeMaintenance } from '../../state-machines/screen.js';
import type { DashboardFacts } from '../../contract/maintenance.js';
import type { MaintenanceMachine } from '../../state-machines/maintenance/maintenance-machine.js';
import { maintenanceView } from '../../state-machines/maintenance/maintenance-view.js';
import { stationPassageView } from '../../state-machines/station-passage/station-passage-view.js';
import type { StationPassageMachine } from '../../state-machines/station-passage/station-passage-machine.js';
import { topUpView } from '../../state-machines/top-up/top-up-view.js';
import type { TopUpMachine } from '../../state-machines/top-up/top-up-machine.js';

export { cardView } from '../../state-machines/card-view.js';

export interface SnapshotExtras {
  rev: number;
  /** Seconds until the inactivity reset, while the warning shows. */
  secondsLeft: number;
  /** Issue 13: the dashboard's live facts (main decides what they are; the machine never sees them). */
  dashboard?: () => DashboardFacts;
}

/** The running journey, typed by the id the session machine invokes each journey machine under. */
type RunningJourney =
  | { id: 'topUp'; snapshot: SnapshotFrom<TopUpMachine> }
  | { id: 'collectOrders'; snapshot: SnapshotFrom<CollectOrdersMachine> }
  | { id: 'stationPassage'; snapshot: SnapshotFrom<StationPassageMachine> };

/** The snapshot for a machine state; undefined between screens (nothing to show for that step). */
export function deriveSnapshot(root: AnyMachineSnapshot, extras: SnapshotExtras): KioskSnapshot | undefined {
  // The runtime only ever runs the session machine; its signature stays machine-agnostic.
  const session = root as SnapshotFrom<KioskMachine>;
  // kiosk-machine.ts invokes topUpMachine as 'topUp', collectOrdersMachine as 'collectOrders' and
  // stationPassageMachine as 'stationPassage' (JOURNEY_IDS), so the id says which snapshot it is.
  const journey = activeJourney(root) as RunningJourney | undefined;
  const maintenance = activeMaintenance(root);
  if (maintenance) {
    const v = maintenanceView(maintenance.snapshot as SnapshotFrom<MaintenanceMachine>, sessionBase(session, extras));
    if (v?.screen === 'maintenance-dashboard' && extras.dashboard) v.maintenance.facts = extras.dashboard();
    return v;
  }
  const card = session.context.card;
  if (!journey || !card) return kioskView(session, extras);
  const input = { base: sessionBase(session, extras), card, today: session.context.today };
  switch (journey.id) {
    case 'topUp':
      return topUpView(journey.snapshot, input);
    case 'collectOrders':
      return collectOrdersView(journey.snapshot, input);
    case 'stationPassage':
      return stationPassageView(journey.snapshot, input);
  }
}
