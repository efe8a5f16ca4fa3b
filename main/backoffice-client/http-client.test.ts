import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulatedTime } from '../../contract/time.js';
import { createHttpBackOfficeClient } from './http-client.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('blocked-card list refresh on the time port', () => {
  it('asks at once, then once per interval on the port timers, and not at all after stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blocked-refresh-'));
    dirs.push(dir);
    const time = simulatedTime('2026-11-30T10:00:00Z');
    const asked: string[] = [];
    const client = createHttpBackOfficeClient({
      baseUrl: 'http://back-office.invalid',
      kioskId: 'kiosk-1',
      secret: 's'.repeat(32),
      clock: time,
      time,
      blockedCachePath: join(dir, 'blocked.json'),
      fetch: async (url) => {
        asked.push(String(url));
        return new Response(JSON.stringify({ version: asked.length, changes: [], more: false, reset: false }), { status: 200 });
      },
    });
    const errors: unknown[] = [];
    const settle = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    const stop = client.startBlockedListRefresh(60_000, (e) => errors.push(e));
    await settle();
    expect(asked).toHaveLength(1);
    time.advance(59_999);
    await settle();
    expect(asked).toHaveLength(1);
    time.advance(1);
    await settle();
    expect(asked).toHaveLength(2);
    expect(asked[1]).toContain('/blocked?since=1');
    // Two intervals at once: the second tick finds the first request still running and skips.
    time.advance(2 * 60_000);
    await settle();
    expect(asked).toHaveLength(3);
    time.advance(60_000);
    await settle();
    expect(asked).toHaveLength(4);
    stop();
    expect(time.pending()).toBe(0);
    time.advance(10 * 60_000);
    await settle();
    expect(asked).toHaveLength(4);
    expect(errors).toEqual([]);
  });
});
