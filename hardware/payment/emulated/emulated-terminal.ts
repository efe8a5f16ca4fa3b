import type { Clock } from '../../../contract/time.js';
import type { LedgerEntry, TerminalBehaviour, TerminalEmulatorControl } from '../emulator-control.js';
import type {
  AuthorizationOutcome,
  AuthorizationRequest,
  PaymentDecisionHook,
  PaymentFailureReason,
  PaymentHints,
  PaymentPrompt,
  PaymentResolution,
  PaymentStatusListener,
  PaymentTerminal,
  TerminalState,
} from '../payment-terminal.js';
import { TERMINAL_BEHAVIOURS } from '../config.js';
import { PaymentTerminalError, checkAuthorizationRequest } from '../errors.js';
import { delay, type Scheduler, type TimerHandle } from '../scheduler.js';
import { RESULT } from '../zvt/result-codes.js';

export interface EmulatedTerminalOptions {
  clock: Clock;
  scheduler: Scheduler;
  promptDelayMs: number;
  behaviour?: TerminalBehaviour;
  /** How long an approved payment waits for commit/rollback before the terminal reverses it. */
  commitWindowMs: number;
  /** How long 'silent' keeps authorize() waiting before it reports an uncertain failure. */
  silenceMs: number;
  onDecision?: PaymentDecisionHook;
  log?: (msg: string, extra?: object) => void;
  terminalId?: string;
}

interface Script {
  prompts: PaymentPrompt[];
  end:
    | { kind: 'approve' }
    | { kind: 'fail'; reason: PaymentFailureReason; code: number }
    | { kind: 'silent' };
  slow?: boolean;
}

/** What each behaviour shows the customer and how it ends (shared with the ZVT simulator's texts). */
function scriptFor(b: TerminalBehaviour): Script {
  const card: PaymentPrompt[] = ['insert-card', 'enter-pin', 'waiting-for-host'];
  switch (b) {
    case 'approve':
    case 'drop-acks': // transport faults have no in-process analogue: the link recovers, the payment goes through
    case 'corrupt-crc':
      return { prompts: [...card, 'approved'], end: { kind: 'approve' } };
    case 'slow':
      return { prompts: [...card, 'approved'], end: { kind: 'approve' }, slow: true };
    case 'decline':
      return { prompts: [...card, 'declined'], end: { kind: 'fail', reason: 'declined', code: RESULT.DECLINED } };
    case 'wrong-pin':
      return { prompts: ['insert-card', 'enter-pin', 'wrong-pin'], end: { kind: 'fail', reason: 'wrong-pin', code: RESULT.WRONG_PIN } };
    case 'customer-abort':
      return { prompts: ['insert-card'], end: { kind: 'fail', reason: 'customer-abort', code: RESULT.ABORTED } };
    case 'card-not-readable':
      return { prompts: ['insert-card', 'card-not-readable'], end: { kind: 'fail', reason: 'card-not-readable', code: RESULT.CARD_NOT_READABLE } };
    case 'not-registered':
      return { prompts: [], end: { kind: 'fail', reason: 'terminal-not-ready', code: RESULT.NOT_REGISTERED } };
    case 'host-timeout':
      return { prompts: [...card], end: { kind: 'fail', reason: 'timeout', code: RESULT.COMMUNICATION_ERROR } };
    case 'silent':
      return { prompts: [...card, 'approved'], end: { kind: 'silent' } };
  }
}

interface OpenPayment {
  entry: LedgerEntry;
  window: TimerHandle;
}

/**
 * The in-process payment terminal (mode 'emulated'): same contract and same money semantics as the
 * ZVT driver against a terminal in vending mode — an approval stays open until commit()/rollback();
 * the terminal reverses it by itself when the commit window passes. Its ledger is the terminal's
 * own view of the money.
 */
export class EmulatedPaymentTerminal implements PaymentTerminal, TerminalEmulatorControl {
  private current: TerminalBehaviour;
  private readonly entries: LedgerEntry[] = [];
  private readonly open = new Map<string, OpenPayment>();
  private running: { paymentId: string; abort: AbortController } | undefined;
  private receiptNo = 0;
  private trace = 0;
  private started = false;

  constructor(private readonly o: EmulatedTerminalOptions) {
    this.current = o.behaviour ?? 'approve';
  }

