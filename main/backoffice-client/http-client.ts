/**
 * The kiosk's back-office client over HTTPS (server: backoffice/server.ts). Every request is signed
 * (contract/request-signing.ts, the kiosk's 'request' key); every answer must carry the back
 * office's signature over that request (the 'response' key) and is then validated with the zod
 * schemas of contract/backoffice-api.ts before use.
 *
 * Transport (issue 11 finding 4; docs/security.md says why not mutual TLS): https with the
 * operator's CA pinned — that CA is the only trust anchor, the system store is not consulted, and
 * the host name must match the certificate. Plain http is refused unless the back office is on
 * this machine (the in-process reference back office, tests).
 *
 * An answer without a valid signature is BackOfficeUnavailableError (never acted on, never a
 * "refusal" a forger could use to deny a traveller their order).
 *
 * Errors: no answer, a timeout, a 5xx or an answer that fails validation -> BackOfficeUnavailableError
 * (the kiosk may retry later); a 4xx -> BackOfficeRejectedError with the back office's error code.
 *
 * Polls under backpressure (issue 10 item 6): the periodic routes (the blocked list, the technician
 * list, the heartbeat) may be answered 503 + Retry-After by a saturated back office
 * (backoffice/poll-shedding.ts). The client then does not ask that route again before
 * Retry-After × (1 + random()) has passed (jittered, so a shed fleet does not come back in one
 * wave; randomness injected): an earlier call fails at once with BackOfficeBusyError, nothing sent.
 * The blocked-list refresh loop retries once that wait is over instead of waiting a whole interval,
 * and does not report a busy answer as a failure (the cached list stays in use and keeps its age:
 * staleness is decided on the last successful fetch, as before).
 *
 * The blocked-card list is kept in memory and on disk (a JSON file replaced atomically), as keyed
 * card hashes only, so `isBlocked` answers offline and after a restart.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
// undici's request(), not its fetch(): the same connection pool (Agent) and TLS pinning without the
// WHATWG Request/Response/Headers layers, half the client CPU per request (0.27-0.31 against
// 0.58-0.70 ms for a 3 KB body, 0.67 against 1.11 ms for 64 KB; a 5,000-kiosk fleet simulator sends
// ~17,000 requests in a storm). It follows no redirect: a 3xx is an answer like any other, and no
// answer counts unless the back office signed it over this request.
import { Agent, request as undiciRequest } from 'undici';
import type { z } from 'zod';
import {
  API_PREFIX,
  BlockedResponse,
  CollectResponse,
  ErrorResponse,
  HeartbeatResponse,
  IntakeResponse,
  TechnicianListResponse,
  type HeartbeatDto,
  type TechnicianListDto,
  OrdersQueryResponse,
  type IntakeResponseDto,
} from '../../contract/backoffice-api.js';
import { every, systemTime, type Clock, type Time, type TimerHandle } from '../../contract/time.js';
import { cryptoRandom } from '../../contract/random.js';
import type { JournalRecord } from '../journal/journal.js';
import { cardRef, type SecretKey } from '../../contract/record-crypto.js';
import { HEADER_RESPONSE_SIGNATURE, HEADER_SIGNATURE, signRequest, verifyResponseSignature } from '../../contract/request-signing.js';
import {
  BackOfficeRejectedError,
  BackOfficeUnavailableError,
  type BackOfficeClient,
  type PendingOrder,
} from './types.js';

export interface HttpBackOfficeClientOptions {
  /** e.g. https://backoffice.ns.example (http only to this machine: 127.0.0.1, ::1, localhost) */
  baseUrl: string;
  /** PEM of the operator's CA: the only CA the back office's certificate may chain to. Required for https. */
  caPem?: string | Buffer;
  kioskId: string;
  /** The kiosk secret (also the journal's hmacKey). */
  secret: SecretKey;
  /**
   * Key rotation: the secret requests are signed (and answers checked) with, read at each request
   * (key-ring.ts). Default: `secret`. Card hashes (the blocked list) stay under `secret`, the
   * kiosk's original key, which never rotates.
   */
  requestSecret?: () => SecretKey;
  clock: Clock;
  /** Timers for the blocked-list refresh (the time port); default: system timers. */
  time?: Time;
  /** Where the blocked-card list is cached (JSON). */
  blockedCachePath: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** Uniform in [0, 1): the jitter of the wait after a busy poll; default node:crypto. */
  random?: () => number;
}

/** The periodic routes a saturated back office may shed (backoffice/poll-shedding.ts POLL_ROUTES). */
const POLL_PATHS: ReadonlySet<string> = new Set(['/blocked', '/technicians', '/heartbeat']);

