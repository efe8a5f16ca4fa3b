import { describe, expect, it } from 'vitest';
import { formatDate, formatMoney, formatSignedMoney } from './format.js';

// Intl uses no-break spaces: U+00A0 and, for French grouping, U+202F.
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('formatMoney', () => {
  it('formats euro amounts the way each language writes them', () => {
    expect(norm(formatMoney(123450, 'nl'))).toBe('€ 1.234,50');
    expect(norm(formatMoney(123450, 'de'))).toBe('1.234,50 €');
    expect(norm(formatMoney(123450, 'fr'))).toBe('1 234,50 €');
    expect(norm(formatMoney(123450, 'en'))).toBe('€1,234.50');
  });

  it('shows negative balances and whole cents exactly (integer cents in, no float drift)', () => {
    expect(norm(formatMoney(-235, 'nl'))).toBe('€ -2,35');
    expect(norm(formatMoney(1, 'en'))).toBe('€0.01');
    expect(norm(formatMoney(15000, 'de'))).toBe('150,00 €');
  });
});

describe('formatSignedMoney (issue 14: fares with a sign)', () => {
  it('writes money taken off with a minus, money put on with a plus, and nothing without a sign', () => {
    expect(norm(formatSignedMoney(-905, 'nl'))).toBe('€ -9,05');
    expect(norm(formatSignedMoney(2000, 'nl'))).toBe('€ +20,00');
    expect(norm(formatSignedMoney(0, 'nl'))).toBe('€ 0,00');
    expect(norm(formatSignedMoney(-905, 'en'))).toBe('-€9.05');
    expect(norm(formatSignedMoney(2000, 'de'))).toBe('+20,00 €');
    expect(norm(formatSignedMoney(-905, 'fr'))).toBe('-9,05 €');
  });
});

describe('formatDate', () => {
  it('formats a calendar date per language without shifting it by a time zone', () => {
    expect(formatDate('2026-03-01', 'nl')).toBe('1 maart 2026');
    expect(formatDate('2026-03-01', 'en')).toBe('1 March 2026');
    expect(formatDate('2026-03-01', 'de')).toBe('1. März 2026');
    expect(formatDate('2026-03-01', 'fr')).toBe('1 mars 2026');
  });

  it('returns the input unchanged for something that is not a date', () => {
    expect(formatDate('not a date', 'nl')).toBe('not a date');
  });
});
