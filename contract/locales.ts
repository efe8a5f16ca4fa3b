/** The languages the kiosk speaks: Dutch by default, English, German and French at a touch. */
export const LOCALES = ['nl', 'en', 'de', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'nl';
