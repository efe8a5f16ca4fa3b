// Every screen renders in every language from a snapshot alone: it carries data-screen, shows no
// raw translation key, shows the card number only masked, offers a way on, and shows progress
// on every wait.
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { KioskView } from '../App.js';
import type { KioskSnapshot, Locale, ScreenId } from '../bridge/contract.js';
import { createI18n, missingKeys } from '../i18n.js';
import { SCREEN_COMPONENTS } from './index.js';

const FULL_NUMBER = '3528010000000017';

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

function render(snapshot: KioskSnapshot): string {
  const i18n = createI18n(snapshot.locale);
  return renderToStaticMarkup(
    <I18nextProvider i18n={i18n}>
      <KioskView snapshot={snapshot} connection="open" send={async () => ({ ok: true })} />
    </I18nextProvider>,
  );
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ');
const RAW_KEY = /\b(app|common|lang|largeText|inactivity|card|start|presentCard|readingCard|problem|menu|topup|payment|presentAgain|writingCard|writeProblem|topupDone|paymentUndone|refundOwed|orders|orderConfirm|orderRefused|orderDone|balance|unavailable|goodbye|product)\.[a-zA-Z-]+/;
const SCREENS = Object.keys(SCREEN_COMPONENTS) as ScreenId[];
const LOCALES: Locale[] = ['nl', 'en', 'de', 'fr'];
const WAITS: ScreenId[] = ['present-card', 'reading-card', 'payment', 'present-again', 'writing-card'];

describe('screens', () => {
  it('has a component for each of the 21 screens in the contract', () => {
    expect(SCREENS).toHaveLength(21);
  });

  for (const locale of LOCALES) {
    it.each(SCREENS)(`%s renders in ${locale} with data-screen, no raw key, masked card number and a way on`, (screen) => {
      missingKeys.clear();
      const html = render(sampleSnapshot(screen, locale));
      expect(html).toContain(`data-screen="${screen}"`);
      expect(text(html)).not.toMatch(RAW_KEY);
      expect([...missingKeys]).toEqual([]);
      expect(html).not.toContain(FULL_NUMBER);
      // language switch and larger text on every screen
      for (const l of LOCALES) expect(html).toContain(`data-testid="lang-${l}"`);
      expect(html).toContain('data-testid="large-text"');
      // a way on: at least one action button in the actions bar. Not while the card is being
      // written: stopping then could tear the card; the machine bounds that wait itself.
      if (screen !== 'writing-card') expect(html).toMatch(/<div class="actions"><button/);
    });
  }

  it.each(WAITS)('%s shows a progress indicator while waiting', (screen) => {
    const html = render(sampleSnapshot(screen, 'nl'));
    expect(html).toContain('role="progressbar"');
  });

  it('shows the inactivity warning with the seconds left and a more-time button', () => {
    const html = render(sampleSnapshot('menu', 'en', { inactivity: { warning: true, secondsLeft: 12 } }));
    expect(html).toContain('role="alertdialog"');
    expect(text(html)).toContain('The machine returns to the start in 12 seconds.');
    expect(html).toContain('data-testid="more-time"');
  });

  it('uses the French "many" plural form for large counts', () => {
    const html = render(sampleSnapshot('menu', 'fr', { inactivity: { warning: true, secondsLeft: 1_000_000 } }));
    expect(text(html)).toContain('de secondes');
  });

  it('formats amounts per language on the amount screen and marks amounts over the limit in words', () => {
    const html = text(render(sampleSnapshot('topup-amount', 'de')));
    expect(html.replace(/\s+/g, ' ')).toContain('137,50 €');
    expect(html).toContain('zu viel');
  });

  it('disables inputs that would interfere while busy but keeps cancel available', () => {
    const html = render(sampleSnapshot('payment', 'nl', { busy: true }));
    expect(html).toMatch(/<button type="button" class="btn btn-secondary" data-testid="cancel">/);
  });

  it('applies larger text when the snapshot asks for it', () => {
    expect(render(sampleSnapshot('start', 'nl', { largeText: true }))).toContain('class="kiosk large-text"');
  });

  it('explains each order refusal with its detail', () => {
    const html = text(render(sampleSnapshot('order-refused', 'nl')));
    expect(html).toContain('9 januari 2026');
  });
});
