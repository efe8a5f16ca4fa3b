/**
 * The ZVT driver and the terminal simulator put on a byte link, whatever carries the bytes: a
 * serial port (modes 'wire', 'real'), a socat pty, or an in-memory pair (mode 'emulated'). No
 * serialport import here, so the emulated mode never loads the native module.
 */
import type { Clock } from '../../../contract/time.js';
import type { ResolvedPaymentHardwareConfig } from '../config.js';
import type { PaymentHardwareDeps } from '../hardware-types.js';
import type { Scheduler } from '../scheduler.js';
import { ZvtEcrDriver, type ZvtDriverOptions } from './ecr-driver.js';
import type { ByteLink } from './link.js';
import { ZvtTerminalSimulator, type SimulatorOptions } from './simulator/terminal-simulator.js';
import { ZvtTransport } from './transport.js';

export type Deps = PaymentHardwareDeps & { scheduler: Scheduler };

/** Driver settings that differ by mode (emulated mode shortens some, see emulated/). */
export type DriverOverrides = Partial<Pick<ZvtDriverOptions, 't4Ms' | 'orphanListenMs' | 'pollIntervalMs'>>;

/** A ZVT driver (not yet started) on any byte link: a serial port, a pty, an in-memory link. */
export function zvtDriverOn(link: ByteLink, c: ResolvedPaymentHardwareConfig, deps: Deps, overrides: DriverOverrides = {}): ZvtEcrDriver {
  const transport = new ZvtTransport(link, { scheduler: deps.scheduler, t1Ms: c.timers.t1Ms, t2Ms: c.timers.t2Ms, name: 'ecr', ...(deps.log ? { log: deps.log } : {}) });
  return new ZvtEcrDriver({
    transport,
    scheduler: deps.scheduler,
    clock: deps.clock,
    password: c.password,
    t3Ms: c.timers.t3Ms,
    t4Ms: c.timers.t4Ms,
    holdMs: c.holdMs,
    orphanListenMs: c.orphanListenMs,
    pollIntervalMs: c.statusPollMs,
    flow: c.terminalProfile.flow,
    ...overrides,
    ...(deps.onDecision ? { onDecision: deps.onDecision } : {}),
    ...(deps.log ? { log: deps.log } : {}),
  });
}

/** The terminal simulator on any byte link (the terminal's end of the cable). */
export function zvtSimulatorOn(
  link: ByteLink,
  c: ResolvedPaymentHardwareConfig,
  deps: { scheduler: Scheduler; clock: Clock; log?: (msg: string, extra?: object) => void },
  overrides: Partial<Pick<SimulatorOptions, 'reaskMs'>> = {},
): ZvtTerminalSimulator {
  return new ZvtTerminalSimulator(link, {
    scheduler: deps.scheduler,
    clock: deps.clock,
    password: c.password,
    behaviour: c.behaviour,
    promptDelayMs: c.promptDelayMs,
    commitWindowMs: c.commitWindowMs,
    reaskMs: c.reaskMs,
    reservationLifetimeMs: c.reservationLifetimeMs,
    t1Ms: c.timers.t1Ms,
    t2Ms: c.timers.t2Ms,
    t3Ms: c.timers.t3Ms,
    ...overrides,
    ...(deps.log ? { log: deps.log } : {}),
  });
}

