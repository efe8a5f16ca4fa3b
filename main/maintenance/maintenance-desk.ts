/**
 * The kiosk side of maintenance, put together (issue 13): which card is held (identify), the
 * technician check (technician-access.ts), the dashboard's actions (maintenance-actions.ts) plus the
 * two that need the kiosk's parts (a test read of a card; a back-office check), and the dashboard's
 * live facts. The composition root builds one with `createMaintenanceDesk` and hands it to the
 * runtime as `maintenance`.
 */
import type { KeyObject } from 'node:crypto';
import type { HealthReport } from '../../contract/health.js';
import type { DashboardFacts, SubsystemFacts } from '../../contract/maintenance.js';
import type { Time } from '../../contract/time.js';
import type { CardReader } from '../../hardware/card/card-reader.js';
import type { IdentifyCardOutput } from '../../state-machines/types.js';
import type { ActionResult, RunActionInput } from '../../state-machines/maintenance/maintenance-types.js';
import type { MaintenanceDeps } from '../core/kiosk-runtime.js';
import type { KioskVersion } from '../version.js';
import { createMaintenanceActions, type MaintenanceActionDeps } from './maintenance-actions.js';
import { createTechnicianAccess, type TechnicianList } from './technician-access.js';

export interface MaintenanceDeskDeps {
  time: Time;
  operatorPublicKey: KeyObject;
  technicianList: () => TechnicianList | undefined;
  maxPinAttempts: number;
  lockoutMs: number;
  lockoutFile: string;
  reader: CardReader;
  /** A card held anew (the technician's own card may still lie on the reader). */
  waitForFreshCard(signal: AbortSignal): Promise<unknown>;
  /** How long the test read waits for a card. */
  testReadWaitMs?: number;
  actions: MaintenanceActionDeps;
  health: () => HealthReport;
  checkHealthNow: () => Promise<HealthReport>;
  uploads: () => { pending: number; lastSeq: number; lastDeliveryAt?: string; lastError?: string; consecutiveFailures: number };
  /** The oldest record still waiting to be uploaded (ISO), if any. */
  oldestWaiting: () => string | undefined;
  version: KioskVersion;
  /** Configuration summary: no secrets, no keys, no paths to them. */
  configSummary: Record<string, string | number | boolean>;
  startedAt: Date;
}

/** Card number masked to the last four digits (domain.md: logs and screens never show more). */
const mask = (n: string) => `•••• ${n.slice(-4)}`;

export function createMaintenanceDesk(d: MaintenanceDeskDeps): MaintenanceDeps & { clearLockouts(): void } {
  const access = createTechnicianAccess({
    publicKey: d.operatorPublicKey,
    clock: d.time,
    list: d.technicianList,
    maxAttempts: d.maxPinAttempts,
    lockoutMs: d.lockoutMs,
    lockoutFile: d.lockoutFile,
  });

  /** Test read: wait for a card held anew, read it, show kind, masked number and balance only. */
  async function testRead(): Promise<ActionResult['detail']> {
    const ac = new AbortController();
    const timer = d.time.setTimeout(() => ac.abort(), d.testReadWaitMs ?? 30_000);
    try {
      await d.waitForFreshCard(ac.signal);
    } catch {
      throw new Error('no card was held to the reader');
    } finally {
      d.time.clearTimeout(timer);
    }
    const id = d.reader.identify ? await d.reader.identify() : { format: 'traveller' as const };
    if (id.format === 'technician') return { kind: 'technician' };
    const m = await d.reader.read(['identity', 'purse']);
    return { kind: m.kind, maskedNumber: mask(m.cardNumber), balanceCents: m.balanceCents };
  }

  async function backOfficeCheck(): Promise<{ ok: boolean; detail: ActionResult['detail'] }> {
    const r = await d.checkHealthNow();
    return { ok: r.parts.backOffice.ok, detail: { reachable: r.parts.backOffice.ok, blockedListVersion: r.parts.blockedList.version ?? null } };
  }

  const actions = createMaintenanceActions({
    ...d.actions,
    extra: {
      'reader-test-read': async () => ({ ok: true, detail: await testRead() }),
      'backoffice-check': backOfficeCheck,
    },
  });

  function dashboard(): DashboardFacts {
    const h = d.health();
    const p = h.parts;
    const now = d.time.now().getTime();
    const u = d.uploads();
    const oldest = d.oldestWaiting();
    const sub = (ok: boolean, state: string, facts: SubsystemFacts['facts'], lastError?: string, since?: string): SubsystemFacts => ({
      ok,
      state,
      facts,
      ...(lastError ? { lastError } : {}),
      ...(since ? { since } : {}),
    });
    return {
      cardReader: sub(p.cardReader.ok, p.cardReader.ok ? 'ready' : 'gone', { readerName: p.cardReader.readerName ?? null, lastAtr: d.reader.lastAtr?.() ?? null }, p.cardReader.detail, p.cardReader.since),
      paymentTerminal: sub(p.paymentTerminal.ok, p.paymentTerminal.state ?? 'unknown', { checkedAt: p.paymentTerminal.checkedAt ?? null }, p.paymentTerminal.detail, p.paymentTerminal.since),
      journal: sub(
        p.journal.ok,
        p.journal.writable ? (p.journal.chainOk ? 'writable' : 'chain broken') : 'not writable',
        {
          lastSeq: u.lastSeq,
          waiting: u.pending,
          oldestWaitingSeconds: oldest ? Math.max(0, Math.round((now - Date.parse(oldest)) / 1000)) : null,
          lastUpload: u.lastDeliveryAt ?? null,
          chainOk: p.journal.chainOk,
          freeBytes: p.journal.freeBytes ?? null,
        },
        p.journal.detail ?? u.lastError,
        p.journal.since,
      ),
      backOffice: sub(
        p.backOffice.ok,
        p.backOffice.ok ? 'reachable' : 'unreachable',
        {
          lastContact: p.backOffice.lastContact ?? null,
          blockedListVersion: p.blockedList.version ?? null,
          blockedListAgeSeconds: p.blockedList.ageMs !== undefined ? Math.round(p.blockedList.ageMs / 1000) : null,
          technicianListVersion: p.technicianList?.version ?? null,
          technicianListAgeSeconds: p.technicianList?.ageMs !== undefined ? Math.round(p.technicianList.ageMs / 1000) : null,
        },
        p.backOffice.detail,
        p.backOffice.since,
      ),
      software: sub(true, 'running', {
        version: d.version.version,
        build: d.version.build,
        builtAt: d.version.builtAt,
        uptimeMinutes: Math.floor((now - d.startedAt.getTime()) / 60_000),
        ...d.configSummary,
      }),
      outOfService: [...h.availability.outOfService],
    };
  }

  return {
    identify: async (): Promise<IdentifyCardOutput> => (d.reader.identify ? d.reader.identify() : { format: 'traveller' }),
    verifyCredential: (i) => access.verifyCredential(i),
    checkPin: (i) => access.checkPin(i),
    runAction: (i: RunActionInput) => actions.run(i),
    dashboard,
    clearLockouts: () => access.clearLockouts(),
  };
}
