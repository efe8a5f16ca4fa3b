/**
 * The authorization conversation (06 01): prompts (04 FF) to the screen, the result (04 0F), and
 * the vending commit point: an approval resolves authorize() at once while the driver HOLDS its
 * answer to 04 0F, waiting up to holdMs for the kiosk's decision before "please wait" (84 9C 00);
 * the terminal asks again until the decision comes (80 00 00 commit / 84 6C 00 rollback). The
 * conversation ends with the terminal's Completion (06 0F, booked) or Abort (06 1E, reversed).
 */
import type { Clock } from '../../../../contract/time.js';
import { PaymentTerminalError, checkAuthorizationRequest } from '../../errors.js';
import type { AuthorizationOutcome, AuthorizationRequest, PaymentFailureReason, PaymentPrompt, PaymentStatusListener } from '../../payment-terminal.js';
import { delay } from '../../scheduler.js';
import { deferred, type Deferred } from '../inbox.js';
import { CMD, build, is, parseAbort, parseIntermediateStatus, parseStatusInformation, toReceipt, type StatusInformation } from '../messages.js';
import { RESULT, promptForIntermediateStatus, reasonForResult } from '../result-codes.js';
import { answerFor, isOpen, newApproval, settle, unclearApproval, type Approval, type Approvals } from './approvals.js';
import { isAnswer, type CommandAnswer, type Conversation } from './conversation.js';
import type { Registration } from './registration.js';

export interface AuthorizationOptions {
  clock: Clock;
  /** How long the 04 0F answer is held for the kiosk's decision before "please wait". */
  holdMs: number;
  /** issuing(): how long to wait for the terminal to ask again when no question is held (its re-ask pause, spec 2 s, plus margin). */
  issueWaitMs?: number;
  log?: (msg: string, extra?: object) => void;
}

export class Authorizations {
  private running: { paymentId: string; aborted: boolean } | undefined;

  constructor(
    private readonly conv: Conversation,
    private readonly registration: Registration,
    private readonly approvals: Approvals,
    private readonly o: AuthorizationOptions,
  ) {}

  /** The payment being authorized now, if any. */
  runningId(): string | undefined {
    return this.running?.paymentId;
  }

  authorize(request: AuthorizationRequest, onPrompt: PaymentStatusListener | undefined, stopped: boolean): Promise<AuthorizationOutcome> {
    checkAuthorizationRequest(request);
    if (stopped || !this.conv.isOpen) return Promise.reject(new PaymentTerminalError('offline', 'payment terminal link is closed'));
    if (this.running) return Promise.reject(new PaymentTerminalError('busy', `an authorization is running (${this.running.paymentId})`));
    if (this.approvals.has(request.paymentId)) return Promise.reject(new PaymentTerminalError('invalid-request', `payment ${request.paymentId} was authorized before`));
    this.running = { paymentId: request.paymentId, aborted: false };
    const outcome = deferred<AuthorizationOutcome>();
    void this.conv
      .exclusive(() => this.run(request, onPrompt, outcome))
      .catch((e: unknown) => {
        this.o.log?.('zvt: authorization failed', { error: (e as Error).message });
        outcome.resolve({ result: 'failed', paymentId: request.paymentId, reason: 'communication', uncertain: true });
      })
      .finally(() => this.endRunning(request.paymentId));
    return outcome.promise;
  }

  /** ECR abort (06 B0): the one command the ECR may send while the terminal is master. */
  async abort(): Promise<void> {
    const r = this.running;
    if (!r || r.aborted) return;
    if (this.approvals.has(r.paymentId)) return; // too late: approved; use rollback()
    r.aborted = true;
    await this.conv.o.transport.send(build.ecrAbort()).catch((e: unknown) => this.o.log?.('zvt: ECR abort not acknowledged', { error: (e as Error).message }));
  }

  private endRunning(paymentId: string): void {
    if (this.running?.paymentId === paymentId) this.running = undefined;
  }

