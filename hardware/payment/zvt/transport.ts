/**
 * ZVT serial transport (PA00P016): frames out with ACK/NAK and the T2 repeat rule (at most two
 * repeats), frames in acknowledged at once (ACK, or NAK for a bad CRC or a T1 gap inside a frame)
 * before anyone acts on them. Used by the ECR driver and by the terminal simulator alike.
 */
import { decodeApdu, encodeApdu, type Apdu } from './apdu.js';
import { hex } from './bytes.js';
import { ACK, NAK, FrameReceiver, encodeFrame, type ReceiverEvent } from './frame.js';
import type { ByteLink } from './link.js';
import type { Scheduler, TimerHandle } from '../scheduler.js';

export class ZvtTransportError extends Error {
  constructor(
    readonly code: 'no-ack' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'ZvtTransportError';
  }
}

export interface TransportFaults {
  /** Do not send the ACK for a received frame (misbehaving terminal). */
  dropAck?: () => boolean;
  /** Corrupt the CRC of this transmission (attempt 0 = first). */
  corruptCrc?: (attempt: number) => boolean;
  /** Ignore everything received (a terminal gone silent): no ACK, no NAK, nothing delivered. */
  deaf?: () => boolean;
}

export interface TransportOptions {
  scheduler: Scheduler;
  t1Ms: number;
  t2Ms: number;
  /** Repeats after the first transmission (spec: 2). */
  maxRepeats?: number;
  /**
   * Treat a frame arriving while we wait for an ACK as that ACK, where it is the frame that can
   * only follow ours: an answer (80/84) after a command, a message after an answer. Some
   * terminals skip ACKs; the frame they send next shows they got ours. Default true.
   */
  implicitAck?: boolean;
  faults?: TransportFaults;
  log?: (msg: string, extra?: object) => void;
  name?: string;
}

export interface TransportStats {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  repeats: number;
  naksSent: number;
  badCrc: number;
  garbageBytes: number;
}

interface Pending {
  fail: (e: Error) => void;
}

export class ZvtTransport {
  private readonly receiver: FrameReceiver;
  private t1: TimerHandle | undefined;
  private waitingAck: { onAck: () => void; onNak: () => void; onFrame: (apdu: Uint8Array) => void } | undefined;
  private queue: Promise<void> = Promise.resolve();
  private listeners: ((a: Apdu) => void)[] = [];
  private closeListeners: ((err?: Error) => void)[] = [];
  private closed = false;
  private pendings = new Set<Pending>();
  readonly stats: TransportStats = { framesSent: 0, framesReceived: 0, bytesSent: 0, bytesReceived: 0, repeats: 0, naksSent: 0, badCrc: 0, garbageBytes: 0 };

  constructor(
    private readonly link: ByteLink,
    private readonly o: TransportOptions,
  ) {
    this.receiver = new FrameReceiver((e) => this.onEvent(e));
    link.onData((chunk) => this.onChunk(chunk));
    link.onClose((err) => this.onClosed(err));
  }

  get isOpen(): boolean {
    return !this.closed && this.link.isOpen;
  }

