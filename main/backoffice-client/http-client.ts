/**
 * The kiosk's back-office client over HTTP (server: backoffice/server.ts). Every request is signed
 * (signing.ts); every response is validated with backoffice/api-schema.ts before use.
 *
 * Errors: no answer, a timeout, a 5xx or an answer that fails validation -> BackOfficeUnavailableError
 * (the kiosk may retry later); a 4xx -> BackOfficeRejectedError with the back office's error code.
 *
 * The blocked-card list is kept in memory and on disk (a JSON file replaced atomically), as keyed
 * card hashes only, so `isBlocked` answers offline and after a restart.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import {
  API_PREFIX,
  BlockedResponse,
  CollectResponse,
  ErrorResponse,
  IntakeResponse,
  OrdersQueryResponse,
  type IntakeResponseDto,
} from '../../contract/backoffice-api.js';
import { systemTime, type Clock, type TimerHandle, type Time } from '../../contract/time.js';
import type { JournalRecord } from '../journal/journal.js';
import { cardRef, type SecretKey } from '../../contract/record-crypto.js';
import { signRequest } from '../../contract/request-signing.js';
import {
  BackOfficeRejectedError,
  BackOfficeUnavailableError,
  type BackOfficeClient,
  type PendingOrder,
} from './types.js';

export interface HttpBackOfficeClientOptions {
  /** e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  kioskId: string;
  /** The kiosk secret (also the journal's hmacKey). */
  secret: SecretKey;
  clock: Clock;
  /** Timers for the blocked-list refresh (the time port); default: system timers. */
  time?: Time;
  /** Where the blocked-card list is cached (JSON). */
  blockedCachePath: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** What the uploader needs from the back office. */
export interface JournalIntake {
  submitRecords(records: readonly JournalRecord[]): Promise<IntakeResponseDto>;
}

export interface HttpBackOfficeClient extends BackOfficeClient, JournalIntake {
  /** Fetch blocked-list changes since the cached version and persist them. */
  refreshBlockedList(): Promise<{ version: number; applied: number }>;
  blockedListVersion(): number;
  /** Refresh the blocked list now and every `intervalMs` (errors are reported, not thrown). */
  startBlockedListRefresh(intervalMs: number, onError?: (e: unknown) => void): () => void;
}

/**
 * The back office is saturated (429/503 overloaded, or its database is unavailable): it said when
 * to come back (Retry-After). Still a BackOfficeUnavailableError: nothing was done, retry later.
 */
export class BackOfficeBusyError extends BackOfficeUnavailableError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'BackOfficeBusyError';
  }
}

/** Retry-After as seconds (HTTP-date form not used by our back office): 1 s .. 5 min, else 1 s. */
function retryAfterMs(header: string | null): number {
  const s = Number(header);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 300) * 1000 : 1000;
}

interface BlockedCacheFile {
  format: 1;
  kioskId: string;
  version: number;
  hashes: string[];
}

function loadCache(path: string, kioskId: string): { version: number; hashes: Set<string> } {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as BlockedCacheFile;
    if (f.format === 1 && f.kioskId === kioskId && Number.isInteger(f.version) && Array.isArray(f.hashes)) {
      return { version: f.version, hashes: new Set(f.hashes.filter((h) => typeof h === 'string')) };
    }
  } catch {
    // missing or unreadable: start empty; the next refresh fetches the whole list
  }
  return { version: 0, hashes: new Set() };
}

function saveCache(path: string, content: BlockedCacheFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(content));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function createHttpBackOfficeClient(options: HttpBackOfficeClientOptions): HttpBackOfficeClient {
  const { kioskId, secret, clock } = options;
  const base = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  let cache = loadCache(options.blockedCachePath, kioskId);

  async function request<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const pathWithQuery = `${API_PREFIX}${path}`;
    const text = body === undefined ? '' : JSON.stringify(body);
    const headers: Record<string, string> = signRequest({ kioskId, secret, method, pathWithQuery, body: text, at: clock.now() });
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    let payload: string;
    try {
      res = await doFetch(`${base}${pathWithQuery}`, {
        method,
        headers,
        ...(body !== undefined ? { body: text } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      payload = await res.text();
    } catch (e) {
      throw new BackOfficeUnavailableError(`back office not reachable: ${(e as Error).message}`, { cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      json = undefined;
    }
    if (res.status === 429 || res.status === 503) {
      const err = ErrorResponse.safeParse(json);
      throw new BackOfficeBusyError(
        `back office busy (HTTP ${res.status}${err.success ? ` ${err.data.error}` : ''})`,
        retryAfterMs(res.headers.get('retry-after')),
      );
    }
    if (res.status >= 400 && res.status < 500) {
      const err = ErrorResponse.safeParse(json);
      throw new BackOfficeRejectedError(
        res.status,
        err.success ? err.data.error : 'bad-request',
        err.success ? err.data.message : `back office refused the request (HTTP ${res.status})`,
      );
    }
    if (!res.ok) throw new BackOfficeUnavailableError(`back office error (HTTP ${res.status})`);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new BackOfficeUnavailableError('back office sent an invalid answer');
    return parsed.data;
  }

  async function refreshBlockedList(): Promise<{ version: number; applied: number }> {
    let applied = 0;
    let hashes = new Set(cache.hashes);
    let version = cache.version;
    for (let page = 0; page < 1000; page++) {
      const r = await request('GET', `/blocked?since=${version}`, undefined, BlockedResponse);
      if (r.reset) hashes = new Set();
      for (const c of r.changes) {
        if (c.blocked) hashes.add(c.cardHash);
        else hashes.delete(c.cardHash);
        applied++;
      }
      version = r.version;
      if (!r.more) break;
    }
    saveCache(options.blockedCachePath, { format: 1, kioskId, version, hashes: [...hashes] });
    cache = { version, hashes };
    return { version, applied };
  }

  return {
    async pendingOrders(cardNumber: string): Promise<PendingOrder[]> {
      const r = await request('POST', '/orders/query', { cardNumber }, OrdersQueryResponse);
      return r.orders as PendingOrder[];
    },
    async markCollected(orderId: string, cardNumber: string, operationId: string): Promise<void> {
      await request('POST', `/orders/${encodeURIComponent(orderId)}/collect`, { cardNumber, operationId }, CollectResponse);
    },
    isBlocked(cardNumber: string): boolean {
      if (!/^\d{16}$/.test(cardNumber)) return false;
      return cache.hashes.has(cardRef(cardNumber, secret).hash);
    },
    async submitRecords(records) {
      return request('POST', '/journal', { records }, IntakeResponse);
    },
    refreshBlockedList,
    blockedListVersion: () => cache.version,
    startBlockedListRefresh(intervalMs, onError) {
      let running = false;
      const tick = () => {
        if (running) return;
        running = true;
        refreshBlockedList()
          .catch((e: unknown) => onError?.(e))
          .finally(() => {
            running = false;
          });
      };
      // One port timer at a time, set again on each tick (the time port has no interval).
      const time = options.time ?? systemTime(clock);
      let stopped = false;
      let handle: TimerHandle | undefined;
      const schedule = () => {
        handle = time.setTimeout(() => {
          if (stopped) return;
          schedule();
          tick();
        }, intervalMs);
      };
      tick();
      schedule();
      return () => {
        stopped = true;
        time.clearTimeout(handle);
      };
    },
  };
}
