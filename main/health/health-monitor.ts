/**
 * The health monitor (issue 13): gathers what the parts report and hands the health model's
 * decision to whoever listens (the session runtime). Each part is observed the way it really
 * fails:
 * - card reader: the driver's own `reader-status` events (PC/SC watchdog, emulator start/stop);
 * - payment terminal: a status enquiry (ZVT 05 01) every `checkIntervalMs`, cut off after
 *   `probeTimeoutMs` (a silent terminal must not hold the check up);
 * - journal: the file writable (access W_OK) and enough disk free (statfs) every check, and the
 *   hash chain verified at start and every `chainCheckIntervalMs`;
 * - back office: the blocked-card list fetched every check (`refreshBlockedList`: a signed request
 *   to the real back office), which also dates the list.
 * The tester's "disk full" replaces only the free-space figure (it cannot fill a real disk safely);
 * the other tester faults act on the devices themselves (see main/composition.ts).
 * Time comes from the injected port; checks never overlap.
 */
import { accessSync, constants, statfsSync } from 'node:fs';
import type { Availability, HealthReport, PartHealth } from '../../contract/health.js';
import { FULL_SERVICE } from '../../contract/health.js';
import type { Time, TimerHandle } from '../../contract/time.js';
import type { CardReaderEvent } from '../../hardware/card/card-reader.js';
import { blockedListStale, decideAvailability, sameAvailability, TERMINAL_PRESENT_STATES, type HealthObservations, type HealthPolicy } from './health-model.js';

export interface HealthMonitorDeps {
  time: Time;
  reader: { subscribe(listener: (e: CardReaderEvent) => void): () => void };
  /** The payment terminal; `reRegister` (ZVT 06 00) where the driver offers it: a terminal that
   * says it is not registered is registered again before it counts as gone. */
  terminal: { status(): Promise<string>; reRegister?(): Promise<void> };
  journal: { verifyChain(): { ok: boolean; firstBad?: { seq: number; reason: string } } };
  /** The journal's file (checked writable) and the directory whose disk is measured. */
  journalFile: string;
  dataDir: string;
  /** Fetch the blocked-card list from the back office (throws when it cannot be reached). */
  refreshBlockedList(): Promise<{ version: number }>;
  policy: HealthPolicy;
  checkIntervalMs: number;
  chainCheckIntervalMs: number;
  /** The chain as the start-up check (main/journal/start-up-check.ts) just found it: taken as the
   * first chain check, so a start verifies the whole journal once, not twice. */
  chainAtStart?: { ok: boolean; firstBad?: { seq: number; reason: string } };
  probeTimeoutMs: number;
  /** Below this many bytes free the journal counts as not writable. */
  minFreeBytes: number;
  log?: (msg: string, extra?: object) => void;
  /** Free bytes on the data directory's disk (default: statfs). Injected by tests. */
  freeBytes?: (dir: string) => number;
  /** Issue 13: the technician list's state (main/backoffice-client/technician-list.ts status()), reported as a part. */
  technicianList?: () => { version?: number; fetchedAt?: string; ageMs?: number; lastError?: string };
}

export type TesterFault = 'disk-full';

export interface HealthMonitor {
  start(): void;
  stop(): void;
  /** Check every part now (also what the timers run); resolves with the report after it. */
  checkNow(): Promise<HealthReport>;
  report(): HealthReport;
  availability(): Availability;
  /** A technician took the kiosk out of service (with a reason) or brought it back (undefined). */
  setTechnicianOutOfService(reason: string | undefined): void;
  /** Tester faults the monitor itself stands in for (emulated/wire only). */
  setFault(fault: TesterFault, on: boolean): void;
  /** Other tester faults in force, listed in the report (set by the composition root). */
  noteTesterFault(name: string, on: boolean): void;
  onChange(listener: (a: Availability, report: HealthReport) => void): () => void;
}

function defaultFreeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

