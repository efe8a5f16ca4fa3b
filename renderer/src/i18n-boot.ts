/**
 * i18next for the kiosk's page at boot (renderer/src/main.tsx): Dutch, the language every session
 * starts in (the core resets to it), is bundled with the page; English, German and French are
 * separate chunks, loaded by i18next's backend hook the first time a snapshot asks for them
 * (changeLanguage switches only once they are there, so no raw key is ever shown) and fetched
 * ahead once the first snapshot is on screen (`preloadLanguages`). Issue 15, start-up: the start
 * page parses one language instead of four. Files only: a kiosk has no network to load them from.
 * Tests and the tester console use createI18n (./i18n.ts), which bundles all four.
 */
import i18next, { type BackendModule, type i18n as I18n, type ResourceKey } from 'i18next';
import { initReactI18next } from 'react-i18next';
import nl from '../../locales/nl.json';
import type { Locale } from './bridge/contract.js';
import { I18N_OPTIONS } from './i18n-shared.js';

const LATER: Record<Exclude<Locale, 'nl'>, () => Promise<{ default: ResourceKey }>> = {
  en: () => import('../../locales/en.json'),
  de: () => import('../../locales/de.json'),
  fr: () => import('../../locales/fr.json'),
};

/** i18next's backend interface over the bundled chunks (too small a job for a backend package). */
const bundledChunks: BackendModule = {
  type: 'backend',
  init() {},
  read(language, _namespace, callback) {
    const load = LATER[language as keyof typeof LATER];
    if (!load) return callback(new Error(`no translations for ${language}`), false);
    load().then(
      (m) => callback(null, m.default),
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e)), false),
    );
  },
};

export function createBootI18n(): I18n {
  const instance = i18next.createInstance();
  void instance
    .use(initReactI18next)
    .use(bundledChunks)
    .init({ ...I18N_OPTIONS, lng: 'nl', resources: { nl: { translation: nl } }, partialBundledLanguages: true });
  return instance;
}

/** Fetch the other languages ahead (after the start screen), so a language button switches at once. */
export function preloadLanguages(i18n: I18n): void {
  void i18n.loadLanguages(Object.keys(LATER));
}
