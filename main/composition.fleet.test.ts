/**
 * Issue 13 wiring in the composition root: an emulated kiosk's embedded back office holds the
 * fixture technicians (T-0002 revoked), the kiosk syncs that list into its data directory (0600)
 * and exposes it as `technicianList.current()`, and its heartbeat reaches the back office's fleet
 * view with its backlog and versions.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testKioskConfig } from '../test/support/kiosk-config.js';
import { openStore } from '../backoffice/store.js';
import { FIXTURE_TECHNICIANS } from '../contract/fixture-technicians.js';
import { systemClock } from '../contract/time.js';
import { createKiosk, type Kiosk } from './composition.js';

const dirs: string[] = [];
const kiosks: Kiosk[] = [];
afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until<T>(f: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('createKiosk wires the technician list and the heartbeat (issue 13)', () => {
  it('syncs the embedded back office fixture technicians and reports a heartbeat to it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-fleet-'));
    dirs.push(dataDir);
    const config = testKioskConfig(dataDir, 'silent', {});
    const kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
    kiosks.push(kiosk);
    expect(kiosk.technicianList.current()).toBeUndefined();
    await kiosk.start();
    const list = await until(() => kiosk.technicianList.current(), 'the technician list');
    const byId = Object.fromEntries(list.technicians.map((t) => [t.technicianId, t.revoked]));
    expect(byId).toEqual({ [FIXTURE_TECHNICIANS.technician.technicianId]: false, [FIXTURE_TECHNICIANS['technician-revoked'].technicianId]: true });
    expect(kiosk.technicianList.status()).toMatchObject({ version: list.version, technicians: 2 });
    expect(statSync(path.join(dataDir, 'technicians.json')).mode & 0o777).toBe(0o600);
    // The health report carries it for the dashboard.
    expect(kiosk.health().parts.technicianList).toMatchObject({ ok: true, version: list.version });

    const bo = openStore(path.join(dataDir, 'backoffice.sqlite'), systemClock);
    try {
      let view = await bo.fleet.view([]);
      for (let i = 0; i < 200 && view.kiosks.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        view = await bo.fleet.view([]);
      }
      expect(view.kiosks).toHaveLength(1);
      expect(view.kiosks[0]).toMatchObject({ kioskId: config.kioskId, silent: false, behind: false });
      expect(view.kiosks[0]!.heartbeat!.versions.software).toMatch(/^\d+\.\d+\.\d+/);
      expect(view.kiosks[0]!.heartbeat!.backlog.lastSeq).toBeGreaterThanOrEqual(0);
    } finally {
      bo.close();
    }
  });
});
