import { describe, expect, it } from 'vitest';
import { simulatedTime } from '../../contract/time.js';
import { createHealthMonitor, type HealthMonitorDeps } from './health-monitor.js';
import { BackOfficeBusyError } from '../backoffice-client/http-client.js';

function monitor(chainAtStart?: HealthMonitorDeps['chainAtStart']) {
  let verified = 0;
  const m = createHealthMonitor({
    time: simulatedTime('2026-11-30T08:00:00Z'),
    reader: { subscribe: () => () => undefined },
    terminal: { status: async () => 'ready' },
    journal: { verifyChain: () => (verified++, { ok: true }) },
    journalFile: '/dev/null',
    dataDir: '/tmp',
    refreshBlockedList: async () => ({ version: 1 }),
    policy: { blockedList: { maxAgeMs: 3_600_000, whenStale: 'serve' } },
    checkIntervalMs: 10_000,
    chainCheckIntervalMs: 3_600_000,
    probeTimeoutMs: 1_000,
    minFreeBytes: 0,
    freeBytes: () => 1e12,
    ...(chainAtStart ? { chainAtStart } : {}),
  });
  return { m, verified: () => verified };
}

describe('health monitor: the journal chain at start', () => {
  it('takes the start-up check as its first chain check: a start verifies the whole journal once, not twice', async () => {
    const { m, verified } = monitor({ ok: true });
    m.start();
    await m.checkNow();
    expect(verified()).toBe(0);
    m.stop();
  });

  it('a broken chain found at start-up puts the kiosk out of service from the first check, without verifying again', async () => {
    const { m, verified } = monitor({ ok: false, firstBad: { seq: 7, reason: 'bad-hmac' } });
    m.start();
    await m.checkNow();
    m.stop();
    expect(verified()).toBe(0);
    expect(m.report().availability.outOfService).toContain('journal-chain');
    expect(m.report().parts.journal.detail).toBe('chain broken at 7: bad-hmac');
  });

  it('without a start-up result it verifies the chain itself on its first check', async () => {
    const { m, verified } = monitor();
    m.start();
    await m.checkNow();
    expect(verified()).toBeGreaterThanOrEqual(1);
    m.stop();
  });
});

describe('health monitor: a back office that sheds the blocked-list poll', () => {
  it('counts a busy answer (503 + Retry-After) as reachable, not as an outage, while the list keeps its age and still goes stale', async () => {
    const time = simulatedTime('2026-12-01T08:00:00Z');
    let busy = false;
    const m = createHealthMonitor({
      time,
      reader: { subscribe: () => () => undefined },
      terminal: { status: async () => 'ready' },
      journal: { verifyChain: () => ({ ok: true }) },
      journalFile: '/dev/null',
      dataDir: '/tmp',
      refreshBlockedList: async () => {
        if (busy) throw new BackOfficeBusyError('back office busy (HTTP 503 overloaded): /blocked asked again in 6000 ms', 6000);
        return { version: 3 };
      },
      policy: { blockedList: { maxAgeMs: 60_000, whenStale: 'out-of-service' } },
      checkIntervalMs: 10_000,
      chainCheckIntervalMs: 3_600_000,
      probeTimeoutMs: 1_000,
      minFreeBytes: 0,
      freeBytes: () => 1e12,
      chainAtStart: { ok: true },
    });
    await m.checkNow();
    expect(m.report().parts.backOffice.ok).toBe(true);
    busy = true;
    time.advance(30_000);
    await m.checkNow();
    expect(m.report().parts.backOffice).toMatchObject({ ok: true, detail: expect.stringContaining('busy') });
    expect(m.report().availability.collectOrders).toBeNull();
    // Fail closed as before: a list not refreshed for longer than maxAgeMs is stale, busy or not.
    time.advance(31_000);
    await m.checkNow();
    expect(m.report().parts.blockedList.ok).toBe(false);
    expect(m.report().availability.outOfService).toContain('blocked-list-stale');
  });
});
