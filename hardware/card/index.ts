/**
 * The card hardware composition: picks the card reader from configuration.
 * - emulated: in-process simulated MIFARE chips (EmulatedCardReader), with tester control;
 * - wire: the real nfc-pcsc driver over a real pcscd, with vpcd and the wire-level virtual card
 *   (started here when absent), with tester control over the virtual card;
 * - real: the real nfc-pcsc driver over pcscd and a physical reader; no tester control.
 */
import { z } from 'zod';
import type { Clock } from '../../contract/time.js';
import type { CardReader } from './card-reader.js';
import type { CardEmulatorControl } from './emulator-control.js';
import { EmulatedCardReader } from './emulated-reader.js';
import { DEFAULT_EMULATION_KEY_FILE, loadKeyFile } from './keys.js';
import { PcscCardReader } from './pcsc/pcsc-reader.js';
import { ensureQuickAckLoopback, VIRTUAL_CARD_HOST } from './wire/loopback.js';
import { ensurePcscd } from './wire/pcscd.js';
import { WireCardEmulator } from './wire/wire-emulator.js';

export const cardHardwareConfigSchema = z.object({
  mode: z.enum(['emulated', 'wire', 'real']),
  /** Key file (JSON, see keys.ts); defaults to the shipped emulation keys. */
  keyFile: z.string().min(1).optional(),
  /** Real/wire: use the first reader whose name contains this; default any (wire: "Virtual PCD"). */
  readerName: z.string().min(1).optional(),
  /** Wire: the address the virtual card uses to reach vpcd (which listens on all addresses);
   * its own loopback address so a quickack route can speed it up (see wire/loopback.ts). */
  vpcdHost: z.string().min(1).default(VIRTUAL_CARD_HOST),
  vpcdPort: z.number().int().min(1).max(65535).default(35963),
  /** Wire: start pcscd as a child when its socket is absent (needs root). */
  startPcscd: z.boolean().default(true),
  /** Real/wire: how often the watchdog checks that readers are still seen (ms). */
  watchdogIntervalMs: z.number().int().min(100).default(2000),
});
export type CardHardwareConfig = z.input<typeof cardHardwareConfigSchema>;

export interface CardHardwareDeps {
  clock: Clock;
  log?: (msg: string, extra?: object) => void;
}

export interface CardHardware {
  reader: CardReader;
  control?: CardEmulatorControl;
  stop(): Promise<void>;
}

export async function createCardHardware(config: CardHardwareConfig, deps: CardHardwareDeps): Promise<CardHardware> {
  const cfg = cardHardwareConfigSchema.parse(config);
  const keys = loadKeyFile(cfg.keyFile ?? DEFAULT_EMULATION_KEY_FILE);
  switch (cfg.mode) {
    case 'emulated': {
      const reader = new EmulatedCardReader({ keys, clock: deps.clock, log: deps.log, readerName: cfg.readerName });
      await reader.start();
      return { reader, control: reader, stop: () => reader.stop() };
    }
    case 'wire': {
      await ensureQuickAckLoopback(cfg.vpcdHost, deps.log);
      const pcscd = cfg.startPcscd
        ? await ensurePcscd({ vpcdHost: cfg.vpcdHost, vpcdPort: cfg.vpcdPort, log: deps.log })
        : undefined;
      const emulator = new WireCardEmulator(keys, { host: cfg.vpcdHost, port: cfg.vpcdPort, log: deps.log });
      const reader = new PcscCardReader({
        keys,
        clock: deps.clock,
        log: deps.log,
        readerName: cfg.readerName ?? vpcdReaderName(cfg.vpcdPort),
        watchdogIntervalMs: cfg.watchdogIntervalMs,
      });
      await reader.start();
      return {
        reader,
        control: emulator,
        async stop() {
          await reader.stop();
          await emulator.close();
          await pcscd?.stop();
        },
      };
    }
    case 'real': {
      const reader = new PcscCardReader({
        keys,
        clock: deps.clock,
        log: deps.log,
        readerName: cfg.readerName,
        watchdogIntervalMs: cfg.watchdogIntervalMs,
      });
      await reader.start();
      return { reader, stop: () => reader.stop() };
    }
  }
}

/** vpcd names its readers "Virtual PCD 00 00" (port 35963), "Virtual PCD 00 01" (35964). */
export function vpcdReaderName(port: number): string {
  return `Virtual PCD 00 ${String(port - 35963).padStart(2, '0')}`;
}

export { CardError, isCardError } from './card-reader.js';
export type { CardReader, CardReaderEvent, CardUpdate, CardErrorCode } from './card-reader.js';
export type { CardEmulatorControl } from './emulator-control.js';
export { EmulatedCardReader } from './emulated-reader.js';
export { CardEncodeError } from './codec.js';
export { type KeyProvider, loadKeyFile, keyProviderFromJson, DEFAULT_EMULATION_KEY_FILE } from './keys.js';
export { FIXTURE_CARD_MODELS, FIXTURE_LABELS, fixtureCardModel } from './fixtures.js';
export { PcscCardReader } from './pcsc/pcsc-reader.js';
export { WireCardEmulator } from './wire/wire-emulator.js';
