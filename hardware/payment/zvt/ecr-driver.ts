/**
 * The kiosk's ZVT ECR driver (PA00P015/PA00P016) over a serial transport, implementing
 * PaymentTerminal with the vending commit point:
 *
 *   06 01 Authorization -> 80 00 -> 04 FF ... (prompts) -> 04 0F result 00 (approved)
 *     the driver HOLDS its answer to 04 0F: authorize() resolves 'approved'; when the kiosk starts
 *     writing the card (issuing()) it answers 84 9C 00 ("please wait") at once, and again each
 *     time the terminal asks until the decision; commit() answers 80 00 00 (the terminal books it, then 06 0F), rollback() answers
 *     84 6C 00 (the terminal reverses it itself, then 06 1E). Where that window has passed and
 *     the terminal booked the payment, rollback() sends an explicit reversal (06 30).
 *
 * Every decision goes through `onDecision` (awaited) before it is put on the wire, so the kiosk
 * can journal it first. A restarted driver resolves a payment its predecessor left behind with
 * resolve(): a terminal still asking 04 0F is held as an "orphan" and bound by receipt number;
 * otherwise the last stored transaction (06 20 repeat receipt) tells whether it stands.
 *
 * This facade only wires the parts in ecr/ together:
 *   conversation.ts  one conversation at a time, T3 answers, unsolicited messages; retry.ts the one retry helper
 *   registration.ts  06 00, status enquiry 05 01, idle polling, re-registration
 *   authorization.ts 06 01 and the held 04 0F answer
 *   approvals.ts     the approvals ledger and its states
 *   decisions.ts     commit() / rollback(), explicit reversal
 *   orphans.ts       resolve(): orphans of a previous process, repeat receipt 06 20
 *   commands.ts      06 30 / 06 50 / 06 70
 */
import type { Clock } from '../../../contract/time.js';
import type {
  AuthorizationOutcome,
  AuthorizationRequest,
  PaymentDecisionHook,
  PaymentHints,
  PaymentResolution,
  PaymentStatusListener,
  PaymentTerminal,
  TerminalState,
} from '../payment-terminal.js';
import type { Scheduler } from '../scheduler.js';
import { build } from './messages.js';
import type { TransportStats, ZvtTransport } from './transport.js';
import { Approvals } from './ecr/approvals.js';
import { Authorizations } from './ecr/authorization.js';
import { runCommand, type CommandResult } from './ecr/commands.js';
import { Conversation } from './ecr/conversation.js';
import { Decisions } from './ecr/decisions.js';
import { OrphanResolver } from './ecr/orphans.js';
import { Registration } from './ecr/registration.js';
import { Reservations } from './ecr/reservations.js';

export { NEGATIVE_VEND_ANSWER } from './ecr/approvals.js';

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
  /** issuing(): how long to wait for the terminal's next 04 0F when none is held (default 5 s: the spec's 2 s re-ask plus margin). */
  issueWaitMs?: number;
  /** After start, how long to listen for a terminal still in a transaction of a previous ECR process before resolve() asks it. */
  orphanListenMs?: number;
  /** Status enquiry (05 01) every this many ms while idle, re-registering after a terminal reboot; 0 = off. */
  pollIntervalMs?: number;
  onDecision?: PaymentDecisionHook;
  /**
   * The terminal profile's flow (hardware/payment/config.ts `terminalProfile.flow`): 'commit-point'
   * (06 01, the held answer to 04 0F) or 'reservation' (06 22 / 06 24 / 06 25, ecr/reservations.ts).
   */
  flow?: 'commit-point' | 'reservation';
  log?: (msg: string, extra?: object) => void;
}

export class ZvtEcrDriver implements PaymentTerminal {
  private readonly conv: Conversation;
  private readonly registration: Registration;
  private readonly authorizations: Authorizations;
  private readonly resolver: OrphanResolver;
  private readonly decisions: Decisions;
  /** Set with the reservation profile: authorize/commit/rollback/resolve go through it. */
  private readonly reservations: Reservations | undefined;
  private stopped = false;

