/**
 * The kiosk's ZVT ECR driver (PA00P015/PA00P016) over a serial transport, implementing
 * PaymentTerminal with the vending commit point:
 *
 *   06 01 Authorization -> 80 00 -> 04 FF ... (prompts) -> 04 0F result 00 (approved)
 *     the driver HOLDS its answer to 04 0F: authorize() resolves 'approved'; while the kiosk
 *     writes the card the driver answers 84 9C 00 ("please wait") each time the terminal asks
 *     again; commit() answers 80 00 00 (the terminal books it, then 06 0F), rollback() answers
 *     84 6C 00 (the terminal reverses it itself, then 06 1E). Where that window has passed and
 *     the terminal booked the payment, rollback() sends an explicit reversal (06 30).
 *
 * Every decision goes through `onDecision` (awaited) before it is put on the wire, so the kiosk
 * can journal it first. A restarted driver resolves a payment its predecessor left behind with
 * resolve(): a terminal still asking 04 0F is held as an "orphan" and bound by receipt number;
 * otherwise the last stored transaction (06 20 repeat receipt) tells whether it stands.
 */
import type { Clock } from '../../../main/core/clock.js';
import { PaymentTerminalError, checkAuthorizationRequest } from '../errors.js';
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
  PaymentTerminal,
  TerminalState,
} from '../payment-terminal.js';
import { delay, type Scheduler, type TimerHandle } from '../scheduler.js';
import type { Apdu } from './apdu.js';
import { hex } from './bytes.js';
import { deferred, Inbox, type Deferred } from './inbox.js';
import {
  CMD,
  KIOSK_CONFIG_BYTE,
  build,
  is,
  parseAbort,
  parseIntermediateStatus,
  parseStatusCompletion,
  parseStatusInformation,
  toReceipt,
  type StatusInformation,
} from './messages.js';
import { RESULT, promptForIntermediateStatus, reasonForResult } from './result-codes.js';
import type { TransportStats, ZvtTransport } from './transport.js';

/** The negative answer to 04 0F that makes the terminal reverse ("goods not issued"). */
export const NEGATIVE_VEND_ANSWER = RESULT.ABORTED;

export interface ZvtDriverOptions {
  transport: ZvtTransport;
  scheduler: Scheduler;
  clock: Clock;
  password: string;
  /** T3: answer (80 00 / 84 xx) to a command; T4: completion after 80 00, restarted by 04 FF / 04 0F. */
  t3Ms: number;
  t4Ms: number;
  configByte?: number;
  /** How long the driver holds a 04 0F answer waiting for commit()/rollback() before "please wait" (stay below the terminal's T3). */
  holdMs?: number;
  /** After start, how long to listen for a terminal still in a transaction of a previous ECR process before resolve() asks it. */
  orphanListenMs?: number;
  /** Status enquiry (05 01) every this many ms while idle, re-registering after a terminal reboot; 0 = off. */
  pollIntervalMs?: number;
  onDecision?: PaymentDecisionHook;
  log?: (msg: string, extra?: object) => void;
}

type ApprovalState = 'awaiting-decision' | 'deciding' | 'committed' | 'reversed' | 'booked' | 'unclear';

interface Approval {
  paymentId: string;
  amountCents: number;
  receipt: PaymentReceipt;
  info: StatusInformation;
  state: ApprovalState;
  decision?: 'commit' | 'rollback';
  /** Resolved when the kiosk decided (the conversation answers the held 04 0F at once). */
  decided: Deferred<void>;
  /** Resolved with the terminal's verdict once the decision was answered. */
  settled: Deferred<'committed' | 'reversed' | 'unclear'>;
  /** Held by the unsolicited-message path (a transaction of a previous process). */
  orphan?: boolean;
}

