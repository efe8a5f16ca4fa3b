// Issue 14, "what travellers ran into" 2–9: each fix, proved on the rendered screen in the
// languages where it matters. (The machines' side: top-up-machine.test.ts, kiosk-machine.test.ts,
// collect-orders-machine.test.ts.)
import { readFileSync } from 'node:fs';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider } from 'react-i18next';
import { describe, expect, it } from 'vitest';
import { KioskView } from '../App.js';
import type { KioskSnapshot, Locale } from '../bridge/contract.js';
import { createI18n } from '../i18n.js';
import { SAMPLE_VARIANTS, sampleSnapshot, type SampleExtra } from '../sample-snapshots.js';

function render(snapshot: KioskSnapshot): string {
  return renderToStaticMarkup(
    <I18nextProvider i18n={createI18n(snapshot.locale)}>
      <KioskView snapshot={snapshot} connection="open" send={async () => ({ ok: true })} />
    </I18nextProvider>,
  );
}
// Intl and the French texts use no-break spaces; compare with plain ones.
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&[a-z#0-9]+;/g, ' ')
    .replace(/[\u00a0\u202f]/g, ' ')
    .replace(/\s+/g, ' ');
const screen = (id: Parameters<typeof sampleSnapshot>[0], locale: Locale, extra: SampleExtra = {}) => text(render(sampleSnapshot(id, locale, extra)));
const variant = (name: string, locale: Locale) => {
  const v = SAMPLE_VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`no sample variant ${name}`);
  return text(render(sampleSnapshot(v.screen, locale, v.extra)));
};

describe('2: a "Pay € 20,00" step after choosing an amount', () => {
  it('names the chosen amount on the pay button', () => {
    const html = render(sampleSnapshot('topup-amount', 'nl'));
    expect(html).toMatch(/data-testid="pay"[^>]*>Betaal €\u00a020,00</);
    expect(text(html)).toContain('Gekozen bedrag: € 20,00');
    expect(html).toMatch(/aria-pressed="true"[^>]*data-testid="amount-2000"/);
  });

  it('keeps the pay button disabled until an amount is chosen', () => {
    const html = render(sampleSnapshot('topup-amount', 'en', { topUp: { amounts: [500, 2000], maxCents: 13_750 } }));
    expect(html).toMatch(/<button(?=[^>]*disabled="")(?=[^>]*data-testid="pay")[^>]*>Tap an amount first\.</);
  });
});

describe('3: a countdown before the payment is undone, and a cancel that says it undoes the payment', () => {
  it('counts down on "hold your card again" after a payment and names the undo on the button', () => {
    const nl = screen('present-again', 'nl');
    expect(nl).toContain('Nog 90 seconden. Daarna wordt uw betaling teruggedraaid.');
    expect(nl).toContain('Stoppen en betaling terugdraaien');
    expect(screen('present-again', 'fr')).toContain('Arrêter et annuler le paiement');
  });

  it('shows no countdown and no undo for an order (nothing was paid)', () => {
    const order = variant('present-again-order', 'nl');
    expect(order).not.toContain('teruggedraaid');
    expect(order).not.toContain('terugdraaien');
  });
});

describe('4: the order list', () => {
  it('counts only orders that can be loaded as waiting, and says how many cannot', () => {
    const nl = screen('orders', 'nl');
    expect(nl).toContain('Er staat 1 bestelling klaar voor deze kaart.');
    expect(nl).toContain('1 bestelling kan nu niet worden geladen');
  });

  it('offers no "collect another order" when only orders that cannot be loaded remain', () => {
    expect(variant('done-only-unloadable-left', 'nl')).not.toContain('Nog een bestelling ophalen');
    const another = sampleSnapshot('order-done', 'nl', {
      orders: [{ orderId: 'o-5', kind: 'ns-extra', announcedOn: '2026-11-01', amountCents: 500 }],
    });
    expect(text(render(another))).toContain('Nog een bestelling ophalen');
  });
});

