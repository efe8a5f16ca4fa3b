// The four locale files must stay in step: same keys (plural forms per language aside), the
// plural forms each language needs, the same {{placeholders}}, and no empty texts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = path.dirname(fileURLToPath(import.meta.url));
const LANGS = ['nl', 'en', 'de', 'fr'] as const;
type Lang = (typeof LANGS)[number];
const PLURAL_SUFFIXES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;
const PLURAL_RE = new RegExp(`_(${PLURAL_SUFFIXES.join('|')})$`);

type Tree = { [k: string]: string | Tree };

export function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv);
  }
  return out;
}

export function loadLocale(lang: Lang): Map<string, string> {
  return flatten(JSON.parse(readFileSync(path.join(dir, `${lang}.json`), 'utf8')) as Tree);
}

const flat = Object.fromEntries(LANGS.map((l) => [l, loadLocale(l)])) as Record<Lang, Map<string, string>>;
const baseKey = (k: string) => k.replace(PLURAL_RE, '');
const baseKeys = (l: Lang) => new Set([...flat[l].keys()].map(baseKey));
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('locale files', () => {
  it.each(LANGS.filter((l) => l !== 'nl'))('%s has exactly the keys nl has (plural suffixes aside)', (lang) => {
    const nl = baseKeys('nl');
    const other = baseKeys(lang);
    expect([...nl].filter((k) => !other.has(k)), `keys missing from ${lang}`).toEqual([]);
    expect([...other].filter((k) => !nl.has(k)), `keys only in ${lang}`).toEqual([]);
  });

  it.each(LANGS)('%s has every plural form its language needs and no others (French: one, many, other)', (lang) => {
    const needed = new Intl.PluralRules(lang).resolvedOptions().pluralCategories.filter((c) => c !== 'zero' || lang === 'fr');
    const pluralBases = new Set([...flat[lang].keys()].filter((k) => PLURAL_RE.test(k)).map(baseKey));
    expect(pluralBases.size).toBeGreaterThan(0);
    for (const b of pluralBases) {
      const have = PLURAL_SUFFIXES.filter((s) => flat[lang].has(`${b}_${s}`));
      expect(have.sort(), `${lang}: ${b}`).toEqual([...needed].sort());
    }
    if (lang === 'fr') expect(needed).toContain('many');
  });

  it('uses the same {{placeholders}} for a key in every language', () => {
    for (const [key, nlText] of flat.nl) {
      const want = placeholders(nlText);
      for (const lang of LANGS) {
        const text = flat[lang].get(key) ?? flat[lang].get(`${baseKey(key)}_other`);
        expect(text, `${lang}: ${key}`).toBeDefined();
        expect(placeholders(text ?? ''), `${lang}: ${key}`).toEqual(want);
      }
    }
  });

  it('has no empty or untranslated-placeholder texts', () => {
    for (const lang of LANGS) {
      for (const [key, text] of flat[lang]) {
        expect(text.trim(), `${lang}: ${key}`).not.toBe('');
        expect(text, `${lang}: ${key}`).not.toMatch(/TODO|FIXME/);
      }
    }
  });
});
