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
import { I18N_OPTIONS } from './i18n-shared.js';

// Moved to ./i18n-shared.ts (the kiosk page's boot path must not import all four languages: ./i18n-boot.ts).
export { I18N_OPTIONS, INTL_LOCALE, missingKeys } from './i18n-shared.js';

export const resources = {
  nl: { translation: nl },
  en: { translation: en },
  de: { translation: de },
  fr: { translation: fr },
} as const;

export function createI18n(lng: Locale = 'nl'): I18n {
  const instance = i18next.createInstance();
  void instance.use(initReactI18next).init({ ...I18N_OPTIONS, resources, lng });
  return instance;
}
