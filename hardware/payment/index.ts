/**
 * hardware/payment: the kiosk's card payment terminal.
 * - payment-terminal.ts: the contract (PaymentTerminal), emulator-control.ts: what testers steer;
 * - emulated/: mode 'emulated': the ZVT driver and the terminal simulator over an in-memory link;
 * - zvt/: the ZVT codec, transport, ECR driver (every mode) and the terminal simulator that plays
 *   the terminal (in memory in mode 'emulated', on a socat pseudo-terminal in mode 'wire').
 * createPaymentHardware() is the one place that picks among them from configuration.
 */
import type { PaymentHardware, PaymentHardwareDeps } from './hardware-types.js';
import { paymentHardwareConfigSchema, type PaymentHardwareConfig } from './config.js';
import { PaymentTerminalError } from './errors.js';
import { realScheduler } from './scheduler.js';

export { paymentHardwareConfigSchema, terminalBehaviourSchema, terminalCommitWindowMs, TERMINAL_BEHAVIOURS } from './config.js';
export type { PaymentHardwareConfig, ResolvedPaymentHardwareConfig, ZvtTimers } from './config.js';
export { PaymentTerminalError, isPaymentTerminalError } from './errors.js';
export type { PaymentTerminalErrorCode } from './errors.js';
export { realScheduler, manualScheduler } from './scheduler.js';
export type { Scheduler } from './scheduler.js';
export type { ZvtEcrDriver } from './zvt/ecr-driver.js';
export type { WireHardware } from './zvt/hardware.js';
export type { PaymentHardware, PaymentHardwareDeps } from './hardware-types.js';

export async function createPaymentHardware(config: PaymentHardwareConfig, deps: PaymentHardwareDeps): Promise<PaymentHardware> {
  const parsed = paymentHardwareConfigSchema.safeParse(config);
  if (!parsed.success)
    throw new PaymentTerminalError('config', `invalid payment hardware config: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const c = parsed.data;
  const scheduler = deps.scheduler ?? realScheduler();
  switch (c.mode) {
    case 'emulated': {
      const { createEmulatedHardware } = await import('./emulated/emulated-hardware.js');
      return createEmulatedHardware(c, { ...deps, scheduler });
    }
    case 'wire':
    case 'real': {
      const { createZvtHardware } = await import('./zvt/hardware.js');
      return createZvtHardware(c, { ...deps, scheduler });
    }
  }
}
