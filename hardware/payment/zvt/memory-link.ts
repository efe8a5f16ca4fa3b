/**
 * Two connected in-memory ends of a ZVT cable: what one end writes, the other receives, in the
 * chunks written and always asynchronously (never inside write()), as a serial port delivers them.
 * Used by the emulated mode (driver and simulator in one process) and by tests.
 *
 * No baud-rate delay unless asked: `pacing.baudRate` holds each write back for its time on a line
 * of that speed (11 bits a byte: start, 8 data, 2 stop), writes queueing like a UART, for benchmarks.
 */
import type { ByteLink } from './link.js';

export interface MemoryLinkOptions {
  pacing?: { baudRate: number; bitsPerByte?: number };
}

export interface MemoryLinkEnd extends ByteLink {
  /** Test hook: rewrite (or drop, by returning undefined) what this end writes. */
  tap?: (b: Uint8Array) => Uint8Array | undefined;
}

export function memoryLinkPair(opts: MemoryLinkOptions = {}): [MemoryLinkEnd, MemoryLinkEnd] {
  type End = MemoryLinkEnd & { listeners: ((c: Uint8Array) => void)[]; closeL: ((e?: Error) => void)[]; open: boolean; peer?: End; lineFreeAt: number };
  const byteMs = opts.pacing ? ((opts.pacing.bitsPerByte ?? 11) * 1000) / opts.pacing.baudRate : 0;
  const mk = (): End => {
    const e: End = {
      listeners: [],
      closeL: [],
      open: true,
      lineFreeAt: 0,
      write(bytes) {
        if (!e.open || !e.peer?.open) return;
        const out = e.tap ? e.tap(bytes) : bytes;
        if (!out) return;
        const copy = Uint8Array.from(out);
        const peer = e.peer;
        const deliver = () => peer.open && peer.listeners.forEach((l) => l(copy));
        if (!byteMs) return void setImmediate(deliver);
        const now = performance.now();
        e.lineFreeAt = Math.max(now, e.lineFreeAt) + copy.length * byteMs;
        setTimeout(deliver, e.lineFreeAt - now);
      },
      onData(l) {
        e.listeners.push(l);
      },
      onClose(l) {
        e.closeL.push(l);
      },
      get isOpen() {
        return e.open;
      },
      async close() {
        if (!e.open) return;
        e.open = false;
        e.closeL.forEach((l) => l());
      },
    };
    return e;
  };
  const a = mk();
  const b = mk();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
