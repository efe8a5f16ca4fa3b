/**
 * The dashboard's actions (issue 13), each run once and journaled as `maintenance.action`
 * (data.technicianId, data.action, data.outcome, plus privacy-safe facts) before its result is
 * shown: the journal is durable first, then uploaded like every record.
 * - terminal-end-of-day: ZVT 06 50; the booked total the terminal reports is shown and journaled;
 * - terminal-diagnosis (06 70), terminal-register (06 00), terminal-status (05 01);
 * - journal-verify: the hash chain; upload-now: drain the upload queue;
 * - out-of-service / back-in-service: the technician's switch in the health model;
 * - rotate-key: a new kiosk key agreed with the back office (key-ring.ts rotateKeyRing); the old
 *   key stays for the records sealed under it. Only the new key id is journaled, never a secret.
 * Every failure becomes an outcome 'failed' with a short reason: an action never throws at the
 * machine.
 */
import { maskCardNumbers } from '../../contract/journal-record.js';
import type { Journal } from '../journal/journal.js';
import type { ActionResult, RunActionInput } from '../../state-machines/maintenance/maintenance-types.js';

export interface MaintenanceTerminal {
  status(): Promise<string>;
  endOfDay?(): Promise<{ ok: boolean; resultCode: number; amountCents?: number; trace?: string }>;
  diagnosis?(): Promise<{ ok: boolean; resultCode: number }>;
  reRegister?(): Promise<void>;
}

/**
 * The terminal's maintenance side: in 'wire'/'real' mode the payment hardware's terminal is the
 * ZVT ECR driver itself; in 'emulated' mode it is a wrapper (it keeps the kiosk's payment ids for
 * the ledger) and the driver sits beside it as `driver`.
 */
export function maintenanceTerminal(pay: { terminal: MaintenanceTerminal; driver?: unknown }): MaintenanceTerminal {
  return (pay.driver as MaintenanceTerminal | undefined) ?? pay.terminal;
}

type Detail = ActionResult['detail'];

export interface MaintenanceActionDeps {
  journal: Pick<Journal, 'append'> & { verifyChain(): { ok: boolean; checked: number; firstBad?: { seq: number; reason: string } } };
  terminal: MaintenanceTerminal;
  drainUploads(): Promise<unknown>;
  pendingUploads(): number;
  setOutOfService(reason: string | undefined): void;
  newOperationId(): string;
  /** Key rotation (absent: a configured key, which rotates in the configuration only). */
  rotateKey?(): Promise<{ keyId: number }>;
  /** Actions that need more of the kiosk than these deps (the card test read, the back-office
   * check: maintenance-desk.ts), journaled here like every other. */
  extra?: Partial<Record<RunActionInput['action'], () => Promise<{ ok: boolean; detail: Detail }>>>;
}

export function createMaintenanceActions(d: MaintenanceActionDeps) {
  async function perform(input: RunActionInput): Promise<{ ok: boolean; detail: Detail }> {
    const t = d.terminal;
    const extra = d.extra?.[input.action];
    if (extra) return extra();
    switch (input.action) {
      case 'terminal-end-of-day': {
        if (!t.endOfDay) return { ok: false, detail: { error: 'this terminal driver has no end-of-day' } };
        const r = await t.endOfDay();
        return { ok: r.ok, detail: { resultCode: r.resultCode, totalCents: r.amountCents ?? null, trace: r.trace ?? null } };
      }
      case 'terminal-diagnosis': {
        if (!t.diagnosis) return { ok: false, detail: { error: 'this terminal driver has no diagnosis' } };
        const r = await t.diagnosis();
        return { ok: r.ok, detail: { resultCode: r.resultCode } };
      }
      case 'terminal-register': {
        if (!t.reRegister) return { ok: false, detail: { error: 'this terminal driver cannot register' } };
        await t.reRegister();
        return { ok: true, detail: { state: await t.status() } };
      }
      case 'terminal-status': {
        const state = await t.status();
        return { ok: state === 'ready', detail: { state } };
      }
      case 'journal-verify': {
        const c = d.journal.verifyChain();
        return { ok: c.ok, detail: { checked: c.checked, firstBadSeq: c.firstBad?.seq ?? null, reason: c.firstBad?.reason ?? null } };
      }
      case 'upload-now': {
        await d.drainUploads();
        return { ok: true, detail: { waiting: d.pendingUploads() } };
      }
      case 'out-of-service': {
        const reason = (input.reason ?? 'technician').slice(0, 200);
        d.setOutOfService(reason);
        return { ok: true, detail: { reason } };
      }
      case 'rotate-key': {
        if (!d.rotateKey) return { ok: false, detail: { error: 'this kiosk has a configured key: rotate it in the configuration' } };
        const r = await d.rotateKey();
        return { ok: true, detail: { keyId: r.keyId } };
      }
      case 'back-in-service':
        d.setOutOfService(undefined);
        return { ok: true, detail: {} };
      default:
        return { ok: false, detail: { error: `${input.action} is not run here` } };
    }
  }

  return {
    async run(input: RunActionInput): Promise<ActionResult> {
      let r: { ok: boolean; detail: Detail };
      try {
        r = await perform(input);
      } catch (e) {
        r = { ok: false, detail: { error: maskCardNumbers(String((e as Error).message ?? e), '…').slice(0, 200) } };
      }
      const result: ActionResult = { action: input.action, outcome: r.ok ? 'ok' : 'failed', detail: r.detail };
      d.journal.append({
        type: 'maintenance.action',
        operationId: d.newOperationId(),
        data: { technicianId: input.technicianId, action: input.action, outcome: result.outcome, ...r.detail },
      });
      return result;
    },
  };
}
