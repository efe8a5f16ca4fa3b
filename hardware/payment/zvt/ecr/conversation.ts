/**
 * The conversation layer of the ECR driver: one conversation with the terminal at a time
 * (`exclusive`), messages received during it queue in the inbox, messages outside it go to the
 * unsolicited handler (a transaction a previous process left open). Commands wait for their
 * 80 00 / 84 xx answer within T3; answers to the terminal's messages are sent without waiting.
 */
import type { Clock } from '../../../../contract/time.js';
import type { Scheduler } from '../../scheduler.js';
import type { Apdu } from '../apdu.js';
import { hex } from '../bytes.js';
import { Inbox } from '../inbox.js';
import type { ZvtTransport } from '../transport.js';

/** The terminal's answer to a command: positive, negative with a result code, or none within T3. */
export type CommandAnswer = { ok: true } | { ok: false; code: number } | undefined;

export interface ConversationOptions {
  transport: ZvtTransport;
  scheduler: Scheduler;
  clock: Clock;
  t3Ms: number;
  t4Ms: number;
  log?: (msg: string, extra?: object) => void;
}

export const isAnswer = (m: Apdu): boolean => m.cls === 0x80 || m.cls === 0x84;

export class Conversation {
  readonly inbox: Inbox;
  private active = false;
  private chain: Promise<unknown> = Promise.resolve();
  private unsolicited: (m: Apdu) => void = () => undefined;

  constructor(readonly o: ConversationOptions) {
    this.inbox = new Inbox(o.scheduler);
    o.transport.onMessage((a) => (this.active ? this.inbox.push(a) : this.unsolicited(a)));
    o.transport.onClose(() => this.inbox.close());
  }

  /** Where messages outside a conversation go. */
  onUnsolicited(handler: (m: Apdu) => void): void {
    this.unsolicited = handler;
  }

  get isOpen(): boolean {
    return this.o.transport.isOpen;
  }

  /** True while a conversation runs (the poller stays quiet then). */
  get busy(): boolean {
    return this.active;
  }

  /** Run `fn` as the only conversation with the terminal; later ones wait their turn. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = async () => {
      this.active = true;
      this.inbox.clear();
      try {
        return await fn();
      } finally {
        this.active = false;
      }
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Answer a message of the terminal (a failure to deliver it is logged, not thrown). */
  reply(a: Apdu): Promise<void> {
    return this.o.transport.send(a).catch((e: unknown) => this.o.log?.('zvt: answer not acknowledged', { apdu: hex([a.cls, a.ins]), error: (e as Error).message }));
  }

  /** Send a command and wait for its 80 00 / 84 xx answer (T3). */
  async command(a: Apdu): Promise<CommandAnswer> {
    await this.o.transport.send(a);
    return this.answer();
  }

  /** The next message within `ms` (T4 by default), undefined on silence or a closed line. */
  next(ms = this.o.t4Ms): Promise<Apdu | undefined> {
    return this.inbox.next(ms);
  }

  /** Wait for the 80 00 / 84 xx answer to our command (T3). Other messages go to the unsolicited path. */
  private async answer(): Promise<CommandAnswer> {
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
}
