/**
 * Mode 'emulated': the real ZVT ECR driver talking to the terminal simulator over an in-memory
 * byte link, in this process. The same frames, ACKs, CRCs, timers and commit point as on a serial
 * line, so every tester behaviour (drop-acks and corrupt-crc included) works as in 'wire' mode;
 * only the cable is missing (and with it the baud-rate delay).
 *
 * Settings that differ from 'wire' mode, each because the terminal lives and dies with this process:
 * - orphanListenMs 0: no previous process can have left a transaction open at this terminal;
 * - t4Ms capped at silenceMs: how long the 'silent' behaviour keeps the kiosk waiting;
 * - reaskMs capped at EMULATED_REASK_MS: the terminal re-asks for the commit answer quickly, so a
 *   commit() that lands after a "please wait" reaches it at once (the spec's 2 s in wire/real).
 *
 * The control's ledger lists the terminal's payments (not its reversal records) with the kiosk's
 * payment id, which the terminal itself never learns: taken from the authorization running when
 * the terminal recorded the payment.
 */
import type { ResolvedPaymentHardwareConfig } from '../config.js';
import type { LedgerEntry, TerminalBehaviour, TerminalEmulatorControl } from '../emulator-control.js';
import type { PaymentHardware } from '../hardware-types.js';
import type { AuthorizationRequest, PaymentHints, PaymentStatusListener, PaymentTerminal } from '../payment-terminal.js';
import type { ZvtEcrDriver } from '../zvt/ecr-driver.js';
import { memoryLinkPair, type MemoryLinkOptions } from '../zvt/memory-link.js';
import { zvtDriverOn, zvtSimulatorOn, type Deps } from '../zvt/on-link.js';
import type { ZvtTerminalSimulator } from '../zvt/simulator/terminal-simulator.js';

export const EMULATED_REASK_MS = 100;

export interface EmulatedHardware extends PaymentHardware {
  terminal: PaymentTerminal;
  control: TerminalEmulatorControl;
  /** The parts, for tests and benchmarks. */
  driver: ZvtEcrDriver;
  simulator: ZvtTerminalSimulator;
}

export async function createEmulatedHardware(c: ResolvedPaymentHardwareConfig, deps: Deps, link: MemoryLinkOptions = {}): Promise<EmulatedHardware> {
  const [ecrEnd, terminalEnd] = memoryLinkPair(link);
  const simulator = zvtSimulatorOn(terminalEnd, c, deps, { reaskMs: Math.min(c.reaskMs, EMULATED_REASK_MS) });
  const driver = zvtDriverOn(ecrEnd, c, deps, { orphanListenMs: 0, t4Ms: Math.min(c.timers.t4Ms, c.silenceMs) });

  // receipt number -> the kiosk's payment id
  const paymentIds = new Map<string, string>();
  let authorizing: string | undefined;
  simulator.onChange(() => {
    if (!authorizing) return;
    for (const e of simulator.ledger()) if ((e.kind === 'payment' || e.kind === 'reservation') && !paymentIds.has(e.receiptNumber)) paymentIds.set(e.receiptNumber, authorizing);
  });

  const terminal: PaymentTerminal = {
    start: () => driver.start(),
    stop: () => driver.stop(),
    async authorize(request: AuthorizationRequest, onPrompt?: PaymentStatusListener) {
      const outcome = driver.authorize(request, onPrompt);
      const mine = authorizing === undefined; // else the driver refuses it as busy
      if (mine) authorizing = request.paymentId;
      try {
        return await outcome;
      } finally {
        if (mine) authorizing = undefined;
      }
    },
    issuing: (paymentId: string) => driver.issuing(paymentId),
    commit: (paymentId: string, hints?: PaymentHints) => driver.commit(paymentId, hints),
    rollback: (paymentId: string, hints?: PaymentHints) => driver.rollback(paymentId, hints),
    abort: () => driver.abort(),
    status: () => driver.status(),
    resolve: (paymentId: string, hints?: PaymentHints) => driver.resolve(paymentId, hints),
  };

  const control: TerminalEmulatorControl = {
    behaviours: () => simulator.behaviours(),
    behaviour: () => simulator.behaviour(),
    setBehaviour: (b: TerminalBehaviour) => simulator.setBehaviour(b),
    ledger: (): LedgerEntry[] =>
      simulator
        .ledger()
        .filter((e) => e.kind === 'payment' || e.kind === 'reservation')
        .map((e) => {
          const paymentId = paymentIds.get(e.receiptNumber);
          return { ...(paymentId !== undefined ? { paymentId } : {}), receiptNumber: e.receiptNumber, amountCents: e.amountCents, state: e.state, ...(e.reservation ? { reservation: e.reservation } : {}) };
        }),
  };

  await driver.start();
  return {
    terminal,
    control,
    driver,
    simulator,
    async stop() {
      await driver.stop().catch(() => undefined);
      await simulator.stop().catch(() => undefined);
    },
  };
}
