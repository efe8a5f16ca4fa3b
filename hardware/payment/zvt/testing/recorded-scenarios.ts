/**
 * Scenarios recorded from the terminal simulator as fixtures (zvt/fixtures/*.json) and replayed
 * against the ECR driver (replay.test.ts). The same `run` drives the driver when recording and
 * when replaying, so the driver's bytes must come out the same.
 *
 * Re-record: ZVT_RECORD=1 node_modules/.bin/vitest run --project unit hardware/payment/zvt/replay.test.ts
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedClock } from '../../../../contract/time.js';
import { paymentHardwareConfigSchema } from '../../config.js';
import type { TerminalBehaviour } from '../../emulator-control.js';
import type { AuthorizationOutcome } from '../../payment-terminal.js';
import { realScheduler } from '../../scheduler.js';
import type { ZvtEcrDriver } from '../ecr-driver.js';
import type { ByteLink } from '../link.js';
import { memoryLinkPair } from '../memory-link.js';
import { zvtDriverOn, zvtSimulatorOn } from '../on-link.js';
import { recordingLink, type ZvtFixture } from '../recording-link.js';

export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const CLOCK = fixedClock('2026-11-23T08:00:00Z');
/** Driver and simulator settings of every recording: spec timers, no polling, decisions well within holdMs. */
const CONFIG = paymentHardwareConfigSchema.parse({ mode: 'emulated', promptDelayMs: 5, reaskMs: 50, holdMs: 2_000, statusPollMs: 0, orphanListenMs: 0 });

export interface Scenario {
  name: string;
  description: string;
  behaviour: TerminalBehaviour;
  /** What the kiosk does with the driver (after start()). */
  run(driver: ZvtEcrDriver): Promise<unknown>;
  /** What `run` must come to. */
  expected: unknown;
}

const outcomeOf = (o: AuthorizationOutcome) =>
  o.result === 'approved' ? { result: o.result, amountCents: o.amountCents, receiptNumber: o.receipt.receiptNumber, trace: o.receipt.trace } : o;

export const SCENARIOS: Scenario[] = [
  {
    name: 'approved-commit',
    description: 'registration, 06 01 EUR 12.50, prompts, 04 0F approved, held answer committed (80 00 00), 06 0F',
    behaviour: 'approve',
    async run(driver) {
      const prompts: string[] = [];
      const out = await driver.authorize({ paymentId: 'rec-1', amountCents: 1250 }, (p) => prompts.push(p));
      await driver.commit('rec-1');
      return { outcome: outcomeOf(out), prompts };
    },
    expected: {
      outcome: { result: 'approved', amountCents: 1250, receiptNumber: '0001', trace: '000001' },
      prompts: ['insert-card', 'enter-pin', 'waiting-for-host', 'approved'],
    },
  },
  {
    name: 'declined',
    description: 'registration, 06 01 EUR 7.00, prompts, 04 0F result 05, 06 1E declined',
    behaviour: 'decline',
    async run(driver) {
      const prompts: string[] = [];
      const out = await driver.authorize({ paymentId: 'rec-2', amountCents: 700 }, (p) => prompts.push(p));
      return { outcome: outcomeOf(out), prompts };
    },
    expected: {
      outcome: { result: 'failed', paymentId: 'rec-2', reason: 'declined', code: 0x05 },
      prompts: ['insert-card', 'enter-pin', 'waiting-for-host', 'declined'],
    },
  },
  {
    name: 'approved-rollback',
    description: 'registration, 06 01 EUR 3.00, 04 0F approved, held answer negative (84 6C 00), the terminal reverses: 06 1E',
    behaviour: 'approve',
    async run(driver) {
      const out = await driver.authorize({ paymentId: 'rec-3', amountCents: 300 });
      const undone = await driver.rollback('rec-3');
      return { outcome: outcomeOf(out), undone: undone.undone };
    },
    expected: { outcome: { result: 'approved', amountCents: 300, receiptNumber: '0001', trace: '000001' }, undone: true },
  },
];

/** A driver (not started) on `link`, set as in every recording. */
export function recordedDriver(link: ByteLink, decisions: string[] = []): ZvtEcrDriver {
  return zvtDriverOn(link, CONFIG, { clock: CLOCK, scheduler: realScheduler(), onDecision: (id, d) => void decisions.push(`${id}:${d}`) });
}

/** Run the scenario against the simulator over an in-memory link, recording the ECR's end. */
export async function recordScenario(s: Scenario): Promise<{ fixture: ZvtFixture; result: unknown }> {
  const [ecrEnd, terminalEnd] = memoryLinkPair();
  const scheduler = realScheduler();
  const simulator = zvtSimulatorOn(terminalEnd, { ...CONFIG, behaviour: s.behaviour }, { clock: CLOCK, scheduler });
  const recorder = recordingLink(ecrEnd);
  const driver = recordedDriver(recorder);
  await driver.start();
  const result = await s.run(driver);
  await new Promise((r) => setTimeout(r, 50)); // let the last ACKs cross
  await driver.stop();
  await simulator.stop();
  return { fixture: recorder.toFixture(s.name, s.description, 'ZvtTerminalSimulator (hardware/payment/zvt/simulator) over memoryLinkPair'), result };
}

export function writeFixture(f: ZvtFixture): void {
  writeFileSync(path.join(FIXTURE_DIR, `${f.name}.json`), JSON.stringify(f, null, 2) + '\n');
}
