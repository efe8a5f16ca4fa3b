/**
 * A ZVT payment terminal in software: plays the terminal (PT) side of the serial protocol with the
 * same codec and transport as the driver, in vending mode (an approval is booked only once the ECR
 * answers the Status-Information positively; a negative answer, silence or a closed line make it
 * reverse). Testers steer it at run time (TerminalBehaviour); its ledger is the terminal's own
 * view of the money.
 */
import type { Clock } from '../../../../contract/time.js';
import { TERMINAL_BEHAVIOURS } from '../../config.js';
import type { TerminalBehaviour, TerminalEmulatorControl } from '../../emulator-control.js';
import { PaymentTerminalError } from '../../errors.js';
import type { PaymentPrompt } from '../../payment-terminal.js';
import { delay, type Scheduler } from '../../scheduler.js';
import type { Apdu } from '../apdu.js';
import { deferred, Inbox } from '../inbox.js';
import type { ByteLink } from '../link.js';
import { CMD, EUR, build, is, parseAuthorization, parsePasswordAndBmps, parseRegistration, parseReservationCommand, type StatusInformation } from '../messages.js';
import { fromBcd, toBcd, concat } from '../bytes.js';
import { encodeBmp } from '../bmp.js';
import { INTERMEDIATE_STATUS, RESULT } from '../result-codes.js';
import { ZvtTransport } from '../transport.js';
import { TerminalLedger, statusInformation, type SimulatorLedgerEntry } from './terminal-ledger.js';

export interface SimulatorOptions {
  scheduler: Scheduler;
  clock: Clock;
  password?: string;
  behaviour?: TerminalBehaviour;
  /** Pause between prompts (ms). */
  promptDelayMs: number;
  /** How long an approval waits for the ECR's positive answer before the terminal reverses it. */
  commitWindowMs: number;
  /** After "84 9C" (please wait), ask again after this long (spec: 2 s). */
  reaskMs?: number;
  /** A reservation (06 22) neither booked (06 24) nor reversed (06 25) within this is released by the terminal. Default 7 days. */
  reservationLifetimeMs?: number;
  t1Ms: number;
  t2Ms: number;
  t3Ms: number;
  terminalId?: string;
  log?: (msg: string, extra?: object) => void;
}

export type { SimulatorLedgerEntry } from './terminal-ledger.js';

export class ZvtTerminalSimulator implements TerminalEmulatorControl {
  private readonly transport: ZvtTransport;
  private readonly inbox: Inbox;
  private current: TerminalBehaviour;
  private readonly books = new TerminalLedger();
  private registered = false;
  private busy = false;
  private ecrAbort = false;
  private lastStored: StatusInformation | undefined;
  private silenceEnded: (() => void) | undefined;
  /** Gone silent mid-transaction: hears nothing, says nothing. */
  private silentNow = false;
  /** One-shot (tests): go silent right after acknowledging the ECR's next "please wait" to a Status-Information. */
  private silenceAtPleaseWait = false;
  private readonly pw: string;
  private readonly listeners = new Set<() => void>();
  /** Expiry timers of open reservations. */
  private readonly expiries = new Map<string, unknown>();

  constructor(
    link: ByteLink,
    private readonly o: SimulatorOptions,
  ) {
    this.current = o.behaviour ?? 'approve';
    this.pw = o.password ?? '000000';
    this.inbox = new Inbox(o.scheduler);
    this.transport = new ZvtTransport(link, {
      scheduler: o.scheduler,
      t1Ms: o.t1Ms,
      t2Ms: o.t2Ms,
      name: 'pt',
      ...(o.log ? { log: o.log } : {}),
      faults: {
        dropAck: () => this.current === 'drop-acks',
        corruptCrc: (attempt) => this.current === 'corrupt-crc' && attempt === 0,
        deaf: () => this.silentNow,
      },
    });
    this.transport.onMessage((a) => this.onMessage(a));
  }