export class BackOfficeTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackOfficeTransportError';
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The connection the kiosk may use to reach `baseUrl`, or a refusal (fail closed). */
function transportFor(baseUrl: string, caPem: string | Buffer | undefined): Agent {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new BackOfficeTransportError(`back office url ${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (u.protocol === 'https:') {
    if (!caPem || String(caPem).trim() === '') throw new BackOfficeTransportError('an https back office needs the operator CA (caPem) to pin');
    // `ca` replaces Node's bundled roots: only the operator's CA is trusted. Host names are checked.
    return new Agent({ connect: { ca: caPem, rejectUnauthorized: true, minVersion: 'TLSv1.2' } });
  }
  if (u.protocol === 'http:' && isLoopback(u.hostname)) return new Agent();
  throw new BackOfficeTransportError(`back office url ${u.origin}: plain http is allowed to this machine only; use https with the operator CA`);
}

/** What the uploader needs from the back office. */
export interface JournalIntake {
  submitRecords(records: readonly JournalRecord[]): Promise<IntakeResponseDto>;
}

export interface HttpBackOfficeClient extends BackOfficeClient, JournalIntake {
  /** Fetch blocked-list changes since the cached version and persist them. */
  refreshBlockedList(): Promise<{ version: number; applied: number }>;
  blockedListVersion(): number;
  /**
   * Keep the blocked list at most `intervalMs` stale: refresh it now and then every `intervalMs`
   * less a lead (blockedPollLeadMs) that covers the poll's own request and a late timer, so a card
   * blocked just after a poll read the list is known here within `intervalMs` (polling exactly every
   * interval made that one request's latency late: 60.02-60.04 s in the fleet's blocked scenario).
   * Errors are reported, not thrown. A busy back office (BackOfficeBusyError) is not an error: it
   * goes to `onBusy`, and the refresh is tried again once its jittered Retry-After has passed.
   */
  startBlockedListRefresh(intervalMs: number, onError?: (e: unknown) => void, onBusy?: (e: BackOfficeBusyError) => void): () => void;
  /** Issue 13: the technician list (GET /v1/technicians), signed over this request and validated. */
  fetchTechnicianList(): Promise<TechnicianListDto>;
  /** Issue 13: report this kiosk's health, backlog and versions (POST /v1/heartbeat). */
  sendHeartbeat(heartbeat: HeartbeatDto): Promise<void>;
  /** Close the kept-alive connections. */
  close(): Promise<void>;
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

/**
 * How much earlier than its staleness bound the blocked list is polled: a thirtieth of the interval,
 * at most 2 s (60 s -> every 58 s: 3.5 % more polls). It covers the poll request (milliseconds; a
 * busy back office sheds polls with 503 at once) and the lateness of this process's timer (the fleet
 * simulator's event loop, 5,000 kiosks in one process, ran up to 0.6 s late).
 */
export function blockedPollLeadMs(intervalMs: number): number {
  return Math.min(2000, Math.floor(intervalMs / 30));
}

/** Retry-After as seconds (HTTP-date form not used by our back office): 1 s .. 5 min, else 1 s. */
function retryAfterMs(header: string | null): number {
  const s = Number(header);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 300) * 1000 : 1000;
}

/** The cache holds card hashes under the kiosk's derived 'card' key (format 2); a format-1 file
 * (hashes under the bare secret) is dropped and the whole list fetched again. */
interface BlockedCacheFile {
  format: 2;
  kioskId: string;
  version: number;
  hashes: string[];
}

function loadCache(path: string, kioskId: string): { version: number; hashes: Set<string> } {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as BlockedCacheFile;
    if (f.format === 2 && f.kioskId === kioskId && Number.isInteger(f.version) && Array.isArray(f.hashes)) {
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
  const agent = transportFor(options.baseUrl, options.caPem);
  const random = options.random ?? cryptoRandom.next;
  let cache = loadCache(options.blockedCachePath, kioskId);
  /** Poll route -> not asked again before this time (ms since the epoch, on `clock`). */
  const notBefore = new Map<string, number>();

  async function request<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    const pathWithQuery = `${API_PREFIX}${path}`;
    const route = path.split('?')[0]!;
    const poll = POLL_PATHS.has(route);
    if (poll) {
      const left = (notBefore.get(route) ?? 0) - clock.now().getTime();
      if (left > 0) throw new BackOfficeBusyError(`back office busy: ${route} not asked again for ${left} ms (Retry-After)`, left);
    }
    // Sent and signed as bytes: undici keeps the body it was given until the answer is in, and a
    // string held that long (a full batch is ~90 KB) is copied by every young-generation GC it
    // survives, then promoted; the Buffer's bytes live outside the JS heap (bench:http-intake:
    // the client's GC a batch 0.19 -> 0.11 ms, backoffice/README.md stop 22).
    const bodyBytes = body === undefined ? '' : Buffer.from(JSON.stringify(body));
    const signing = options.requestSecret?.() ?? secret; // one key for the request and its answer
    const headers: Record<string, string> = signRequest({ kioskId, secret: signing, method, pathWithQuery, body: bodyBytes, at: clock.now() });
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: { status: number; header(name: string): string | null };
    let payload: string;
    // Not AbortSignal.timeout: its timer cannot be cleared, so every answered request left one
    // behind that fired timeoutMs later and made an exception nobody read (8-24 µs a request
    // against 1-4 µs for this: backoffice/README.md stop 23). Same reason, same error.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    timer.unref();
    try {
      const r = await undiciRequest(`${base}${pathWithQuery}`, {
        method,
        headers,
        ...(body !== undefined ? { body: bodyBytes } : {}),
        signal: timeout.signal,
        dispatcher: agent,
      });
      payload = await r.body.text();
      res = {
        status: r.statusCode,
        header: (name) => {
          const v = r.headers[name];
          return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
        },
      };
    } catch (e) {
      const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
      const c = err.cause?.code ? err.cause : err;
      const why = c.code ? `${c.code}: ${c.message ?? ''}` : (err.message ?? String(e));
      throw new BackOfficeUnavailableError(`back office not reachable: ${why}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    // "Busy, come back later" (429/503) needs no signature: the back office sends it before it knows
    // which kiosk asks (backpressure comes before the body is read), and all it can make the kiosk do
    // is wait (Retry-After is capped at 5 minutes), which anyone able to drop its packets could too.
    if (res.status === 429 || res.status === 503) {
      let code = '';
      try {
        const err = ErrorResponse.safeParse(JSON.parse(payload));
        if (err.success) code = ` ${err.data.error}`;
      } catch {
        // not JSON: the status says enough
      }
      const after = retryAfterMs(res.header('retry-after'));
      if (!poll) throw new BackOfficeBusyError(`back office busy (HTTP ${res.status}${code})`, after);
      // Never before Retry-After, spread over up to twice that (the uploader's jitter too).
      const wait = Math.round(after * (1 + Math.min(Math.max(random(), 0), 1)));
      notBefore.set(route, clock.now().getTime() + wait);
      throw new BackOfficeBusyError(`back office busy (HTTP ${res.status}${code}): ${route} asked again in ${wait} ms`, wait);
    }
    // Nothing else the back office says counts unless it is signed over this very request.
    if (!verifyResponseSignature({ secret: signing, requestSignature: headers[HEADER_SIGNATURE]!, status: res.status, body: payload, signature: res.header(HEADER_RESPONSE_SIGNATURE) }))
      throw new BackOfficeUnavailableError(`back office answer (HTTP ${res.status}) is not signed for this kiosk: ignored`);
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      json = undefined;
    }
    if (res.status >= 400 && res.status < 500) {
      const err = ErrorResponse.safeParse(json);
      throw new BackOfficeRejectedError(
        res.status,
        err.success ? err.data.error : 'bad-request',
        err.success ? err.data.message : `back office refused the request (HTTP ${res.status})`,
      );
    }
    if (res.status < 200 || res.status > 299) throw new BackOfficeUnavailableError(`back office error (HTTP ${res.status})`);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new BackOfficeUnavailableError('back office sent an invalid answer');
    return parsed.data;
  }

  async function refreshBlockedList(): Promise<{ version: number; applied: number }> {
    let applied = 0;
    let hashes = new Set(cache.hashes);
    let version = cache.version;
    let reset = false;
    for (let page = 0; page < 1000; page++) {
      const r = await request('GET', `/blocked?since=${version}`, undefined, BlockedResponse);
      if (r.reset) {
        hashes = new Set();
        reset = true;
      }
      for (const c of r.changes) {
        if (c.blocked) hashes.add(c.cardHash);
        else hashes.delete(c.cardHash);
        applied++;
      }
      version = r.version;
      if (!r.more) break;
    }
    // Nothing new (the usual poll): the file already says this. Rewriting it anyway cost an fsync
    // per poll (flash wear over years of polling; 5,000 simulated kiosks in one process spent their
    // poll interval in fsync and timed out: backoffice/README.md "Fleet figures").
    if (!reset && applied === 0 && version === cache.version) return { version, applied };
    saveCache(options.blockedCachePath, { format: 2, kioskId, version, hashes: [...hashes] });
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
    fetchTechnicianList: () => request('GET', '/technicians', undefined, TechnicianListResponse),
    async sendHeartbeat(heartbeat) {
      await request('POST', '/heartbeat', heartbeat, HeartbeatResponse);
    },
    close: () => agent.close(),
    startBlockedListRefresh(intervalMs, onError, onBusy) {
      const time = options.time ?? systemTime(clock);
      let running = false;
      let stopped = false;
      let retry: TimerHandle | undefined;
      const tick = () => {
        if (running || stopped) return;
        running = true;
        if (retry) time.clearTimeout(retry);
        retry = undefined;
        refreshBlockedList()
          .catch((e: unknown) => {
            if (!(e instanceof BackOfficeBusyError)) return onError?.(e);
            onBusy?.(e);
            // Asked to come back later: once that (jittered) wait is over, not a whole interval later.
            if (!stopped && e.retryAfterMs < intervalMs) retry = time.setTimeout(tick, e.retryAfterMs);
          })
          .finally(() => {
            running = false;
          });
      };
      const stopEvery = every(time, intervalMs - blockedPollLeadMs(intervalMs), tick);
      return () => {
        stopped = true;
        stopEvery();
        if (retry) time.clearTimeout(retry);
        retry = undefined;
      };
    },
  };
}