  private async run(req: AuthorizationRequest, onPrompt: PaymentStatusListener | undefined, outcome: Deferred<AuthorizationOutcome>): Promise<void> {
    const { paymentId, amountCents } = req;
    const fail = (reason: PaymentFailureReason, code?: number, uncertain?: boolean) => {
      this.endRunning(paymentId);
      outcome.resolve({ result: 'failed', paymentId, reason, ...(code !== undefined ? { code } : {}), ...(uncertain ? { uncertain } : {}) });
    };
    let lastPrompt: PaymentPrompt | undefined;
    const prompt = (p: PaymentPrompt) => {
      if (p === lastPrompt && p === 'approved') return;
      lastPrompt = p;
      try {
        onPrompt?.(p);
      } catch {
        // a broken screen must not break the payment
      }
    };

    if (!this.registration.isRegistered()) {
      try {
        await this.registration.register();
      } catch (e) {
        this.o.log?.('zvt: registration failed', { error: (e as Error).message });
      }
    }
    let r: CommandAnswer;
    try {
      // terminal rebooted or logged off: register again and repeat once
      r = await this.registration.commandRegistered(build.authorization(amountCents), (e) => this.o.log?.('zvt: re-registration failed', { error: e.message }));
    } catch {
      // never acknowledged: the terminal may or may not have started it
      return fail('communication', undefined, true);
    }
    if (!r) return fail('communication', undefined, true);
    if (!r.ok) return fail(reasonForResult(r.code), r.code);

    let approval: Approval | undefined;
    let failCode: number | undefined;
    let sawWrongPin = false;
    for (;;) {
      const m = await this.conv.next();
      if (!m) {
        // T4 (or link closed): the ending is unclear
        this.o.log?.('zvt: authorization ended unclearly', { paymentId, approved: !!approval });
        if (approval) {
          if (isOpen(approval)) approval.state = 'unclear';
          this.endRunning(paymentId);
          approval.settled.resolve('unclear');
        } else {
          this.approvals.set(paymentId, unclearApproval(paymentId, amountCents));
          return fail(this.running?.aborted ? 'customer-abort' : 'communication', undefined, true);
        }
        return;
      }
      if (isAnswer(m)) continue; // e.g. the answer to our 06 B0
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
          // we cannot tell what happened: never let such a payment stand
          this.o.log?.('zvt: unreadable Status-Information, answered negatively', { error: (e as Error).message });
          await this.approvals.announce(paymentId, 'rollback');
          await this.conv.reply(build.negative(RESULT.PROTOCOL_ERROR));
          continue;
        }
        if (info.resultCode !== 0) {
          failCode = info.resultCode;
          await this.conv.reply(build.positive());
          continue;
        }
        if (!approval) {
          const receipt = toReceipt(info, amountCents, this.o.clock.now());
          approval = newApproval(paymentId, amountCents, receipt, info);
          this.approvals.set(paymentId, approval);
          prompt('approved');
          outcome.resolve({ result: 'approved', paymentId, amountCents: receipt.amountCents, receipt });
        }
        await this.answerHeld(approval);
        continue;
      }
      if (is(m, CMD.PRINT_LINE) || is(m, CMD.PRINT_TEXT_BLOCK)) {
        await this.conv.reply(build.positive());
        continue;
      }
      if (is(m, CMD.COMPLETION)) {
        await this.conv.reply(build.positive());
        if (approval) {
          // booked without (or against) our decision: rollback() reverses explicitly
          approval.state = approval.decision === 'commit' ? 'committed' : 'booked';
          this.endRunning(paymentId);
          approval.settled.resolve('committed');
        } else if (failCode !== undefined) fail(reasonForResult(failCode), failCode);
        else fail('unknown', undefined, true);
        return;
      }
      if (is(m, CMD.ABORT)) {
        await this.conv.reply(build.positive());
        const code = parseAbort(m.data);
        if (approval) {
          this.endRunning(paymentId);
          settle(approval, 'reversed');
        } else if (this.running?.aborted) fail('customer-abort', code);
        else fail(sawWrongPin && (code === RESULT.WRONG_PIN || code === RESULT.ABORTED) ? 'wrong-pin' : reasonForResult(code), code);
        return;
      }
      // anything else the terminal sends while master: not supported, say so
      await this.conv.reply(build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
    }
  }

  /**
   * Answer a (re-)asked 04 0F of an approval: the decision if made, else "please wait". The answer
   * is held for the kiosk's decision (up to holdMs) only until the kiosk says it starts issuing the
   * goods (issuing()): from then on "please wait" goes out at once, so a kiosk that dies during or
   * after the card write never leaves the terminal waiting on an answer only the dead process could
   * give; the terminal asks again and the restarted driver answers it (issue 12, window 1).
   */
  private async answerHeld(a: Approval): Promise<void> {
    const held = deferred<void>();
    a.held = held;
    a.nextAsk?.resolve();
    a.nextAsk = undefined;
    try {
      if (!a.decision) await Promise.race([a.decided.promise, a.issuing.promise, delay(this.conv.o.scheduler, this.o.holdMs)]);
      const answer = answerFor(a);
      a.lastAnswerDelivered = await this.conv.o.transport.send(answer).then(
        () => true,
        (e: unknown) => {
          this.o.log?.('zvt: answer to 04 0F not acknowledged', { error: (e as Error).message });
          return false;
        },
      );
    } finally {
      a.held = undefined;
      held.resolve();
    }
  }

  /**
   * The kiosk starts issuing the goods of this approval: a held 04 0F is answered "please wait" now
   * (resolves once it is acknowledged). Throws `offline` when the terminal did not acknowledge the
   * last answer: it is not listening, and goods issued now might never be paid (the kiosk writes
   * nothing and gives the money back instead).
   */
  async issuing(paymentId: string): Promise<void> {
    const a = this.approvals.get(paymentId);
    if (!a || a.state !== 'awaiting-decision') return;
    a.issuing.resolve();
    if (!a.held) {
      // Nothing held (the hold ran out and "please wait" went out earlier): wait for the terminal
      // to ask again, so the goods are issued only while it is known to be listening.
      const asked = (a.nextAsk ??= deferred<void>());
      const r = await Promise.race([asked.promise.then(() => 'asked' as const), delay(this.conv.o.scheduler, this.o.issueWaitMs ?? 5_000).then(() => 'silent' as const)]);
      if (r === 'silent') throw new PaymentTerminalError('offline', `the terminal did not ask again for ${paymentId}: it is not listening; not issuing`);
    }
    await a.held?.promise;
    if (a.lastAnswerDelivered === false)
      throw new PaymentTerminalError('offline', `the terminal did not acknowledge the answer to its Status-Information for ${paymentId}: not issuing`);
  }
}