  onMessage(listener: (a: Apdu) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** Send one APDU; resolves once the peer acknowledged it. Sends are serialised. */
  send(a: Apdu): Promise<void> {
    const run = () => this.sendNow(a);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    await this.link.close();
    this.onClosed();
  }

  private sendNow(a: Apdu): Promise<void> {
    if (!this.isOpen) return Promise.reject(new ZvtTransportError('closed', 'ZVT link closed'));
    const apduBytes = encodeApdu(a);
    const frame = encodeFrame(apduBytes);
    const maxRepeats = this.o.maxRepeats ?? 2;
    return new Promise<void>((resolve, reject) => {
      let attempt = 0;
      let t2: TimerHandle | undefined;
      const pending: Pending = { fail: (e) => done(e) };
      this.pendings.add(pending);
      const done = (err?: Error) => {
        if (!this.pendings.has(pending)) return;
        this.o.scheduler.clearTimeout(t2);
        this.waitingAck = undefined;
        this.pendings.delete(pending);
        if (err) reject(err);
        else resolve();
      };
      const transmit = () => {
        let bytes = frame;
        if (this.o.faults?.corruptCrc?.(attempt)) {
          bytes = Uint8Array.from(frame);
          bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x5a;
        }
        this.stats.framesSent++;
        this.stats.bytesSent += bytes.length;
        this.o.log?.(`${this.o.name ?? 'zvt'} >> ${hex(apduBytes)}${attempt ? ` (repeat ${attempt})` : ''}`);
        this.link.write(bytes);
        t2 = this.o.scheduler.setTimeout(() => retry('no ACK within T2'), this.o.t2Ms);
      };
      const retry = (why: string) => {
        this.o.scheduler.clearTimeout(t2);
        if (attempt >= maxRepeats) return done(new ZvtTransportError('no-ack', `${hex(apduBytes.subarray(0, 2))}: ${why} after ${attempt} repeats`));
        attempt++;
        this.stats.repeats++;
        transmit();
      };
      this.waitingAck = {
        onAck: () => done(),
        onNak: () => retry('NAK'),
        onFrame: (received: Uint8Array) => {
          const answer = (cls: number | undefined) => cls === 0x80 || cls === 0x84;
          if ((this.o.implicitAck ?? true) && answer(a.cls) !== answer(received[0])) {
            this.o.log?.(`${this.o.name ?? 'zvt'}: frame instead of ACK taken as ACK`);
            done();
          }
        },
      };
      transmit();
    });
  }

  private onChunk(chunk: Uint8Array): void {
    this.stats.bytesReceived += chunk.length;
    if (this.o.faults?.deaf?.()) {
      this.receiver.reset();
      return;
    }
    this.receiver.push(chunk);
    this.o.scheduler.clearTimeout(this.t1);
    this.t1 = undefined;
    if (this.receiver.inFrame())
      this.t1 = this.o.scheduler.setTimeout(() => {
        this.t1 = undefined;
        this.o.log?.(`${this.o.name ?? 'zvt'}: T1 gap inside a frame, NAK`);
        this.receiver.reset();
        this.writeControl(NAK);
      }, this.o.t1Ms);
  }

  private writeControl(b: number): void {
    if (b === NAK) this.stats.naksSent++;
    this.stats.bytesSent += 1;
    this.link.write(Uint8Array.of(b));
  }

  private onEvent(e: ReceiverEvent): void {
    switch (e.type) {
      case 'ack':
        this.waitingAck?.onAck();
        return;
      case 'nak':
        this.waitingAck?.onNak();
        return;
      case 'garbage':
        this.stats.garbageBytes += e.bytes;
        return;
      case 'bad-crc':
        this.stats.badCrc++;
        this.o.log?.(`${this.o.name ?? 'zvt'}: bad CRC, NAK`, { apdu: hex(e.apdu.subarray(0, 8)) });
        this.writeControl(NAK);
        return;
      case 'frame': {
        this.stats.framesReceived++;
        if (!this.o.faults?.dropAck?.()) this.writeControl(ACK);
        this.waitingAck?.onFrame(e.apdu);
        let a: Apdu;
        try {
          a = decodeApdu(e.apdu);
        } catch (err) {
          this.o.log?.(`${this.o.name ?? 'zvt'}: unusable APDU dropped: ${(err as Error).message}`);
          return;
        }
        this.o.log?.(`${this.o.name ?? 'zvt'} << ${hex(e.apdu)}`);
        for (const l of [...this.listeners]) {
          try {
            l(a);
          } catch (err) {
            this.o.log?.(`${this.o.name ?? 'zvt'}: message handler failed: ${(err as Error).message}`);
          }
        }
        return;
      }
    }
  }

  private onClosed(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.o.scheduler.clearTimeout(this.t1);
    for (const p of [...this.pendings]) p.fail(new ZvtTransportError('closed', 'ZVT link closed'));
    for (const l of this.closeListeners) l(err);
  }
}
