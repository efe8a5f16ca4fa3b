/**
 * The ECR driver against recorded terminal traffic (fixtures/*.json, recorded from the simulator
 * by testing/recorded-scenarios.ts): the driver must send exactly the bytes the ECR sent when the
 * recording was made and come to the same result. ZVT_RECORD=1 re-records the fixtures first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayLink, type ZvtFixture } from './recording-link.js';
import { FIXTURE_DIR, SCENARIOS, recordScenario, recordedDriver, writeFixture } from './testing/recorded-scenarios.js';

const RECORD = process.env.ZVT_RECORD === '1';
const load = (name: string): ZvtFixture => JSON.parse(readFileSync(path.join(FIXTURE_DIR, `${name}.json`), 'utf8')) as ZvtFixture;
const never = new Promise<never>(() => undefined);

describe('ECR driver replayed against recorded terminal traffic', () => {
  for (const s of SCENARIOS)
    it(`${s.name}: the driver sends exactly the recorded ECR bytes and comes to the recorded result`, async () => {
      if (RECORD) {
        const { fixture, result } = await recordScenario(s);
        expect(result).toEqual(s.expected);
        writeFixture(fixture);
      }
      const fixture = load(s.name);
      const link = replayLink(fixture);
      const decisions: string[] = [];
      const driver = recordedDriver(link, decisions);
      try {
        await driver.start();
        // a mismatch rejects link.done at once, while the driver would only stall
        const result = await Promise.race([s.run(driver), link.done.then(() => never)]);
        await link.done;
        expect(result).toEqual(s.expected);
        expect(link.remaining()).toBe(0);
        expect(link.mismatch()).toBeUndefined();
      } finally {
        await driver.stop();
      }
    });

  it('a driver that sends something else fails the replay, naming the byte', async () => {
    const fixture = load('approved-commit');
    const link = replayLink(fixture);
    link.write(Uint8Array.of(0x10, 0x02, 0x06, 0x01)); // an authorization where the recording registers first
    await expect(link.done).rejects.toThrow(/driver sent 01 at byte 3/);
  });

  it('the fixtures hold both sides: registration, the authorization and the terminal\'s Completion or Abort', () => {
    const ecr = (f: ZvtFixture) => f.chunks.filter((c) => c.from === 'ecr').map((c) => c.bytes).join(' | ');
    const pt = (f: ZvtFixture) => f.chunks.filter((c) => c.from === 'terminal').map((c) => c.bytes).join(' | ');
    const commit = load('approved-commit');
    expect(ecr(commit)).toMatch(/^10 02 06 00 /); // registration first
    expect(ecr(commit)).toContain('10 02 06 01 '); // authorization
    expect(ecr(commit)).toContain('10 02 80 00 00 10 03'); // the commit answer to 04 0F
    expect(pt(commit)).toContain('10 02 04 0F '); // Status-Information
    expect(pt(commit)).toContain('10 02 06 0F '); // Completion: booked
    expect(pt(load('declined'))).toContain('10 02 06 1E 01 05'); // Abort, result 05 declined
  });
});
