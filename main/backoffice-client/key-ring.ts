/**
 * The kiosk's key ring (issue 11, key rotation for a running kiosk): which secret seals new journal
 * records and signs back-office requests, and every secret a stored record may name.
 *
 * - The ORIGINAL secret is `kiosk-secret` (enrolled or configured). It is never replaced or
 *   deleted: records written before the kiosk first rotated name no key id and verify under it,
 *   and the card-number hash key is derived from it and from nothing else (docs/security.md:
 *   a card's hash must not change with rotation, or the back office could no longer match the
 *   blocked list or an order's card against the kiosk's journal).
 * - `kiosk-keys.json` (0600, written only by `save`: temp file with O_EXCL, fsync, rename, fsync
 *   of the directory, so a kill leaves either the old or the new ring, never half of one) holds
 *   the rotated keys: `current` (null: still the original), the keys stored records may name, and
 *   a `pending` key the back office answered but has not confirmed yet.
 * - A key is dropped from the ring only when no record in the journal names it any more (records
 *   are deleted only after the back office took them: sqlite-journal.ts purgeDelivered), so a
 *   record sealed under an old key can always be verified at start-up and uploaded.
 *
 * Rotation (rotateKeyRing), each step durable before the next, the old key kept until the back
 * office has confirmed the new one:
 *   1. POST /v1/keys/rotate signed with the current key -> the new secret (enrollment.ts
 *      exchangeRotation); the back office holds it as 'pending' and still accepts the current key;
 *   2. save the ring with the new key as `pending` (the current key unchanged);
 *   3. one request signed with the new key: the back office confirms it (pending -> active, the old
 *      one retired: refused for requests from now on, and for records sealed after it ended);
 *   4. save the ring with the new key `current`: new records name it, requests are signed with it.
 * A kill after 1 leaves a pending key the back office forgets at the next rotation; after 2 or 3
 * the next start resumes at 3 (resumeRotation). A refusal at 1 or 3 changes nothing here.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RecordKeys } from '../../contract/record-crypto.js';
import type { Clock, Time, TimerHandle } from '../../contract/time.js';
import { confirmRotatedKey, EnrollmentError, exchangeRotation } from './enrollment.js';

export const KEY_RING_FILE = 'kiosk-keys.json';

const KeyEntry = z.strictObject({ keyId: z.int().positive().max(2 ** 31 - 1), secret: z.string().regex(/^[0-9a-f]{64}$/) });
const RingFile = z.strictObject({
  version: z.literal(1),
  /** The key new records and requests use; null: the original secret (kiosk-secret). */
  current: z.int().positive().nullable(),
  /** Rotated keys: the current one and every older one a stored record still names. */
  keys: z.array(KeyEntry).max(16),
  /** Answered by the back office, not yet confirmed: never used for a record. */
  pending: KeyEntry.nullable(),
  /** When `current` became current (ISO); null: the original key, aged by kiosk-secret's mtime. */
  currentSince: z.iso.datetime().nullable(),
});
export type KeyRingState = z.infer<typeof RingFile>;

export interface KioskKeyRing extends RecordKeys {
  current(): { keyId: number | undefined; secret: string };
  /** kiosk-secret: original records and the card-number hash key. */
  readonly original: string;
  readonly file: string;
  state(): KeyRingState;
  /** The secret requests are signed with now. */
  requestSecret(): string;
  /** Since when the current key is in use (scheduled rotation by key age). */
  currentSince(): Date;
  /** Replace the ring, durably (0600 temp file, fsync, rename, fsync directory), then in memory. */
  save(next: KeyRingState): void;
}

const EMPTY: KeyRingState = { version: 1, current: null, keys: [], pending: null, currentSince: null };

function check(state: KeyRingState): KeyRingState {
  const s = RingFile.parse(state);
  if (s.current !== null && !s.keys.some((k) => k.keyId === s.current)) throw new Error(`key ring: current key ${s.current} is not in the ring`);
  if (new Set(s.keys.map((k) => k.keyId)).size !== s.keys.length) throw new Error('key ring: a key id twice');
  return s;
}

/**
 * The ring of the kiosk whose data directory is `dataDir` and whose original secret is `original`.
 * A ring file that does not parse is refused, never replaced: records sealed under its keys would
 * no longer verify.
 */
