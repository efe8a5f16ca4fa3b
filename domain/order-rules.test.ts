import { describe, expect, it } from 'vitest';
import { conflictingProduct, DEFAULT_EXCLUSIVE_PRODUCT_GROUPS, nsExtraLastDay, orderRefusalFor, type OrderInfo } from './order-rules.js';

const settings = { maxBalanceCents: 15_000, exclusiveProductGroups: [['DAL-VOORDEEL', 'ALTIJD-VRIJ']] };
const personal = { kind: 'personal' as const, expiryDate: '2030-01-31', balanceCents: 1000, products: [] };
const nsx = (announcedOn: string, amountCents = 500): OrderInfo => ({ orderId: 'N', kind: 'ns-extra', announcedOn, amountCents });
const prod = (code: string, validFrom = '2026-11-23', validUntil = '2027-11-22'): OrderInfo => ({
  orderId: 'P',
  kind: 'product',
  announcedOn: '2026-11-20',
  product: { code, validFrom, validUntil },
});

describe('order rules', () => {
  it('NS Extra is loadable through the same date one year later (29 February -> 28 February)', () => {
    expect(nsExtraLastDay('2025-11-23')).toBe('2026-11-23');
    expect(nsExtraLastDay('2024-02-29')).toBe('2025-02-28');
    expect(orderRefusalFor(nsx('2025-11-23'), personal, '2026-11-23', settings)).toBeUndefined();
    expect(orderRefusalFor(nsx('2025-11-22'), personal, '2026-11-23', settings)).toEqual({ reason: 'ns-extra-expired', lastDay: '2026-11-22' });
  });

  it('NS Extra only on personal cards', () => {
    expect(orderRefusalFor(nsx('2026-11-01'), { ...personal, kind: 'anonymous' }, '2026-11-23', settings)).toEqual({ reason: 'not-personal' });
    expect(orderRefusalFor(nsx('2026-11-01'), { ...personal, kind: 'business' }, '2026-11-23', settings)).toEqual({ reason: 'not-personal' });
  });

  it('NS Extra may not take the balance past the maximum: the refusal says how much room there is', () => {
    expect(orderRefusalFor(nsx('2026-11-01', 1000), { ...personal, balanceCents: 14_000 }, '2026-11-23', settings)).toBeUndefined();
    expect(orderRefusalFor(nsx('2026-11-01', 1001), { ...personal, balanceCents: 14_000 }, '2026-11-23', settings)).toEqual({ reason: 'over-limit', roomCents: 1000 });
    expect(orderRefusalFor(nsx('2026-11-01', 100), { ...personal, balanceCents: 15_500 }, '2026-11-23', settings)).toEqual({ reason: 'over-limit', roomCents: 0 });
    // A negative balance has more room.
    expect(orderRefusalFor(nsx('2026-11-01', 15_000), { ...personal, balanceCents: -200 }, '2026-11-23', settings)).toBeUndefined();
  });

  it('nothing on an expired card, whatever the order', () => {
    const expired = { ...personal, expiryDate: '2026-11-22' };
    for (const o of [nsx('2026-11-01'), prod('X'), { orderId: 'K', kind: 'kaartservicecode', announcedOn: '2026-11-01' } as OrderInfo])
      expect(orderRefusalFor(o, expired, '2026-11-23', settings)).toEqual({ reason: 'card-expired' });
    expect(orderRefusalFor(prod('X'), { ...personal, expiryDate: '2026-11-23' }, '2026-11-23', settings)).toBeUndefined();
  });

  it('a product conflicts with the same product or one of its group over an overlapping period, never with an expired one', () => {
    const onCard = [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-15', validUntil: '2027-01-14' }];
    expect(orderRefusalFor(prod('DAL-VOORDEEL'), { ...personal, products: onCard }, '2026-11-23', settings)).toEqual({ reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' });
    expect(orderRefusalFor(prod('ALTIJD-VRIJ'), { ...personal, products: onCard }, '2026-11-23', settings)).toEqual({ reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' });
    // A renewal that starts after the current one ends does not conflict.
    expect(orderRefusalFor(prod('DAL-VOORDEEL', '2027-01-15', '2028-01-14'), { ...personal, products: onCard }, '2026-11-23', settings)).toBeUndefined();
    expect(orderRefusalFor(prod('SAMENREISKORTING'), { ...personal, products: onCard }, '2026-11-23', settings)).toBeUndefined();
    expect(conflictingProduct({ code: 'DAL-VOORDEEL', validFrom: '2026-11-23', validUntil: '2027-11-22' }, [{ code: 'DAL-VOORDEEL', validFrom: '2025-01-01', validUntil: '2025-12-31' }], [], '2026-11-23')).toBeUndefined();
    // Short products carry a timestamp as validUntil.
    expect(conflictingProduct({ code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T12:00:00.000Z' }, [{ code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T10:00:00.000Z' }], [], '2026-11-23')).toBe('STATION-PASSAGE');
  });

  it('the back-office form agrees: anonymous NS Extra and NS Extra past its year are not loadable', () => {
    // The back office knows only the card's kind (and, where it has it, the expiry): the same rules.
    expect(orderRefusalFor(nsx('2026-11-01'), { kind: 'anonymous' }, '2026-11-23', settings)?.reason).toBe('not-personal');
    expect(orderRefusalFor(nsx('2025-11-01'), { kind: 'personal' }, '2026-11-23', settings)?.reason).toBe('ns-extra-expired');
    expect(orderRefusalFor(prod('X'), { kind: 'personal', expiryDate: '2026-01-01' }, '2026-11-23', settings)?.reason).toBe('card-expired');
    expect([nsx('2026-11-01'), prod('X')].filter((o) => !orderRefusalFor(o, { kind: 'anonymous' }, '2026-11-23', settings)).map((o) => o.kind)).toEqual(['product']);
  });

  // Added from mutation testing (docs/money-proofs.md, "Mutation score").
  it('an expired product never conflicts, even with a wanted product whose validity started before today', () => {
    // Backdated order: valid from 1 Nov; the card's old one ended 10 Nov (overlap in dates, but expired).
    const wanted = { code: 'DAL-VOORDEEL', validFrom: '2026-11-01', validUntil: '2027-10-31' };
    const old = { code: 'DAL-VOORDEEL', validFrom: '2025-11-11', validUntil: '2026-11-10' };
    expect(conflictingProduct(wanted, [old], [], '2026-11-23')).toBeUndefined();
    // The same card one day before its old product expired: that one conflicts.
    expect(conflictingProduct(wanted, [old], [], '2026-11-10')).toBe('DAL-VOORDEEL');
  });

  it('the default exclusive group holds every NS subscription: each conflicts with a Dal Voordeel on the card', () => {
    const onCard = [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-15', validUntil: '2027-01-14' }];
    for (const code of ['DAL-VOORDEEL', 'DAL-VRIJ', 'ALTIJD-VOORDEEL', 'ALTIJD-VRIJ', 'WEEKEND-VOORDEEL', 'WEEKEND-VRIJ', 'TRAJECT-VRIJ']) {
      expect(conflictingProduct({ code, validFrom: '2026-11-23', validUntil: '2027-11-22' }, onCard, DEFAULT_EXCLUSIVE_PRODUCT_GROUPS, '2026-11-23'), code).toBe('DAL-VOORDEEL');
    }
    expect(conflictingProduct({ code: 'SAMENREISKORTING', validFrom: '2026-11-23', validUntil: '2027-11-22' }, onCard, DEFAULT_EXCLUSIVE_PRODUCT_GROUPS, '2026-11-23')).toBeUndefined();
  });
});

describe('a pending credit (issue 12: served as ns-extra with creditRef)', () => {
  const credit = (announcedOn: string): OrderInfo => ({ orderId: 'PC-1', kind: 'ns-extra', announcedOn, amountCents: 500, creditRef: 'a1b2c3d4' });
  const rules = { maxBalanceCents: 15_000, exclusiveProductGroups: [] };
  it('loads on any card kind and after a year (it was paid for), but never over the maximum nor on an expired card', () => {
    expect(orderRefusalFor(credit('2025-01-01'), { kind: 'anonymous' }, '2026-11-23', rules)).toBeUndefined();
    expect(orderRefusalFor(credit('2026-11-23'), { kind: 'business' }, '2026-11-23', rules)).toBeUndefined();
    expect(orderRefusalFor(credit('2026-11-23'), { kind: 'anonymous', balanceCents: 14_600 }, '2026-11-23', rules)).toEqual({ reason: 'over-limit', roomCents: 400 });
    expect(orderRefusalFor(credit('2026-11-23'), { kind: 'anonymous', expiryDate: '2026-11-22' }, '2026-11-23', rules)).toEqual({ reason: 'card-expired' });
  });
});
