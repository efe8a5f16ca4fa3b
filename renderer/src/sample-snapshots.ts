/**
 * Representative snapshots for every screen: used by the renderer's unit tests and by the e2e
 * screen gallery (each screen in each language, including ones a journey passes too quickly to
 * photograph). Not used by the kiosk itself.
 */
import type { KioskSnapshot, Locale, ScreenId } from './bridge/contract.js';

export function sampleSnapshot(screen: ScreenId, locale: Locale, extra: Partial<KioskSnapshot> = {}): KioskSnapshot {
  const order = { orderId: 'o-1', kind: 'ns-extra' as const, announcedOn: '2026-01-10', amountCents: 1000 };
  return {
    rev: 1,
    screen,
    locale,
    largeText: false,
    busy: ['reading-card', 'payment', 'writing-card'].includes(screen),
    inactivity: { warning: false, secondsLeft: 30 },
    menu: ['topup', 'collect-orders', 'balance', 'station-passage'],
    card: {
      maskedNumber: '•••• •••• •••• 0017',
      last4: '0017',
      kind: 'personal',
      balanceCents: 1250,
      expiryDate: '2029-05-31',
      expired: false,
      products: [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-01', validUntil: '2026-12-31' }],
      transactions: [{ at: '2026-11-20T08:15:00Z', kind: 'check-in', station: 'Utrecht Centraal', amountCents: 0 }],
      topUps: [{ at: '2026-11-01T12:00:00Z', amountCents: 2000, location: 'kiosk-ut-01' }],
    },
    problem: 'blocked',
    topUp: { amounts: [500, 1000, 2000, 5000, 15000], maxCents: 13750, selectedCents: 2000, newBalanceCents: 3250 },
    payment: { amountCents: 2000, prompt: 'enter-pin', failure: 'declined', reference: 'K7-3F2A' },
    writeProblem: 'wrong-card',
    orders: [order, { orderId: 'o-2', kind: 'product', announcedOn: '2026-02-01', productCode: 'CLASS-CHANGE', validFrom: '2026-02-01', validUntil: '2026-03-01', refusal: { reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' } }],
    selectedOrder: { ...order, refusal: { reason: 'ns-extra-expired', lastDay: '2026-01-09' } },
    collected: { orderId: 'o-3', kind: 'kaartservicecode', announcedOn: '2026-01-10' },
    unavailable: 'backoffice',
    ...extra,
  };
}


/**
 * Further states of the issue-6 screens the gallery photographs in every language: each refusal
 * reason, the orders list while the back office is asked, each kind of collected order, holding
 * the card again for an order, and the station passage.
 */
export const SAMPLE_VARIANTS: { name: string; screen: ScreenId; extra: Partial<KioskSnapshot> }[] = (() => {
  const base = { orderId: 'o-9', announcedOn: '2026-11-01' };
  const refused = (refusal: NonNullable<NonNullable<KioskSnapshot['selectedOrder']>['refusal']>, kind: 'ns-extra' | 'product' = 'product') => ({
    selectedOrder: { ...base, kind, ...(kind === 'ns-extra' ? { amountCents: 2500 } : { productCode: 'CLASS-CHANGE' }), refusal },
  });
  const passage = { station: 'UT', minutes: 60 };
  return [
    { name: 'orders-loading', screen: 'orders', extra: { busy: true, orders: undefined } },
    { name: 'orders-none', screen: 'orders', extra: { orders: [] } },
    { name: 'refused-not-personal', screen: 'order-refused', extra: refused({ reason: 'not-personal' }, 'ns-extra') },
    { name: 'refused-over-limit', screen: 'order-refused', extra: refused({ reason: 'over-limit', roomCents: 1375 }, 'ns-extra') },
    { name: 'refused-card-expired', screen: 'order-refused', extra: refused({ reason: 'card-expired' }) },
    { name: 'refused-conflicting', screen: 'order-refused', extra: refused({ reason: 'conflicting-product', conflictingCode: 'DAL-VOORDEEL' }) },
    { name: 'confirm-kaartservicecode', screen: 'order-confirm', extra: { selectedOrder: { ...base, kind: 'kaartservicecode' } } },
    {
      name: 'confirm-product',
      screen: 'order-confirm',
      extra: { selectedOrder: { ...base, kind: 'product', productCode: 'DAL-VOORDEEL', validFrom: '2026-11-23', validUntil: '2027-11-22' } },
    },
    { name: 'present-again-order', screen: 'present-again', extra: { payment: undefined, topUp: undefined, busy: true } },
    { name: 'write-problem-order', screen: 'write-problem', extra: { payment: undefined, topUp: undefined } },
    { name: 'done-ns-extra', screen: 'order-done', extra: { collected: { ...base, kind: 'ns-extra', amountCents: 1250 }, orders: [] } },
    {
      name: 'done-product',
      screen: 'order-done',
      extra: { collected: { ...base, kind: 'product', productCode: 'DAL-VOORDEEL', validFrom: '2026-11-23', validUntil: '2027-11-22' }, orders: [] },
    },
    {
      name: 'passage-confirm',
      screen: 'order-confirm',
      extra: { selectedOrder: { ...base, orderId: 'station-passage', kind: 'product', productCode: 'STATION-PASSAGE' }, stationPassage: passage },
    },
    {
      name: 'passage-done',
      screen: 'order-done',
      extra: {
        collected: { ...base, orderId: 'station-passage', kind: 'product', productCode: 'STATION-PASSAGE' },
        stationPassage: { ...passage, validUntil: '2026-11-23T10:15:00.000Z' },
        orders: [],
      },
    },
    { name: 'problem-expired', screen: 'card-problem', extra: { problem: 'expired', menu: ['balance'], card: { ...sampleSnapshot('menu', 'nl').card!, expired: true } } },
    { name: 'problem-defective', screen: 'card-problem', extra: { problem: 'defective', card: undefined } },
    { name: 'menu-large-text', screen: 'menu', extra: { largeText: true } },
    { name: 'balance-large-text', screen: 'balance', extra: { largeText: true } },
  ];
})();