  // --- TerminalEmulatorControl
  behaviours(): TerminalBehaviour[] {
    return [...TERMINAL_BEHAVIOURS];
  }
  behaviour(): TerminalBehaviour {
    return this.current;
  }
  setBehaviour(behaviour: TerminalBehaviour): void {
    if (!(TERMINAL_BEHAVIOURS as readonly string[]).includes(behaviour))
      throw new PaymentTerminalError('invalid-request', `unknown terminal behaviour: ${String(behaviour)}`);
    this.current = behaviour;
    this.o.log?.('payment emulator behaviour', { behaviour });
  }
  ledger(): LedgerEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  // --- PaymentTerminal
  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    this.running?.abort.abort();
    // A terminal that loses its ECR never books an unacknowledged payment.
    for (const id of [...this.open.keys()]) this.reverseOpen(id, 'terminal stopped');
  }

  async status(): Promise<TerminalState> {
    if (!this.started) return 'offline';
    if (this.current === 'not-registered') return 'not-registered';
    if (this.current === 'silent') return 'offline';
    return this.running ? 'busy' : 'ready';
  }

  async authorize(request: AuthorizationRequest, onPrompt?: PaymentStatusListener): Promise<AuthorizationOutcome> {
    checkAuthorizationRequest(request);
    if (!this.started) throw new PaymentTerminalError('offline', 'payment terminal not started');
    if (this.running) throw new PaymentTerminalError('busy', `an authorization is running (${this.running.paymentId})`);
    if (this.entries.some((e) => e.paymentId === request.paymentId))
      throw new PaymentTerminalError('invalid-request', `payment ${request.paymentId} was authorized before`);
    const abort = new AbortController();
    this.running = { paymentId: request.paymentId, abort };
    const script = scriptFor(this.current);
    const step = this.o.promptDelayMs * (script.slow ? 4 : 1);
    const { paymentId, amountCents } = request;
    const fail = (reason: PaymentFailureReason, code?: number, uncertain?: boolean): AuthorizationOutcome => ({
      result: 'failed',
      paymentId,
      reason,
      ...(code !== undefined ? { code } : {}),
      ...(uncertain ? { uncertain } : {}),
    });
    try {
      for (const p of script.prompts) {
        if (p === 'approved' && script.end.kind !== 'silent') break; // shown after the ledger entry exists
        await delay(this.o.scheduler, step, abort.signal);
        if (p === 'approved') break;
        safePrompt(onPrompt, p);
      }
      if (script.end.kind === 'fail') {
        await delay(this.o.scheduler, step, abort.signal);
        return fail(script.end.reason, script.end.code);
      }
      await delay(this.o.scheduler, step, abort.signal);
      const entry: LedgerEntry = {
        paymentId,
        receiptNumber: String(++this.receiptNo).padStart(4, '0'),
        amountCents,
        state: 'authorized',
      };
      this.entries.push(entry);
      const window = this.o.scheduler.setTimeout(() => this.reverseOpen(paymentId, 'commit window passed'), this.o.commitWindowMs);
      this.open.set(paymentId, { entry, window });
      if (script.end.kind === 'silent') {
        // Approved at the terminal, but the answer never reaches the kiosk: the terminal reverses
        // an unacknowledged payment by itself; the kiosk sees an uncertain failure.
        await delay(this.o.scheduler, this.o.silenceMs, abort.signal).catch(() => undefined);
        this.reverseOpen(paymentId, 'no acknowledgement from the ECR');
        return fail('communication', undefined, true);
      }
      safePrompt(onPrompt, 'approved');
      const now = this.o.clock.now();
      return {
        result: 'approved',
        paymentId,
        amountCents,
        receipt: {
          resultCode: 0,
          trace: String(++this.trace).padStart(6, '0'),
          receiptNumber: entry.receiptNumber,
          maskedPan: '672559******' + String(1000 + (this.receiptNo % 9000)).slice(-4),
          cardName: 'girocard',
          terminalId: this.o.terminalId ?? '52500038',
          at: now.toISOString(),
          amountCents,
        },
      };
    } catch (e) {
      if ((e as Error).name === 'AbortError') return fail('customer-abort', RESULT.ABORTED);
      throw e;
    } finally {
      this.running = undefined;
    }
  }

  async commit(paymentId: string, _hints?: PaymentHints): Promise<void> {
    const open = this.open.get(paymentId);
    if (!open) {
      const e = this.entries.find((x) => x.paymentId === paymentId);
      if (e?.state === 'committed') return; // idempotent
      if (e) throw new PaymentTerminalError('not-open', `payment ${paymentId} is ${e.state}, it cannot be committed`);
      throw new PaymentTerminalError('unknown-payment', `no approved payment ${paymentId}`);
    }
    await this.o.onDecision?.(paymentId, 'commit');
    if (this.open.get(paymentId) !== open) throw new PaymentTerminalError('not-open', `payment ${paymentId} was reversed meanwhile`);
    this.o.scheduler.clearTimeout(open.window);
    this.open.delete(paymentId);
    open.entry.state = 'committed';
    this.o.log?.('payment committed', { paymentId });
  }

  async rollback(paymentId: string, _hints?: PaymentHints): Promise<{ undone: boolean; detail?: string }> {
    const e = this.entries.find((x) => x.paymentId === paymentId);
    if (!e) return { undone: true, detail: 'the terminal holds no payment with this id' };
    if (e.state === 'reversed') return { undone: true, detail: 'already reversed' };
    await this.o.onDecision?.(paymentId, 'rollback');
    if (e.state === 'authorized') {
      this.reverseOpen(paymentId, 'rollback');
      return { undone: true, detail: 'negative commit answer: the terminal reversed the payment' };
    }
    // committed: explicit reversal (06 30 on ZVT)
    e.state = 'reversed';
    this.o.log?.('payment reversed after commit', { paymentId });
    return { undone: true, detail: 'reversal' };
  }

  async abort(): Promise<void> {
    this.running?.abort.abort();
  }

  async resolve(paymentId: string, _hints?: PaymentHints): Promise<PaymentResolution> {
    const e = this.entries.find((x) => x.paymentId === paymentId);
    if (!e) return { paymentId, state: 'reversed', detail: 'the terminal holds no payment with this id' };
    const state = e.state === 'authorized' ? 'open' : e.state;
    return { paymentId, state, receipt: { resultCode: 0, receiptNumber: e.receiptNumber, amountCents: e.amountCents } };
  }

  private reverseOpen(paymentId: string, why: string): void {
    const open = this.open.get(paymentId);
    if (!open) return;
    this.o.scheduler.clearTimeout(open.window);
    this.open.delete(paymentId);
    open.entry.state = 'reversed';
    this.o.log?.('payment reversed by the terminal', { paymentId, why });
  }
}

function safePrompt(listener: PaymentStatusListener | undefined, p: PaymentPrompt): void {
  try {
    listener?.(p);
  } catch {
    // a broken screen must not break the payment
  }
}
