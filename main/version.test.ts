import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KIOSK_VERSION, resolveKioskVersion } from './version.js';

const dirs: string[] = [];
function fakeInstall(buildInfo?: unknown): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kiosk-version-'));
  dirs.push(root);
  writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'ns-station-kiosk', version: '1.2.3' }));
  mkdirSync(path.join(root, 'dist', 'host'), { recursive: true });
  mkdirSync(path.join(root, 'main'), { recursive: true });
  if (buildInfo !== undefined) writeFileSync(path.join(root, 'dist', 'build-info.json'), JSON.stringify(buildInfo));
  return root;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('kiosk version and build', () => {
  it('from source: the package version and the git commit of this tree', () => {
    expect(KIOSK_VERSION.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(KIOSK_VERSION.build).toMatch(/^([0-9a-f]{12}|dev)$/);
    expect(KIOSK_VERSION.builtAt).toBeNull();
  });

  it('compiled: the build written at build time in dist/build-info.json', () => {
    const root = fakeInstall({ version: '1.2.3', build: '0123456789ab-dirty', commit: '0123456789abcdef0123456789abcdef01234567', builtAt: '2026-11-30T12:00:00.000Z' });
    expect(resolveKioskVersion(path.join(root, 'dist', 'host'))).toEqual({ version: '1.2.3', build: '0123456789ab-dirty', builtAt: '2026-11-30T12:00:00.000Z' });
  });

  it('compiled with a missing or forged build-info: build "unknown", never a made-up build', () => {
    const missing = fakeInstall();
    expect(resolveKioskVersion(path.join(missing, 'dist', 'host'))).toEqual({ version: '1.2.3', build: 'unknown', builtAt: null });
    const forged = fakeInstall({ version: '1.2.3', build: '$(rm -rf /)', commit: null, builtAt: 'yesterday' });
    expect(resolveKioskVersion(path.join(forged, 'dist', 'host')).build).toBe('unknown');
  });

  it('a module outside any kiosk package: version 0.0.0, build unknown', () => {
    expect(resolveKioskVersion(tmpdir())).toEqual({ version: '0.0.0', build: 'unknown', builtAt: null });
  });
});