export class ZvtEcrDriver implements PaymentTerminal {
  private readonly inbox: Inbox;
  private conversation = false;
  private chain: Promise<unknown> = Promise.resolve();
  private registered = false;
  private running: { paymentId: string; aborted: boolean } | undefined;
  private readonly approvals = new Map<string, Approval>();
  /** A 04 0F the driver did not ask for (previous process's transaction still open at the terminal). */
  private orphan: Approval | undefined;
  private startedAt = 0;
  private stopped = false;
  private readonly holdMs: number;
  private readonly pw: string;
  private pollTimer: TimerHandle | undefined;
  private lastState: TerminalState = 'offline';

  constructor(private readonly o: ZvtDriverOptions) {
    this.inbox = new Inbox(o.scheduler);
    this.holdMs = o.holdMs ?? Math.min(2_000, Math.floor(o.t3Ms / 2));
    this.pw = o.password;
    o.transport.onMessage((a) => (this.conversation ? this.inbox.push(a) : this.unsolicited(a)));
    o.transport.onClose(() => {
      this.inbox.close();
      this.registered = false;
    });
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    this.startedAt = this.o.clock.now().getTime();
    this.stopped = false;
    try {
      await this.exclusive(() => this.register());
    } catch (e) {
      // The kiosk starts anyway and shows the terminal as unavailable; authorize() retries.
      this.o.log?.('zvt: registration at start failed', { error: (e as Error).message });
    }
    this.schedulePoll();
  }

  /** The terminal state the last poll saw (no traffic). */
  lastKnownState(): TerminalState {
    return this.lastState;
  }

  private schedulePoll(): void {
    const every = this.o.pollIntervalMs ?? 0;
    if (every <= 0 || this.stopped) return;
    this.pollTimer = this.o.scheduler.setTimeout(() => void this.poll(), every);
  }

