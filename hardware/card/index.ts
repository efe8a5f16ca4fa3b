/**
 * The card hardware composition: picks the card reader from configuration.
 * - emulated: in-process simulated MIFARE chips (EmulatedCardReader), with tester control;
 * - wire: the real nfc-pcsc driver over a real pcscd, with vpcd and the wire-level virtual card
 *   (started here when absent), with tester control over the virtual card;
 * - real: the real nfc-pcsc driver over pcscd and a physical reader; no tester control.
 */
import { z } from 'zod';
import type { Clock } from '../../main/core/clock.js';
import type { CardReader } from './card-reader.js';
import type { CardEmulatorControl } from './emulator-control.js';
import { EmulatedCardReader } from './emulated-reader.js';
import { DEFAULT_EMULATION_KEY_FILE, loadKeyFile } from './keys.js';

export const cardHardwareConfigSchema = z.object({
  mode: z.enum(['emulated', 'wire', 'real']),
  /** Key file (JSON, see keys.ts); defaults to the shipped emulation keys. */
  keyFile: z.string().min(1).optional(),
  /** Real/wire: use the first reader whose name contains this; default any (wire: "Virtual PCD"). */
  readerName: z.string().min(1).optional(),
  /** Wire: vpcd's address. */
  vpcdHost: z.string().min(1).default('127.0.0.1'),
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
    case 'wire':
    case 'real':
      throw new Error(`card hardware mode '${cfg.mode}' is not built yet`);
  }
}

export { CardError, isCardError } from './card-reader.js';
export type { CardReader, CardReaderEvent, CardUpdate, CardErrorCode } from './card-reader.js';
export type { CardEmulatorControl } from './emulator-control.js';
export { EmulatedCardReader } from './emulated-reader.js';
export { CardEncodeError } from './codec.js';
export { type KeyProvider, loadKeyFile, keyProviderFromJson, DEFAULT_EMULATION_KEY_FILE } from './keys.js';
export { FIXTURE_CARD_MODELS, FIXTURE_LABELS, fixtureCardModel } from './fixtures.js';