export function openKeyRing(dataDir: string, original: string): KioskKeyRing {
  const file = path.join(dataDir, KEY_RING_FILE);
  rmSync(`${file}.tmp`, { force: true }); // what a kill during save left behind (never renamed: not the ring)
  let state: KeyRingState = EMPTY;
  if (existsSync(file)) {
    try {
      state = check(JSON.parse(readFileSync(file, 'utf8')) as KeyRingState);
    } catch (e) {
      throw new Error(`${file} is not a usable key ring (${(e as Error).message.slice(0, 200)}): refused, not replaced (records sealed with its keys would no longer verify)`);
    }
  }
  const secretOf = (keyId: number) => state.keys.find((k) => k.keyId === keyId)?.secret;
  const ring: KioskKeyRing = {
    original,
    file,
    state: () => structuredClone(state),
    current: () => (state.current === null ? { keyId: undefined, secret: original } : { keyId: state.current, secret: secretOf(state.current)! }),
    lookup: (keyId) => (keyId === undefined ? original : secretOf(keyId)),
    requestSecret: () => ring.current().secret,
    currentSince: () => (state.currentSince !== null ? new Date(state.currentSince) : statSync(path.join(dataDir, 'kiosk-secret')).mtime),
    save(next) {
      const s = check(next);
      const tmp = `${file}.tmp`;
      rmSync(tmp, { force: true });
      // O_EXCL: never through a file or symlink someone planted.
      const fd = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(s)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
      const dirFd = openSync(dataDir, 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
      state = s;
    },
  };
  return ring;
}

/** Keep only the current key and the keys a stored record names (`inUse`: journal.keyIdsInUse()). */
export function pruneKeyRing(ring: KioskKeyRing, inUse: readonly (number | null)[]): number[] {
  const s = ring.state();
  const used = new Set(inUse);
  const dropped = s.keys.filter((k) => k.keyId !== s.current && !used.has(k.keyId)).map((k) => k.keyId);
  if (dropped.length > 0) ring.save({ ...s, keys: s.keys.filter((k) => !dropped.includes(k.keyId)) });
  return dropped;
}

export type RotationStep = 'before-request' | 'after-answer' | 'after-pending-saved' | 'after-confirmed' | 'after-switch';

export interface RotationArgs {
  ring: KioskKeyRing;
  baseUrl: string;
  caPem?: string | Buffer;
  kioskId: string;
  clock: Clock;
  /** journal.keyIdsInUse: which old keys must stay. */
  keyIdsInUse: () => (number | null)[];
  timeoutMs?: number;
  /** Tests: called after each step (throw here to stop the rotation exactly there, as a kill would). */
  step?: (s: RotationStep) => void;
}

/** Steps 3 and 4 for a pending key: confirm it at the back office, then make it current. */
async function confirmAndSwitch(a: RotationArgs, pending: { keyId: number; secret: string }): Promise<void> {
  await confirmRotatedKey({ baseUrl: a.baseUrl, ...(a.caPem ? { caPem: a.caPem } : {}), kioskId: a.kioskId, secret: pending.secret, clock: a.clock, ...(a.timeoutMs ? { timeoutMs: a.timeoutMs } : {}) });
  a.step?.('after-confirmed');
  const s = a.ring.state();
  a.ring.save({
    ...s,
    current: pending.keyId,
    keys: [...s.keys.filter((k) => k.keyId !== pending.keyId), pending],
    pending: null,
    currentSince: a.clock.now().toISOString(),
  });
  a.step?.('after-switch');
  pruneKeyRing(a.ring, a.keyIdsInUse());
}

/**
 * A pending key left by an interrupted rotation: confirm and switch to it. 'none': nothing
 * pending; 'switched'; 'kept': not confirmed (back office unreachable or refusing), the current key
 * stays in use and the pending key stays for the next try.
 */
export async function resumeRotation(a: Omit<RotationArgs, 'step'>): Promise<'none' | 'switched' | 'kept'> {
  const pending = a.ring.state().pending;
  if (!pending) return 'none';
  try {
    await confirmAndSwitch(a, pending);
    return 'switched';
  } catch (e) {
    if (e instanceof EnrollmentError) return 'kept';
    throw e;
  }
}

const inFlight = new WeakMap<KioskKeyRing, Promise<{ keyId: number }>>();

/**
 * Rotate the kiosk's key (steps 1 to 4 above). Throws EnrollmentError, leaving the current key in
 * use. One rotation per ring at a time: a second call while one runs gets the running one.
 */
export function rotateKeyRing(a: RotationArgs): Promise<{ keyId: number }> {
  const running = inFlight.get(a.ring);
  if (running) return running;
  const p = rotateOnce(a).finally(() => inFlight.delete(a.ring));
  inFlight.set(a.ring, p);
  return p;
}

/**
 * Scheduled rotation: every `checkEveryMs` (default an hour), rotate when the current key is older
 * than `maxAgeMs`. A failure is reported and tried again at the next check; the current key stays
 * in use meanwhile. Returns stop().
 */
export function scheduleKeyRotation(
  a: Omit<RotationArgs, 'step'> & { time: Time; maxAgeMs: number; checkEveryMs?: number; report(outcome: { keyId: number } | { error: string }): void },
): () => void {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = async () => {
    if (stopped) return;
    if (a.time.now().getTime() - a.ring.currentSince().getTime() >= a.maxAgeMs) {
      try {
        a.report(await rotateKeyRing(a));
      } catch (e) {
        a.report({ error: String((e as Error).message ?? e).slice(0, 300) });
      }
    }
    if (!stopped) timer = a.time.setTimeout(() => void tick(), a.checkEveryMs ?? 60 * 60_000);
  };
  void tick();
  return () => {
    stopped = true;
    a.time.clearTimeout(timer);
  };
}

async function rotateOnce(a: RotationArgs): Promise<{ keyId: number }> {
  if ((await resumeRotation(a)) === 'switched') return { keyId: a.ring.state().current! };
  a.step?.('before-request');
  const fresh = await exchangeRotation({
    baseUrl: a.baseUrl,
    ...(a.caPem ? { caPem: a.caPem } : {}),
    kioskId: a.kioskId,
    currentSecret: a.ring.requestSecret(),
    clock: a.clock,
    ...(a.timeoutMs ? { timeoutMs: a.timeoutMs } : {}),
  });
  a.step?.('after-answer');
  a.ring.save({ ...a.ring.state(), pending: fresh });
  a.step?.('after-pending-saved');
  await confirmAndSwitch(a, fresh);
  return { keyId: fresh.keyId };
}