  // ----------------------------------------------------------- TerminalEmulatorControl
  behaviours(): TerminalBehaviour[] {
    return [...TERMINAL_BEHAVIOURS];
  }
  behaviour(): TerminalBehaviour {
    return this.current;
  }
  setBehaviour(b: TerminalBehaviour): void {
    if (!(TERMINAL_BEHAVIOURS as readonly string[]).includes(b)) throw new PaymentTerminalError('invalid-request', `unknown terminal behaviour: ${String(b)}`);
    const wasSilent = this.current === 'silent';
    this.current = b;
    this.o.log?.('simulator behaviour', { behaviour: b });
    if (wasSilent && b !== 'silent') this.silenceEnded?.();
    this.changed();
  }
  ledger(): SimulatorLedgerEntry[] {
    return this.books.list();
  }
  /**
   * Arm a one-shot fault (money proofs): the next "please wait" (84 9C) the ECR answers to a
   * Status-Information is acknowledged, then the terminal goes silent (behaviour 'silent') until told
   * otherwise, reversing what it holds. This is the moment the kiosk starts writing the card under the
   * commit-point profile; armed before the payment, it needs no test-side timing against the
   * driver's hold of the 04 0F answer.
   */
  silenceAfterPleaseWait(): void {
    this.silenceAtPleaseWait = true;
  }
  /** Called after every ledger or behaviour change (for the process control channel). */
  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  /** Forget the registration, as a terminal does after a reboot. */
  reboot(): void {
    this.registered = false;
    this.o.log?.('simulator rebooted: registration lost');
  }
  isRegistered(): boolean {
    return this.registered;
  }
  get stats() {
    return this.transport.stats;
  }
  async stop(): Promise<void> {
    for (const t of this.expiries.values()) this.o.scheduler.clearTimeout(t as never);
    this.expiries.clear();
    this.silenceEnded?.();
    this.inbox.close();
    await this.transport.close();
  }

  // ----------------------------------------------------------- protocol
  private changed(): void {
    for (const l of this.listeners) l();
  }

  private onMessage(a: Apdu): void {
    // answers (80 00 / 84 xx) belong to whatever the terminal is doing
    if (a.cls === 0x80 || a.cls === 0x84) {
      if (this.busy) this.inbox.push(a);
      return;
    }
    if (is(a, CMD.ECR_ABORT)) {
      if (this.busy) this.ecrAbort = true;
      void this.send(build.positive());
      return;
    }
    if (this.busy) {
      // the terminal may be sending its last words of the previous command: look again shortly
      void this.whenIdle().then((idle) => (idle ? this.onMessage(a) : void this.send(build.negative(RESULT.RECEIVER_NOT_READY))));
      return;
    }
    this.busy = true;
    this.ecrAbort = false;
    this.inbox.clear();
    void this.handle(a)
      .catch((e: unknown) => this.o.log?.('simulator: command failed', { error: (e as Error).message }))
      .finally(() => {
        this.busy = false;
      });
  }

  private async whenIdle(): Promise<boolean> {
    for (let i = 0; i < 5 && this.busy; i++) await delay(this.o.scheduler, 10);
    return !this.busy;
  }

  private send(a: Apdu): Promise<boolean> {
    return this.transport.send(a).then(
      () => true,
      () => false,
    );
  }

  /** Send a message the ECR must answer (80 00 / 84 xx) within T3. undefined = no answer. */
  private async ask(a: Apdu): Promise<Apdu | undefined> {
    if (!(await this.send(a))) return undefined;
    return this.inbox.next(this.o.t3Ms);
  }

  /** The behaviour now (a method, so a change during an await is seen). */
  private mode(): TerminalBehaviour {
    return this.current;
  }

  private step(): number {
    return this.o.promptDelayMs * (this.current === 'slow' ? 4 : 1);
  }

  private async prompt(p: PaymentPrompt): Promise<boolean> {
    await delay(this.o.scheduler, this.step());
    if (this.ecrAbort) return false;
    await this.ask(build.intermediateStatus(INTERMEDIATE_STATUS[p]));
    return !this.ecrAbort;
  }

