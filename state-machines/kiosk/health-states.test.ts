/**
 * Issue 13: the session follows the health model. Out of service: the start screen (and a card
 * wait with no card yet) gives way to the out-of-service screen, which takes no card and returns
 * by itself; a part missing takes its journey out of the menu, which says why.
 */
import { describe, expect, it } from 'vitest';
import type { Availability } from '../../contract/health.js';
import { FULL_SERVICE } from '../../contract/health.js';
import { card, okRead, startKiosk, toMenu } from '../test-harness.js';

const health = (a: Partial<Availability>) => ({ type: 'HEALTH' as const, availability: { ...FULL_SERVICE, ...a } });

describe('session and health', () => {
  it('out of service at the start screen: no card is taken, the language may change, back to start when whole', () => {
    const h = startKiosk();
    h.send(health({ outOfService: ['card-reader'] }));
    expect(h.screen()).toBe('out-of-service');
    h.send({ type: 'START' });
    expect(h.screen()).toBe('out-of-service');
    h.send({ type: 'SET_LOCALE', locale: 'fr' });
    expect(h.ctx().locale).toBe('fr');
    h.send(health({ outOfService: ['card-reader', 'journal-chain'] }));
    expect(h.screen()).toBe('out-of-service');
    h.send(health({}));
    expect(h.screen()).toBe('start');
    expect(h.ctx().locale).toBe('nl');
  });

  it('out of service while waiting for a card: the wait ends on the out-of-service screen', () => {
    const h = startKiosk();
    h.send({ type: 'START' });
    expect(h.screen()).toBe('present-card');
    h.send(health({ outOfService: ['journal-unwritable'] }));
    expect(h.screen()).toBe('out-of-service');
  });

  it('a traveller already on the menu finishes; the start screen after goodbye is out of service', async () => {
    const h = startKiosk();
    await toMenu(h, okRead(card({ kind: 'personal' })));
    h.send(health({ outOfService: ['technician'] }));
    expect(h.screen()).toBe('menu');
    h.send({ type: 'FINISH' });
    expect(h.screen()).toBe('goodbye');
    h.clock.increment(60_000);
    expect(h.screen()).toBe('out-of-service');
  });

  it('no payment terminal: top-up left out of the menu with the reason; nothing else changes', async () => {
    const h = startKiosk();
    h.send(health({ topUp: 'payment-terminal' }));
    await toMenu(h, okRead(card({ kind: 'personal' })));
    expect(h.ctx().menu).toEqual(['balance']);
    expect(h.ctx().notOffered).toEqual([{ option: 'topup', reason: 'payment-terminal' }]);
    h.send({ type: 'CHOOSE', option: 'topup' });
    expect(h.screen()).toBe('menu');
  });
});
