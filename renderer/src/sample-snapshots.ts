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

