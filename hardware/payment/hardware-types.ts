/**
 * What createPaymentHardware() hands back and what it needs, in a module of their own so the mode
 * factories (index.ts, emulated/, zvt/hardware.ts) can share them without importing each other.
 */
import type { Clock } from '../../contract/time.js';
import type { TerminalEmulatorControl } from './emulator-control.js';
import type { PaymentDecisionHook, PaymentTerminal } from './payment-terminal.js';
import type { Scheduler } from './scheduler.js';

export interface PaymentHardwareDeps {
  clock: Clock;
  log?: (msg: string, extra?: object) => void;
  /** Timers (defaults to real ones). */
  scheduler?: Scheduler;
  /** Awaited with the kiosk's decision on an approved payment before it is sent to the terminal. */
  onDecision?: PaymentDecisionHook;
}

export interface PaymentHardware {
  terminal: PaymentTerminal;
  /** Present in 'emulated' and 'wire' modes (the emulator / simulator), absent for a real terminal. */
  control?: TerminalEmulatorControl;
  stop(): Promise<void>;
}
