/**
 * The kiosk's heartbeat to the back office (issue 13, fleet view): every `intervalMs` on the time
 * port it sends what `collect()` gathers (the health model's state, what is offered, the journal
 * backlog, versions) as a signed request (http-client.ts sendHeartbeat; POST /v1/heartbeat). A
 * failed send is reported and the next tick tries again (the same rhythm as the blocked-list
 * refresh); sends never overlap. The heartbeat is validated with the contract's schema before it
 * leaves, so a kiosk never sends what the back office would refuse.
 */
import { HeartbeatRequest, type HeartbeatDto } from '../../contract/backoffice-api.js';
import type { HealthReport, PartHealth } from '../../contract/health.js';
import { every, systemTime, type Clock, type Time } from '../../contract/time.js';

/** What a heartbeat is made of, as the kiosk's parts report it (the composition root gathers it). */
export interface HeartbeatFacts {
  now: Date;
  startedAt: Date;
  health: HealthReport;
  journal: { pending: number; lastSeq: number; oldestPendingAt?: string | undefined };
  lastDeliveryAt?: string | undefined;
  version: { version: string; build: string };
  blockedListVersion: number;
  technicianList: { version?: number; ageMs?: number };
}

/** The heartbeat for these facts: only the parts' ok and a short detail, nothing else of the report. */
export function heartbeatOf(f: HeartbeatFacts): HeartbeatDto {
  const p = (x: PartHealth) => ({ ok: x.ok, ...(x.detail !== undefined ? { detail: x.detail.slice(0, 200) } : {}) });
  const { parts } = f.health;
  return {
    at: f.now.toISOString(),
    availability: f.health.availability,
    parts: {
      cardReader: p(parts.cardReader),
      paymentTerminal: p(parts.paymentTerminal),
      journal: p(parts.journal),
      backOffice: p(parts.backOffice),
      blockedList: p(parts.blockedList),
    },
    backlog: { pending: f.journal.pending, oldestPendingAt: f.journal.oldestPendingAt ?? null, lastSeq: f.journal.lastSeq, lastDeliveryAt: f.lastDeliveryAt ?? null },
    versions: {
      software: f.version.version.slice(0, 40),
      build: f.version.build.slice(0, 40),
      blockedList: f.blockedListVersion,
      technicianList: f.technicianList.version ?? null,
      technicianListAgeMs: f.technicianList.ageMs ?? null,
    },
    uptimeMs: Math.max(0, f.now.getTime() - f.startedAt.getTime()),
  };
}

export interface HeartbeatOptions {
  send(heartbeat: HeartbeatDto): Promise<void>;
  collect(): HeartbeatDto;
  clock: Clock;
  time?: Time;
  log?: (msg: string, extra?: object) => void;
}

export interface HeartbeatStatus {
  lastSentAt?: string;
  lastError?: string;
  lastErrorAt?: string;
}

export interface Heartbeat {
  /** Send one now (rejects when it could not be sent). */
  beat(): Promise<void>;
  /** Send now and every `intervalMs`; returns the stop function. */
  start(intervalMs: number): () => void;
  status(): HeartbeatStatus;
}

export function createHeartbeat(o: HeartbeatOptions): Heartbeat {
  const log = o.log ?? (() => {});
  const st: HeartbeatStatus = {};
  let inFlight: Promise<void> | undefined;
  const once = async () => {
    try {
      await o.send(HeartbeatRequest.parse(o.collect()));
      st.lastSentAt = o.clock.now().toISOString();
      delete st.lastError;
    } catch (e) {
      st.lastError = e instanceof Error ? e.message : String(e);
      st.lastErrorAt = o.clock.now().toISOString();
      throw e;
    }
  };
  const beat = () => {
    inFlight ??= once().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  return {
    beat,
    status: () => ({ ...st }),
    start(intervalMs) {
      return every(o.time ?? systemTime(o.clock), intervalMs, () => {
        beat().catch((e: unknown) => log('heartbeat not sent (next one at the next interval)', { err: String(e) }));
      });
    },
  };
}
