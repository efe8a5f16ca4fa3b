/**
 * A typed view of nfc-pcsc 0.8.1 (it ships no TypeScript types). Only what the driver uses is
 * declared. Loaded lazily, so the in-process emulator never needs the native pcsclite addon.
 */
import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';

export interface NfcCardInfo {
  atr?: Buffer;
  standard?: 'TAG_ISO_14443_3' | 'TAG_ISO_14443_4';
  type?: string;
  uid?: string;
}

/** The pcsclite CardReader under an nfc-pcsc Reader. */
export interface PcscliteReader extends EventEmitter {
  name: string;
  state: number;
  connected: boolean;
  SCARD_STATE_EMPTY: number;
  SCARD_STATE_PRESENT: number;
  get_status(cb: (err: unknown, state: number, atr?: Buffer) => void): void;
}

export interface NfcReader extends EventEmitter {
  readonly name: string;
  reader: PcscliteReader;
  autoProcessing: boolean;
  card: NfcCardInfo | null;
  connection: { type: number; protocol: number } | null;
  connect(mode?: 'CONNECT_MODE_CARD' | 'CONNECT_MODE_DIRECT'): Promise<{ type: number; protocol: number }>;
  disconnect(): Promise<boolean>;
  /** Raw APDU; resolves with the response (data + status word); rejects with a TransmitError. */
  transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
  close(): void;
  on(event: 'card', listener: (card: NfcCardInfo) => void): this;
  on(event: 'card.off', listener: (card: NfcCardInfo) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'end', listener: () => void): this;
}

export interface NfcLogger {
  log(...a: unknown[]): void;
  debug(...a: unknown[]): void;
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
  error(...a: unknown[]): void;
}

export interface Nfc extends EventEmitter {
  readonly readers: Record<string, PcscliteReader>;
  close(): void;
  on(event: 'reader', listener: (reader: NfcReader) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** nfc-pcsc's error classes carry `code` and the underlying pcsclite error as `previous`. */
export interface NfcPcscError extends Error {
  code?: string | null;
  previous?: unknown;
}

export type NfcConstructor = new (logger?: NfcLogger) => Nfc;

let cached: NfcConstructor | undefined;

/**
 * nfc-pcsc is an optional dependency (package.json): its native part, @pokusew/pcsclite, builds
 * only where libpcsclite-dev is installed, and npm leaves the pair out of an install where that
 * build fails, so that emulated hardware installs on any machine. Wire and real mode need it and
 * stop with this error, which says how to get it.
 */
export class PcscUnavailableError extends Error {
  constructor(cause: unknown) {
    super(
      'The PC/SC card reader driver (nfc-pcsc with its native @pokusew/pcsclite) is not installed or does not load, ' +
        'so hardware mode wire/real cannot run: install the PC/SC packages (scripts/install-system-packages.sh, or ' +
        'apt-get install pcscd libpcsclite-dev), then run `npm install` again. Emulated hardware does not need it. ' +
        `(${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`,
      { cause },
    );
    this.name = 'PcscUnavailableError';
  }
}

/** The NFC class of nfc-pcsc (loads the native pcsclite addon on first call). `load` is for tests. */
export function loadNfcPcsc(load: () => unknown = () => createRequire(import.meta.url)('nfc-pcsc')): NfcConstructor {
  if (!cached) {
    let mod: { NFC: NfcConstructor };
    try {
      mod = load() as { NFC: NfcConstructor };
    } catch (e) {
      throw new PcscUnavailableError(e);
    }
    cached = mod.NFC;
  }
  return cached;
}
