/**
 * Registration (06 00) and the terminal's state: registering at start and again whenever the
 * terminal says it is not registered (after a reboot or a log-off), the status enquiry (05 01)
 * with its retries, and the idle poll that notices a rebooted or silent terminal.
 */
import { PaymentTerminalError } from '../../errors.js';
import type { TerminalState } from '../../payment-terminal.js';
import type { TimerHandle } from '../../scheduler.js';
import { hex } from '../bytes.js';
import { CMD, KIOSK_CONFIG_BYTE, build, is, parseAbort, parseStatusCompletion } from '../messages.js';
import { RESULT } from '../result-codes.js';
import type { Apdu } from '../apdu.js';
import { isAnswer, type CommandAnswer, type Conversation } from './conversation.js';
import { doubling, retrying } from './retry.js';

export interface RegistrationOptions {
  password: string;
  configByte?: number;
  /** Status enquiry every this many ms while idle; 0 = off. */
  pollIntervalMs?: number;
  log?: (msg: string, extra?: object) => void;
}

const notReady = (r: CommandAnswer) => !!r && !r.ok && r.code === RESULT.RECEIVER_NOT_READY;

export class Registration {
  private registered = false;
  private pollTimer: TimerHandle | undefined;
  private polling = false;
  private lastState: TerminalState = 'offline';

  constructor(
    private readonly conv: Conversation,
    private readonly o: RegistrationOptions,
    /** True while an authorization runs: no status enquiry then. */
    private readonly authorizing: () => boolean,
  ) {
    conv.o.transport.onClose(() => (this.registered = false));
  }

  isRegistered(): boolean {
    return this.registered;
  }

  /** The terminal state the last poll saw (no traffic). */
  lastKnownState(): TerminalState {
    return this.lastState;
  }

  /** 06 00 as its own conversation. */
  reRegister(): Promise<void> {
    return this.conv.exclusive(() => this.register());
  }

  /** 06 00 inside the current conversation; "receiver not ready" is retried with a growing pause. */
  async register(): Promise<void> {
    const registration = build.registration(this.o.password, this.o.configByte ?? KIOSK_CONFIG_BYTE);
    const r = await retrying(this.conv.o.scheduler, () => this.conv.command(registration), { retries: 3, pauseMs: doubling(250, this.conv.o.t3Ms), again: notReady });
    if (!r) throw new PaymentTerminalError('offline', 'no answer to the registration (T3)');
    if (!r.ok) throw new PaymentTerminalError('offline', `registration refused: ${hex([r.code])}`);
    // The terminal closes the registration with a Completion (or an Abort).
    for (;;) {
      const m = await this.conv.next(this.conv.o.t3Ms);
      if (!m) break;
      if (is(m, CMD.COMPLETION)) {
        await this.conv.reply(build.positive());
        break;
      }
      if (is(m, CMD.ABORT)) {
        await this.conv.reply(build.positive());
        throw new PaymentTerminalError('offline', `registration aborted: ${hex([parseAbort(m.data)])}`);
      }
      if (!isAnswer(m)) await this.conv.reply(build.positive());
    }
    this.registered = true;
    this.o.log?.('zvt: registered');
  }

  /**
   * Send a command; where the terminal says "not registered" (rebooted, logged off) register again
   * and send it once more. `onRegistrationError` given: a failed registration is reported there and
   * the first answer returned; else it is thrown.
   */
  async commandRegistered(a: Apdu, onRegistrationError?: (e: Error) => void): Promise<CommandAnswer> {
    const r = await this.conv.command(a);
    if (!r || r.ok || r.code !== RESULT.NOT_REGISTERED) return r;
    this.registered = false;
    try {
      await this.register();
    } catch (e) {
      if (!onRegistrationError) throw e;
      onRegistrationError(e as Error);
      return r;
    }
    return this.conv.command(a);
  }

  /** Status enquiry; "no answer right after a customer cancel" is retried with backoff. */
  async status(): Promise<TerminalState> {
    if (!this.conv.isOpen) return 'offline';
    if (this.authorizing()) return 'busy';
    return retrying(this.conv.o.scheduler, () => this.conv.exclusive(() => this.statusEnquiry()).catch(() => 'offline' as const), {
      retries: 2,
      pauseMs: doubling(200),
      again: (s) => s === 'offline' && this.conv.isOpen,
    });
  }

  startPolling(): void {
    this.polling = true;
    this.schedulePoll();
  }

  stopPolling(): void {
    this.polling = false;
    this.conv.o.scheduler.clearTimeout(this.pollTimer);
  }

  private schedulePoll(): void {
    const every = this.o.pollIntervalMs ?? 0;
    if (every <= 0 || !this.polling) return;
    this.pollTimer = this.conv.o.scheduler.setTimeout(() => void this.poll(), every);
  }

  private async poll(): Promise<void> {
    try {
      if (!this.polling || !this.conv.isOpen) return;
      if (this.authorizing() || this.conv.busy) return; // never talk into a transaction
      this.lastState = await this.status();
      if (this.lastState === 'not-registered') await this.reRegister().catch(() => undefined);
    } finally {
      this.schedulePoll();
    }
  }

  private async statusEnquiry(): Promise<TerminalState> {
    const r = await this.conv.command(build.statusEnquiry(this.o.password));
    if (!r) return 'offline';
    if (!r.ok) {
      if (r.code === RESULT.NOT_REGISTERED) {
        this.registered = false;
        return 'not-registered';
      }
      return r.code === RESULT.RECEIVER_NOT_READY ? 'busy' : 'out-of-order';
    }
    for (;;) {
      const m = await this.conv.next();
      if (!m) return 'offline';
      if (isAnswer(m)) continue;
      await this.conv.reply(build.positive());
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
}
