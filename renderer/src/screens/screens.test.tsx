// Every screen renders in every language from a snapshot alone: it carries data-screen, shows no
// raw translation key, shows the card number only masked, offers a way on, and shows progress
// on every wait.
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { KioskView } from '../App.js';
import type { KioskSnapshot, Locale, ScreenId } from '../bridge/contract.js';
import { createI18n, missingKeys } from '../i18n.js';
import { SAMPLE_VARIANTS, sampleSnapshot } from '../sample-snapshots.js';
import { SCREEN_COMPONENTS } from './index.js';

const FULL_NUMBER = '3528010000000017';
function render(snapshot: KioskSnapshot): string {
  const i18n = createI18n(snapshot.locale);
  return renderToStaticMarkup(
    <I18nextProvider i18n={i18n}>
      <KioskView snapshot={snapshot} connection="open" send={async () => ({ ok: true })} />
    </I18nextProvider>,
  );
}

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/g, ' ');
const RAW_KEY = /\b(app|common|lang|largeText|inactivity|card|start|presentCard|readingCard|problem|menu|topup|payment|presentAgain|writingCard|writeProblem|topupDone|paymentUndone|refundOwed|creditPending|orders|orderConfirm|orderRefused|orderDone|balance|unavailable|goodbye|product|stationPassage|maintenance)\.[a-zA-Z-]+/;
const SCREENS = Object.keys(SCREEN_COMPONENTS) as ScreenId[];
const LOCALES: Locale[] = ['nl', 'en', 'de', 'fr'];
const WAITS: ScreenId[] = ['present-card', 'reading-card', 'payment', 'present-again', 'writing-card'];

