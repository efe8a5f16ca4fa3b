/**
 * The fleet view (issue 13): every kiosk's latest heartbeat (POST /v1/heartbeat, a signed kiosk
 * request: its health, journal backlog and versions), and which kiosks need an operator now:
 * - out of service: its last heartbeat says so (any `outOfService` reason);
 * - silent: no heartbeat for `silentAfterMs` (or never, for a configured or enrolled kiosk);
 * - falling behind on upload: more than `behindPending` records waiting, or the oldest waiting
 *   longer than `behindAgeMs`.
 * Plus the maintenance actions kiosks journaled (`maintenance.action`, arriving by journal intake).
 *
 * One set of SQL for both stores (like reconciliation.ts); reading the journaled actions differs
 * per store (the intake table), so each store hands in `maintenanceActions`.
 */
import type { HeartbeatDto } from '../contract/backoffice-api.js';
import type { Clock } from '../contract/time.js';
import type { SqlTransactor } from './technicians.js';

export interface FleetSettings {
  /** No heartbeat for this long: silent. Default 5 minutes. */
  silentAfterMs?: number;
  /** More records than this waiting: falling behind. Default 500. */
  behindPending?: number;
  /** The oldest record waiting longer than this: falling behind. Default 1 hour. */
  behindAgeMs?: number;
}

export const FLEET_DEFAULTS = { silentAfterMs: 5 * 60_000, behindPending: 500, behindAgeMs: 3600_000 } as const;

export interface MaintenanceActionDto {
  kioskId: string;
  seq: number;
  at: string;
  operationId: string;
  technicianId: string | null;
  action: string | null;
  outcome: string | null;
  detail: string | null;
}

export interface KioskStatusDto {
  kioskId: string;
  receivedAt: string | null;
  sentAt: string | null;
  outOfService: string[];
  pending: number | null;
  oldestPendingAt: string | null;
  heartbeat: HeartbeatDto | null;
  silent: boolean;
  behind: boolean;
}

export interface FleetViewDto {
  now: string;
  settings: Required<FleetSettings>;
  kiosks: KioskStatusDto[];
  outOfService: string[];
  silent: string[];
  behind: string[];
  maintenanceActions: MaintenanceActionDto[];
}

export interface FleetStore {
  recordHeartbeat(kioskId: string, hb: HeartbeatDto): Promise<void>;
  view(knownKiosks: readonly string[], limit?: number): Promise<FleetViewDto>;
}

export interface FleetBackend extends SqlTransactor {
  /** The latest `maintenance.action` records of every kiosk, newest first. */
  maintenanceActions(limit: number): Promise<{ kioskId: string; seq: number; at: string; operationId: string; data: Record<string, unknown> | null }[]>;
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);

/** The action's other facts (privacy-safe by the journal's own check), shortened for the page. */
function detailOf(data: Record<string, unknown> | null): string | null {
  if (!data) return null;
  const rest = Object.fromEntries(Object.entries(data).filter(([k]) => k !== 'technicianId' && k !== 'action' && k !== 'outcome'));
  return Object.keys(rest).length === 0 ? null : JSON.stringify(rest).slice(0, 300);
}

export function createFleetStore(backend: FleetBackend, clock: Clock, settings: FleetSettings = {}): FleetStore {
  const s: Required<FleetSettings> = { ...FLEET_DEFAULTS, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
  return {
    async recordHeartbeat(kioskId, hb) {
      await backend.sql.run(
        `INSERT INTO kiosk_heartbeats (kiosk_id, received_at, sent_at, out_of_service, pending, oldest_pending_at, report) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (kiosk_id) DO UPDATE SET received_at = excluded.received_at, sent_at = excluded.sent_at, out_of_service = excluded.out_of_service,
           pending = excluded.pending, oldest_pending_at = excluded.oldest_pending_at, report = excluded.report`,
        [kioskId, clock.now().toISOString(), hb.at, hb.availability.outOfService.join(','), hb.backlog.pending, hb.backlog.oldestPendingAt, JSON.stringify(hb)],
      );
    },
    async view(knownKiosks, limit = 100) {
      const now = clock.now();
      const rows = await backend.sql.all<{ kiosk_id: string; received_at: string; sent_at: string; out_of_service: string; pending: number | string; oldest_pending_at: string | null; report: string }>(
        `SELECT kiosk_id, received_at, sent_at, out_of_service, pending, oldest_pending_at, report FROM kiosk_heartbeats ORDER BY kiosk_id`,
      );
      const byId = new Map(rows.map((r) => [r.kiosk_id, r]));
      // Enrolled kiosks (kiosk-keys.ts; not revoked) count as known: silent until they report.
      const enrolled = (await backend.sql.all<{ kiosk_id: string }>(`SELECT kiosk_id FROM kiosks WHERE revoked_at IS NULL`)).map((r) => r.kiosk_id);
      const ids = [...new Set([...knownKiosks, ...enrolled, ...byId.keys()])].sort();
      const kiosks: KioskStatusDto[] = ids.map((kioskId) => {
        const r = byId.get(kioskId);
        if (!r) return { kioskId, receivedAt: null, sentAt: null, outOfService: [], pending: null, oldestPendingAt: null, heartbeat: null, silent: true, behind: false };
        const pending = Number(r.pending);
        const oldestAge = r.oldest_pending_at === null ? 0 : now.getTime() - new Date(r.oldest_pending_at).getTime();
        let heartbeat: HeartbeatDto | null = null;
        try {
          heartbeat = JSON.parse(r.report) as HeartbeatDto;
        } catch {
          heartbeat = null;
        }
        return {
          kioskId,
          receivedAt: r.received_at,
          sentAt: r.sent_at,
          outOfService: r.out_of_service.split(',').filter(Boolean),
          pending,
          oldestPendingAt: r.oldest_pending_at,
          heartbeat,
          silent: now.getTime() - new Date(r.received_at).getTime() > s.silentAfterMs,
          behind: pending > s.behindPending || oldestAge > s.behindAgeMs,
        };
      });
      const actions = (await backend.maintenanceActions(limit)).map((a) => ({
        kioskId: a.kioskId,
        seq: Number(a.seq),
        at: a.at,
        operationId: a.operationId,
        technicianId: text(a.data?.technicianId),
        action: text(a.data?.action),
        outcome: text(a.data?.outcome),
        detail: detailOf(a.data),
      }));
      return {
        now: now.toISOString(),
        settings: s,
        kiosks,
        outOfService: kiosks.filter((k) => k.outOfService.length > 0).map((k) => k.kioskId),
        silent: kiosks.filter((k) => k.silent).map((k) => k.kioskId),
        behind: kiosks.filter((k) => k.behind).map((k) => k.kioskId),
        maintenanceActions: actions,
      };
    },
  };
}
