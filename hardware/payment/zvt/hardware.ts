import type { ResolvedPaymentHardwareConfig } from '../config.js';
import { PaymentTerminalError } from '../errors.js';
import type { PaymentHardware, PaymentHardwareDeps } from '../index.js';

/** Modes 'wire' and 'real': the ZVT driver over a serial line (work in progress). */
export async function createZvtHardware(
  c: ResolvedPaymentHardwareConfig,
  _deps: PaymentHardwareDeps & { scheduler: import('../scheduler.js').Scheduler },
): Promise<PaymentHardware> {
  throw new PaymentTerminalError('config', `payment mode '${c.mode}' is not available yet`);
}