describe('screens', () => {
  it('has a component for each of the 26 screens in the contract (22 for travellers, 4 for technicians)', () => {
    expect(SCREENS).toHaveLength(27);
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
      // Out of service: nothing can be chosen; the way on is another language, in the language bar
      // every screen has (App.tsx LanguageBar).
      if (screen === 'out-of-service') expect(html).toMatch(/<nav class="langbar"[^>]*><button/);
      // Checking a technician's credential takes no input and ends by itself (refused or PIN).
      else if (screen === 'maintenance-verifying') expect(html).toContain('role="progressbar"');
      else if (screen !== 'writing-card') expect(html).toMatch(/<div class="actions"><button/);
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
    expect(html.replace(/\s+/g, ' ')).toContain('höchstens 150,00 € betragen');
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

  for (const locale of LOCALES) {
    it.each(SAMPLE_VARIANTS.map((v) => [v.name, v] as const))(`variant %s renders in ${locale} without a raw or missing key`, (_name, v) => {
      missingKeys.clear();
      const html = render(sampleSnapshot(v.screen, locale, v.extra));
      expect(html).toContain(`data-screen="${v.screen}"`);
      expect(text(html)).not.toMatch(RAW_KEY);
      expect([...missingKeys]).toEqual([]);
    });
  }

  const variant = (name: string, locale: Locale) => {
    const v = SAMPLE_VARIANTS.find((x) => x.name === name);
    if (!v) throw new Error(`no sample variant ${name}`);
    return text(render(sampleSnapshot(v.screen, locale, v.extra))).replace(/\s+/g, ' ');
  };

  it('says why each refused order cannot be loaded, with its detail, per language', () => {
    expect(variant('refused-over-limit', 'fr')).toContain('13,75 €');
    expect(variant('refused-over-limit', 'en')).toContain('€13.75');
    // NS product names are names: untranslated (issue 14).
    expect(variant('refused-conflicting', 'de')).toContain('Dal Voordeel');
    expect(variant('refused-conflicting', 'de')).not.toContain('Nebenzeit');
    expect(variant('refused-card-expired', 'nl')).toContain('Uw kaart is verlopen');
    expect(variant('refused-not-personal', 'en')).toContain('personal OV-chipkaart');
  });

  it('quotes the configured maximum balance (EUR 100) in an over-limit refusal, not the EUR 150 card rule', () => {
    const v = SAMPLE_VARIANTS.find((x) => x.name === 'orders-max-lower')!;
    const nl = text(render(sampleSnapshot('orders', 'nl', v.extra))).replace(/\s+/g, ' ');
    expect(nl).toContain('Het saldo zou hoger worden dan € 100,00. Er is ruimte voor € 87,50.');
    expect(nl).not.toContain('150,00');
    const en = text(render(sampleSnapshot('order-refused', 'en', { limits: { maxBalanceCents: 12_000 }, selectedOrder: v.extra.orders![0]! }))).replace(/\s+/g, ' ');
    expect(en).toContain('The balance would be more than €120.00. There is room for €87.50.');
  });

  it('lists refused orders with the reason in words, not by colour alone', () => {
    const html = text(render(sampleSnapshot('orders', 'en'))).replace(/\s+/g, ' ');
    expect(html).toContain('Cannot be loaded now: Your card already has a product that conflicts with this one');
  });

  it('shows progress on the orders screen while the back office is asked', () => {
    const v = SAMPLE_VARIANTS.find((x) => x.name === 'orders-loading')!;
    const html = render(sampleSnapshot('orders', 'nl', v.extra));
    expect(html).toContain('role="progressbar"');
    expect(text(html)).toContain('Uw bestellingen worden opgevraagd');
  });

  it('after a kaartservicecode says the next step: link the card in Mijn NS with its number (last four shown) and the code', () => {
    const html = text(render(sampleSnapshot('order-done', 'nl'))).replace(/\s+/g, ' ');
    expect(html).toContain('Mijn NS');
    expect(html).toContain('eindigt op 0017');
    expect(html).not.toContain(FULL_NUMBER);
  });

  it('asks to hold the card again for an order without mentioning a payment', () => {
    expect(variant('present-again-order', 'en')).toContain('to load this onto it');
    expect(variant('present-again-order', 'en')).not.toContain('Payment received');
    expect(variant('write-problem-order', 'en')).toContain('this order is for that card');
  });

  it('shows the station passage: which station, how long, and until when (local time)', () => {
    expect(variant('passage-confirm', 'de')).toContain('Bahnhof Utrecht Centraal: 60 Minuten');
    expect(variant('passage-done', 'nl')).toContain('Geldig tot 11:15 op station Utrecht Centraal');
    expect(variant('passage-done', 'en')).toContain('Station passage loaded');
  });

  it('says where each top-up happened in words', () => {
    const html = text(render(sampleSnapshot('balance', 'en', {}))).replace(/\s+/g, ' ');
    expect(html).toContain('Ticket machine ut-01');
    const online = { ...sampleSnapshot('balance', 'de').card!, topUps: [{ at: '2026-11-01T12:00:00Z', amountCents: 500, location: 'online' }] };
    expect(text(render(sampleSnapshot('balance', 'de', { card: online })))).toContain('Online (Mijn NS)');
  });
});

describe('issue 13: the technician screens', () => {
  const variant = (name: string) => {
    const v = SAMPLE_VARIANTS.find((x) => x.name === name);
    if (!v) throw new Error(`no sample variant ${name}`);
    return v;
  };

  it('the dashboard shows every subsystem, the end-of-day total as money, and "unknown" for the technician-list age (not synced yet)', () => {
    const html = render(sampleSnapshot('maintenance-dashboard', 'en'));
    for (const id of ['cardReader', 'paymentTerminal', 'journal', 'backOffice', 'software']) expect(html).toContain(`data-testid="subsystem-${id}"`);
    expect(text(html)).toContain('€35.00');
    expect(html).toMatch(/data-testid="facts-backOffice-technicianListAgeSeconds">unknown</);
    expect(text(html)).toContain('connect ECONNREFUSED'); // the back office's last error
    expect(html).not.toContain(FULL_NUMBER);
  });

  it('the dashboard in Dutch, and a running action shows progress', () => {
    const nl = text(render(sampleSnapshot('maintenance-dashboard', 'nl')));
    expect(nl).toContain('Dagafsluiting');
    const v = variant('maintenance-running');
    expect(render(sampleSnapshot(v.screen, 'nl', v.extra))).toContain('role="progressbar"');
  });

  it('a lockout says until when; a wrong PIN says how many attempts are left; the PIN itself is never in the page', () => {
    const lo = variant('maintenance-locked-out');
    expect(render(sampleSnapshot(lo.screen, 'en', lo.extra))).toContain('data-testid="maintenance-locked-until"');
    const wrong = variant('maintenance-pin-wrong');
    const html = render(sampleSnapshot(wrong.screen, 'nl', wrong.extra));
    expect(text(html)).toContain('Verkeerde pincode');
    expect(html).toMatch(/aria-hidden="true" data-testid="maintenance-pin-dots">—</);
  });
});
