/**
 * The reservation terminal profile (issue 12, window 9), for terminals that do not wait for the
 * ECR's answer to their Status-Information before booking (no vending commit point):
 *
 *   authorize(): 06 22 Pre-authorisation -> 80 00 -> 04 FF ... -> 04 0F result 00 (the amount is
 *                reserved, nothing booked; the ECR acknowledges at once: there is nothing to hold)
 *                -> 06 0F. The reservation is named by its receipt number (87), trace (0B), AID (3B).
 *   commit():    06 24 Book total of that receipt (87, amount 04, trace 0B, AID 3B) -> 04 0F -> 06 0F:
 *                the terminal books it. Sent only after the kiosk's decision hook allowed it (the
 *                journal holds `card.written` / `payment.credit-pending`). No answer -> `offline`:
 *                the reservation stays at the terminal and the settler/recovery books it again.
 *   rollback():  06 25 Reversal of the pre-authorisation (87, 04, 49) -> 06 0F: released.
 *   resolve():   what this process knows; else the terminal's last stored transaction (06 20): the
 *                booking of this receipt -> committed; otherwise the reservation is open (the kiosk's
 *                commit/rollback finds out: book total or reversal answers "no longer there").
 *
 * Why this closes window 9: with the commit point a terminal that acknowledged "please wait" and
 * then went silent could reverse a payment whose credit was already on the card. A reservation is
 * not booked until the kiosk says 06 24 and not released until it says 06 25 (or it expires after
 * the terminal's reservation lifetime, days on real terminals): a silent terminal can only delay
 * the booking, and the kiosk books until the terminal confirms.
 *
 * Result codes: B4 ("already reversed") to a book total or reversal = the reservation no longer
 * exists (released or expired): `not-open`. Any other refusal of a book total is checked against
 * the repeat receipt (an earlier process's book total that landed) and otherwise left open
 * (`offline`): never guessed.
 */
import type { Clock } from '../../../../contract/time.js';
import { PaymentTerminalError, checkAuthorizationRequest } from '../../errors.js';
import type {
  AuthorizationOutcome,
  AuthorizationRequest,
  PaymentDecisionHook,
  PaymentFailureReason,
  PaymentHints,
  PaymentPrompt,
  PaymentReceipt,
  PaymentResolution,
  PaymentStatusListener,
} from '../../payment-terminal.js';
import { hex } from '../bytes.js';
import { deferred, type Deferred } from '../inbox.js';
import { CMD, build, is, parseAbort, parseIntermediateStatus, parseStatusInformation, toReceipt, type StatusInformation } from '../messages.js';
import { RESULT, promptForIntermediateStatus, reasonForResult } from '../result-codes.js';
import type { Apdu } from '../apdu.js';
import { isAnswer, type Conversation } from './conversation.js';
import type { Registration } from './registration.js';
import { forgetOldestFinished } from './ledger-bound.js';
import { doubling, retrying } from './retry.js';

export type ReservationState = 'reserved' | 'booked' | 'released';

export interface Reservation {
  paymentId: string;
  amountCents: number;
  receipt: PaymentReceipt;
  state: ReservationState;
}

export interface ReservationOptions {
  clock: Clock;
  password: string;
  onDecision?: PaymentDecisionHook;
  log?: (msg: string, extra?: object) => void;
}

/** How a command that ends with Status-Information and Completion/Abort ended. */
type Ending = { ended: 'completed'; info?: StatusInformation } | { ended: 'aborted'; code: number; info?: StatusInformation } | { ended: 'refused'; code: number };

export class Reservations {
  private readonly byPayment = new Map<string, Reservation>();
  private running: { paymentId: string; aborted: boolean } | undefined;

  constructor(
    private readonly conv: Conversation,
    private readonly registration: Registration,
    private readonly o: ReservationOptions,
  ) {}

  runningId(): string | undefined {
    return this.running?.paymentId;
  }

  get(paymentId: string): Reservation | undefined {
    return this.byPayment.get(paymentId);
  }

  // ------------------------------------------------------------------ 06 22

  authorize(request: AuthorizationRequest, onPrompt: PaymentStatusListener | undefined, stopped: boolean): Promise<AuthorizationOutcome> {
    checkAuthorizationRequest(request);
    if (stopped || !this.conv.isOpen) return Promise.reject(new PaymentTerminalError('offline', 'payment terminal link is closed'));
    if (this.running) return Promise.reject(new PaymentTerminalError('busy', `an authorization is running (${this.running.paymentId})`));
    if (this.byPayment.has(request.paymentId)) return Promise.reject(new PaymentTerminalError('invalid-request', `payment ${request.paymentId} was authorized before`));
    this.running = { paymentId: request.paymentId, aborted: false };
    const outcome = deferred<AuthorizationOutcome>();
    void this.conv
      .exclusive(() => this.preAuthorise(request, onPrompt, outcome))
      .catch((e: unknown) => {
        this.o.log?.('zvt: pre-authorisation failed', { error: (e as Error).message });
        outcome.resolve({ result: 'failed', paymentId: request.paymentId, reason: 'communication', uncertain: true });
      })
      .finally(() => {
        if (this.running?.paymentId === request.paymentId) this.running = undefined;
      });
    return outcome.promise;
  }

