/**
 * Issue 13: the kiosk watches its own health on the real composition (emulated devices, the ZVT
 * driver against the terminal simulator, the SQLite journal, the reference back office), and each
 * tester fault takes away exactly what it must and gives it back when the part returns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testKioskConfig } from '../../test/support/kiosk-config.js';
import type { AnySnapshot } from '../../test/support/snapshot-fields.js';
import { createKiosk, type Kiosk, type TesterFaultName } from '../composition.js';
import type { HealthReport } from '../../contract/health.js';

const dirs: string[] = [];
const kiosks: Kiosk[] = [];
afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function makeKiosk() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-health-'));
  dirs.push(dataDir);
  const config = testKioskConfig(dataDir, 'silent', {
    hardware: { payment: { promptDelayMs: 5, commitWindowMs: 60_000, t3Ms: 300 } },
    health: { checkIntervalMs: 250, probeTimeoutMs: 400 },
  });
  const kiosk = await createKiosk(config, { logger: pino({ level: 'silent' }) });
  kiosks.push(kiosk);
  const snaps: AnySnapshot[] = [];
  kiosk.bridge.subscribe((s) => snaps.push(s));
  await kiosk.start();
  const last = () => snaps[snaps.length - 1]!;
  const waitFor = async <T>(get: () => T, ok: (v: T) => boolean, what: string, ms = 8000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = get();
      if (ok(v)) return v;
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const screen = (id: string) => waitFor(last, (s) => s.screen === id && !s.busy, `screen ${id}`);
  const health = (ok: (h: HealthReport) => boolean, what: string) => waitFor(() => kiosk.health(), ok, what);
  const fault = (f: TesterFaultName, on: boolean) => kiosk.tester!.setFault(f, on);
  return { kiosk, last, screen, health, fault };
}

describe('health: tester faults and recovery on the real composition', () => {
  it('reader gone: out of service at the start screen, no card taken; back in service when it returns', async () => {
    const k = await makeKiosk();
    await k.screen('start');
    await k.fault('card-reader', true);
    await k.screen('out-of-service');
    expect(k.kiosk.health().availability.outOfService).toEqual(['card-reader']);
    expect(k.kiosk.health().testerFaults).toEqual(['card-reader']);
    expect(k.kiosk.bridge.send({ type: 'START' })).toMatchObject({ ok: false, error: 'not-allowed-now' });
    // The traveller may still read it in their language.
    expect(k.kiosk.bridge.send({ type: 'SET_LOCALE', locale: 'de' })).toEqual({ ok: true });
    await k.fault('card-reader', false);
    await k.screen('start');
    expect(k.kiosk.health().availability.outOfService).toEqual([]);
  });

  it('terminal gone: the menu leaves top-up out and says why, orders still offered; top-up returns with the terminal', async () => {
    const k = await makeKiosk();
    await k.health((h) => h.parts.paymentTerminal.state === 'ready', 'terminal ready');
    await k.fault('payment-terminal', true);
    await k.health((h) => h.availability.topUp === 'payment-terminal', 'top-up withdrawn');
    expect(k.kiosk.bridge.send({ type: 'START' })).toEqual({ ok: true });
    await k.screen('present-card');
    await k.kiosk.tester!.card!.present('personal-products');
    const menu = await k.screen('menu');
    expect(menu.menu).not.toContain('topup');
    expect(menu.menu).toContain('collect-orders');
    expect((menu as { notOffered?: unknown }).notOffered).toEqual([{ option: 'topup', reason: 'payment-terminal' }]);
    expect(k.kiosk.bridge.send({ type: 'CHOOSE', option: 'topup' })).toMatchObject({ ok: false });
    k.kiosk.bridge.send({ type: 'FINISH' });
    await k.screen('start');

    await k.fault('payment-terminal', false);
    await k.health((h) => h.availability.topUp === null, 'top-up back');
    k.kiosk.bridge.send({ type: 'START' });
    await k.kiosk.tester!.card!.remove();
    await k.kiosk.tester!.card!.present('personal-products');
    const again = await k.screen('menu');
    expect(again.menu).toContain('topup');
    expect((again as { notOffered?: unknown }).notOffered).toBeUndefined();
  });

  it('disk full: the journal cannot be written, out of service; back when space returns', async () => {
    const k = await makeKiosk();
    await k.screen('start');
    const r = await k.fault('disk-full', true);
    expect(r.parts.journal).toMatchObject({ ok: false, writable: false, freeBytes: 0 });
    await k.screen('out-of-service');
    expect(k.kiosk.health().availability.outOfService).toEqual(['journal-unwritable']);
    await k.fault('disk-full', false);
    await k.screen('start');
  });

  it('back office gone: no order collection (top-up still offered); orders return with it', async () => {
    const k = await makeKiosk();
    await k.health((h) => h.parts.backOffice.ok && h.parts.blockedList.version !== undefined, 'back office seen');
    const r = await k.fault('backoffice', true);
    expect(r.availability).toEqual({ outOfService: [], topUp: null, collectOrders: 'backoffice' });
    expect(r.parts.backOffice.ok).toBe(false);
    k.kiosk.bridge.send({ type: 'START' });
    await k.kiosk.tester!.card!.present('personal-products');
    const menu = await k.screen('menu');
    expect(menu.menu).toContain('topup');
    expect(menu.menu).not.toContain('collect-orders');
    expect((menu as { notOffered?: unknown }).notOffered).toEqual([{ option: 'collect-orders', reason: 'backoffice' }]);
    k.kiosk.bridge.send({ type: 'FINISH' });
    await k.fault('backoffice', false);
    await k.health((h) => h.availability.collectOrders === null && h.parts.backOffice.lastContact !== undefined, 'orders back');
  });
});
