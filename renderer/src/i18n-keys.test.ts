// Every translation key the renderer code names must exist in the locales. Keys are typed from
// nl.json already (tsc fails on an unknown literal); this scan also catches keys in maps and
// casts, and runs without the type checker.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import nl from '../../locales/nl.json';

const srcDir = path.dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

type Tree = { [k: string]: string | Tree };
function flattenKeys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return typeof v === 'string' ? [key] : flattenKeys(v, key);
  });
}

const known = new Set(flattenKeys(nl as Tree));
const namespaces = new Set(Object.keys(nl));
const exists = (key: string) => known.has(key) || known.has(`${key}_one`) || known.has(`${key}_other`);

/** Literal keys passed to t(...), and string literals that start with a locale namespace. */
export function keysUsedIn(source: string): string[] {
  const found = new Set<string>();
  for (const m of source.matchAll(/\bt\(\s*['"]([^'"]+)['"]/g)) found.add(m[1] ?? '');
  for (const m of source.matchAll(/['"]([a-zA-Z]+(?:\.[a-zA-Z0-9-]+)+)['"]/g)) {
    const key = m[1] ?? '';
    if (namespaces.has(key.split('.')[0] ?? '') && !/\.(js|ts|tsx|json|css)$/.test(key)) found.add(key);
  }
  return [...found];
}

describe('renderer translation keys', () => {
  const files = sourceFiles(srcDir);
  const used = files.flatMap((f) => keysUsedIn(readFileSync(f, 'utf8')).map((key) => ({ key, file: path.relative(srcDir, f) })));

  it('finds the keys the screens use (the scan itself works)', () => {
    expect(used.length).toBeGreaterThan(100);
    expect(used.map((u) => u.key)).toContain('payment.reason.declined');
  });

  it('every key named in renderer code exists in the locales', () => {
    const missing = used.filter((u) => !exists(u.key));
    expect(missing).toEqual([]);
  });

  it('the scan flags a key that does not exist', () => {
    const keys = keysUsedIn(`t('menu.title'); const x = 'payment.reason.lost-in-space';`);
    expect(keys.filter((k) => !exists(k))).toEqual(['payment.reason.lost-in-space']);
  });
});
