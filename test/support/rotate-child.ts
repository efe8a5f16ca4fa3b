/**
 * Child process for test/attacks/key-rotation.test.ts: opens a kiosk's key ring and journal from
 * its data directory as createKiosk does, journals one record, and rotates its key against the
 * back office, SIGKILLing itself right after the step named in ROTATE_KILL_AT (a real kill: no
 * finally block, no close, nothing flushed that was not already durable).
 * Env: ROTATE_CHILD = JSON { url, caFile, dataDir, kioskId, at }.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixedClock } from '../../contract/time.js';
import { openKeyRing, rotateKeyRing, type RotationStep } from '../../main/backoffice-client/key-ring.js';
import { openJournal } from '../../main/journal/sqlite-journal.js';

const a = JSON.parse(process.env['ROTATE_CHILD']!) as { url: string; caFile: string; dataDir: string; kioskId: string; at: string };
const killAt = process.env['ROTATE_KILL_AT'] as RotationStep;
const clock = fixedClock(a.at);
const original = readFileSync(path.join(a.dataDir, 'kiosk-secret'), 'utf8').trim();
const ring = openKeyRing(a.dataDir, original);
const journal = openJournal({ path: path.join(a.dataDir, 'journal.sqlite'), kioskId: a.kioskId, hmacKey: original, recordKeys: ring, clock });
journal.append({ type: 'kiosk.note', operationId: 'child-before-rotation' });
await rotateKeyRing({
  ring,
  baseUrl: a.url,
  caPem: readFileSync(a.caFile),
  kioskId: a.kioskId,
  clock,
  keyIdsInUse: () => journal.keyIdsInUse(),
  step: (s) => {
    if (s === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write('rotation finished without being killed\n');