describe('5: NS Extra is granted, and its last loadable day shows before it passes', () => {
  it('says "granted on" and the last day to load it', () => {
    const nl = screen('orders', 'nl');
    expect(nl).toContain('Toegekend op 10 januari 2026');
    expect(nl).toContain('Te laden tot en met 10 januari 2027');
    expect(nl).not.toContain('Besteld op 10 januari 2026');
    expect(screen('orders', 'en')).toContain('Granted on 10 January 2026');
  });
});

describe('6: a kaartservicecode is activated, not loaded', () => {
  it('confirm, hold again, writing and done all say "activate"', () => {
    expect(variant('confirm-kaartservicecode', 'nl')).toContain('Deze kaartservicecode activeren?');
    expect(variant('writing-kaartservicecode', 'nl')).toContain('Uw kaartservicecode wordt geactiveerd');
    expect(variant('writing-kaartservicecode', 'nl')).not.toContain('Uw kaart wordt geladen');
    const again = screen('present-again', 'en', { journey: 'collect-orders', selectedOrder: { orderId: 'k', kind: 'kaartservicecode', announcedOn: '2026-11-01' } });
    expect(again).toContain('to activate your kaartservicecode');
    expect(screen('order-done', 'de')).toContain('Kaartservicecode aktiviert');
  });
});

describe('7: the balance screen', () => {
  it('shows fares with a minus and top-ups with a plus', () => {
    const nl = screen('balance', 'nl');
    expect(nl).toContain('€ -9,05');
    expect(nl).toContain('€ +20,00');
  });

  it('shows an NS-Business Card without "Saldo € 0,00"', () => {
    const business = variant('balance-business', 'nl');
    expect(business).not.toContain('Saldo € 0,00');
    expect(business).not.toContain('data-testid="balance"');
    expect(business).toContain('Reist op rekening van uw organisatie');
  });

  it('keeps NS product names untranslated in every language', () => {
    for (const l of ['nl', 'en', 'de', 'fr'] as const) expect(screen('balance', l)).toContain('Dal Voordeel');
    expect(screen('balance', 'en')).not.toContain('Off-Peak');
  });

  it('shows the rights the chip holds (automatic top-up)', () => {
    expect(screen('balance', 'nl')).toContain('Automatisch opladen');
    expect(screen('balance', 'de')).toContain('Automatisches Aufladen');
  });
});

describe('8: a blocked card', () => {
  it('sends a blocked NS-Business Card to its organisation and NS Zakelijk, not the private line (seed 000)', () => {
    const nl = variant('problem-blocked-business', 'nl');
    expect(nl).toContain('NS-contactpersoon van uw organisatie');
    expect(nl).toContain('Mijn NS Zakelijk');
    expect(nl).toContain('030-3001111');
    expect(nl).not.toContain('0900-0980');
  });

  it('says a replacement card takes up to ten working days (seed 003)', () => {
    expect(screen('card-problem', 'nl')).toContain('binnen 10 werkdagen');
    expect(screen('card-problem', 'en')).toContain('up to 10 working days');
    expect(variant('problem-blocked-business', 'en')).toContain('up to 10 working days');
  });
});

describe('9: French punctuation and the inactivity dialog', () => {
  it('puts a no-break space before ":", "?", "!" and ";" in every French text', () => {
    const fr = readFileSync(new URL('../../../locales/fr.json', import.meta.url), 'utf8');
    const values = [...fr.matchAll(/"[^"]+": "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
    expect(values.length).toBeGreaterThan(150);
    const wrong = values.filter((v) => /(^|[^\u00a0\u202f])[:?!;](\s|$)/.test(v));
    expect(wrong).toEqual([]);
  });

  it('writes label-colon-value the French way where the screens compose one', () => {
    const html = render(sampleSnapshot('orders', 'fr'));
    expect(html).toMatch(/maintenant\u00a0: /);
    expect(render(sampleSnapshot('orders', 'nl'))).toMatch(/geladen: /);
  });

  it('offers "no, I have finished" beside "yes, more time"', () => {
    const html = render(sampleSnapshot('menu', 'nl', { inactivity: { warning: true, secondsLeft: 12 } }));
    expect(html).toContain('data-testid="more-time"');
    expect(html).toMatch(/data-testid="end-visit"[^>]*>Nee, ik ben klaar</);
  });
});
