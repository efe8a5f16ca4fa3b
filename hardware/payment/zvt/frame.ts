/**
 * ZVT serial framing (PA00P016): DLE STX <APDU with every DLE doubled> DLE ETX CRC-lo CRC-hi.
 * The CRC (CRC-16/KERMIT) covers the un-doubled APDU plus ETX. ACK (06) and NAK (15) travel as
 * single bare bytes outside frames.
 */
import { crc16Kermit } from './crc.js';

export const DLE = 0x10;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

/** Upper bound of an APDU (3 header + FF + 2-byte length + 65535 data): longer runs are garbage. */
export const MAX_APDU = 65_541;

export function frameCrc(apdu: Uint8Array): number {
  const withEtx = new Uint8Array(apdu.length + 1);
  withEtx.set(apdu);
  withEtx[apdu.length] = ETX;
  return crc16Kermit(withEtx);
}

export function encodeFrame(apdu: Uint8Array): Uint8Array {
  const out: number[] = [DLE, STX];
  for (const b of apdu) {
    out.push(b);
    if (b === DLE) out.push(DLE);
  }
  const crc = frameCrc(apdu);
  out.push(DLE, ETX, crc & 0xff, crc >> 8);
  return Uint8Array.from(out);
}

export type ReceiverEvent =
  | { type: 'frame'; apdu: Uint8Array }
  | { type: 'bad-crc'; apdu: Uint8Array; expected: number; got: number }
  | { type: 'ack' }
  | { type: 'nak' }
  /** Bytes outside a frame that are neither ACK nor NAK, or a broken frame given up on. */
  | { type: 'garbage'; bytes: number };

type State = 'idle' | 'dle' | 'data' | 'data-dle' | 'crc1' | 'crc2';

/**
 * Byte-by-byte frame receiver: survives chunks split or merged anywhere, skips garbage, and
 * resyncs on the next DLE STX (also in the middle of a broken frame). Never throws.
 */
export class FrameReceiver {
  private state: State = 'idle';
  private buf: number[] = [];
  private crcLo = 0;
  private skipped = 0;

  constructor(private readonly emit: (e: ReceiverEvent) => void) {}

  /** True while a frame has started and not yet ended (the T1 inter-byte timer applies). */
  inFrame(): boolean {
    return this.state !== 'idle' && this.state !== 'dle';
  }

  /** Drop a partial frame (after T1 expired). */
  reset(): void {
    if (this.inFrame()) this.skipped += this.buf.length + 2;
    this.state = 'idle';
    this.buf = [];
    this.flushGarbage();
  }

  push(chunk: Uint8Array | Buffer): void {
    for (const b of chunk) this.byte(b);
    if (this.state === 'idle') this.flushGarbage();
  }

  private flushGarbage(): void {
    if (this.skipped > 0) {
      const n = this.skipped;
      this.skipped = 0;
      this.emit({ type: 'garbage', bytes: n });
    }
  }

  private startFrame(): void {
    this.flushGarbage();
    this.state = 'data';
    this.buf = [];
  }

  private byte(b: number): void {
    switch (this.state) {
      case 'idle':
        if (b === DLE) this.state = 'dle';
        else if (b === ACK) {
          this.flushGarbage();
          this.emit({ type: 'ack' });
        } else if (b === NAK) {
          this.flushGarbage();
          this.emit({ type: 'nak' });
        } else this.skipped++;
        return;
      case 'dle':
        if (b === STX) this.startFrame();
        else if (b === DLE) this.skipped++; // DLE DLE outside a frame: keep looking for STX
        else {
          this.skipped += 2;
          this.state = 'idle';
        }
        return;
      case 'data':
        if (b === DLE) this.state = 'data-dle';
        else this.add(b);
        return;
      case 'data-dle':
        if (b === DLE) {
          this.state = 'data';
          this.add(DLE);
        } else if (b === ETX) this.state = 'crc1';
        else if (b === STX) {
          // a new frame starts inside a broken one: resync on it
          this.skipped += this.buf.length + 2;
          this.startFrame();
        } else {
          // a lone DLE inside a frame is a framing error: drop the frame
          this.skipped += this.buf.length + 4;
          this.buf = [];
          this.state = 'idle';
        }
        return;
      case 'crc1':
        this.crcLo = b;
        this.state = 'crc2';
        return;
      case 'crc2': {
        const got = this.crcLo | (b << 8);
        const apdu = Uint8Array.from(this.buf);
        this.buf = [];
        this.state = 'idle';
        const expected = frameCrc(apdu);
        this.emit(expected === got ? { type: 'frame', apdu } : { type: 'bad-crc', apdu, expected, got });
        return;
      }
    }
  }

  private add(b: number): void {
    this.buf.push(b);
    if (this.buf.length > MAX_APDU) {
      this.skipped += this.buf.length + 2;
      this.buf = [];
      this.state = 'idle';
    }
  }
}
