/**
 * Tap-to-model benchmark: time from "card presented" to "card model ready", as median and p95
 * over many taps, in process (EmulatedCardReader) and on the wire path (real nfc-pcsc driver ->
 * pcscd -> vpcd -> virtual card). On the wire path the time includes pcscd noticing the card
 * (it polls vpcd), so it is also split into "presented -> driver event" and "event -> model".
 *
 *   tsx scripts/bench-card.ts [--taps 1000] [--wire-taps 100] [--no-wire] [--slow-loopback-taps 10]
 *
 * Wire needs pcscd + vsmartcard-vpcd and root (pcscd is started if not running).
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../contract/time.js';
import type { CardReaderEvent } from '../hardware/card/card-reader.js';
import { EmulatedCardReader } from '../hardware/card/emulated-reader.js';
import type { FixtureCardId } from '../contract/fixture-cards.js';
import { type CardHardware, createCardHardware } from '../hardware/card/index.js';
import { loadKeyFile } from '../hardware/card/keys.js';
import { ensurePcscd } from '../hardware/card/wire/pcscd.js';

const { values } = parseArgs({
  options: {
    taps: { type: 'string', default: '1000' },
    'wire-taps': { type: 'string', default: '100' },
    'slow-loopback-taps': { type: 'string', default: '10' },
    'no-wire': { type: 'boolean', default: false },
  },
});

const CARDS: FixtureCardId[] = ['personal-products', 'anonymous', 'personal-ns-extra', 'business'];

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return `median ${q(0.5).toFixed(2)} ms  p95 ${q(0.95).toFixed(2)} ms  min ${s[0]!.toFixed(2)}  max ${s.at(-1)!.toFixed(2)}  (n=${s.length})`;
}

async function inProcess(taps: number): Promise<void> {
  const reader = new EmulatedCardReader({ keys: loadKeyFile(), clock: systemClock });
  await reader.start();
  const total: number[] = [];
  for (let i = 0; i < taps; i++) {
    const t0 = performance.now();
    await reader.present(CARDS[i % CARDS.length]!);
    await reader.read();
    total.push(performance.now() - t0);
    await reader.remove();
  }
  console.log(`in process   tap -> model            ${stats(total)}`);
}

function next(hw: CardHardware, type: CardReaderEvent['type'], timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      off();
      reject(new Error(`no ${type} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = hw.reader.subscribe((e) => {
      if (e.type === type) {
        clearTimeout(t);
        off();
        resolve();
      }
    });
  });
}

async function wire(taps: number, label: string, vpcdHost?: string): Promise<void> {
  const hw = await createCardHardware(
    { mode: 'wire', startPcscd: false, ...(vpcdHost ? { vpcdHost } : {}) },
    { clock: systemClock, log: process.env.BENCH_LOG ? (m, e) => console.error(new Date().toISOString(), m, JSON.stringify(e ?? {})) : undefined },
  );
  await new Promise((r) => setTimeout(r, 1000)); // let the driver find the reader
  const total: number[] = [];
  const detect: number[] = [];
  const read: number[] = [];
  for (let i = 0; i < taps; i++) {
    const seen = next(hw, 'card-presented');
    const t0 = performance.now();
    await hw.control!.present(CARDS[i % CARDS.length]!);
    await seen;
    const t1 = performance.now();
    await hw.reader.read();
    const t2 = performance.now();
    total.push(t2 - t0);
    detect.push(t1 - t0);
    read.push(t2 - t1);
    const gone = next(hw, 'card-removed');
    await hw.control!.remove();
    await gone;
    // The virtual card keeps a removed card away >= 600 ms (so pcscd sees the removal); wait that
    // out here so it is not counted in the next tap.
    await new Promise((r) => setTimeout(r, 650));
  }
  console.log(`${label} tap -> model            ${stats(total)}`);
  console.log(`${label}   presented -> event    ${stats(detect)}`);
  console.log(`${label}   event -> model (read) ${stats(read)}`);
  await hw.stop();
}

await inProcess(Number(values.taps));
if (!values['no-wire']) {
  const pcscd = await ensurePcscd();
  try {
    await wire(Number(values['wire-taps']), 'wire        ');
    const slow = Number(values['slow-loopback-taps']);
    if (slow > 0) await wire(slow, 'wire 127.0.0.1 (no quickack)', '127.0.0.1');
  } finally {
    await pcscd.stop();
  }
}
process.exit(0);
