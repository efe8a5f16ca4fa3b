import { describe, expect, it } from 'vitest';
import { decideAvailability, type HealthObservations, type HealthPolicy } from './health-model.js';

const whole: HealthObservations = {
  cardReaderOk: true,
  terminalState: 'ready',
  journalWritable: true,
  chainOk: true,
  backOfficeReachable: true,
  blockedListAgeMs: 1000,
  technicianOutOfService: undefined,
};
const policy: HealthPolicy = { blockedList: { maxAgeMs: 60_000, whenStale: 'serve' } };

describe('health model: what the kiosk may offer now', () => {
  it('a whole kiosk offers everything', () => {
    expect(decideAvailability(whole, policy)).toEqual({ outOfService: [], topUp: null, collectOrders: null });
  });
  it('no payment terminal (offline, not registered, out of order) means no top-up, and nothing else withheld', () => {
    for (const terminalState of ['offline', 'not-registered', 'out-of-order'])
      expect(decideAvailability({ ...whole, terminalState }, policy)).toEqual({ outOfService: [], topUp: 'payment-terminal', collectOrders: null });
    expect(decideAvailability({ ...whole, terminalState: 'busy' }, policy).topUp).toBeNull();
  });
  it('no back office means no order collection, top-up still offered', () => {
    expect(decideAvailability({ ...whole, backOfficeReachable: false }, policy)).toEqual({ outOfService: [], topUp: null, collectOrders: 'backoffice' });
  });
  it('no reader, an unwritable journal or a broken chain each put the kiosk out of service, with every reason', () => {
    expect(decideAvailability({ ...whole, cardReaderOk: false }, policy).outOfService).toEqual(['card-reader']);
    expect(decideAvailability({ ...whole, journalWritable: false }, policy).outOfService).toEqual(['journal-unwritable']);
    expect(decideAvailability({ ...whole, chainOk: false }, policy).outOfService).toEqual(['journal-chain']);
    expect(decideAvailability({ ...whole, cardReaderOk: false, chainOk: false }, policy).outOfService).toEqual(['card-reader', 'journal-chain']);
  });
  it('a stale blocked list does what the configuration says', () => {
    const stale = { ...whole, blockedListAgeMs: 120_000 };
    expect(decideAvailability(stale, policy).outOfService).toEqual([]);
    expect(decideAvailability(stale, { blockedList: { maxAgeMs: 60_000, whenStale: 'out-of-service' } }).outOfService).toEqual(['blocked-list-stale']);
    expect(decideAvailability({ ...whole, blockedListAgeMs: undefined }, { blockedList: { maxAgeMs: 60_000, whenStale: 'out-of-service' } }).outOfService).toEqual([
      'blocked-list-stale',
    ]);
  });
  it('a technician may take the kiosk out of service', () => {
    expect(decideAvailability({ ...whole, technicianOutOfService: 'coin jam' }, policy).outOfService).toEqual(['technician']);
  });
});
