/**
 * The maintenance journey's screens as the renderer sees them (issue 13). Pure: the dashboard's
 * live facts are added by the runtime (main/core/snapshot.ts), never by the machine.
 */
import type { SnapshotFrom } from 'xstate';
import type { MaintenanceView, SnapshotBase } from '../../contract/bridge.js';
import type { MaintenanceMachine, MaintenanceScreen } from './maintenance-machine.js';

export function maintenanceView(s: SnapshotFrom<MaintenanceMachine>, base: Omit<SnapshotBase, 'card'>): MaintenanceView | undefined {
  const meta = s.getMeta() as Record<string, { screen?: MaintenanceScreen } | undefined>;
  const screen = Object.values(meta).find((m) => m?.screen)?.screen;
  if (!screen) return undefined;
  const c = s.context;
  return {
    ...base,
    busy: base.busy || s.hasTag('busy'),
    screen,
    journey: 'maintenance',
    maintenance: {
      ...(c.technician ? { technicianId: c.technician.technicianId } : {}),
      ...(c.refusal ? { refusal: c.refusal } : {}),
      ...(c.lockedUntil ? { lockedUntil: c.lockedUntil } : {}),
      ...(c.attemptsLeft !== undefined ? { attemptsLeft: c.attemptsLeft } : {}),
      wrongPin: c.wrongPin,
      ...(s.matches('running') && c.running ? { running: c.running } : {}),
      results: c.results.map((r) => ({ ...r, detail: { ...r.detail } })),
    },
  };
}
