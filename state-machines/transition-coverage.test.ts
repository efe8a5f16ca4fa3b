/**
 * Proof that the machines' unit tests take every transition the machines define — every event,
 * delay, actor done/error and eventless branch, failure branches included. The machines' test files are
 * imported here (their tests run again in this file, which is cheap) so the harness can record
 * which transitions they took; the last test compares that with the machines' definitions.
 */
import { describe, expect, it } from 'vitest';
import './kiosk/kiosk-machine.test.js';
import './kiosk/card-states.test.js';
import './kiosk/health-states.test.js';
import './kiosk/maintenance-entry.test.js';
import './top-up/top-up-machine.test.js';
import './collect-orders/collect-orders-machine.test.js';
import './station-passage/station-passage-machine.test.js';
import { collectOrdersMachine } from './collect-orders/collect-orders-machine.js';
import { kioskMachine } from './kiosk/kiosk-machine.js';
import { stationPassageMachine } from './station-passage/station-passage-machine.js';
import { TAKEN_TRANSITIONS, allTransitionKeys } from './test-harness.js';
import { topUpMachine } from './top-up/top-up-machine.js';

describe('transition coverage', () => {
  it('every transition of the session, top-up, collect-orders and station-passage machines is taken by some test', () => {
    const all = [kioskMachine, topUpMachine, collectOrdersMachine, stationPassageMachine].flatMap((m) => allTransitionKeys(m));
    const missing = all.filter((k) => !TAKEN_TRANSITIONS.has(k));
    console.log(`machine transitions: ${all.length} defined, ${all.length - missing.length} taken by the tests`);
    expect(missing).toEqual([]);
  });
});
