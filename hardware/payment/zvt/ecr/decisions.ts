/**
 * The kiosk's decision on an approved payment: commit() (goods issued: the payment stands) and
 * rollback() (not issued: undo it). An approval still held is answered on the held 04 0F; one the
 * terminal booked anyway is reversed explicitly (06 30); one this process never saw (a restart) is
 * looked up through the orphan resolver by the receipt number the kiosk journaled. Every decision
 * goes through the approvals ledger's announce/decide, so the kiosk journals it before the wire.
 */
import { PaymentTerminalError } from '../../errors.js';
import type { PaymentHints, PaymentResolution } from '../../payment-terminal.js';
import { hex } from '../bytes.js';
import { RESULT } from '../result-codes.js';
import { newApproval, type Approval, type Approvals } from './approvals.js';
import type { Authorizations } from './authorization.js';
import type { CommandResult } from './commands.js';
import type { OrphanResolver } from './orphans.js';

export type RollbackResult = { undone: boolean; detail?: string };

export class Decisions {
  constructor(
    private readonly approvals: Approvals,
    private readonly resolver: OrphanResolver,
    private readonly authorizations: Authorizations,
    private readonly reversal: (receiptNumber: string) => Promise<CommandResult>,
  ) {}

  async commit(paymentId: string, hints: PaymentHints = {}): Promise<void> {
    let a = this.approvals.get(paymentId);
    if (!a) {
      // After a restart: the approval may still be held by the terminal (it asks 04 0F again) ...
      const o = await this.resolver.heldOrphan(hints.receiptNumber);
      if (o) {
        this.approvals.set(paymentId, o);
        a = o;
      } else if (hints.receiptNumber) {
        // ... or it was booked (the commit answer landed) or reversed: the last stored transaction says which
        const r = await this.resolver.resolve(paymentId, hints);
        if (r.state === 'committed') return;
        if (r.state === 'reversed') throw new PaymentTerminalError('not-open', `payment ${paymentId} (receipt ${hints.receiptNumber}) does not stand at the terminal: ${r.detail ?? ''}`);
        throw new PaymentTerminalError('offline', `cannot tell what became of payment ${paymentId}: ${r.detail ?? ''}`);
      } else throw new PaymentTerminalError('unknown-payment', `no approved payment ${paymentId} in this process and no receipt number to look it up (pass hints.receiptNumber)`);
    }
    switch (a.state) {
      case 'committed':
      case 'booked':
        if (a.state === 'booked') await this.approvals.announce(paymentId, 'commit');
        a.state = 'committed';
        return;
      case 'reversed':
        throw new PaymentTerminalError('not-open', `payment ${paymentId} was reversed by the terminal (receipt ${a.receipt.receiptNumber ?? '?'})`);
      case 'unclear': {
        // ask the terminal first; an approval it still holds can be committed now
        const r = await this.resolver.resolve(paymentId);
        if (r.state === 'unknown') throw new PaymentTerminalError('offline', `payment ${paymentId} ended unclearly and the terminal cannot be asked: ${r.detail ?? ''}`);
        return this.commit(paymentId);
      }
      case 'deciding':
        if (a.decision !== 'commit') throw new PaymentTerminalError('not-open', `payment ${paymentId} is being rolled back`);
        break;
      case 'awaiting-decision':
        if (!(await this.approvals.decide(a, 'commit'))) return this.commit(paymentId);
        break;
    }
    const verdict = await a.settled.promise;
    if (verdict === 'committed') return;
    if (verdict === 'reversed') throw new PaymentTerminalError('not-open', `the terminal reversed payment ${paymentId} instead of booking it`);
    throw new PaymentTerminalError('offline', `no completion after the commit of ${paymentId}: call resolve()`);
  }

  async rollback(paymentId: string, hints: PaymentHints = {}): Promise<RollbackResult> {
    const a = this.approvals.get(paymentId);
    if (!a) {
      if (this.authorizations.runningId() === paymentId) {
        await this.authorizations.abort();
        return { undone: true, detail: 'authorization aborted before approval' };
      }
      // not approved in this process: whatever the terminal may still hold of it, it must not stand
      const r = await this.resolver.resolve(paymentId, hints);
      if (r.state === 'reversed') return { undone: true, detail: r.detail ?? 'nothing stands at the terminal' };
      if (r.state === 'open' || r.state === 'committed') return this.approvals.has(paymentId) ? this.rollback(paymentId) : this.reverseByReceipt(paymentId, r);
      return { undone: false, detail: r.detail ?? 'the terminal cannot be asked' };
    }
    switch (a.state) {
      case 'reversed':
        return { undone: true, detail: 'already reversed' };
      case 'unclear': {
        const r = await this.resolver.resolve(paymentId);
        if (r.state === 'unknown') return { undone: false, detail: `the payment ended unclearly and the terminal cannot be asked: ${r.detail ?? ''}` };
        return this.rollback(paymentId);
      }
      case 'committed':
      case 'booked':
        await this.approvals.announce(paymentId, 'rollback');
        return this.reverseBooked(a);
      case 'deciding':
        break;
      case 'awaiting-decision':
        if (!(await this.approvals.decide(a, 'rollback'))) return this.rollback(paymentId);
        break;
    }
    const verdict = await a.settled.promise;
    if (verdict === 'reversed') return { undone: true, detail: 'negative answer to the Status-Information: the terminal reversed the payment' };
    if (verdict === 'committed') return this.reverseBooked(a); // the window had passed: explicit reversal
    return { undone: false, detail: 'no answer from the terminal after the rollback: call resolve()' };
  }

  /** A booked payment this process never saw approved (after a restart): reverse it by its receipt number. */
  private async reverseByReceipt(paymentId: string, r: PaymentResolution): Promise<RollbackResult> {
    const receipt = r.receipt ?? { resultCode: 0, amountCents: 0 };
    const a = newApproval(paymentId, receipt.amountCents, receipt, { resultCode: 0 });
    a.state = 'committed';
    this.approvals.set(paymentId, a);
    await this.approvals.announce(paymentId, 'rollback');
    return this.reverseBooked(a);
  }

  private async reverseBooked(a: Approval): Promise<RollbackResult> {
    if (!a.receipt.receiptNumber) return { undone: false, detail: 'no receipt number to reverse' };
    try {
      const r = await this.reversal(a.receipt.receiptNumber);
      if (r.ok || r.resultCode === RESULT.ALREADY_REVERSED) {
        a.state = 'reversed';
        return { undone: true, detail: r.ok ? 'reversal (06 30)' : 'already reversed' };
      }
      return { undone: false, detail: `reversal refused: ${hex([r.resultCode])}` };
    } catch (e) {
      return { undone: false, detail: `reversal failed: ${(e as Error).message}` };
    }
  }
}
