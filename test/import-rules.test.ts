/**
 * The import rules of docs/ARCHITECTURE.md, checked on the source: a rule that is only written
 * down is soon broken.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function files(dir: string, out: string[] = []): string[] {
  const abs = path.join(root, dir);
  let names: string[];
  try {
    names = readdirSync(abs);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) files(rel, out);
    else if (/\.(ts|tsx|cts|mts)$/.test(name) && !/\.d\.ts$/.test(name)) out.push(rel);
  }
  return out;
}

const isTest = (f: string) => /\.test\.tsx?$|test-harness\.ts$|test-support|\/testing\//.test(f);

interface Import {
  spec: string;
  typeOnly: boolean;
  /** Resolved path relative to the repo root, for relative specifiers. */
  target?: string;
}

function imports(file: string): Import[] {
  const src = readFileSync(path.join(root, file), 'utf8');
  const out: Import[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) {
    const spec = m[4]!;
    const typeOnly = Boolean(m[2]);
    const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : undefined;
    out.push({ spec, typeOnly, ...(target ? { target } : {}) });
  }
  for (const m of src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = m[1]!;
    const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(file), spec)) : undefined;
    out.push({ spec, typeOnly: false, ...(target ? { target } : {}) });
  }
  return out;
}

describe('import rules', () => {
  it('state-machines/ imports no driver, service or shell: only xstate, itself and the shared contracts', () => {
    const allowed = [/^state-machines\//, /^main\/core\/contract\.js$/, /^hardware\/card\/card-model\.js$/, /^hardware\/payment\/payment-terminal\.js$/];
    const bad: string[] = [];
    for (const f of files('state-machines').filter((f) => !isTest(f))) {
      for (const i of imports(f)) {
        if (i.spec === 'xstate') continue;
        if (i.target && allowed.some((a) => a.test(i.target!))) continue;
        bad.push(`${f} -> ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("only main/electron/ imports 'electron'", () => {
    const bad: string[] = [];
    for (const dir of ['main', 'hardware', 'state-machines', 'renderer', 'backoffice', 'scripts'])
      for (const f of files(dir).filter((f) => !isTest(f) && !f.startsWith('main/electron/')))
        for (const i of imports(f)) if (i.spec === 'electron' || i.spec.startsWith('electron/')) bad.push(f);
    expect(bad).toEqual([]);
  });

  it('renderer/ takes from the rest of the repo only types, texts and leaf modules (no core code in the bundle)', () => {
    // A leaf module imports nothing itself (plain constants and pure helpers, such as the card
    // model's limits or the fixture card ids), so bundling it brings no core code along.
    const isLeaf = (target: string) => {
      const ts = target.replace(/\.js$/, '.ts');
      try {
        return imports(ts).length === 0;
      } catch {
        return false;
      }
    };
    const bad: string[] = [];
    for (const f of files('renderer').filter((f) => !isTest(f)))
      for (const i of imports(f)) {
        if (!i.target || i.typeOnly || i.target.startsWith('renderer/')) continue;
        if (/^locales\/[a-z]{2}\.json$/.test(i.target) || isLeaf(i.target)) continue;
        bad.push(`${f} -> ${i.spec}`);
      }
    expect(bad).toEqual([]);
  });

  it('hardware/ depends on nothing in main/ but the clock', () => {
    const bad: string[] = [];
    for (const f of files('hardware').filter((f) => !isTest(f)))
      for (const i of imports(f)) if (i.target?.startsWith('main/') && i.target !== 'main/core/clock.js') bad.push(`${f} -> ${i.spec}`);
    expect(bad).toEqual([]);
  });

  it('shells (main/electron, main/host) reach the kiosk only through the composition root and the contracts', () => {
    const driverCode = /^hardware\/(card|payment)\/(emulated|zvt|pcsc|wire)\/|^hardware\/card\/emulated-reader\.js$|^main\/(services|journal|uploader|backoffice-client)\/|^state-machines\//;
    const bad: string[] = [];
    for (const dir of ['main/electron', 'main/host'])
      for (const f of files(dir).filter((f) => !isTest(f)))
        for (const i of imports(f)) if (i.target && !i.typeOnly && driverCode.test(i.target)) bad.push(`${f} -> ${i.spec}`);
    expect(bad).toEqual([]);
  });
});
