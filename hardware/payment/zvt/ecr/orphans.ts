/**
 * The orphan resolver: what became of a payment when this process cannot simply know it.
 * - A terminal still inside a previous process's transaction keeps asking 04 0F outside any
 *   conversation: that approval is held here as the "orphan" (answered "please wait" until the
 *   kiosk decides) and bound to the kiosk's payment by receipt number.
 * - Otherwise the terminal's last stored transaction (06 20 repeat receipt) says whether a payment
 *   stands: a ZVT terminal stores a payment only once the ECR acknowledged it.
 */
import type { Clock } from '../../../../contract/time.js';
import { PaymentTerminalError } from '../../errors.js';
import type { PaymentHints, PaymentResolution } from '../../payment-terminal.js';
import { delay } from '../../scheduler.js';
import type { Apdu } from '../apdu.js';
import { CMD, build, is, parseStatusInformation, toReceipt, type StatusInformation } from '../messages.js';
import { RESULT } from '../result-codes.js';
import { deferred } from '../inbox.js';
import { answerFor, isOpen, newApproval, resolutionState, settle, type Approval, type Approvals } from './approvals.js';
import { isAnswer, type Conversation } from './conversation.js';
import type { Registration } from './registration.js';
import { doubling, retrying } from './retry.js';

export interface OrphanOptions {
  clock: Clock;
  password: string;
  /** After start, how long to listen for a terminal still in a previous process's transaction. */
  orphanListenMs?: number;
  log?: (msg: string, extra?: object) => void;
}

export class OrphanResolver {
  /** A 04 0F the driver did not ask for (a previous process's transaction still open at the terminal). */
  private orphan: Approval | undefined;
  private startedAt = 0;
  private orphanSeen = deferred<void>();

  constructor(
    private readonly conv: Conversation,
    private readonly registration: Registration,
    private readonly approvals: Approvals,
    private readonly o: OrphanOptions,
  ) {
    conv.onUnsolicited((m) => this.unsolicited(m));
  }

  /** The listen window starts now. */
  started(): void {
    this.startedAt = this.o.clock.now().getTime();
  }

  /** True while the terminal holds a previous process's approval waiting for an answer. */
  holdsOpenOrphan(): boolean {
    return !!this.orphan && isOpen(this.orphan);
  }

  /**
   * At start: listen (up to the listen window) for a terminal still asking a previous process's
   * 04 0F, and end early when it asks. The driver registers only after this, and not at all while
   * such a question is open: a 06 00 sent into the terminal's re-ask makes both sides talk at once
   * (the terminal answers "busy", its question goes unanswered and it reverses the payment; issue 12).
   */
  async listenForOrphan(): Promise<boolean> {
    const left = (this.o.orphanListenMs ?? 2_500) - (this.o.clock.now().getTime() - this.startedAt);
    if (left > 0 && !this.orphan) await Promise.race([this.orphanSeen.promise, delay(this.conv.o.scheduler, left)]);
    return this.holdsOpenOrphan();
  }

  /** After the listen window: the approval a previous process left the terminal holding, if it matches. */
  async heldOrphan(receiptNumber: string | undefined): Promise<Approval | undefined> {
    await this.listen();
    const o = this.orphan;
    if (!o || o.state !== 'awaiting-decision') return undefined;
    if (receiptNumber && o.receipt.receiptNumber !== receiptNumber) return undefined;
    return o;
  }

  async resolve(paymentId: string, hints: PaymentHints = {}): Promise<PaymentResolution> {
    const r = await this.resolveInner(paymentId, hints);
    const a = this.approvals.get(paymentId);
    if (a && a.state === 'unclear' && (r.state === 'committed' || r.state === 'reversed')) settle(a, r.state);
    return r;
  }

  private async listen(): Promise<void> {
    // Give a terminal still inside a previous process's transaction the chance to ask again.
    const left = (this.o.orphanListenMs ?? 2_500) - (this.o.clock.now().getTime() - this.startedAt);
    if (left > 0 && !this.orphan) await delay(this.conv.o.scheduler, left);
  }