  async abort(): Promise<void> {
    const r = this.running;
    if (!r || r.aborted || this.byPayment.has(r.paymentId)) return;
    r.aborted = true;
    await this.conv.o.transport.send(build.ecrAbort()).catch((e: unknown) => this.o.log?.('zvt: ECR abort not acknowledged', { error: (e as Error).message }));
  }

  private async preAuthorise(req: AuthorizationRequest, onPrompt: PaymentStatusListener | undefined, outcome: Deferred<AuthorizationOutcome>): Promise<void> {
    const { paymentId, amountCents } = req;
    // the driver is free for the next payment once the outcome is out
    const endRunning = () => {
      if (this.running?.paymentId === paymentId) this.running = undefined;
    };
    const fail = (reason: PaymentFailureReason, code?: number, uncertain?: boolean) => {
      endRunning();
      outcome.resolve({ result: 'failed', paymentId, reason, ...(code !== undefined ? { code } : {}), ...(uncertain ? { uncertain } : {}) });
    };
    const prompt = (p: PaymentPrompt) => {
      try {
        onPrompt?.(p);
      } catch {
        // a broken screen must not break the payment
      }
    };
    if (!this.registration.isRegistered()) await this.registration.register().catch((e: unknown) => this.o.log?.('zvt: registration failed', { error: (e as Error).message }));
    let r;
    try {
      r = await this.registration.commandRegistered(build.preAuthorisation(amountCents), (e) => this.o.log?.('zvt: re-registration failed', { error: e.message }));
    } catch {
      return fail('communication', undefined, true);
    }
    if (!r) return fail('communication', undefined, true);
    if (!r.ok) return fail(reasonForResult(r.code), r.code);

    let reserved: Reservation | undefined;
    let failCode: number | undefined;
    let sawWrongPin = false;
    const approve = (res: Reservation) => {
      endRunning();
      outcome.resolve({ result: 'approved', paymentId, amountCents: res.amountCents, receipt: res.receipt });
    };
    for (;;) {
      const m = await this.conv.next();
      if (!m) {
        // T4 after the terminal said "reserved": the reservation exists and is named; else unclear
        if (reserved) return approve(reserved);
        return fail(this.running?.aborted ? 'customer-abort' : 'communication', undefined, true);
      }
      if (isAnswer(m)) continue;
      if (is(m, CMD.INTERMEDIATE_STATUS)) {
        await this.conv.reply(build.positive());
        try {
          const p = promptForIntermediateStatus(parseIntermediateStatus(m.data));
          if (p === 'wrong-pin') sawWrongPin = true;
          if (p) prompt(p);
        } catch {
          // a status we cannot read changes nothing
        }
        continue;
      }
      if (is(m, CMD.STATUS_INFORMATION)) {
        let info: StatusInformation;
        try {
          info = parseStatusInformation(m.data);
        } catch (e) {
          // unreadable: we cannot name the reservation, so it will never be booked (it expires)
          this.o.log?.('zvt: unreadable Status-Information of a pre-authorisation', { error: (e as Error).message });
          await this.conv.reply(build.negative(RESULT.PROTOCOL_ERROR));
          failCode = RESULT.PROTOCOL_ERROR;
          continue;
        }
        // no commit point: acknowledge at once (the reservation books nothing)
        await this.conv.reply(build.positive());
        if (info.resultCode !== 0) failCode = info.resultCode;
        else if (!reserved && info.receiptNumber) {
          reserved = { paymentId, amountCents, receipt: toReceipt(info, amountCents, this.o.clock.now()), state: 'reserved' };
          this.byPayment.set(paymentId, reserved);
          forgetOldestFinished(this.byPayment, (x) => x.state !== 'reserved');
          prompt('approved');
        } else if (!info.receiptNumber) failCode = RESULT.PROTOCOL_ERROR; // a reservation nobody can name cannot be booked
        continue;
      }
      if (is(m, CMD.PRINT_LINE) || is(m, CMD.PRINT_TEXT_BLOCK)) {
        await this.conv.reply(build.positive());
        continue;
      }
      if (is(m, CMD.COMPLETION)) {
        await this.conv.reply(build.positive());
        if (reserved) return approve(reserved);
        if (failCode !== undefined) return fail(reasonForResult(failCode), failCode);
        return fail('unknown', undefined, true);
      }
      if (is(m, CMD.ABORT)) {
        await this.conv.reply(build.positive());
        const code = parseAbort(m.data);
        if (reserved) reserved.state = 'released';
        if (this.running?.aborted) return fail('customer-abort', code);
        return fail(sawWrongPin && (code === RESULT.WRONG_PIN || code === RESULT.ABORTED) ? 'wrong-pin' : reasonForResult(code), code);
      }
      await this.conv.reply(build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
    }
  }

  // ------------------------------------------------------------------ 06 24

  /** Book the reservation of `paymentId` (06 24). Idempotent: a booked one returns at once. */
  async commit(paymentId: string, hints: PaymentHints = {}): Promise<void> {
    const res = this.named(paymentId, hints);
    if (res.state === 'booked') return;
    if (res.state === 'released') throw new PaymentTerminalError('not-open', `the reservation of ${paymentId} (receipt ${res.receipt.receiptNumber}) was released`);
    // the kiosk journals first (and refuses a commit without card.written / credit-pending)
    await this.o.onDecision?.(paymentId, 'commit');
    const cmd = build.bookTotal({
      receiptNumber: res.receipt.receiptNumber!,
      amountCents: res.amountCents,
      ...(res.receipt.trace ? { trace: res.receipt.trace } : {}),
      ...(res.receipt.aid ? { aid: res.receipt.aid } : {}),
    });
    const end = await this.run(cmd, 'book total');
    if (end.ended === 'completed' && (end.info?.resultCode ?? 0) === 0) {
      res.state = 'booked';
      return;
    }
    const code = end.ended === 'completed' ? end.info!.resultCode : end.code;
    if (code === RESULT.ALREADY_REVERSED) {
      res.state = 'released';
      throw new PaymentTerminalError('not-open', `the terminal no longer holds the reservation of ${paymentId} (receipt ${res.receipt.receiptNumber}): ${hex([code])}`);
    }
    // refused for another reason: did an earlier book total of this receipt land (a previous process)?
    if (await this.bookedAtTerminal(res)) {
      res.state = 'booked';
      return;
    }
    throw new PaymentTerminalError('offline', `book total of ${paymentId} refused (${hex([code])}); the reservation stays open and is booked again`);
  }

  // ------------------------------------------------------------------ 06 25

  async rollback(paymentId: string, hints: PaymentHints = {}): Promise<{ undone: boolean; detail?: string }> {
    if (this.running?.paymentId === paymentId && !this.byPayment.has(paymentId)) {
      await this.abort();
      return { undone: true, detail: 'pre-authorisation aborted before the reservation' };
    }
    if (!this.byPayment.has(paymentId) && !hints.receiptNumber)
      return { undone: true, detail: 'no reservation named for this payment: a reservation nobody names is never booked, the terminal releases it when it expires' };
    const res = this.named(paymentId, hints);
    if (res.state === 'released') return { undone: true, detail: 'already released' };
    if (res.state === 'booked') return { undone: false, detail: `the reservation (receipt ${res.receipt.receiptNumber}) was booked` };
    await this.o.onDecision?.(paymentId, 'rollback');
    const end = await this.run(build.preAuthReversal({ receiptNumber: res.receipt.receiptNumber!, amountCents: res.amountCents }), 'pre-authorisation reversal');
    if (end.ended === 'completed' && (end.info?.resultCode ?? 0) === 0) {
      res.state = 'released';
      return { undone: true, detail: 'reservation released (06 25)' };
    }
    const code = end.ended === 'completed' ? end.info!.resultCode : end.code;
    if (code === RESULT.ALREADY_REVERSED) {
      res.state = 'released';
      return { undone: true, detail: 'the terminal no longer holds the reservation (released or expired)' };
    }
    return { undone: false, detail: `reversal of the pre-authorisation refused: ${hex([code])}` };
  }

  // ------------------------------------------------------------------ resolve

  async resolve(paymentId: string, hints: PaymentHints = {}): Promise<PaymentResolution> {
    const known = this.byPayment.get(paymentId);
    if (known && known.state !== 'reserved')
      return { paymentId, state: known.state === 'booked' ? 'committed' : 'reversed', receipt: known.receipt };
    if (this.running?.paymentId === paymentId && !known) return { paymentId, state: 'unknown', detail: 'the pre-authorisation is still running' };
    if (!known && !hints.receiptNumber)
      return { paymentId, state: 'reversed', detail: 'the kiosk never saw a reservation: one nobody names is never booked (06 24 needs its receipt number) and expires at the terminal' };
    const res = this.named(paymentId, hints);
    if (!this.conv.isOpen) return { paymentId, state: 'unknown', detail: 'terminal link closed' };
    try {
      if (await this.bookedAtTerminal(res)) {
        res.state = 'booked';
        return { paymentId, state: 'committed', receipt: res.receipt, detail: 'the last stored transaction is the booking of this reservation' };
      }
    } catch (e) {
      return { paymentId, state: 'unknown', detail: `repeat receipt failed: ${(e as Error).message}` };
    }
    return { paymentId, state: 'open', receipt: res.receipt, detail: 'the reservation is not booked: book total or its reversal decides' };
  }

  // ------------------------------------------------------------------ helpers

  /** The reservation of a payment: this process's, or the one the journal's hints name (after a restart). */
  private named(paymentId: string, hints: PaymentHints): Reservation {
    const r = this.byPayment.get(paymentId);
    if (r) return r;
    if (!hints.receiptNumber) throw new PaymentTerminalError('unknown-payment', `no reservation for ${paymentId} in this process and no receipt number to name it (pass hints.receiptNumber)`);
    const receipt: PaymentReceipt = { resultCode: 0, amountCents: hints.amountCents ?? 0, receiptNumber: hints.receiptNumber, ...(hints.trace ? { trace: hints.trace } : {}), ...(hints.aid ? { aid: hints.aid } : {}) };
    if (!hints.amountCents) throw new PaymentTerminalError('unknown-payment', `no amount for the reservation of ${paymentId} (pass hints.amountCents)`);
    const res: Reservation = { paymentId, amountCents: hints.amountCents, receipt, state: 'reserved' };
    this.byPayment.set(paymentId, res);
    forgetOldestFinished(this.byPayment, (x) => x.state !== 'reserved');
    return res;
  }

  /** Send a command that ends with Completion or Abort; T3/T4 silence throws `offline` (the reservation stays). */
  private run(cmd: Apdu, what: string): Promise<Ending> {
    if (!this.conv.isOpen) return Promise.reject(new PaymentTerminalError('offline', 'payment terminal link is closed'));
    return this.conv.exclusive(async () => {
      let r;
      try {
        r = await this.registration.commandRegistered(cmd);
      } catch (e) {
        // never acknowledged (T2 repeats used up) or the line broke: the terminal did not take it
        throw new PaymentTerminalError('offline', `the ${what} did not reach the terminal: ${(e as Error).message}`, { cause: e });
      }
      if (!r) throw new PaymentTerminalError('offline', `no answer to the ${what} (T3)`);
      if (!r.ok) {
        if (r.code === RESULT.RECEIVER_NOT_READY || r.code === RESULT.NOT_REGISTERED) throw new PaymentTerminalError('offline', `terminal not ready for the ${what}: ${hex([r.code])}`);
        return { ended: 'refused', code: r.code };
      }
      let info: StatusInformation | undefined;
      for (;;) {
        const m = await this.conv.next();
        if (!m) throw new PaymentTerminalError('offline', `no completion of the ${what} (T4): it may or may not have landed`);
        if (isAnswer(m)) continue;
        await this.conv.reply(build.positive());
        if (is(m, CMD.STATUS_INFORMATION)) {
          try {
            info = parseStatusInformation(m.data);
          } catch {
            info = { resultCode: RESULT.PROTOCOL_ERROR };
          }
        } else if (is(m, CMD.COMPLETION)) return info ? { ended: 'completed', info } : { ended: 'completed' };
        else if (is(m, CMD.ABORT)) return { ended: 'aborted', code: parseAbort(m.data), ...(info ? { info } : {}) };
      }
    });
  }

  /**
   * Did the terminal book this reservation? Its last stored transaction (06 20 repeat receipt) is
   * the booking of this receipt number: result 00, the same receipt, another trace than the
   * reservation's own (a booking is a transaction of its own).
   */
  private async bookedAtTerminal(res: Reservation): Promise<boolean> {
    const last = await this.conv.exclusive(() => this.repeatReceipt());
    if (last === undefined) throw new PaymentTerminalError('offline', 'the terminal refused the repeat receipt');
    return !!last && last.resultCode === 0 && last.receiptNumber === res.receipt.receiptNumber && (!res.receipt.trace || last.trace !== res.receipt.trace);
  }

  /** 06 20: the last stored transaction, null when none, undefined when refused. */
  private async repeatReceipt(): Promise<StatusInformation | null | undefined> {
    const cmd = build.repeatReceipt(this.o.password);
    const r = await retrying(this.conv.o.scheduler, () => this.registration.commandRegistered(cmd), {
      retries: 4,
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
}