  constructor(private readonly o: ZvtDriverOptions) {
    const log = o.log ? { log: o.log } : {};
    this.conv = new Conversation({ transport: o.transport, scheduler: o.scheduler, clock: o.clock, t3Ms: o.t3Ms, t4Ms: o.t4Ms, ...log });
    const approvals = new Approvals(o.onDecision);
    this.registration = new Registration(
      this.conv,
      { password: o.password, ...(o.configByte !== undefined ? { configByte: o.configByte } : {}), ...(o.pollIntervalMs !== undefined ? { pollIntervalMs: o.pollIntervalMs } : {}), ...log },
      () => this.authorizations.runningId() !== undefined || this.reservations?.runningId() !== undefined || this.resolver.holdsOpenOrphan(),
    );
    this.authorizations = new Authorizations(this.conv, this.registration, approvals, { clock: o.clock, holdMs: o.holdMs ?? Math.min(2_000, Math.floor(o.t3Ms / 2)), ...(o.issueWaitMs !== undefined ? { issueWaitMs: o.issueWaitMs } : {}), ...log });
    this.resolver = new OrphanResolver(this.conv, this.registration, approvals, {
      clock: o.clock,
      password: o.password,
      ...(o.orphanListenMs !== undefined ? { orphanListenMs: o.orphanListenMs } : {}),
      ...log,
    });
    this.decisions = new Decisions(approvals, this.resolver, this.authorizations, (receiptNumber) => this.reversal(receiptNumber));
    this.reservations =
      o.flow === 'reservation' ? new Reservations(this.conv, this.registration, { clock: o.clock, password: o.password, ...(o.onDecision ? { onDecision: o.onDecision } : {}), ...log }) : undefined;
  }

  /** The terminal profile this driver speaks. */
  get flow(): 'commit-point' | 'reservation' {
    return this.reservations ? 'reservation' : 'commit-point';
  }

  // ------------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    this.resolver.started();
    this.stopped = false;
    try {
      // A terminal still asking a previous process's 04 0F is answered first (resolve/commit/
      // rollback settle it); registering into its re-ask would make it give up (issue 12).
      if (await this.resolver.listenForOrphan()) this.o.log?.('zvt: a previous transaction is open at the terminal; registering after it');
      else await this.registration.reRegister();
    } catch (e) {
      // The kiosk starts anyway and shows the terminal as unavailable; authorize() retries.
      this.o.log?.('zvt: registration at start failed', { error: (e as Error).message });
    }
    this.registration.startPolling();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.registration.stopPolling();
    await this.o.transport.close();
  }

  // ------------------------------------------------------------------ PaymentTerminal

  status(): Promise<TerminalState> {
    return this.registration.status();
  }

  authorize(request: AuthorizationRequest, onPrompt?: PaymentStatusListener): Promise<AuthorizationOutcome> {
    if (this.reservations) return this.reservations.authorize(request, onPrompt, this.stopped);
    return this.authorizations.authorize(request, onPrompt, this.stopped);
  }

  abort(): Promise<void> {
    if (this.reservations) return this.reservations.abort();
    return this.authorizations.abort();
  }

  issuing(paymentId: string): Promise<void> {
    // a reservation holds nothing: the terminal books only on 06 24, whenever the kiosk sends it
    if (this.reservations) return Promise.resolve();
    return this.authorizations.issuing(paymentId);
  }

  commit(paymentId: string, hints?: PaymentHints): Promise<void> {
    if (this.reservations) return this.reservations.commit(paymentId, hints);
    return this.decisions.commit(paymentId, hints);
  }

  rollback(paymentId: string, hints?: PaymentHints): Promise<{ undone: boolean; detail?: string }> {
    if (this.reservations) return this.reservations.rollback(paymentId, hints);
    return this.decisions.rollback(paymentId, hints);
  }

  resolve(paymentId: string, hints?: PaymentHints): Promise<PaymentResolution> {
    if (this.reservations) return this.reservations.resolve(paymentId, hints);
    return this.resolver.resolve(paymentId, hints);
  }

  // ------------------------------------------------------------------ more ZVT functions

  /** 06 50 End-of-day. */
  endOfDay(): Promise<CommandResult> {
    return this.conv.exclusive(() => runCommand(this.conv, this.registration, build.endOfDay(this.o.password)));
  }

  /** 06 70 Diagnosis. */
  diagnosis(): Promise<CommandResult> {
    return this.conv.exclusive(() => runCommand(this.conv, this.registration, build.diagnosis()));
  }

  /** 06 30 Reversal of a booked payment by receipt number. */
  reversal(receiptNumber: string): Promise<CommandResult> {
    return this.conv.exclusive(() => runCommand(this.conv, this.registration, build.reversal(this.o.password, receiptNumber)));
  }

  /** 06 00 Registration (also done at start and after a terminal reboot). */
  reRegister(): Promise<void> {
    return this.registration.reRegister();
  }

  isRegistered(): boolean {
    return this.registration.isRegistered();
  }

  /** The terminal state the last poll saw (no traffic). */
  lastKnownState(): TerminalState {
    return this.registration.lastKnownState();
  }

  /** Frames, bytes, repeats and NAKs on the ECR's side of the line. */
  transportStats(): TransportStats {
    return { ...this.o.transport.stats };
  }
}