export function createHealthMonitor(deps: HealthMonitorDeps): HealthMonitor {
  const { time } = deps;
  const iso = () => time.now().toISOString();
  const freeBytes = deps.freeBytes ?? defaultFreeBytes;
  const part = (ok: boolean): PartHealth => ({ ok, since: iso() });
  const set = <P extends PartHealth>(p: P, ok: boolean, extra: Partial<P>): P => ({
    ...p,
    ...extra,
    ok,
    since: p.ok === ok ? p.since : iso(),
    checkedAt: iso(),
  });

  const faults = new Set<string>();
  let technician: string | undefined;
  let lastBlockedFetch: number | undefined;
  // A chain already verified at start counts as the first check (the next is an interval later).
  let lastChainCheck: number | undefined = deps.chainAtStart ? time.now().getTime() : undefined;
  let parts: HealthReport['parts'] = {
    cardReader: part(true),
    paymentTerminal: { ...part(true), state: 'ready' },
    journal: {
      ...part(deps.chainAtStart?.ok ?? true),
      writable: true,
      chainOk: deps.chainAtStart?.ok ?? true,
      ...(deps.chainAtStart && !deps.chainAtStart.ok ? { detail: `chain broken at ${deps.chainAtStart.firstBad?.seq ?? '?'}: ${deps.chainAtStart.firstBad?.reason ?? '?'}` } : {}),
    },
    backOffice: part(true),
    blockedList: part(true),
  };
  let current: Availability = FULL_SERVICE;
  const listeners = new Set<(a: Availability, r: HealthReport) => void>();
  let timer: TimerHandle | undefined;
  let running = false;
  let checking: Promise<HealthReport> | undefined;
  let unsubscribeReader: (() => void) | undefined;

  function observations(): HealthObservations {
    return {
      cardReaderOk: parts.cardReader.ok,
      terminalState: parts.paymentTerminal.state ?? 'offline',
      journalWritable: parts.journal.writable,
      chainOk: parts.journal.chainOk,
      backOfficeReachable: parts.backOffice.ok,
      blockedListAgeMs: lastBlockedFetch === undefined ? undefined : time.now().getTime() - lastBlockedFetch,
      technicianOutOfService: technician,
    };
  }

  const startedAt = iso();
  function technicianListPart(t: { version?: number; fetchedAt?: string; ageMs?: number; lastError?: string }): NonNullable<HealthReport['parts']['technicianList']> {
    return {
      ok: t.version !== undefined,
      since: t.fetchedAt ?? startedAt,
      ...(t.version !== undefined ? { version: t.version } : {}),
      ...(t.ageMs !== undefined ? { ageMs: t.ageMs } : {}),
      ...(t.lastError !== undefined ? { detail: t.lastError.slice(0, 200) } : {}),
    };
  }

  function report(): HealthReport {
    const o = observations();
    return {
      availability: current,
      parts: {
        ...parts,
        blockedList: { ...parts.blockedList, ok: !blockedListStale(o, deps.policy), ...(o.blockedListAgeMs !== undefined ? { ageMs: o.blockedListAgeMs } : {}) },
        ...(deps.technicianList ? { technicianList: technicianListPart(deps.technicianList()) } : {}),
      },
      testerFaults: [...faults].sort(),
    };
  }

  function decide(): void {
    const next = decideAvailability(observations(), deps.policy);
    if (sameAvailability(next, current)) return;
    deps.log?.('health: what the kiosk offers changed', { from: current, to: next });
    current = next;
    const r = report();
    for (const l of listeners) {
      try {
        l(next, r);
      } catch (e) {
        deps.log?.('health listener failed', { err: String(e) });
      }
    }
  }

  function withTimeout<T>(p: Promise<T>, fallback: T): Promise<T> {
    return new Promise<T>((resolve) => {
      const t = time.setTimeout(() => resolve(fallback), deps.probeTimeoutMs);
      p.then(
        (v) => {
          time.clearTimeout(t);
          resolve(v);
        },
        () => {
          time.clearTimeout(t);
          resolve(fallback);
        },
      );
    });
  }

  async function checkTerminal(): Promise<void> {
    let state = await withTimeout(deps.terminal.status(), 'offline');
    if (state === 'not-registered' && deps.terminal.reRegister) {
      const again = deps.terminal.reRegister.bind(deps.terminal);
      state = await withTimeout(
        again().then(() => deps.terminal.status()),
        'not-registered',
      );
    }
    parts = { ...parts, paymentTerminal: set(parts.paymentTerminal, TERMINAL_PRESENT_STATES.includes(state), { state }) };
  }

  function checkJournal(force: boolean): void {
    let free: number | undefined;
    let detail: string | undefined;
    let writable = true;
    try {
      accessSync(deps.journalFile, constants.W_OK);
      free = faults.has('disk-full') ? 0 : freeBytes(deps.dataDir);
      if (free < deps.minFreeBytes) {
        writable = false;
        detail = `disk almost full: ${free} bytes free`;
      }
    } catch (e) {
      writable = false;
      detail = `journal not writable: ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
    }
    let chainOk = parts.journal.chainOk;
    const now = time.now().getTime();
    if (force || lastChainCheck === undefined || now - lastChainCheck >= deps.chainCheckIntervalMs) {
      lastChainCheck = now;
      try {
        const c = deps.journal.verifyChain();
        chainOk = c.ok;
        if (!c.ok) detail = `chain broken at ${c.firstBad?.seq ?? '?'}: ${c.firstBad?.reason ?? '?'}`;
      } catch (e) {
        chainOk = false;
        detail = `chain check failed: ${String(e)}`;
      }
    }
    // Between chain checks a broken chain keeps saying where it broke.
    if (!chainOk && detail === undefined) detail = parts.journal.detail;
    parts = {
      ...parts,
      journal: set(parts.journal, writable && chainOk, { writable, chainOk, ...(free !== undefined ? { freeBytes: free } : {}), ...(detail ? { detail } : { detail: undefined }) }),
    };
  }

  async function checkBackOffice(): Promise<void> {
    const r = await withTimeout(
      deps.refreshBlockedList().then(
        (v) => ({ ok: true as const, version: v.version }),
        // A back office that sheds the poll (503 + Retry-After, http-client.ts BackOfficeBusyError) answered:
        // it is reachable, just busy. Not an outage for the technician; the list keeps its age, so
        // staleness (blockedList) is still decided on the last successful fetch.
        (e: unknown) => ({ ok: false as const, busy: (e as { name?: unknown }).name === 'BackOfficeBusyError', detail: String(e).slice(0, 200) }),
      ),
      { ok: false as const, busy: false, detail: 'no answer in time' },
    );
    if (!r.ok && r.busy) {
      parts = { ...parts, backOffice: set(parts.backOffice, parts.backOffice.ok, { detail: r.detail }) };
    } else if (r.ok) {
      lastBlockedFetch = time.now().getTime();
      parts = {
        ...parts,
        backOffice: set(parts.backOffice, true, { lastContact: iso(), detail: undefined }),
        blockedList: { ...parts.blockedList, version: r.version },
      };
    } else {
      parts = { ...parts, backOffice: set(parts.backOffice, false, { detail: r.detail }) };
    }
  }

  function schedule(): void {
    if (!running) return;
    timer = time.setTimeout(() => {
      timer = undefined;
      void checkNow().finally(schedule);
    }, deps.checkIntervalMs);
  }

  /** A check always starts after whatever changed: one in flight is waited for, then a fresh one runs. */
  function checkNow(forceChain = false): Promise<HealthReport> {
    if (checking) return checking.then(() => checkNow(forceChain));
    checking = (async () => {
      try {
        checkJournal(forceChain);
        await Promise.all([checkTerminal(), checkBackOffice()]);
      } catch (e) {
        deps.log?.('health check failed', { err: String(e) });
      } finally {
        checking = undefined;
      }
      decide();
      return report();
    })();
    return checking;
  }

  return {
    start() {
      if (running) return;
      running = true;
      unsubscribeReader = deps.reader.subscribe((e) => {
        if (e.type !== 'reader-status') return;
        parts = {
          ...parts,
          cardReader: set(parts.cardReader, e.ready, { ...(e.readerName ? { readerName: e.readerName } : {}), detail: e.ready ? undefined : (e.detail ?? 'reader gone') }),
        };
        decide();
      });
      void checkNow(!deps.chainAtStart).finally(schedule);
    },
    stop() {
      running = false;
      time.clearTimeout(timer);
      timer = undefined;
      unsubscribeReader?.();
    },
    checkNow: () => checkNow(false),
    report,
    availability: () => current,
    setTechnicianOutOfService(reason) {
      technician = reason;
      decide();
    },
    setFault(fault, on) {
      if (on) faults.add(fault);
      else faults.delete(fault);
    },
    noteTesterFault(name, on) {
      if (on) faults.add(name);
      else faults.delete(name);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
