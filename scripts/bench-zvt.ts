/**
 * Benchmark: a full ZVT authorization (06 01 ... 04 0F, commit 80 00 00 ... 06 0F) between the
 * real ECR driver and the terminal simulator over a socat pseudo-terminal pair, against the wire
 * time of the bytes sent at 9600 baud 8N2 (1 start + 8 data + 2 stop = 11 bits a byte): the
 * physical floor. The simulator's prompt delays are 0, so what is left is protocol + software.
 *
 * A pty does not pace bytes at the baud rate, so two runs:
 *   raw   — bytes as fast as the pty moves them: protocol/software overhead alone;
 *   paced — each write is held back for its time on a 9600 baud line (a serial-line model), so
 *           the total shows what ACK turnarounds and answer frames cost on a real cable.
 *
 *   tsx scripts/bench-zvt.ts [--runs 30]
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../contract/time.js';
import { paymentHardwareConfigSchema } from '../hardware/payment/config.js';
import { realScheduler } from '../hardware/payment/scheduler.js';
import { ZvtEcrDriver } from '../hardware/payment/zvt/ecr-driver.js';
import { openSerialLink, type ByteLink } from '../hardware/payment/zvt/link.js';
import { startPtyPair } from '../hardware/payment/zvt/socat.js';
import { ZvtTerminalSimulator } from '../hardware/payment/zvt/simulator/terminal-simulator.js';
import { ZvtTransport } from '../hardware/payment/zvt/transport.js';
import { serialSettings } from '../hardware/payment/zvt/hardware.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Math.max(1, Number(values.runs));
const BAUD = 9600;
const BITS_PER_BYTE = 11; // 8N2 plus the start bit
const byteMs = (BITS_PER_BYTE * 1000) / BAUD;

/** Holds each write back for its time on the line (writes queue behind each other, like a UART). */
function paced(link: ByteLink): ByteLink {
  let lineFreeAt = 0;
  return {
    ...link,
    write(bytes) {
      const now = performance.now();
      const start = Math.max(now, lineFreeAt);
      lineFreeAt = start + bytes.length * byteMs;
      const copy = Uint8Array.from(bytes);
      setTimeout(() => link.write(copy), lineFreeAt - now);
    },
    onData: (l) => link.onData(l),
    onClose: (l) => link.onClose(l),
    close: () => link.close(),
    get isOpen() {
      return link.isOpen;
    },
  };
}

async function run(mode: 'raw' | 'paced') {
  const c = paymentHardwareConfigSchema.parse({ mode: 'wire', promptDelayMs: 0, reaskMs: 50, holdMs: 1_000 });
  const pty = await startPtyPair();
  const scheduler = realScheduler();
  const wrap = (l: ByteLink) => (mode === 'paced' ? paced(l) : l);
  const simLink = wrap(await openSerialLink(serialSettings(c, pty.terminalPath)));
  const sim = new ZvtTerminalSimulator(simLink, { scheduler, clock: systemClock, promptDelayMs: 0, commitWindowMs: 60_000, reaskMs: 50, t1Ms: c.timers.t1Ms, t2Ms: c.timers.t2Ms, t3Ms: c.timers.t3Ms });
  const ecrLink = wrap(await openSerialLink(serialSettings(c, pty.ecrPath)));
  const transport = new ZvtTransport(ecrLink, { scheduler, t1Ms: c.timers.t1Ms, t2Ms: c.timers.t2Ms });
  const driver = new ZvtEcrDriver({ transport, scheduler, clock: systemClock, password: c.password, t3Ms: c.timers.t3Ms, t4Ms: c.timers.t4Ms, holdMs: 1_000 });
  await driver.start();
  const times: number[] = [];
  let bytes = 0;
  let frames = 0;
  for (let i = 0; i < runs; i++) {
    const b0 = transport.stats.bytesSent + sim.stats.bytesSent;
    const f0 = transport.stats.framesSent + sim.stats.framesSent;
    const t0 = performance.now();
    const out = await driver.authorize({ paymentId: `bench-${mode}-${i}`, amountCents: 1_000 + i });
    if (out.result !== 'approved') throw new Error(`run ${i}: ${JSON.stringify(out)}`);
    await driver.commit(out.paymentId);
    times.push(performance.now() - t0);
    bytes = transport.stats.bytesSent + sim.stats.bytesSent - b0;
    frames = transport.stats.framesSent + sim.stats.framesSent - f0;
  }
  const booked = sim.ledger().filter((e) => e.state === 'committed').length;
  await driver.stop();
  await sim.stop();
  await pty.stop();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { mode, runs, booked, frames, bytes, wireMs: bytes * byteMs, median: q(0.5), p95: q(0.95), min: times[0]! };
}

const raw = await run('raw');
const pacedRes = await run('paced');
const f = (n: number) => n.toFixed(1).padStart(7);
console.log(`ZVT full authorization + commit, ${runs} runs each, ECR driver <-> simulator over a socat pty, prompts without delay`);
console.log(`per authorization: ${raw.frames} frames, ${raw.bytes} bytes on the line (both directions, ACK bytes included)`);
console.log(`wire time of those bytes at ${BAUD} baud 8N2 (${BITS_PER_BYTE} bits/byte): ${f(raw.wireMs)} ms  <- physical floor`);
for (const r of [raw, pacedRes]) {
  console.log(
    `${r.mode.padEnd(5)}: median ${f(r.median)} ms  p95 ${f(r.p95)} ms  min ${f(r.min)} ms  ` +
      (r.mode === 'raw'
        ? `(protocol + software overhead alone; ${((r.median / raw.wireMs) * 100).toFixed(0)} % of the wire time)`
        : `overhead over the floor ${f(r.median - raw.wireMs)} ms (x${(r.median / raw.wireMs).toFixed(2)})`),
  );
  if (r.booked !== runs) throw new Error(`${r.mode}: ${r.booked} of ${runs} booked`);
}
