/**
 * What every i18next instance of the renderer shares, without the translations themselves: the
 * kiosk page's boot (./i18n-boot.ts: Dutch bundled, the rest loaded later) and createI18n
 * (./i18n.ts: all four bundled, for tests and the tester console) both use it.
 */
import type { InitOptions } from 'i18next';
import type { Locale } from './bridge/contract.js';

/** Keys that were asked for but do not exist (for tests: a screen must never show a raw key). */
export const missingKeys = new Set<string>();

/** The options every i18next instance of the renderer shares (./i18n-boot.ts too). */
export const I18N_OPTIONS = {
  fallbackLng: false,
  supportedLngs: ['nl', 'en', 'de', 'fr'],
  initAsync: false,
  interpolation: { escapeValue: false }, // React escapes
  returnNull: false,
  saveMissing: true,
  missingKeyHandler: (_lngs: readonly string[], _ns: string, key: string) => {
    missingKeys.add(key);
  },
} satisfies InitOptions;

/** BCP 47 tags used for Intl: en-GB for European day-month order and "€1,234.50". */
export const INTL_LOCALE: Record<Locale, string> = { nl: 'nl-NL', en: 'en-GB', de: 'de-DE', fr: 'fr-FR' };
