/** Amounts and dates per language, through Intl (never hand-built strings). */
import type { Locale } from './bridge/contract.js';
import { INTL_LOCALE } from './i18n-shared.js';

const moneyFormats = new Map<Locale, Intl.NumberFormat>();

/** Integer cents -> "€ 1.234,50" (nl), "1.234,50 €" (de), "1 234,50 €" (fr), "€1,234.50" (en). */
export function formatMoney(cents: number, locale: Locale): string {
  let f = moneyFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(INTL_LOCALE[locale], { style: 'currency', currency: 'EUR' });
    moneyFormats.set(locale, f);
  }
  return f.format(cents / 100);
}

const signedFormats = new Map<Locale, Intl.NumberFormat>();

/**
 * A change to the balance with its sign: money taken off the card (a fare) as "€ -9,05", money put
 * on it (a top-up, a refund) as "€ +20,00", nothing as "€ 0,00". `cents` is the change itself:
 * negative takes off, positive adds.
 */
export function formatSignedMoney(cents: number, locale: Locale): string {
  let f = signedFormats.get(locale);
  if (!f) {
    f = new Intl.NumberFormat(INTL_LOCALE[locale], { style: 'currency', currency: 'EUR', signDisplay: 'exceptZero' });
    signedFormats.set(locale, f);
  }
  return f.format(cents / 100);
}

/**
 * A calendar date (YYYY-MM-DD) or an ISO timestamp, in the language's long-ish form.
 * Calendar dates are formatted in UTC so that no time zone shifts them by a day.
 */
export function formatDate(iso: string, locale: Locale): string {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const d = new Date(dateOnly ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    ...(dateOnly ? { timeZone: 'UTC' } : {}),
  }).format(d);
}

/** A timestamp with its time, for transaction lists. */
export function formatDateTime(iso: string, locale: Locale, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  }).format(d);
}

/** A time of day (e.g. "10:15"), in the kiosk's time zone. */
export function formatTime(iso: string, locale: Locale, timeZone = 'Europe/Amsterdam'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(INTL_LOCALE[locale], { hour: '2-digit', minute: '2-digit', timeZone }).format(d);
}
