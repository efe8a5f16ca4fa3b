/**
 * A byte link to the other end of the ZVT cable: the serial port in production, a socat
 * pseudo-terminal in wire mode, an in-memory pair (memory-link.ts) in emulated mode and tests.
 */
import { SerialPort } from 'serialport';
import { PaymentTerminalError } from '../errors.js';

export interface ByteLink {
  write(bytes: Uint8Array): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  onClose(listener: (err?: Error) => void): void;
  close(): Promise<void>;
  readonly isOpen: boolean;
}

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits: 5 | 6 | 7 | 8;
  stopBits: 1 | 1.5 | 2;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
}

/** Open a serial port (no flow control: ZVT uses none). */
export async function openSerialLink(s: SerialSettings): Promise<ByteLink> {
  const port = new SerialPort({ path: s.path, baudRate: s.baudRate, dataBits: s.dataBits, stopBits: s.stopBits, parity: s.parity, rtscts: false, xon: false, xoff: false, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) => (err ? reject(new PaymentTerminalError('offline', `cannot open serial port ${s.path}: ${err.message}`, { cause: err })) : resolve())),
  );
  const closeListeners: ((err?: Error) => void)[] = [];
  let closed = false;
  const fireClose = (err?: Error) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(err);
  };
  port.on('close', (err: Error | null) => fireClose(err ?? undefined));
  port.on('error', (err: Error) => fireClose(err));
  return {
    write(bytes) {
      if (closed) return;
      port.write(Buffer.from(bytes));
    },
    onData(listener) {
      port.on('data', (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    get isOpen() {
      return !closed && port.isOpen;
    },
    async close() {
      if (!port.isOpen) return fireClose();
      await new Promise<void>((resolve) => port.close(() => resolve()));
      fireClose();
    },
  };
}
