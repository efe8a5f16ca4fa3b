/**
 * Representative snapshots for every screen: used by the renderer's unit tests and by the e2e
 * screen gallery (each screen in each language, including ones a journey passes too quickly to
 * photograph). Not used by the kiosk itself.
 */
import type { JourneyKind, KioskSnapshot, Locale, MenuOption, ScreenId } from './bridge/contract.js';
import type { ActionResult, DashboardFacts } from '../../contract/maintenance.js';

type KeysOf<M> = M extends unknown ? keyof M : never;
type ValueAt<M, K extends PropertyKey> = M extends unknown ? (K extends keyof M ? M[K] : never) : never;
/** Any member's fields, for overriding a sample (the sample keeps only what its member carries). */
export type SampleExtra = { [K in KeysOf<KioskSnapshot>]?: ValueAt<KioskSnapshot, K> };

const TOP_UP_SCREENS: ScreenId[] = ['topup-amount', 'payment', 'payment-failed', 'payment-undone', 'refund-owed', 'credit-pending', 'topup-done', 'present-again', 'writing-card', 'write-problem'];
const ORDER_SCREENS: ScreenId[] = ['orders', 'order-confirm', 'order-refused', 'order-done'];

/** The journey a screen belongs to unless the sample says otherwise (shared card-write screens: top-up). */
function defaultJourney(screen: ScreenId): JourneyKind {
  if (screen.startsWith('maintenance-')) return 'maintenance';
  if (TOP_UP_SCREENS.includes(screen)) return 'top-up';
  if (ORDER_SCREENS.includes(screen)) return 'collect-orders';
  return 'none';
}

/** Issue 13: what the maintenance screens show (the dashboard with every subsystem's facts). */
const SAMPLE_FACTS: DashboardFacts = {
  cardReader: { ok: true, state: 'ready', since: '2026-11-23T06:00:00.000Z', facts: { readerName: 'Emulated reader', lastAtr: null } },
  paymentTerminal: { ok: true, state: 'ready', since: '2026-11-23T06:00:00.000Z', facts: { checkedAt: '2026-11-23T09:59:45.000Z' } },
  journal: {
    ok: true,
    state: 'writable',
    since: '2026-11-23T06:00:00.000Z',
    facts: { lastSeq: 1042, waiting: 3, oldestWaitingSeconds: 41, lastUpload: '2026-11-23T09:58:00.000Z', chainOk: true, freeBytes: 52_428_800_000 },
  },
  backOffice: {
    ok: false,
    state: 'unreachable',
    lastError: 'connect ECONNREFUSED',
    since: '2026-11-23T09:40:00.000Z',
    facts: { lastContact: '2026-11-23T09:39:12.000Z', blockedListVersion: 17, blockedListAgeSeconds: 1260, technicianListAgeSeconds: null },
  },
  software: { ok: true, state: 'running', facts: { version: '0.1.0', build: 'a1b2c3d4e5f6', builtAt: null, uptimeMinutes: 240, kioskId: 'NS-KIOSK-UT-03', hardware: 'emulated', station: 'UT' } },
  outOfService: [],
};
export const SAMPLE_MAINTENANCE = {
  'maintenance-verifying': { wrongPin: false, results: [] },
  'maintenance-refused': { refusal: 'revoked' as const, technicianId: 'T-0002', wrongPin: false, results: [] },
  'maintenance-pin': { technicianId: 'T-0001', attemptsLeft: 5, wrongPin: false, results: [] },
  'maintenance-dashboard': {
    technicianId: 'T-0001',
    wrongPin: false,
    results: [
      { action: 'terminal-end-of-day', outcome: 'ok', detail: { resultCode: 0, totalCents: 3500, trace: '000042' } },
      { action: 'reader-test-read', outcome: 'ok', detail: { kind: 'personal', maskedNumber: '•••• 0017', balanceCents: 1250 } },
      { action: 'backoffice-check', outcome: 'failed', detail: { reachable: false, blockedListVersion: 17 } },
    ] as ActionResult[],
    facts: SAMPLE_FACTS,
  },
};

