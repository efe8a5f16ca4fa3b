/**
 * Modes 'wire' and 'real': the ZVT ECR driver over a serial line. In 'wire' mode a socat
 * pseudo-terminal pair stands in for the cable and the terminal simulator plays the terminal on
 * the other end (in this process, or as its own process).
 */
import type { Clock } from '../../../contract/time.js';
import type { ResolvedPaymentHardwareConfig } from '../config.js';
import type { PaymentHardware } from '../hardware-types.js';
import type { Scheduler } from '../scheduler.js';
import type { ZvtEcrDriver } from './ecr-driver.js';
import { zvtDriverOn, zvtSimulatorOn, type Deps } from './on-link.js';
import { openSerialLink, type SerialSettings } from './link.js';
import { startPtyPair, type PtyPair } from './socat.js';
import type { ZvtTerminalSimulator } from './simulator/terminal-simulator.js';
import { startSimulatorProcess, type SimulatorProcessControl } from './simulator/process-client.js';

export function serialSettings(c: ResolvedPaymentHardwareConfig, path: string): SerialSettings {
  return { path, baudRate: c.baudRate, dataBits: c.dataBits, stopBits: c.stopBits, parity: c.parity };
}

/** Open the serial port and start (register) a ZVT driver on it. */
export async function startZvtDriver(c: ResolvedPaymentHardwareConfig, path: string, deps: Deps): Promise<ZvtEcrDriver> {
  const driver = zvtDriverOn(await openSerialLink(serialSettings(c, path)), c, deps);
  await driver.start();
  return driver;
}

/** Start the terminal simulator in this process on one end of the cable. */
export async function startZvtSimulator(
  c: ResolvedPaymentHardwareConfig,
  path: string,
  deps: { scheduler: Scheduler; clock: Clock; log?: (msg: string, extra?: object) => void },
): Promise<ZvtTerminalSimulator> {
  return zvtSimulatorOn(await openSerialLink(serialSettings(c, path)), c, deps);
}

export interface WireHardware extends PaymentHardware {
  terminal: ZvtEcrDriver;
  control: ZvtTerminalSimulator | SimulatorProcessControl;
  pty: PtyPair;
}

export async function createZvtHardware(c: ResolvedPaymentHardwareConfig, deps: Deps): Promise<PaymentHardware> {
  if (c.mode === 'real') {
    const driver = await startZvtDriver(c, c.serialPath!, deps);
    return { terminal: driver, stop: () => driver.stop() };
  }
  return createWireHardware(c, deps);
}

export async function createWireHardware(c: ResolvedPaymentHardwareConfig, deps: Deps): Promise<WireHardware> {
  const pty = await startPtyPair(c.wireDir ? { dir: c.wireDir } : {});
  let control: ZvtTerminalSimulator | SimulatorProcessControl;
  try {
    control =
      c.simulator === 'process'
        ? await startSimulatorProcess(c, pty.terminalPath, { ...(deps.log ? { log: deps.log } : {}), ...(c.simulatorHttpPort !== undefined ? { httpPort: c.simulatorHttpPort } : {}) })
        : await startZvtSimulator(c, pty.terminalPath, { scheduler: deps.scheduler, clock: deps.clock, ...(deps.log ? { log: deps.log } : {}) });
  } catch (e) {
    await pty.stop();
    throw e;
  }
  let driver: ZvtEcrDriver;
  try {
    driver = await startZvtDriver(c, pty.ecrPath, deps);
  } catch (e) {
    await control.stop();
    await pty.stop();
    throw e;
  }
  return {
    terminal: driver,
    control,
    pty,
    async stop() {
      await driver.stop().catch(() => undefined);
      await control.stop().catch(() => undefined);
      await pty.stop();
    },
  };
}
