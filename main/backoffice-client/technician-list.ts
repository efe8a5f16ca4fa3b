/**
 * The technician list on the kiosk (issue 13): synced from the back office like the blocked-card
 * list (http-client.ts startBlockedListRefresh: at start and every `intervalMs` on the time port, a
 * failed fetch reported and tried again at the next tick, never two at once), kept on disk so PINs
 * are checked offline and after a restart.
 *
 * - What is fetched is the back office's signed answer (http-client.ts: a list not signed over this
 *   very request, or not in the contract's shape, is refused there and the last good list stays).
 * - The last good list is written to `cachePath` (0600, written to a temporary file, fsynced, then
 *   renamed) with the kiosk id and when it was fetched; on load it is validated again (the shape,
 *   the kiosk id): a file that fails is ignored — nobody gets in until the next sync, fail closed.
 * - `current()` is what main/maintenance/technician-access.ts takes as its `list`; `status()` gives
 *   the list's version and age for the dashboard, the health model and the heartbeat.
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { TechnicianListResponse, type TechnicianListDto } from '../../contract/backoffice-api.js';
import { every, systemTime, type Clock, type Time } from '../../contract/time.js';

/** The list as technician-access.ts reads it (structurally its TechnicianList). */
export type TechnicianList = TechnicianListDto;

const cacheFileSchema = z.strictObject({
  format: z.literal(1),
  kioskId: z.string().min(1),
  fetchedAt: z.iso.datetime(),
  list: TechnicianListResponse,
});
type CacheFile = z.infer<typeof cacheFileSchema>;

export interface TechnicianListStatus {
  /** The version of the list held (undefined: none yet). */
  version?: number;
  /** When it was last fetched successfully (ISO). */
  fetchedAt?: string;
  /** Milliseconds since then. */
  ageMs?: number;
  technicians?: number;
  lastError?: string;
  lastErrorAt?: string;
}

export interface TechnicianListSyncOptions {
  kioskId: string;
  /** The signed fetch (http-client.ts fetchTechnicianList). */
  fetch(): Promise<TechnicianListDto>;
  /** Where the last good list is kept (JSON, 0600). */
  cachePath: string;
  clock: Clock;
  /** Timers (the time port); default: system timers. */
  time?: Time;
  log?: (msg: string, extra?: object) => void;
}

export interface TechnicianListSync {
  /** The list as last synced (undefined: none yet — nobody gets in). */
  current(): TechnicianList | undefined;
  status(): TechnicianListStatus;
  /** Fetch now; resolves with the version held after it (rejects when the fetch failed: the old list stays). */
  refresh(): Promise<number>;
  /** Refresh now and every `intervalMs`; returns the stop function. */
  start(intervalMs: number): () => void;
}

function loadCache(path: string, kioskId: string, log: (msg: string, extra?: object) => void): CacheFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const r = cacheFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (r.success && r.data.kioskId === kioskId) return r.data;
    log('technician list file refused (not a valid list of this kiosk): ignored until the next sync', { path });
  } catch (e) {
    log('technician list file unreadable: ignored until the next sync', { path, err: String(e) });
  }
  return undefined;
}

function saveCache(path: string, content: CacheFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600); // also when a leftover temporary file had another mode
    writeSync(fd, JSON.stringify(content));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function createTechnicianListSync(o: TechnicianListSyncOptions): TechnicianListSync {
  const log = o.log ?? (() => {});
  let held = loadCache(o.cachePath, o.kioskId, log);
  let lastError: string | undefined;
  let lastErrorAt: string | undefined;
  let inFlight: Promise<number> | undefined;

  async function fetchOnce(): Promise<number> {
    try {
      // Validated again here: whatever client hands it in, only the contract's shape is kept.
      const list = TechnicianListResponse.parse(await o.fetch());
      if (held && list.version < held.list.version)
        log('the back office sent an older technician list than the one held (its database was replaced?): taken, it is the authority', { held: held.list.version, got: list.version });
      const next: CacheFile = { format: 1, kioskId: o.kioskId, fetchedAt: o.clock.now().toISOString(), list };
      saveCache(o.cachePath, next);
      held = next;
      lastError = undefined;
      return list.version;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
      lastErrorAt = o.clock.now().toISOString();
      throw e;
    }
  }

  const refresh = () => {
    inFlight ??= fetchOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    current: () => held?.list,
    status() {
      return {
        ...(held
          ? { version: held.list.version, fetchedAt: held.fetchedAt, ageMs: Math.max(0, o.clock.now().getTime() - new Date(held.fetchedAt).getTime()), technicians: held.list.technicians.length }
          : {}),
        ...(lastError !== undefined ? { lastError, lastErrorAt: lastErrorAt! } : {}),
      };
    },
    refresh,
    start(intervalMs) {
      return every(o.time ?? systemTime(o.clock), intervalMs, () => {
        refresh().catch((e: unknown) => log('technician list sync failed (the last good list stays in use)', { err: String(e) }));
      });
    },
  };
}
