import { describe, expect, it } from 'vitest';
import { apdu, encodeApdu } from './apdu.js';
import { concat, fromHex, hex } from './bytes.js';
import { encodeFrame, FrameReceiver, type ReceiverEvent } from './frame.js';
import { memoryLinkPair } from './memory-link.js';
import { ZvtTransport, ZvtTransportError } from './transport.js';
import { manualScheduler, realScheduler } from '../scheduler.js';

const timers = { t1Ms: 30, t2Ms: 60 };
function pair(faultsB: ConstructorParameters<typeof ZvtTransport>[1]['faults'] = {}) {
  const [la, lb] = memoryLinkPair();
  const sched = realScheduler();
  const a = new ZvtTransport(la, { scheduler: sched, ...timers, name: 'ecr' });
  const b = new ZvtTransport(lb, { scheduler: sched, ...timers, name: 'pt', faults: faultsB });
  return { la, lb, a, b };
}

/** xorshift32: a seeded random source, so the fuzz run is the same every time. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

describe('ZVT transport', () => {
  it('a frame is acknowledged and delivered once', async () => {
    const { a, b } = pair();
    const got: string[] = [];
    b.onMessage((m) => got.push(hex(encodeApdu(m))));
    await a.send(apdu(0x06, 0x01, fromHex('04 00 00 00 00 10 00')));
    await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual(['06 01 07 04 00 00 00 00 10 00']);
    expect(a.stats.repeats).toBe(0);
  });

  it('a corrupted CRC is NAKed and the repeat goes through', async () => {
    const { a, b } = pair();
    let first = true;
    // corrupt a's first transmission on the way (the peer must NAK it)
    const [la, lb] = memoryLinkPair();
    la.tap = (bytes) => {
      if (first && bytes.length > 1) {
        first = false;
        const c = Uint8Array.from(bytes);
        c[c.length - 1] = c[c.length - 1]! ^ 1;
        return c;
      }
      return bytes;
    };
    const s = realScheduler();
    const x = new ZvtTransport(la, { scheduler: s, ...timers });
    const y = new ZvtTransport(lb, { scheduler: s, ...timers });
    const got: number[] = [];
    y.onMessage((m) => got.push(m.ins));
    await x.send(apdu(0x80, 0x00));
    expect(x.stats.repeats).toBe(1);
    expect(y.stats.naksSent).toBe(1);
    expect(got).toEqual([0x00]);
    void a;
    void b;
  });

  it('no ACK: two repeats after T2, then a transmission error', async () => {
    const [la] = memoryLinkPair(); // nobody answers on the other end
    const x = new ZvtTransport(la, { scheduler: realScheduler(), ...timers });
    const started = Date.now();
    const e = await x.send(apdu(0x06, 0x70)).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ZvtTransportError);
    expect((e as ZvtTransportError).code).toBe('no-ack');
    expect(x.stats.framesSent).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * timers.t2Ms - 5);
  });

  it('a peer that never ACKs but answers: its answer counts as the ACK', async () => {
    const { a, b } = pair({ dropAck: () => true });
    b.onMessage(() => void b.send(apdu(0x80, 0x00)).catch(() => undefined));
    const got: number[] = [];
    a.onMessage((m) => got.push(m.cls));
    await a.send(apdu(0x06, 0x70));
    expect(a.stats.repeats).toBe(0);
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([0x80]);
  });

  it('a gap longer than T1 inside a frame is NAKed and the partial frame dropped', async () => {
    const [la, lb] = memoryLinkPair();
    const y = new ZvtTransport(lb, { scheduler: realScheduler(), ...timers });
    const seen: number[] = [];
    la.onData((c) => seen.push(...c));
    const got: number[] = [];
    y.onMessage((m) => got.push(m.cls));
    la.write(fromHex('10 02 80 00'));
    await new Promise((r) => setTimeout(r, timers.t1Ms * 3));
    la.write(encodeFrame(fromHex('80 00 00')));
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([0x15, 0x06]);
    expect(got).toEqual([0x80]);
  });

  it('the spec timers on a hand-driven clock: T2 = 5 s between repeats, two repeats, then the error (no waiting)', async () => {
    const [la] = memoryLinkPair();
    const clock = manualScheduler();
    const x = new ZvtTransport(la, { scheduler: clock, t1Ms: 200, t2Ms: 5_000 });
    let err: unknown;
    const p = x.send(apdu(0x06, 0x70)).catch((e: unknown) => (err = e));
    await Promise.resolve();
    expect(x.stats.framesSent).toBe(1);
    clock.advance(4_999);
    expect(x.stats.framesSent).toBe(1);
    clock.advance(1);
    expect(x.stats.framesSent).toBe(2);
    clock.advance(5_000);
    expect(x.stats.framesSent).toBe(3);
    clock.advance(5_000);
    await p;
    expect(err).toMatchObject({ code: 'no-ack' });
    expect(clock.now()).toBe(15_000);
  });

  it('a closed link fails a pending send with a typed error', async () => {
    const [la] = memoryLinkPair();
    const x = new ZvtTransport(la, { scheduler: realScheduler(), t1Ms: 30, t2Ms: 10_000 });
    const p = x.send(apdu(0x06, 0x70));
    await x.close();
    await expect(p).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('frame receiver fuzz (seeded)', () => {
  const valid = ['80 00 00', '04 FF 01 0A', '06 01 0A 04 00 00 00 01 10 00 49 09 78', '06 1E 01 6C', '04 0F 03 27 00 10'].map(fromHex);
  const frames = valid.map((a) => encodeFrame(a));
  const validHex = new Set(valid.map((a) => hex(a)));

  it('random bytes in random chunks: no throw, no hang, and the next frames after garbage are received', () => {
    const r = rng(0xc0ffee);
    const started = Date.now();
    let lost = 0;
    for (let round = 0; round < 2_000; round++) {
      const ev: ReceiverEvent[] = [];
      const rx = new FrameReceiver((e) => ev.push(e));
      const garbage = Uint8Array.from({ length: Math.floor(r() * 60) }, () => (r() < 0.15 ? 0x10 : Math.floor(r() * 256)));
      const f = frames[Math.floor(r() * frames.length)]!;
      const stream = concat([garbage, f, f]);
      for (let i = 0; i < stream.length; ) {
        const n = 1 + Math.floor(r() * 9);
        rx.push(stream.subarray(i, i + n));
        i += n;
      }
      const good = ev.filter((e) => e.type === 'frame');
      // the garbage may swallow the first copy (it can end mid-frame); the second always arrives
      expect(good.length).toBeGreaterThanOrEqual(1);
      if (good.length < 2) lost++;
      for (const g of good) if (g.type === 'frame') expect(validHex.has(hex(g.apdu)) || g.apdu.length < 70).toBe(true);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lost).toBeLessThan(2_000 / 2);
  });

  it('mutated frames (bit flips, dropped and duplicated bytes) are never delivered as a different valid frame', () => {
    const r = rng(42);
    let delivered = 0;
    let rejected = 0;
    for (let round = 0; round < 3_000; round++) {
      const f = Array.from(frames[Math.floor(r() * frames.length)]!);
      const kind = Math.floor(r() * 3);
      const i = Math.floor(r() * f.length);
      if (kind === 0) f[i] = f[i]! ^ (1 << Math.floor(r() * 8));
      else if (kind === 1) f.splice(i, 1);
      else f.splice(i, 0, f[i]!);
      const ev: ReceiverEvent[] = [];
      const rx = new FrameReceiver((e) => ev.push(e));
      rx.push(Uint8Array.from(f));
      if (rx.inFrame()) rx.reset(); // what the T1 timer does when the line falls silent mid-frame
      rx.push(frames[0]!); // then a clean frame: the receiver must be back in sync
      for (const e of ev) {
        if (e.type === 'frame') {
          delivered++;
          expect(validHex.has(hex(e.apdu))).toBe(true);
        } else if (e.type === 'bad-crc') rejected++;
      }
      expect(ev.some((e) => e.type === 'frame' && hex(e.apdu) === '80 00 00')).toBe(true);
    }
    expect(rejected).toBeGreaterThan(1_000);
    expect(delivered).toBeGreaterThan(3_000);
  });

  it('an endless frame without ETX is given up at the APDU size limit (bounded memory)', () => {
    const ev: ReceiverEvent[] = [];
    const rx = new FrameReceiver((e) => ev.push(e));
    rx.push(fromHex('10 02'));
    const chunk = new Uint8Array(8192).fill(0x41);
    for (let i = 0; i < 10; i++) rx.push(chunk);
    rx.push(frames[0]!);
    expect(ev.filter((e) => e.type !== 'garbage').map((e) => e.type)).toEqual(['frame']);
  });
});
