/**
 * Record and replay of ZVT line traffic, the way hardware-wallet transports test against recorded
 * device exchanges:
 * - recordingLink(end) wraps the ECR's end of a link and notes every chunk either way (who sent
 *   it, the bytes, ms since the first one); toFixture() turns that into a JSON fixture.
 * - replayLink(fixture) plays the terminal of a recording back to a driver: it checks that what
 *   the driver writes is, byte for byte, what the ECR wrote when it was recorded, and answers with
 *   the terminal's recorded bytes as soon as the ECR bytes before them have been seen. A driver
 *   that sends anything else fails `done` (and the replay stops answering).
 */
import { fromHex, hex } from './bytes.js';
import type { ByteLink } from './link.js';

export type Speaker = 'ecr' | 'terminal';

export interface RecordedChunk {
  from: Speaker;
  /** Milliseconds since the first chunk of the recording. */
  atMs: number;
  /** Hex bytes, space separated. */
  bytes: string;
}

export interface ZvtFixture {
  name: string;
  description: string;
  recordedWith: string;
  chunks: RecordedChunk[];
}

export interface RecordingLink extends ByteLink {
  chunks(): RecordedChunk[];
  toFixture(name: string, description: string, recordedWith: string): ZvtFixture;
}

/** Wrap the ECR's end of a link; every chunk written (ecr) or received (terminal) is recorded. */
export function recordingLink(inner: ByteLink, now: () => number = () => performance.now()): RecordingLink {
  const chunks: RecordedChunk[] = [];
  let t0: number | undefined;
  const note = (from: Speaker, bytes: Uint8Array) => {
    const t = now();
    t0 ??= t;
    chunks.push({ from, atMs: Math.round(t - t0), bytes: hex(bytes) });
  };
  inner.onData((c) => note('terminal', c));
  return {
    write(bytes) {
      if (inner.isOpen) note('ecr', bytes);
      inner.write(bytes);
    },
    onData: (l) => inner.onData(l),
    onClose: (l) => inner.onClose(l),
    close: () => inner.close(),
    get isOpen() {
      return inner.isOpen;
    },
    chunks: () => chunks.map((c) => ({ ...c })),
    toFixture: (name, description, recordedWith) => ({ name, description, recordedWith, chunks: chunks.map((c) => ({ ...c })) }),
  };
}

export interface ReplayLink extends ByteLink {
  /** Resolves once every recorded chunk was played and matched; rejects on the first mismatch. */
  readonly done: Promise<void>;
  /** Chunks not yet played or matched. */
  remaining(): number;
  /** The first thing the driver got wrong, also after the end of the recording. */
  mismatch(): string | undefined;
}

/**
 * The terminal of a recording, as a link for the driver. The ECR's recorded chunks are compared
 * as one byte stream (a driver may split or merge its writes differently); each terminal chunk is
 * delivered, asynchronously and in order, once all the ECR bytes recorded before it were written.
 */
export function replayLink(fixture: ZvtFixture): ReplayLink {
  const script = fixture.chunks.map((c) => ({ from: c.from, bytes: fromHex(c.bytes) }));
  let pos = 0; // next chunk of the script
  let offset = 0; // bytes of script[pos] (an ecr chunk) already matched
  let open = true;
  let failed: string | undefined;
  const listeners: ((c: Uint8Array) => void)[] = [];
  const closeListeners: ((e?: Error) => void)[] = [];
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => undefined); // a test that never awaits it still sees the driver stall

  const fail = (msg: string) => {
    if (failed) return;
    failed = `replay of ${fixture.name}: ${msg}`;
    rejectDone(new Error(failed));
  };
  const finishIfDone = () => {
    if (!failed && pos >= script.length) resolveDone();
  };
  /** Play the terminal's chunks that are due (those before the next ECR chunk). */
  const playDue = () => {
    const due: Uint8Array[] = [];
    while (pos < script.length && script[pos]!.from === 'terminal') due.push(script[pos++]!.bytes);
    if (due.length) setImmediate(() => open && !failed && due.forEach((c) => listeners.forEach((l) => l(Uint8Array.from(c)))));
    finishIfDone();
  };
  setImmediate(playDue);

  return {
    done,
    remaining: () => script.length - pos,
    mismatch: () => failed,
    write(bytes) {
      if (!open || failed) return;
      for (const b of bytes) {
        const expected = script[pos];
        if (!expected || expected.from !== 'ecr') {
          fail(`the driver sent ${hex([b])} where the recording has ${expected ? `the terminal speaking (${hex(expected.bytes)})` : 'nothing more'}`);
          return;
        }
        if (expected.bytes[offset] !== b) {
          fail(`the driver sent ${hex([b])} at byte ${offset} of ${hex(expected.bytes)} (chunk ${pos})`);
          return;
        }
        if (++offset === expected.bytes.length) {
          pos++;
          offset = 0;
          playDue();
        }
      }
    },
    onData(l) {
      listeners.push(l);
    },
    onClose(l) {
      closeListeners.push(l);
    },
    get isOpen() {
      return open;
    },
    async close() {
      if (!open) return;
      open = false;
      closeListeners.forEach((l) => l());
    },
  };
}