export function sampleSnapshot(screen: ScreenId, locale: Locale, extra: SampleExtra = {}): KioskSnapshot {
  const order = { orderId: 'o-1', kind: 'ns-extra' as const, announcedOn: '2026-01-10', amountCents: 1000, lastLoadableDay: '2027-01-10' };
  const all = {
    rev: 1,
    locale,
    largeText: false,
    busy: ['reading-card', 'payment', 'writing-card'].includes(screen),
    inactivity: { warning: false, secondsLeft: 30 },
    menu: ['topup', 'collect-orders', 'balance', 'station-passage'] as MenuOption[],
    card: {
      maskedNumber: '•••• •••• •••• 0017',
      last4: '0017',
      kind: 'personal' as const,
      balanceCents: 1250,
      expiryDate: '2029-05-31',
      expired: false,
      products: [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-01', validUntil: '2026-12-31' }],
      // Ten journeys (the most a card holds) and two top-ups: the longest balance screen.
      transactions: Array.from({ length: 10 }, (_, i) => ({
        at: `2026-11-${String(20 - i).padStart(2, '0')}T08:15:00Z`,
        kind: i % 2 ? 'check-in' : 'check-out',
        station: i % 2 ? 'UT' : 'ASD',
        amountCents: i % 2 ? 0 : 905,
      })),
      topUps: [
        { at: '2026-11-01T12:00:00Z', amountCents: 2000, location: 'kiosk-ut-01' },
        { at: '2026-10-01T12:00:00Z', amountCents: 1000, location: 'online' },
      ],
      rights: ['auto-top-up' as const],
    },
    problem: 'blocked' as const,
    topUp: { amounts: [500, 1000, 2000, 5000, 15000], maxCents: 13750, selectedCents: 2000, newBalanceCents: 3250 },
    payment: { amountCents: 2000, prompt: 'enter-pin' as const, failure: 'declined' as const, reference: 'K7-3F2A', ...(screen === 'present-again' ? { undoAfterSeconds: 90 } : {}) },
    writeProblem: 'wrong-card' as const,
    orders: [
      order,
      { orderId: 'o-2', kind: 'product' as const, announcedOn: '2026-02-01', productCode: 'CLASS-CHANGE', validFrom: '2026-02-01', validUntil: '2026-03-01', refusal: { reason: 'conflicting-product' as const, conflictingCode: 'DAL-VOORDEEL' } },
    ],
    selectedOrder: { ...order, refusal: { reason: 'ns-extra-expired' as const, lastDay: '2026-01-09' } },
    collected: { orderId: 'o-3', kind: 'kaartservicecode' as const, announcedOn: '2026-01-10' },
    unavailable: 'backoffice' as const,
    stationPassage: { station: 'UT', minutes: 60 },
    limits: { maxBalanceCents: 15_000 },
    maintenance: SAMPLE_MAINTENANCE[screen as keyof typeof SAMPLE_MAINTENANCE] ?? SAMPLE_MAINTENANCE['maintenance-dashboard'],
    ...extra,
  };
  const journey = extra.journey ?? defaultJourney(screen);
  const common = { rev: all.rev, screen, locale: all.locale, largeText: all.largeText, busy: all.busy, inactivity: all.inactivity, journey, ...(all.card ? { card: all.card } : {}) };
  const writeProblem = screen === 'write-problem' ? { writeProblem: all.writeProblem } : {};
  let member: object;
  switch (journey) {
    case 'none':
      member = {
        ...common,
        ...(screen === 'menu' || screen === 'card-problem' ? { menu: all.menu } : {}),
        ...(screen === 'card-problem' ? { problem: all.problem } : {}),
        ...(screen === 'service-unavailable' ? { unavailable: all.unavailable } : {}),
      };
      break;
    case 'top-up':
      member = { ...common, topUp: all.topUp, limits: all.limits, ...(screen !== 'topup-amount' ? { payment: all.payment } : {}), ...writeProblem };
      break;
    case 'collect-orders':
      member =
        screen === 'service-unavailable'
          ? { ...common, unavailable: all.unavailable }
          : screen === 'orders'
            ? { ...common, limits: all.limits, ...(all.orders ? { orders: all.orders } : {}) }
            : screen === 'order-done'
              ? { ...common, limits: all.limits, collected: all.collected, orders: all.orders ?? [] }
              : { ...common, limits: all.limits, selectedOrder: all.selectedOrder, ...writeProblem };
      break;
    case 'station-passage':
      member = { ...common, stationPassage: all.stationPassage, ...writeProblem };
      break;
    case 'maintenance': {
      const { card: _card, ...rest } = common;
      member = { ...rest, busy: screen === 'maintenance-verifying' || all.busy, maintenance: all.maintenance };
      break;
    }
  }
  // Each branch above builds the member the core's view functions build for that screen and journey.
  return member as KioskSnapshot;
}


/**
 * Further states of the issue-6 screens the gallery photographs in every language: each refusal
 * reason, the orders list while the back office is asked, each kind of collected order, holding
 * the card again for an order, and the station passage.
 */
export const SAMPLE_VARIANTS: { name: string; screen: ScreenId; extra: SampleExtra }[] = (() => {
  const base = { orderId: 'o-9', announcedOn: '2026-11-01' };
  const refused = (refusal: NonNullable<NonNullable<SampleExtra['selectedOrder']>['refusal']>, kind: 'ns-extra' | 'product' = 'product') => ({
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
    { name: 'present-again-order', screen: 'present-again', extra: { journey: 'collect-orders', busy: true } },
    { name: 'write-problem-order', screen: 'write-problem', extra: { journey: 'collect-orders' } },
    { name: 'done-ns-extra', screen: 'order-done', extra: { collected: { ...base, kind: 'ns-extra', amountCents: 1250 }, orders: [] } },
    {
      name: 'done-product',
      screen: 'order-done',
      extra: { collected: { ...base, kind: 'product', productCode: 'DAL-VOORDEEL', validFrom: '2026-11-23', validUntil: '2027-11-22' }, orders: [] },
    },
    {
      name: 'passage-confirm',
      screen: 'order-confirm',
      extra: { journey: 'station-passage', stationPassage: passage },
    },
    {
      name: 'passage-done',
      screen: 'order-done',
      extra: { journey: 'station-passage', stationPassage: { ...passage, validUntil: '2026-11-23T10:15:00.000Z' } },
    },
    {
      // The configured maximum is below EUR 150: the over-limit refusal quotes it, not the card rule.
      name: 'orders-max-lower',
      screen: 'orders',
      extra: {
        limits: { maxBalanceCents: 10_000 },
        orders: [{ ...base, kind: 'ns-extra', amountCents: 9000, refusal: { reason: 'over-limit', roomCents: 8750 } }],
      },
    },
    { name: 'problem-expired', screen: 'card-problem', extra: { problem: 'expired', menu: ['balance'], card: { ...sampleSnapshot('menu', 'nl').card!, expired: true } } },
    { name: 'problem-defective', screen: 'card-problem', extra: { problem: 'defective', card: undefined } },
    { name: 'amount-none-chosen', screen: 'topup-amount', extra: { topUp: { amounts: [500, 1000, 2000, 5000, 15000], maxCents: 13750 } } },
    {
      // Only an order that cannot be loaded is left: no "collect another order".
      name: 'done-only-unloadable-left',
      screen: 'order-done',
      extra: {
        collected: { ...base, kind: 'kaartservicecode' },
        orders: [{ orderId: 'o-2', kind: 'ns-extra', announcedOn: '2025-01-10', amountCents: 500, refusal: { reason: 'ns-extra-expired', lastDay: '2026-01-10' } }],
      },
    },
    { name: 'writing-kaartservicecode', screen: 'writing-card', extra: { journey: 'collect-orders', busy: true, selectedOrder: { ...base, kind: 'kaartservicecode' } } },
    {
      name: 'problem-blocked-business',
      screen: 'card-problem',
      extra: { problem: 'blocked', card: { ...sampleSnapshot('menu', 'nl').card!, kind: 'business', balanceCents: 0 } },
    },
    { name: 'balance-business', screen: 'balance', extra: { card: { ...sampleSnapshot('menu', 'nl').card!, kind: 'business', balanceCents: 0, rights: [] } } },
    // Issue 13: the maintenance screens' other states.
    { name: 'maintenance-pin-wrong', screen: 'maintenance-pin', extra: { maintenance: { technicianId: 'T-0001', attemptsLeft: 2, wrongPin: true, results: [] } } },
    { name: 'maintenance-pin-checking', screen: 'maintenance-pin', extra: { busy: true } },
    {
      name: 'maintenance-locked-out',
      screen: 'maintenance-refused',
      extra: { maintenance: { refusal: 'locked-out', technicianId: 'T-0001', lockedUntil: '2099-11-23T10:15:00.000Z', attemptsLeft: 0, wrongPin: true, results: [] } },
    },
    { name: 'maintenance-refused-forged', screen: 'maintenance-refused', extra: { maintenance: { refusal: 'forged', wrongPin: false, results: [] } } },
    {
      name: 'maintenance-running',
      screen: 'maintenance-dashboard',
      extra: { busy: true, maintenance: { ...SAMPLE_MAINTENANCE['maintenance-dashboard'], running: 'terminal-end-of-day' } },
    },
    {
      name: 'maintenance-out-of-service',
      screen: 'maintenance-dashboard',
      extra: {
        maintenance: {
          ...SAMPLE_MAINTENANCE['maintenance-dashboard'],
          facts: { ...SAMPLE_FACTS, outOfService: ['technician'] },
          results: [{ action: 'out-of-service', outcome: 'ok', detail: { reason: 'repair' } }],
        },
      },
    },
    { name: 'inactivity-warning', screen: 'menu', extra: { inactivity: { warning: true, secondsLeft: 12 } } },
    { name: 'menu-large-text', screen: 'menu', extra: { largeText: true } },
    { name: 'balance-large-text', screen: 'balance', extra: { largeText: true } },
  ];
})();
