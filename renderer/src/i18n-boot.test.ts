// The kiosk page boots with Dutch only (issue 15, start-up); another language is loaded before the
// page switches to it, so no raw key is ever shown in between.
import { expect, it } from 'vitest';
import en from '../../locales/en.json';
import nl from '../../locales/nl.json';
import { createBootI18n, preloadLanguages } from './i18n-boot.js';
import { missingKeys } from './i18n-shared.js';

it('boots in Dutch with only Dutch loaded; switching to English loads it first, then every key is English', async () => {
  missingKeys.clear();
  const i18n = createBootI18n();
  expect(i18n.language).toBe('nl');
  expect(i18n.t('app.title')).toBe(nl.app.title);
  expect(i18n.hasResourceBundle('en', 'translation')).toBe(false);
  const switching = i18n.changeLanguage('en');
  expect(i18n.t('app.title')).toBe(nl.app.title); // still Dutch while English loads, never a key
  await switching;
  expect(i18n.language).toBe('en');
  expect(i18n.t('app.title')).toBe(en.app.title);
  expect(missingKeys.size).toBe(0);
});

it('preloadLanguages fetches the other three ahead', async () => {
  const i18n = createBootI18n();
  preloadLanguages(i18n);
  await expect.poll(() => ['en', 'de', 'fr'].every((l) => i18n.hasResourceBundle(l, 'translation'))).toBe(true);
  expect(i18n.language).toBe('nl');
});
