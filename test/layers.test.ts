/**
 * The layer table of docs/ARCHITECTURE.md, enforced by dependency-cruiser (.dependency-cruiser.cjs):
 * the tree has no violation, and the check does fail when a lower layer imports a higher one, when
 * the renderer pulls core code into its bundle, or when two modules import each other.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAYERED = ['contract', 'domain', 'state-machines', 'hardware', 'main', 'backoffice', 'renderer', 'scripts', 'test'];

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(paths: string[]): Violation[] {
  const r = spawnSync(path.join(root, 'node_modules/.bin/depcruise'), ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', ...paths], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (!r.stdout) throw new Error(`depcruise failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const probes: string[] = [];
function probe(rel: string, source: string): string {
  writeFileSync(path.join(root, rel), source);
  probes.push(rel);
  return rel;
}
afterEach(() => {
  for (const p of probes.splice(0)) rmSync(path.join(root, p), { force: true, recursive: true });
});

describe('layers (dependency-cruiser)', () => {
  it('the whole tree keeps the layer table: no back-import, no cycle, no orphan', () => {
    const v = cruise(LAYERED);
    expect(v.map((x) => `${x.rule.name}: ${x.from} -> ${x.to}`)).toEqual([]);
  }, 60_000);

  it('fails on a deliberately added back-import (contract -> main, domain -> state-machines)', () => {
    const a = probe('contract/zz-layer-probe.ts', "import type { Kiosk } from '../main/composition.js';\nexport type Probe = Kiosk;\n");
    const b = probe('domain/zz-layer-probe.ts', "import { topUpMachine } from '../state-machines/top-up/top-up-machine.js';\nexport const probe = topUpMachine;\n");
    const v = cruise([a, b]);
    expect(v.some((x) => x.rule.name === 'layer: contract' && x.from === a)).toBe(true);
    expect(v.some((x) => x.rule.name === 'layer: domain' && x.from === b)).toBe(true);
  }, 60_000);

  it('fails when the renderer would bundle zod or when two modules import each other', () => {
    const r = probe('renderer/src/zz-layer-probe.ts', "import { kioskEventSchema } from '../../contract/bridge-events.js';\nexport const probe = kioskEventSchema;\n");
    const dir = mkdtempSync(path.join(root, 'domain', 'zz-cycle-'));
    probes.push(path.relative(root, dir));
    writeFileSync(path.join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = () => b();\n");
    writeFileSync(path.join(dir, 'b.ts'), "import { a } from './a.js';\nexport const b = (): unknown => a;\n");
    const v = cruise([r, path.relative(root, dir)]);
    expect(v.some((x) => x.rule.name.startsWith('renderer: no core libraries') && x.from === r)).toBe(true);
    expect(v.some((x) => x.rule.name === 'no-circular')).toBe(true);
  }, 60_000);
});