  private async handle(a: Apdu): Promise<void> {
    if (this.current === 'slow') await delay(this.o.scheduler, Math.min(this.o.t3Ms / 2, this.step()));
    if (is(a, CMD.REGISTRATION)) return this.registration(a);
    if (is(a, CMD.STATUS_ENQUIRY)) return this.statusEnquiry();
    if (is(a, CMD.LOG_OFF)) {
      this.registered = false;
      await this.send(build.positive());
      return;
    }
    if (!this.registered || this.current === 'not-registered') {
      await this.send(build.negative(RESULT.NOT_REGISTERED));
      return;
    }
    if (is(a, CMD.AUTHORIZATION)) return this.authorization(a);
    if (is(a, CMD.PRE_AUTHORISATION)) return this.preAuthorisation(a);
    if (is(a, CMD.BOOK_TOTAL)) return this.bookTotal(a);
    if (is(a, CMD.PRE_AUTH_REVERSAL)) return this.preAuthReversal(a);
    if (is(a, CMD.REPEAT_RECEIPT)) return this.repeatReceipt(a);
    if (is(a, CMD.REVERSAL)) return this.reversal(a);
    if (is(a, CMD.END_OF_DAY)) return this.endOfDay(a);
    if (is(a, CMD.DIAGNOSIS)) {
      await this.send(build.positive());
      await this.ask(build.completion());
      return;
    }
    await this.send(build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
  }

  private passwordOk(data: Uint8Array): boolean {
    try {
      return parsePasswordAndBmps(data).password === this.pw;
    } catch {
      return false;
    }
  }

  private async registration(a: Apdu): Promise<void> {
    let ok = false;
    try {
      ok = parseRegistration(a.data).password === this.pw;
    } catch {
      ok = false;
    }
    if (!ok) {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    if (this.current === 'not-registered') {
      // a terminal that needs service refuses to register
      await this.send(build.negative(RESULT.FUNCTION_NOT_POSSIBLE));
      return;
    }
    this.registered = true;
    await this.send(build.positive());
    await this.ask(build.completion(concat([encodeBmp(0x19, Uint8Array.of(0)), encodeBmp(0x29, toBcd(this.tid(), 4))])));
  }

  private tid(): string {
    return this.o.terminalId ?? '52500038';
  }

  private async statusEnquiry(): Promise<void> {
    await this.send(build.positive());
    const status = this.current === 'not-registered' ? 0x51 : 0x00;
    await this.ask(build.completion(concat([[status], encodeBmp(0x29, toBcd(this.tid(), 4))])));
  }

  private info(resultCode: number, amountCents: number, receiptNumber?: string, trace?: string): StatusInformation {
    return statusInformation(this.o.clock, this.tid(), resultCode, amountCents, receiptNumber, trace);
  }

  private async authorization(a: Apdu): Promise<void> {
    let amountCents: number;
    let currency: number;
    try {
      ({ amountCents, currency } = parseAuthorization(a.data));
    } catch {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    if (currency !== EUR) {
      await this.send(build.negative(RESULT.WRONG_CURRENCY));
      return;
    }
    await this.send(build.positive());
    const b = this.current;
    const end = async (code: number, withInfo = false) => {
      if (withInfo) await this.ask(build.statusInformation(this.info(code, amountCents)));
      await this.ask(build.abort(code));
    };
    if (!(await this.prompt('insert-card'))) return end(RESULT.ABORTED);
    if (b === 'customer-abort') return end(RESULT.ABORTED);
    if (b === 'card-not-readable') {
      await this.prompt('card-not-readable');
      return end(RESULT.CARD_NOT_READABLE);
    }
    if (!(await this.prompt('enter-pin'))) return end(RESULT.ABORTED);
    if (b === 'wrong-pin') {
      await this.prompt('wrong-pin');
      return end(RESULT.WRONG_PIN);
    }
    if (!(await this.prompt('waiting-for-host'))) return end(RESULT.ABORTED);
    if (b === 'host-timeout') {
      await delay(this.o.scheduler, this.step() * 3);
      return end(RESULT.COMMUNICATION_ERROR, true);
    }
    if (b === 'decline') {
      await this.prompt('declined');
      return end(RESULT.DECLINED, true);
    }
    // the host approved: the payment exists, not yet booked
    await delay(this.o.scheduler, this.step());
    const entry = this.books.record('payment', amountCents, 'authorized');
    this.changed();
    const info = this.info(0, amountCents, entry.receiptNumber, entry.trace);
    if (this.mode() === 'silent') return this.goSilent(entry);
    await this.ask(build.intermediateStatus(INTERMEDIATE_STATUS.approved));
    if (this.mode() === 'silent') return this.goSilent(entry);
    // vending commit point: ask until the ECR decides or the window passes. The window is a timer
    // on the scheduler (not a clock deadline), so it also ends a wait for an answer that is held.
    const window = deferred<'window-passed'>();
    const windowTimer = this.o.scheduler.setTimeout(() => window.resolve('window-passed'), this.o.commitWindowMs);
    try {
      for (;;) {
        const ans = await Promise.race([this.ask(build.statusInformation(info)), window.promise]);
        if (this.mode() === 'silent') return this.goSilent(entry);
        if (ans && ans !== 'window-passed' && ans.cls === 0x80) {
          entry.state = 'committed';
          this.lastStored = info;
          this.changed();
          this.o.log?.('simulator: payment booked', { receiptNumber: entry.receiptNumber });
          await this.ask(build.completion());
          return;
        }
        const pleaseWait = ans && ans !== 'window-passed' && ans.cls === 0x84 && ans.ins === RESULT.PLEASE_WAIT;
        if (pleaseWait && this.silenceAtPleaseWait) {
          this.silenceAtPleaseWait = false;
          this.setBehaviour('silent');
          return this.goSilent(entry);
        }
        if (pleaseWait && !window.settled()) {
          await Promise.race([delay(this.o.scheduler, this.o.reaskMs ?? 2_000), window.promise]);
          continue;
        }
        // negative answer, silence, a dead line or the window passed: never book it
        const answer = ans === 'window-passed' ? undefined : ans;
        entry.state = 'reversed';
        this.changed();
        this.o.log?.('simulator: payment reversed', { receiptNumber: entry.receiptNumber, why: ans === 'window-passed' ? 'commit window passed' : answer ? `answer ${answer.cls.toString(16)} ${answer.ins.toString(16)}` : 'no answer' });
        await this.ask(build.abort(answer && answer.cls === 0x84 && answer.ins !== RESULT.PLEASE_WAIT ? answer.ins : RESULT.ABORTED));
        return;
      }
    } finally {
      this.o.scheduler.clearTimeout(windowTimer);
    }
  }

  // ----------------------------------------------------------- reservations (06 22 / 06 24 / 06 25)
  /**
   * Pre-authorisation: the card dialogue as for 06 01, then the amount is RESERVED (nothing booked)
   * and reported in a Status-Information with receipt number, trace and AID. This terminal has no
   * commit point: whatever the ECR answers (or if it never answers) the reservation stands until
   * book total (06 24), its reversal (06 25), or its lifetime ends (released as 'expired').
   */
  private async preAuthorisation(a: Apdu): Promise<void> {
    let amountCents: number;
    let currency: number;
    try {
      ({ amountCents, currency } = parseAuthorization(a.data));
    } catch {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    if (currency !== EUR) {
      await this.send(build.negative(RESULT.WRONG_CURRENCY));
      return;
    }
    await this.send(build.positive());
    const b = this.current;
    const end = async (code: number, withInfo = false) => {
      if (withInfo) await this.ask(build.statusInformation(this.info(code, amountCents)));
      await this.ask(build.abort(code));
    };
    if (!(await this.prompt('insert-card'))) return end(RESULT.ABORTED);
    if (b === 'customer-abort') return end(RESULT.ABORTED);
    if (b === 'card-not-readable') {
      await this.prompt('card-not-readable');
      return end(RESULT.CARD_NOT_READABLE);
    }
    if (!(await this.prompt('enter-pin'))) return end(RESULT.ABORTED);
    if (b === 'wrong-pin') {
      await this.prompt('wrong-pin');
      return end(RESULT.WRONG_PIN);
    }
    if (!(await this.prompt('waiting-for-host'))) return end(RESULT.ABORTED);
    if (b === 'host-timeout') {
      await delay(this.o.scheduler, this.step() * 3);
      return end(RESULT.COMMUNICATION_ERROR, true);
    }
    if (b === 'decline') {
      await this.prompt('declined');
      return end(RESULT.DECLINED, true);
    }
    await delay(this.o.scheduler, this.step());
    const entry = this.books.record('reservation', amountCents, 'authorized');
    entry.reservation = 'reserved';
    entry.aid = `R${entry.receiptNumber.padStart(7, '0')}`;
    this.startExpiry(entry);
    this.changed();
    if (this.mode() === 'silent') return this.goSilent(entry);
    await this.ask(build.intermediateStatus(INTERMEDIATE_STATUS.approved));
    const info: StatusInformation = { ...this.info(0, amountCents, entry.receiptNumber, entry.trace), aid: entry.aid };
    this.lastStored = info;
    await this.ask(build.statusInformation(info));
    await this.ask(build.completion());
  }

  private startExpiry(entry: SimulatorLedgerEntry): void {
    const t = this.o.scheduler.setTimeout(() => {
      this.expiries.delete(entry.receiptNumber);
      if (entry.reservation !== 'reserved') return;
      entry.reservation = 'expired';
      entry.state = 'reversed';
      this.o.log?.('simulator: reservation expired', { receiptNumber: entry.receiptNumber });
      this.changed();
    }, this.o.reservationLifetimeMs ?? 7 * 24 * 3_600_000);
    this.expiries.set(entry.receiptNumber, t);
  }

  private endReservation(entry: SimulatorLedgerEntry, how: 'booked' | 'released'): void {
    const t = this.expiries.get(entry.receiptNumber);
    if (t !== undefined) this.o.scheduler.clearTimeout(t as never);
    this.expiries.delete(entry.receiptNumber);
    entry.reservation = how;
    entry.state = how === 'booked' ? 'committed' : 'reversed';
    this.changed();
  }

  /** Acknowledged the command, then nothing more until the behaviour changes: the reservation stays as it is. */
  private async silentAfterAck(what: string): Promise<void> {
    this.o.log?.(`simulator: silent at ${what}`);
    this.silentNow = true;
    await new Promise<void>((resolve) => (this.silenceEnded = resolve));
    this.silenceEnded = undefined;
    this.silentNow = false;
  }

  /** Book total: books the named reservation (receipt 87; amount 04 up to the reserved one; AID 3B must match). */
  private async bookTotal(a: Apdu): Promise<void> {
    let cmd: ReturnType<typeof parseReservationCommand>;
    try {
      cmd = parseReservationCommand(a.data);
    } catch {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    await this.send(build.positive());
    if (this.mode() === 'silent') return this.silentAfterAck('book total');
    const e = this.books.reservation(cmd.receiptNumber);
    if (!e || e.reservation === 'released' || e.reservation === 'expired') return void (await this.ask(build.abort(RESULT.ALREADY_REVERSED)));
    if (e.reservation === 'booked') return void (await this.ask(build.abort(RESULT.FUNCTION_NOT_POSSIBLE)));
    const amount = cmd.amountCents ?? e.amountCents;
    if (amount > e.amountCents || (cmd.aid !== undefined && cmd.aid !== e.aid) || (cmd.trace !== undefined && cmd.trace !== e.trace))
      return void (await this.ask(build.abort(RESULT.PROTOCOL_ERROR)));
    await delay(this.o.scheduler, this.step());
    e.amountCents = amount;
    this.endReservation(e, 'booked');
    const info = this.info(0, amount, e.receiptNumber, this.books.nextTrace());
    this.lastStored = info;
    this.o.log?.('simulator: reservation booked', { receiptNumber: e.receiptNumber });
    await this.ask(build.statusInformation(info));
    await this.ask(build.completion());
  }

  /** Reversal of a pre-authorisation: releases the named reservation; a booked one cannot be (B5), a gone one is B4. */
  private async preAuthReversal(a: Apdu): Promise<void> {
    let cmd: ReturnType<typeof parseReservationCommand>;
    try {
      cmd = parseReservationCommand(a.data);
    } catch {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    await this.send(build.positive());
    if (this.mode() === 'silent') return this.silentAfterAck('reversal of the pre-authorisation');
    const e = this.books.reservation(cmd.receiptNumber);
    if (!e || e.reservation === 'released' || e.reservation === 'expired') return void (await this.ask(build.abort(RESULT.ALREADY_REVERSED)));
    if (e.reservation === 'booked') return void (await this.ask(build.abort(RESULT.REVERSAL_NOT_POSSIBLE)));
    await delay(this.o.scheduler, this.step());
    this.endReservation(e, 'released');
    const info = this.info(0, e.amountCents, e.receiptNumber, this.books.nextTrace());
    this.lastStored = info;
    this.o.log?.('simulator: reservation released', { receiptNumber: e.receiptNumber });
    await this.ask(build.statusInformation(info));
    await this.ask(build.completion());
  }

  /** The terminal stops talking mid-transaction; when it comes back it reverses what nobody acknowledged. */
  private async goSilent(entry: SimulatorLedgerEntry): Promise<void> {
    this.o.log?.('simulator: silent');
    this.silentNow = true;
    await new Promise<void>((resolve) => (this.silenceEnded = resolve));
    this.silenceEnded = undefined;
    this.silentNow = false;
    if (entry.state === 'authorized') {
      // never reported to the ECR: nobody can name it, so the terminal drops it
      if (entry.kind === 'reservation') this.endReservation(entry, 'released');
      entry.state = 'reversed';
      this.changed();
    }
  }

  private async repeatReceipt(a: Apdu): Promise<void> {
    if (!this.passwordOk(a.data)) {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    await this.send(build.positive());
    if (this.lastStored) await this.ask(build.statusInformation(this.lastStored));
    await this.ask(build.completion());
  }

  private async reversal(a: Apdu): Promise<void> {
    let receipt: string | undefined;
    try {
      const p = parsePasswordAndBmps(a.data);
      if (p.password !== this.pw) throw new Error('password');
      const r = p.bmps.get(0x87);
      receipt = r ? fromBcd(r.value) : undefined;
    } catch {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    await this.send(build.positive());
    const e = this.books.payment(receipt);
    if (!e || e.state === 'authorized') return void (await this.ask(build.abort(RESULT.REVERSAL_NOT_POSSIBLE)));
    if (e.state === 'reversed') return void (await this.ask(build.abort(RESULT.ALREADY_REVERSED)));
    await delay(this.o.scheduler, this.step());
    e.state = 'reversed';
    const rev = this.books.record('reversal', e.amountCents, 'committed');
    const info = this.info(0, e.amountCents, rev.receiptNumber, rev.trace);
    this.lastStored = info;
    this.changed();
    await this.ask(build.statusInformation(info));
    await this.ask(build.completion());
  }

  private async endOfDay(a: Apdu): Promise<void> {
    if (!this.passwordOk(a.data)) {
      await this.send(build.negative(RESULT.PROTOCOL_ERROR));
      return;
    }
    await this.send(build.positive());
    await this.prompt('please-wait');
    await this.ask(build.statusInformation({ ...this.info(0, this.books.bookedTotal()), trace: this.books.nextTrace() }));
    await this.ask(build.completion());
  }
}
