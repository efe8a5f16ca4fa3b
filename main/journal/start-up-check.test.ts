/**
 * The chain check at start-up, through the real composition on emulated hardware: a journal edited
 * on disk stops money (no top-up, no order collection in the menu) and is reported in the log and
 * in the journal; an intact journal changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { testKioskConfig } from '../../test/support/kiosk-config.js';
import type { AnySnapshot } from '../../test/support/snapshot-fields.js';
import { createKiosk, type Kiosk } from '../composition.js';
import { fixedClock } from '../../contract/time.js';
import { openJournal } from './sqlite-journal.js';
import { checkChainAtStartUp } from './start-up-check.js';

const dirs: string[] = [];
const kiosks: Kiosk[] = [];
afterEach(async () => {
  for (const k of kiosks.splice(0)) await k.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function startKiosk(dataDir: string) {
  const config = testKioskConfig(dataDir, 'silent');
  const logLines: string[] = [];
  const logger = pino({ level: 'info', base: {} }, { write: (s: string) => void logLines.push(s) });
  const kiosk = await createKiosk(config, { logger });
  kiosks.push(kiosk);
  const snaps: AnySnapshot[] = [];
  kiosk.bridge.subscribe((s) => snaps.push(s));
  await kiosk.start();
  const until = async (pred: (s: AnySnapshot) => boolean, what: string, ms = 15_000) => {
    const t0 = Date.now();
    while (!pred(snaps.at(-1)!)) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; screen is ${snaps.at(-1)!.screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return snaps.at(-1)!;
  };
  /** The menu the anonymous fixture card gets. */
  const menuScreen = async () => {
    kiosk.bridge.send({ type: 'START' });
    await until((s) => s.screen === 'present-card' && !s.busy, 'present-card');
    await kiosk.tester!.card!.present('anonymous');
    return until((s) => s.screen === 'menu' && !s.busy, 'menu');
  };
  const menu = async () => (await menuScreen()).menu;
  return { kiosk, config, logLines, menu, menuScreen };
}

function journalOf(dataDir: string, kioskId: string) {
  const secret = readFileSync(path.join(dataDir, 'kiosk-secret'), 'utf8').trim();
  return openJournal({ path: path.join(dataDir, 'journal.sqlite'), kioskId, hmacKey: secret, clock: fixedClock('2026-11-23T08:00:00Z') });
}

/** A first run leaves a secret and a journal with a few records in the data directory. */
async function usedDataDir(): Promise<{ dataDir: string; kioskId: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-chain-'));
  dirs.push(dataDir);
  const first = await startKiosk(dataDir);
  await first.kiosk.stop();
  kiosks.splice(kiosks.indexOf(first.kiosk), 1);
  const j = journalOf(dataDir, first.config.kioskId);
  for (let i = 0; i < 3; i++) j.append({ type: 'kiosk.note', operationId: `before-${i}`, amountCents: 100 * i });
  j.close();
  return { dataDir, kioskId: first.config.kioskId };
}

describe('journal chain checked at start-up', () => {
  it('an intact journal: the kiosk offers top-up and order collection as configured', async () => {
    const { dataDir } = await usedDataDir();
    const k = await startKiosk(dataDir);
    expect(await k.menu()).toEqual(expect.arrayContaining(['topup', 'collect-orders']));
    expect(k.logLines.join('')).not.toContain('journal chain broken');
  });

  it('a record edited on disk: no top-up (the traveller is told why), no collection; the log and the journal say why', async () => {
    const { dataDir, kioskId } = await usedDataDir();
    const db = new Database(path.join(dataDir, 'journal.sqlite'));
    db.exec('DROP TRIGGER records_no_update');
    db.prepare('UPDATE records SET amount_cents = 99999 WHERE seq = 2').run();
    db.close();

    const k = await startKiosk(dataDir);
    const screen = await k.menuScreen();
    const menu = screen.menu;
    // The traveller is told why there is no top-up (the "cannot record payments safely" text).
    expect((screen as { notOffered?: unknown }).notOffered).toEqual(expect.arrayContaining([{ option: 'topup', reason: 'journal-unavailable' }]));
    expect(menu).not.toContain('topup');
    expect(menu).not.toContain('collect-orders');
    expect(menu).not.toContain('station-passage');
    expect(menu).toContain('balance'); // what moves no money stays

    const log = k.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).includes('journal chain broken'));
    expect(log).toMatchObject({ level: 50, firstBadSeq: 2, reason: 'hash-mismatch' });

    await k.kiosk.stop();
    const j = journalOf(dataDir, kioskId);
    const notes = j.recordsOfType(['kiosk.note']).filter((r) => r.data?.event === 'journal-chain-broken');
    j.close();
    expect(notes).toHaveLength(1);
    expect(notes[0]!.data).toMatchObject({ firstBadSeq: 2, reason: 'hash-mismatch', money: 'stopped' });
  });

  it('checkChainAtStartUp reports nothing and stops nothing for a chain that verifies', () => {
    const j = openJournal({ path: ':memory:', kioskId: 'k', hmacKey: 'test-kiosk-secret-0123456789', clock: fixedClock('2026-11-23T08:00:00Z') });
    j.append({ type: 'kiosk.note', operationId: 'n' });
    const logged: string[] = [];
    expect(checkChainAtStartUp(j, (m) => logged.push(m), 'x').moneyStopped).toBe(false);
    expect(logged).toEqual([]);
    expect(j.counts().lastSeq).toBe(1);
    j.close();
  });
});