  private async resolveInner(paymentId: string, hints: PaymentHints): Promise<PaymentResolution> {
    const known = this.approvals.get(paymentId);
    if (known && known.state !== 'unclear') return { paymentId, state: resolutionState(known), receipt: known.receipt };
    const receiptNumber = hints.receiptNumber ?? known?.receipt.receiptNumber;
    await this.listen();
    const orphan = this.orphan;
    if (orphan && orphan.state === 'awaiting-decision') {
      if (receiptNumber && orphan.receipt.receiptNumber === receiptNumber) {
        this.approvals.set(paymentId, orphan);
        return { paymentId, state: 'open', receipt: orphan.receipt, detail: 'the terminal still waits for the commit answer' };
      }
      if (!receiptNumber) {
        // The kiosk never saw this approval, so it cannot have committed it: let the terminal reverse it.
        this.approvals.set(paymentId, orphan);
        await this.approvals.decide(orphan, 'rollback');
        const v = await Promise.race([orphan.settled.promise, delay(this.conv.o.scheduler, this.conv.o.t4Ms).then(() => 'unclear' as const)]);
        return { paymentId, state: v === 'unclear' ? 'unknown' : v, receipt: orphan.receipt };
      }
    }
    if (orphan && receiptNumber && orphan.receipt.receiptNumber === receiptNumber && (orphan.state === 'committed' || orphan.state === 'reversed'))
      return { paymentId, state: orphan.state, receipt: orphan.receipt };
    if (!this.conv.isOpen) return { paymentId, state: 'unknown', detail: 'terminal link closed' };
    let last: StatusInformation | null | undefined;
    try {
      last = await this.conv.exclusive(() => this.repeatReceipt());
    } catch (e) {
      return { paymentId, state: 'unknown', detail: `repeat receipt failed: ${(e as Error).message}` };
    }
    if (last === undefined) return { paymentId, state: 'unknown', detail: 'the terminal refused the repeat receipt' };
    const stands = !!receiptNumber && last !== null && last.resultCode === 0 && last.receiptNumber === receiptNumber;
    const r: PaymentResolution = {
      paymentId,
      state: stands ? 'committed' : 'reversed',
      detail: stands
        ? 'the last stored transaction is this payment'
        : receiptNumber
          ? `the last stored transaction is ${last?.receiptNumber ?? 'none'}, not ${receiptNumber}`
          : 'the kiosk never saw an approval, and the terminal stores only acknowledged payments',
    };
    if (stands && last) r.receipt = toReceipt(last, hints.amountCents ?? 0, this.o.clock.now());
    return r;
  }

  /** Repeat receipt: the last stored transaction, null when there is none, undefined when refused. */
  private async repeatReceipt(): Promise<StatusInformation | null | undefined> {
    const cmd = build.repeatReceipt(this.o.password);
    // a terminal still finishing something (e.g. reversing what a dead ECR left) says "not ready": ask again
    const r = await retrying(this.conv.o.scheduler, () => this.registration.commandRegistered(cmd), {
      retries: 8,
      pauseMs: doubling(250, this.conv.o.t3Ms),
      again: (x) => !!x && !x.ok && x.code === RESULT.RECEIVER_NOT_READY,
    });
    if (!r) throw new PaymentTerminalError('offline', 'no answer to the repeat receipt (T3)');
    if (!r.ok) return undefined;
    let last: StatusInformation | null = null;
    for (;;) {
      const m = await this.conv.next();
      if (!m) throw new PaymentTerminalError('offline', 'no completion of the repeat receipt (T4)');
      if (isAnswer(m)) continue;
      await this.conv.reply(build.positive());
      if (is(m, CMD.STATUS_INFORMATION)) last = parseStatusInformation(m.data);
      else if (is(m, CMD.COMPLETION)) return last;
      else if (is(m, CMD.ABORT)) return null;
    }
  }

  /** Messages outside a conversation: a previous process's transaction, stray answers. */
  private unsolicited(m: Apdu): void {
    if (isAnswer(m)) return;
    if (is(m, CMD.STATUS_INFORMATION)) {
      let info: StatusInformation | undefined;
      try {
        info = parseStatusInformation(m.data);
      } catch {
        info = undefined;
      }
      if (!info || info.resultCode !== 0) {
        void this.conv.reply(info ? build.positive() : build.negative(RESULT.PROTOCOL_ERROR));
        return;
      }
      let o = this.orphan;
      if (!o || o.receipt.receiptNumber !== info.receiptNumber || o.state === 'committed' || o.state === 'reversed') {
        o = newApproval('', info.amountCents ?? 0, toReceipt(info, 0, this.o.clock.now()), info);
        o.orphan = true;
        this.orphan = o;
        this.orphanSeen.resolve();
        this.o.log?.('zvt: terminal holds an approval of a previous ECR process', { receiptNumber: info.receiptNumber });
      }
      // answer at once (no hold): this path must not block the message handler
      void this.conv.reply(answerFor(o));
      return;
    }
    const known = is(m, CMD.INTERMEDIATE_STATUS) || is(m, CMD.COMPLETION) || is(m, CMD.ABORT) || is(m, CMD.PRINT_LINE) || is(m, CMD.PRINT_TEXT_BLOCK);
    void this.conv.reply(known ? build.positive() : build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
    const o = this.orphan;
    if (o && isOpen(o)) {
      if (is(m, CMD.COMPLETION)) settle(o, 'committed');
      else if (is(m, CMD.ABORT)) settle(o, 'reversed');
    }
  }
}