  private async poll(): Promise<void> {
    try {
      if (this.stopped || !this.o.transport.isOpen) return;
      if (this.running || this.conversation) return; // never talk into a transaction
      this.lastState = await this.status();
      if (this.lastState === 'not-registered') await this.reRegister().catch(() => undefined);
    } finally {
      this.schedulePoll();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.scheduler.clearTimeout(this.pollTimer);
    await this.o.transport.close();
  }

  // ------------------------------------------------------------------ PaymentTerminal

  async status(): Promise<TerminalState> {
    if (!this.o.transport.isOpen) return 'offline';
    if (this.running) return 'busy';
    // "no answer to a status enquiry right after a customer cancel": retry with backoff
    for (let attempt = 0; attempt < 3; attempt++) {
      const s = await this.exclusive(() => this.statusEnquiry()).catch(() => 'offline' as const);
      if (s !== 'offline' || !this.o.transport.isOpen) return s;
      await delay(this.o.scheduler, 200 * 2 ** attempt);
    }
    return 'offline';
  }

  authorize(request: AuthorizationRequest, onPrompt?: PaymentStatusListener): Promise<AuthorizationOutcome> {
    checkAuthorizationRequest(request);
    if (this.stopped || !this.o.transport.isOpen) return Promise.reject(new PaymentTerminalError('offline', 'payment terminal link is closed'));
    if (this.running) return Promise.reject(new PaymentTerminalError('busy', `an authorization is running (${this.running.paymentId})`));
    if (this.approvals.has(request.paymentId))
      return Promise.reject(new PaymentTerminalError('invalid-request', `payment ${request.paymentId} was authorized before`));
    this.running = { paymentId: request.paymentId, aborted: false };
    const outcome = deferred<AuthorizationOutcome>();
    void this.exclusive(() => this.runAuthorization(request, onPrompt, outcome))
      .catch((e: unknown) => {
        this.o.log?.('zvt: authorization failed', { error: (e as Error).message });
        outcome.resolve({ result: 'failed', paymentId: request.paymentId, reason: 'communication', uncertain: true });
      })
      .finally(() => {
        if (this.running?.paymentId === request.paymentId) this.running = undefined;
      });
    return outcome.promise;
  }

  async abort(): Promise<void> {
    const r = this.running;
    if (!r || r.aborted) return;
    if (this.approvals.has(r.paymentId)) return; // too late: approved; use rollback()
    r.aborted = true;
    // 06 B0 is the one command the ECR may send while the terminal is master.
    await this.o.transport.send(build.ecrAbort()).catch((e: unknown) => this.o.log?.('zvt: ECR abort not acknowledged', { error: (e as Error).message }));
  }

  async commit(paymentId: string, hints: PaymentHints = {}): Promise<void> {
    let a = this.approvals.get(paymentId);
    if (!a) {
      // After a restart: the approval may still be held by the terminal (it asks 04 0F again) ...
      const o = await this.heldOrphan(hints.receiptNumber);
      if (o) {
        o.paymentId = paymentId;
        this.approvals.set(paymentId, o);
        a = o;
      } else if (hints.receiptNumber) {
        // ... or it was booked (the commit answer landed) or reversed: the last stored transaction says which
        const r = await this.resolve(paymentId, hints);
        if (r.state === 'committed') return;
        if (r.state === 'reversed') throw new PaymentTerminalError('not-open', `payment ${paymentId} (receipt ${hints.receiptNumber}) does not stand at the terminal: ${r.detail ?? ''}`);
        throw new PaymentTerminalError('offline', `cannot tell what became of payment ${paymentId}: ${r.detail ?? ''}`);
      } else throw new PaymentTerminalError('unknown-payment', `no approved payment ${paymentId} in this process and no receipt number to look it up (pass hints.receiptNumber)`);
    }
    switch (a.state) {
      case 'committed':
      case 'booked':
        if (a.state === 'booked') await this.o.onDecision?.(paymentId, 'commit');
        a.state = 'committed';
        return;
      case 'reversed':
        throw new PaymentTerminalError('not-open', `payment ${paymentId} was reversed by the terminal (receipt ${a.receipt.receiptNumber ?? '?'})`);
      case 'unclear': {
        // ask the terminal first; an approval it still holds can be committed now
        const r = await this.resolve(paymentId);
        if (r.state === 'unknown') throw new PaymentTerminalError('offline', `payment ${paymentId} ended unclearly and the terminal cannot be asked: ${r.detail ?? ''}`);
        return this.commit(paymentId);
      }
      case 'deciding':
        if (a.decision !== 'commit') throw new PaymentTerminalError('not-open', `payment ${paymentId} is being rolled back`);
        break;
      case 'awaiting-decision':
        await this.o.onDecision?.(paymentId, 'commit');
        if (a.state !== 'awaiting-decision') return this.commit(paymentId);
        a.decision = 'commit';
        a.state = 'deciding';
        a.decided.resolve();
        break;
    }
    const verdict = await a.settled.promise;
    if (verdict === 'committed') return;
    if (verdict === 'reversed') throw new PaymentTerminalError('not-open', `the terminal reversed payment ${paymentId} instead of booking it`);
    throw new PaymentTerminalError('offline', `no completion after the commit of ${paymentId}: call resolve()`);
  }

  async rollback(paymentId: string, hints: PaymentHints = {}): Promise<{ undone: boolean; detail?: string }> {
    const a = this.approvals.get(paymentId);
    if (!a) {
      if (this.running?.paymentId === paymentId) {
        await this.abort();
        return { undone: true, detail: 'authorization aborted before approval' };
      }
      // not approved in this process: whatever the terminal may still hold of it, it must not stand
      const r = await this.resolve(paymentId, hints);
      if (r.state === 'reversed') return { undone: true, detail: r.detail ?? 'nothing stands at the terminal' };
      if (r.state === 'open' || r.state === 'committed') return this.approvals.has(paymentId) ? this.rollback(paymentId) : this.reverseByReceipt(paymentId, r);
      return { undone: false, detail: r.detail ?? 'the terminal cannot be asked' };
    }
    switch (a.state) {
      case 'reversed':
        return { undone: true, detail: 'already reversed' };
      case 'unclear': {
        const r = await this.resolve(paymentId);
        if (r.state === 'unknown') return { undone: false, detail: `the payment ended unclearly and the terminal cannot be asked: ${r.detail ?? ''}` };
        return this.rollback(paymentId);
      }
      case 'committed':
      case 'booked':
        await this.o.onDecision?.(paymentId, 'rollback');
        return this.reverseBooked(a);
      case 'deciding':
        if (a.decision !== 'rollback') break;
        break;
      case 'awaiting-decision':
        await this.o.onDecision?.(paymentId, 'rollback');
        if (a.state !== 'awaiting-decision') return this.rollback(paymentId);
        a.decision = 'rollback';
        a.state = 'deciding';
        a.decided.resolve();
        break;
    }
    const verdict = await a.settled.promise;
    if (verdict === 'reversed') return { undone: true, detail: 'negative answer to the Status-Information: the terminal reversed the payment' };
    if (verdict === 'committed') return this.reverseBooked(a); // the window had passed: explicit reversal
    return { undone: false, detail: 'no answer from the terminal after the rollback: call resolve()' };
  }

  async resolve(paymentId: string, hints: PaymentHints = {}): Promise<PaymentResolution> {
    const r = await this.resolveInner(paymentId, hints);
    const a = this.approvals.get(paymentId);
    if (a && a.state === 'unclear' && (r.state === 'committed' || r.state === 'reversed')) {
      a.state = r.state;
      a.settled.resolve(r.state);
    }
    return r;
  }

  private async resolveInner(paymentId: string, hints: PaymentHints): Promise<PaymentResolution> {
    const known = this.approvals.get(paymentId);
    if (known && known.state !== 'unclear') {
      const state = known.state === 'awaiting-decision' || known.state === 'deciding' ? 'open' : known.state === 'booked' ? 'committed' : known.state;
      return { paymentId, state, receipt: known.receipt };
    }
    const receiptNumber = hints.receiptNumber ?? known?.receipt.receiptNumber;
    // Give a terminal still inside a previous process's transaction the chance to ask again.
    const listen = (this.o.orphanListenMs ?? 2_500) - (this.o.clock.now().getTime() - this.startedAt);
    if (listen > 0 && !this.orphan) await delay(this.o.scheduler, listen);
    const orphan = this.orphan;
    if (orphan && orphan.state === 'awaiting-decision') {
      if (receiptNumber && orphan.receipt.receiptNumber === receiptNumber) {
        orphan.paymentId = paymentId;
        this.approvals.set(paymentId, orphan);
        return { paymentId, state: 'open', receipt: orphan.receipt, detail: 'the terminal still waits for the commit answer' };
      }
      if (!receiptNumber) {
        // The kiosk never saw this approval, so it cannot have committed it: let the terminal reverse it.
        orphan.paymentId = paymentId;
        this.approvals.set(paymentId, orphan);
        await this.o.onDecision?.(paymentId, 'rollback');
        orphan.decision = 'rollback';
        orphan.state = 'deciding';
        orphan.decided.resolve();
        const v = await Promise.race([orphan.settled.promise, delay(this.o.scheduler, this.o.t4Ms).then(() => 'unclear' as const)]);
        return { paymentId, state: v === 'unclear' ? 'unknown' : v, receipt: orphan.receipt };
      }
    }
    if (orphan && receiptNumber && orphan.receipt.receiptNumber === receiptNumber && (orphan.state === 'committed' || orphan.state === 'reversed'))
      return { paymentId, state: orphan.state, receipt: orphan.receipt };
    if (!this.o.transport.isOpen) return { paymentId, state: 'unknown', detail: 'terminal link closed' };
    let last: StatusInformation | null | undefined;
    try {
      last = await this.exclusive(() => this.repeatReceipt());
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

  // ------------------------------------------------------------------ more ZVT functions

  /** 06 50 End-of-day. */
  endOfDay(): Promise<{ ok: boolean; resultCode: number }> {
    return this.exclusive(() => this.simpleCommand(build.endOfDay(this.pw)));
  }

  /** 06 70 Diagnosis. */
  diagnosis(): Promise<{ ok: boolean; resultCode: number }> {
    return this.exclusive(() => this.simpleCommand(build.diagnosis()));
  }

  /** 06 30 Reversal of a booked payment by receipt number. */
  reversal(receiptNumber: string): Promise<{ ok: boolean; resultCode: number }> {
    return this.exclusive(() => this.simpleCommand(build.reversal(this.pw, receiptNumber)));
  }

  /** 06 00 Registration (also done at start and after a terminal reboot). */
  reRegister(): Promise<void> {
    return this.exclusive(() => this.register());
  }

  isRegistered(): boolean {
    return this.registered;
  }

  /** Frames, bytes, repeats and NAKs on the ECR's side of the line. */
  transportStats(): TransportStats {
    return { ...this.o.transport.stats };
  }

  // ------------------------------------------------------------------ conversations

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      this.conversation = true;
      this.inbox.clear();
      try {
        return await fn();
      } finally {
        this.conversation = false;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private reply(a: Apdu): Promise<void> {
    return this.o.transport.send(a).catch((e: unknown) => this.o.log?.('zvt: answer not acknowledged', { apdu: hex([a.cls, a.ins]), error: (e as Error).message }));
  }

  /** Wait for the 80 00 / 84 xx answer to our command (T3). Other messages go to the unsolicited path. */
  private async answer(): Promise<{ ok: true } | { ok: false; code: number } | undefined> {
    const until = this.o.clock.now().getTime() + this.o.t3Ms;
    for (;;) {
      const left = until - this.o.clock.now().getTime();
      const m = await this.inbox.next(Math.max(1, left));
      if (!m) return undefined;
      if (m.cls === 0x80) return { ok: true };
      if (m.cls === 0x84) return { ok: false, code: m.ins };
      this.unsolicited(m);
      if (left <= 1) return undefined;
    }
  }

  private async sendCommand(a: Apdu): Promise<{ ok: true } | { ok: false; code: number } | undefined> {
    await this.o.transport.send(a);
    return this.answer();
  }

  private async register(): Promise<void> {
    let r = await this.sendCommand(build.registration(this.pw, this.o.configByte ?? KIOSK_CONFIG_BYTE));
    for (let i = 0; r && !r.ok && r.code === RESULT.RECEIVER_NOT_READY && i < 3; i++) {
      await delay(this.o.scheduler, Math.min(this.o.t3Ms, 250 * 2 ** i));
      r = await this.sendCommand(build.registration(this.pw, this.o.configByte ?? KIOSK_CONFIG_BYTE));
    }
    if (!r) throw new PaymentTerminalError('offline', 'no answer to the registration (T3)');
    if (!r.ok) throw new PaymentTerminalError('offline', `registration refused: ${hex([r.code])}`);
    // The terminal closes the registration with a Completion (or an Abort).
    for (;;) {
      const m = await this.inbox.next(this.o.t3Ms);
      if (!m) break;
      if (is(m, CMD.COMPLETION)) {
        await this.reply(build.positive());
        break;
      }
      if (is(m, CMD.ABORT)) {
        await this.reply(build.positive());
        throw new PaymentTerminalError('offline', `registration aborted: ${hex([parseAbort(m.data)])}`);
      }
      if (m.cls !== 0x80 && m.cls !== 0x84) await this.reply(build.positive());
    }
    this.registered = true;
    this.o.log?.('zvt: registered');
  }

  private async statusEnquiry(): Promise<TerminalState> {
    const r = await this.sendCommand(build.statusEnquiry(this.pw));
    if (!r) return 'offline';
    if (!r.ok) {
      if (r.code === RESULT.NOT_REGISTERED) {
        this.registered = false;
        return 'not-registered';
      }
      return r.code === RESULT.RECEIVER_NOT_READY ? 'busy' : 'out-of-order';
    }
    for (;;) {
      const m = await this.inbox.next(this.o.t4Ms);
      if (!m) return 'offline';
      if (m.cls === 0x80 || m.cls === 0x84) continue;
      await this.reply(build.positive());
      if (is(m, CMD.COMPLETION)) {
        let ts: number;
        try {
          ts = parseStatusCompletion(m.data).terminalStatus;
        } catch {
          return 'out-of-order';
        }
        if (ts === 0x00) return this.registered ? 'ready' : 'not-registered';
        if (ts === 0x51) return 'not-registered';
        return 'out-of-order';
      }
      if (is(m, CMD.ABORT)) return 'out-of-order';
    }
  }

  /** Repeat receipt: the last stored transaction, null when there is none, undefined when refused. */
  private async repeatReceipt(): Promise<StatusInformation | null | undefined> {
    let r = await this.sendCommand(build.repeatReceipt(this.pw));
    // a terminal still finishing something (e.g. reversing what a dead ECR left) says "not ready": ask again
    for (let i = 0; r && !r.ok && r.code === RESULT.RECEIVER_NOT_READY && i < 8; i++) {
      await delay(this.o.scheduler, Math.min(this.o.t3Ms, 250 * 2 ** i));
      r = await this.sendCommand(build.repeatReceipt(this.pw));
    }
    if (r && !r.ok && r.code === RESULT.NOT_REGISTERED) {
      await this.register();
      r = await this.sendCommand(build.repeatReceipt(this.pw));
    }
    if (!r) throw new PaymentTerminalError('offline', 'no answer to the repeat receipt (T3)');
    if (!r.ok) return undefined;
    let last: StatusInformation | null = null;
    for (;;) {
      const m = await this.inbox.next(this.o.t4Ms);
      if (!m) throw new PaymentTerminalError('offline', 'no completion of the repeat receipt (T4)');
      if (m.cls === 0x80 || m.cls === 0x84) continue;
      await this.reply(build.positive());
      if (is(m, CMD.STATUS_INFORMATION)) last = parseStatusInformation(m.data);
      else if (is(m, CMD.COMPLETION)) return last;
      else if (is(m, CMD.ABORT)) return null;
    }
  }

  private async simpleCommand(a: Apdu): Promise<{ ok: boolean; resultCode: number }> {
    let r = await this.sendCommand(a);
    if (r && !r.ok && r.code === RESULT.NOT_REGISTERED) {
      await this.register();
      r = await this.sendCommand(a);
    }
    if (!r) throw new PaymentTerminalError('offline', `no answer to ${hex([a.cls, a.ins])} (T3)`);
    if (!r.ok) return { ok: false, resultCode: r.code };
    let result = 0;
    for (;;) {
      const m = await this.inbox.next(this.o.t4Ms);
      if (!m) throw new PaymentTerminalError('offline', `no completion of ${hex([a.cls, a.ins])} (T4)`);
      if (m.cls === 0x80 || m.cls === 0x84) continue;
      await this.reply(build.positive());
      if (is(m, CMD.STATUS_INFORMATION)) {
        try {
          result = parseStatusInformation(m.data).resultCode;
        } catch {
          result = RESULT.PROTOCOL_ERROR;
        }
      } else if (is(m, CMD.COMPLETION)) return { ok: result === 0, resultCode: result };
      else if (is(m, CMD.ABORT)) return { ok: false, resultCode: parseAbort(m.data) };
    }
  }

  /** A booked payment this process never saw approved (after a restart): reverse it by its receipt number. */
  private async reverseByReceipt(paymentId: string, r: PaymentResolution): Promise<{ undone: boolean; detail?: string }> {
    const receipt = r.receipt ?? { resultCode: 0, amountCents: 0 };
    const a = newApproval(paymentId, receipt.amountCents, receipt, { resultCode: 0 });
    a.state = 'committed';
    this.approvals.set(paymentId, a);
    await this.o.onDecision?.(paymentId, 'rollback');
    return this.reverseBooked(a);
  }

  /** After the listen window: the approval a previous process left the terminal holding, if it matches. */
  private async heldOrphan(receiptNumber: string | undefined): Promise<Approval | undefined> {
    const listen = (this.o.orphanListenMs ?? 2_500) - (this.o.clock.now().getTime() - this.startedAt);
    if (listen > 0 && !this.orphan) await delay(this.o.scheduler, listen);
    const o = this.orphan;
    if (!o || o.state !== 'awaiting-decision') return undefined;
    if (receiptNumber && o.receipt.receiptNumber !== receiptNumber) return undefined;
    return o;
  }

  private async reverseBooked(a: Approval): Promise<{ undone: boolean; detail?: string }> {
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

  private async runAuthorization(req: AuthorizationRequest, onPrompt: PaymentStatusListener | undefined, outcome: Deferred<AuthorizationOutcome>): Promise<void> {
    const { paymentId, amountCents } = req;
    const fail = (reason: PaymentFailureReason, code?: number, uncertain?: boolean) => {
      if (this.running?.paymentId === paymentId) this.running = undefined;
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

    if (!this.registered) {
      try {
        await this.register();
      } catch (e) {
        this.o.log?.('zvt: registration failed', { error: (e as Error).message });
      }
    }
    let r: Awaited<ReturnType<ZvtEcrDriver['sendCommand']>>;
    try {
      r = await this.sendCommand(build.authorization(amountCents));
      if (r && !r.ok && r.code === RESULT.NOT_REGISTERED) {
        // terminal rebooted or logged off: register again and repeat once
        this.registered = false;
        try {
          await this.register();
          r = await this.sendCommand(build.authorization(amountCents));
        } catch (e) {
          this.o.log?.('zvt: re-registration failed', { error: (e as Error).message });
        }
      }
    } catch (e) {
      // never acknowledged: the terminal may or may not have started it
      return fail('communication', undefined, true);
    }
    if (!r) return fail('communication', undefined, true);
    if (!r.ok) return fail(reasonForResult(r.code), r.code);

    let approval: Approval | undefined;
    let failCode: number | undefined;
    let sawWrongPin = false;
    for (;;) {
      const m = await this.inbox.next(this.o.t4Ms);
      if (!m) {
        // T4 (or link closed): the ending is unclear
        this.o.log?.('zvt: authorization ended unclearly', { paymentId, approved: !!approval });
        if (approval) {
          if (approval.state === 'awaiting-decision' || approval.state === 'deciding') approval.state = 'unclear';
          this.endRunning(paymentId), approval.settled.resolve('unclear');
        } else {
          this.approvals.set(paymentId, unclearApproval(paymentId, amountCents));
          return fail(this.running?.aborted ? 'customer-abort' : 'communication', undefined, true);
        }
        return;
      }
      if (m.cls === 0x80 || m.cls === 0x84) continue; // e.g. the answer to our 06 B0
      if (is(m, CMD.INTERMEDIATE_STATUS)) {
        await this.reply(build.positive());
        try {
          const code = parseIntermediateStatus(m.data);
          const p = promptForIntermediateStatus(code);
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
          await this.o.onDecision?.(paymentId, 'rollback');
          await this.reply(build.negative(RESULT.PROTOCOL_ERROR));
          continue;
        }
        if (info.resultCode !== 0) {
          failCode = info.resultCode;
          await this.reply(build.positive());
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
        await this.reply(build.positive());
        continue;
      }
      if (is(m, CMD.COMPLETION)) {
        await this.reply(build.positive());
        if (approval) {
          if (approval.decision === 'commit') approval.state = 'committed';
          else approval.state = 'booked'; // booked without (or against) our decision: rollback() reverses explicitly
          this.endRunning(paymentId), approval.settled.resolve('committed');
        } else if (failCode !== undefined) fail(reasonForResult(failCode), failCode);
        else fail('unknown', undefined, true);
        return;
      }
      if (is(m, CMD.ABORT)) {
        await this.reply(build.positive());
        const code = parseAbort(m.data);
        if (approval) {
          approval.state = 'reversed';
          this.endRunning(paymentId), approval.settled.resolve('reversed');
        } else if (this.running?.aborted) fail('customer-abort', code);
        else fail(sawWrongPin && (code === RESULT.WRONG_PIN || code === RESULT.ABORTED) ? 'wrong-pin' : reasonForResult(code), code);
        return;
      }
      // anything else the terminal sends while master: not supported, say so
      await this.reply(build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
    }
  }

  private endRunning(paymentId: string): void {
    if (this.running?.paymentId === paymentId) this.running = undefined;
  }

  /** Answer a (re-)asked 04 0F of an approval: the decision if made (waiting up to holdMs), else "please wait". */
  private async answerHeld(a: Approval): Promise<void> {
    if (!a.decision) await Promise.race([a.decided.promise, delay(this.o.scheduler, this.holdMs)]);
    if (a.decision === 'commit') await this.reply(build.positive());
    else if (a.decision === 'rollback') await this.reply(build.negative(NEGATIVE_VEND_ANSWER));
    else await this.reply(build.negative(RESULT.PLEASE_WAIT));
  }

  /** Messages outside a conversation: a previous process's transaction, stray answers. */
  private unsolicited(m: Apdu): void {
    if (m.cls === 0x80 || m.cls === 0x84) return;
    if (is(m, CMD.STATUS_INFORMATION)) {
      let info: StatusInformation | undefined;
      try {
        info = parseStatusInformation(m.data);
      } catch {
        info = undefined;
      }
      if (!info || info.resultCode !== 0) {
        void this.reply(info ? build.positive() : build.negative(RESULT.PROTOCOL_ERROR));
        return;
      }
      let o = this.orphan;
      if (!o || o.receipt.receiptNumber !== info.receiptNumber || o.state === 'committed' || o.state === 'reversed') {
        o = newApproval('', info.amountCents ?? 0, toReceipt(info, 0, this.o.clock.now()), info);
        o.orphan = true;
        this.orphan = o;
        this.o.log?.('zvt: terminal holds an approval of a previous ECR process', { receiptNumber: info.receiptNumber });
      }
      const held = o;
      // answer at once (no hold): this path must not block the message handler
      void this.reply(held.decision === 'commit' ? build.positive() : held.decision === 'rollback' ? build.negative(NEGATIVE_VEND_ANSWER) : build.negative(RESULT.PLEASE_WAIT));
      return;
    }
    void this.reply(is(m, CMD.INTERMEDIATE_STATUS) || is(m, CMD.COMPLETION) || is(m, CMD.ABORT) || is(m, CMD.PRINT_LINE) || is(m, CMD.PRINT_TEXT_BLOCK) ? build.positive() : build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
    const o = this.orphan;
    if (o && (o.state === 'awaiting-decision' || o.state === 'deciding')) {
      if (is(m, CMD.COMPLETION)) {
        o.state = 'committed';
        o.settled.resolve('committed');
      } else if (is(m, CMD.ABORT)) {
        o.state = 'reversed';
        o.settled.resolve('reversed');
      }
    }
  }
}

function newApproval(paymentId: string, amountCents: number, receipt: PaymentReceipt, info: StatusInformation): Approval {
  return { paymentId, amountCents, receipt, info, state: 'awaiting-decision', decided: deferred<void>(), settled: deferred() };
}

function unclearApproval(paymentId: string, amountCents: number): Approval {
  const a = newApproval(paymentId, amountCents, { resultCode: -1, amountCents }, { resultCode: -1 });
  a.state = 'unclear';
  a.settled.resolve('unclear');
  return a;
}
