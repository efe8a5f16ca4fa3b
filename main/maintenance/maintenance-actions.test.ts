/**
 * Issue 13: the dashboard's actions on real parts (the ZVT driver against the terminal simulator,
 * the SQLite journal): end-of-day shows the total the terminal booked, which matches the
 * terminal's own ledger; every action and its outcome is journaled as maintenance.action.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../contract/time.js';
import { createPaymentHardware, type PaymentHardware } from '../../hardware/payment/index.js';
import { openJournal, type SqliteJournal } from '../journal/sqlite-journal.js';
import { createMaintenanceActions, maintenanceTerminal } from './maintenance-actions.js';

let hw: PaymentHardware | undefined;
let journal: SqliteJournal | undefined;
let dir: string | undefined;
afterEach(async () => {
  await hw?.stop();
  journal?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  hw = journal = dir = undefined;
});

async function setup(drainUploads: () => Promise<unknown> = async () => undefined) {
  dir = mkdtempSync(path.join(tmpdir(), 'maint-actions-'));
  journal = openJournal({ path: path.join(dir, 'j.sqlite'), kioskId: 'kiosk-t', hmacKey: 'k'.repeat(32), clock: systemClock });
  hw = await createPaymentHardware({ mode: 'emulated', promptDelayMs: 1, commitWindowMs: 60_000 }, { clock: systemClock });
  let n = 0;
  let oos: string | undefined;
  const actions = createMaintenanceActions({
    journal,
    terminal: maintenanceTerminal(hw),
    drainUploads,
    pendingUploads: () => 0,
    setOutOfService: (r) => (oos = r),
    newOperationId: () => `maint-${++n}`,
  });
  return { actions, journal, hw, outOfService: () => oos };
}

describe('maintenance actions', () => {
  it('end-of-day shows the total the terminal booked, equal to its ledger, and journals it', async () => {
    const k = await setup();
    for (const [id, cents] of [
      ['aaaaaaaa-00000000-00000000-00000001', 1000],
      ['aaaaaaaa-00000000-00000000-00000002', 2500],
    ] as const) {
      const r = await k.hw.terminal.authorize({ paymentId: id, amountCents: cents });
      expect(r.result).toBe('approved');
      await k.hw.terminal.commit(id);
    }
    const ledgerTotal = k.hw.control!.ledger().filter((e) => e.state === 'committed').reduce((s, e) => s + e.amountCents, 0);
    expect(ledgerTotal).toBe(3500);
    const r = await k.actions.run({ technicianId: 'tech-7', action: 'terminal-end-of-day' });
    expect(r).toMatchObject({ action: 'terminal-end-of-day', outcome: 'ok', detail: { totalCents: ledgerTotal } });
    const rec = k.journal.recordsOfType(['maintenance.action'])[0]!;
    expect(rec.data).toMatchObject({ technicianId: 'tech-7', action: 'terminal-end-of-day', outcome: 'ok', totalCents: 3500 });
  });

  it('diagnosis, status, registration, chain check and the out-of-service switch each give a result and a record', async () => {
    const k = await setup();
    expect(await k.actions.run({ technicianId: 't', action: 'terminal-diagnosis' })).toMatchObject({ outcome: 'ok' });
    expect(await k.actions.run({ technicianId: 't', action: 'terminal-status' })).toMatchObject({ outcome: 'ok', detail: { state: 'ready' } });
    expect(await k.actions.run({ technicianId: 't', action: 'terminal-register' })).toMatchObject({ outcome: 'ok' });
    expect(await k.actions.run({ technicianId: 't', action: 'journal-verify' })).toMatchObject({ outcome: 'ok' });
    expect(await k.actions.run({ technicianId: 't', action: 'out-of-service', reason: 'coin jam' })).toMatchObject({ outcome: 'ok' });
    expect(k.outOfService()).toBe('coin jam');
    await k.actions.run({ technicianId: 't', action: 'back-in-service' });
    expect(k.outOfService()).toBeUndefined();
    expect(k.journal.recordsOfType(['maintenance.action']).map((r) => [r.data?.['technicianId'], r.data?.['action'], r.data?.['outcome']])).toEqual(
      ['back-in-service', 'out-of-service', 'journal-verify', 'terminal-register', 'terminal-status', 'terminal-diagnosis'].map((a) => ['t', a, 'ok']),
    );
  });

  it('an action that throws with a card number in its message: failed, journaled, the number masked (the journal would refuse it)', async () => {
    const k = await setup(async () => {
      throw new Error('upload failed for card 3528010000000017 (pan 4111111111111111)');
    });
    const r = await k.actions.run({ technicianId: 't', action: 'upload-now' });
    expect(r).toMatchObject({ outcome: 'failed', detail: { error: 'upload failed for card … (pan …)' } });
    expect(k.journal.recordsOfType(['maintenance.action'])[0]!.data).toMatchObject({ action: 'upload-now', outcome: 'failed', error: 'upload failed for card … (pan …)' });
  });

  it('a terminal that is not registered: end-of-day fails with a result, journaled as failed, nothing thrown', async () => {
    const k = await setup();
    k.hw.control!.setBehaviour('not-registered');
    const r = await k.actions.run({ technicianId: 't', action: 'terminal-end-of-day' });
    expect(r.outcome).toBe('failed');
    expect(k.journal.recordsOfType(['maintenance.action'])[0]!.data).toMatchObject({ action: 'terminal-end-of-day', outcome: 'failed' });
  });
});
