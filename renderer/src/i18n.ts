/**
 * i18next set up once for the renderer. The locale comes from the snapshot (the core owns it and
 * resets it to Dutch), so the page only follows it. Resources are bundled: a kiosk has no network
 * to load them from. Keys are typed from nl.json (see i18next.d.ts), so a missing key fails tsc.
 */
import i18next, { type i18n as I18n } from 'i18next';
import { initReactI18next } from 'react-i18next';
import de from '../../locales/de.json';
import en from '../../locales/en.json';
import fr from '../../locales/fr.json';
import nl from '../../locales/nl.json';
import type { Locale } from './bridge/contract.js';

export const resources = {
  nl: { translation: nl },
  en: { translation: en },
  de: { translation: de },
  fr: { translation: fr },
} as const;

/** Keys that were asked for but do not exist (for tests: a screen must never show a raw key). */
export const missingKeys = new Set<string>();

export function createI18n(lng: Locale = 'nl'): I18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({
    resources,
    lng,
    fallbackLng: false,
    supportedLngs: ['nl', 'en', 'de', 'fr'],
    initAsync: false,
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
    saveMissing: true,
    missingKeyHandler: (_lngs, _ns, key) => {
      missingKeys.add(key);
    },
  });
  return instance;
}

/** BCP 47 tags used for Intl: en-GB for European day-month order and "€1,234.50". */
export const INTL_LOCALE: Record<Locale, string> = { nl: 'nl-NL', en: 'en-GB', de: 'de-DE', fr: 'fr-FR' };
