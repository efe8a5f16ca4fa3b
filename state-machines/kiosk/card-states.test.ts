/**
 * Card states and menus: what each card may do is all the menu offers, an expired card
 * may see its balance and is told it expired, a blocked card gets no service.
 */
import { describe, expect, it } from 'vitest';
import { card, okRead, startKiosk, TEST_INPUT, TODAY, toMenu } from '../test-harness.js';
import type { KioskMachineInput } from '../types.js';
import { menuFor } from '../../domain/card-kinds.js';

const FULL: KioskMachineInput = {
  ...TEST_INPUT,
  orders: { cardKinds: ['personal', 'anonymous', 'business'], exclusiveProductGroups: [] },
  stationPassage: { enabled: true, stationCode: 'UT', minutes: 60, belowBalanceCents: 2000, cardKinds: ['personal', 'anonymous'] },
};

describe('card states and menus', () => {
  it('offers each kind only what it may do (docs/domain.md table; business top-up off by config)', () => {
    expect(menuFor(card({ kind: 'personal', balanceCents: 5000 }), TODAY, FULL)).toEqual(['topup', 'collect-orders', 'balance']);
    expect(menuFor(card({ kind: 'anonymous', balanceCents: 5000 }), TODAY, FULL)).toEqual(['topup', 'collect-orders', 'balance']);
    expect(menuFor(card({ kind: 'business', balanceCents: 0 }), TODAY, FULL)).toEqual(['collect-orders', 'balance']);
    expect(menuFor(card({ kind: 'anonymous', balanceCents: 100 }), TODAY, FULL)).toEqual(['topup', 'collect-orders', 'station-passage', 'balance']);
    expect(menuFor(card({ kind: 'personal', expiryDate: '2026-11-22' }), TODAY, FULL)).toEqual(['balance']);
  });

  it('an expired card: told it expired, may see its balance and come back, nothing else', async () => {
    const h = startKiosk(FULL);
    await toMenu(h, okRead(card({ kind: 'personal', expiryDate: '2024-06-30' })));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('expired');
    expect(h.ctx().menu).toEqual(['balance']);
    h.send({ type: 'CHOOSE', option: 'topup' });
    expect(h.screen()).toBe('card-problem');
    h.send({ type: 'CHOOSE', option: 'balance' });
    expect(h.screen()).toBe('balance');
    h.send({ type: 'BACK' });
    expect(h.screen()).toBe('card-problem');
    h.send({ type: 'RETRY' });
    expect(h.screen()).toBe('present-card');
    expect(h.ctx().menu).toEqual([]);
  });

  it('an expired card sees no balance option when the configuration offers none', async () => {
    const h = startKiosk({ ...FULL, menuOptions: [] });
    await toMenu(h, okRead(card({ expiryDate: '2024-06-30' })));
    expect(h.ctx().menu).toEqual([]);
    h.send({ type: 'CHOOSE', option: 'balance' });
    expect(h.screen()).toBe('card-problem');
  });

  it('a blocked card (chip flag or back-office list) gets no service and no menu', async () => {
    const h = startKiosk(FULL);
    await toMenu(h, okRead(card({ kind: 'personal' }), true));
    expect(h.screen()).toBe('card-problem');
    expect(h.ctx().problem).toBe('blocked');
    expect(h.ctx().menu).toEqual([]);
    h.send({ type: 'CHOOSE', option: 'balance' });
    expect(h.screen()).toBe('card-problem');
  });
});
