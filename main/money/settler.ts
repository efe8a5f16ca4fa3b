/**
 * The settler (issue 12, window 4): finishes the money operations the live flow had to leave open
 * WHILE the kiosk runs, not only at the next start. A commit the terminal did not answer leaves a
 * payment at `card.written` (or `payment.credit-pending`); if it waited for the next start, the
 * terminal's commit window could pass and the terminal reverse a payment whose credit is on the
 * card. A rollback the terminal did not answer, or a terminal whose state was unknown at recovery,
 * is the same: the money must be settled as soon as the terminal answers again.
 *
 * It settles only operations it was told about (`track`: the top-up service's left-open payments,
 * start-up recovery's left-open operations), never one a live flow is still working on, with the
 * rules of start-up recovery (recovery.ts, `only`). Passes run on the injected time port, one at a
 * time, every `everyMs` while anything is tracked; an operation leaves the set once the journal
 * holds its final record.
 */
import type { Time, TimerHandle } from '../../contract/time.js';
import type { PaymentTerminal } from '../../hardware/payment/payment-terminal.js';
import type { Journal } from '../journal/journal.js';
import { recoverUnfinished, type RecoveryLog, type RecoveryOptions, type RecoveryReport } from '../journal/recovery.js';

export interface SettlerDeps {
  journal: Journal;
  terminal: PaymentTerminal;
  time: Pick<Time, 'setTimeout' | 'clearTimeout'>;
  log: RecoveryLog;
  checkCardWrite?: RecoveryOptions['checkCardWrite'];
  /** Pause between passes while something is open. Keep it well below the terminal's commit window. */
  everyMs?: number;
}

export interface Settler {
  /** Settle this operation as soon as possible (it was left open). */
  track(operationId: string): void;
  /** Operations still waiting to be settled. */
  open(): string[];
  /** One pass now (also what the timer runs); resolves with what it did. */
  settleNow(): Promise<RecoveryReport>;
  stop(): void;
}

export function createSettler(deps: SettlerDeps): Settler {
  const everyMs = deps.everyMs ?? 10_000;
  const tracked = new Set<string>();
  let timer: TimerHandle | undefined;
  let running: Promise<RecoveryReport> | undefined;
  let stopped = false;

  const unfinished = () => new Set(deps.journal.unfinishedOperations().map((o) => o.operationId));
  const forgetFinished = () => {
    const still = unfinished();
    for (const id of tracked) if (!still.has(id)) tracked.delete(id);
  };
  const schedule = () => {
    if (stopped || timer || tracked.size === 0) return;
    timer = deps.time.setTimeout(() => {
      timer = undefined;
      void settleNow().catch((e: unknown) => deps.log('settler: pass failed', { error: String(e) }));
    }, everyMs);
  };

  async function pass(): Promise<RecoveryReport> {
    forgetFinished();
    if (tracked.size === 0) return { operations: [], leftOpen: 0 };
    const report = await recoverUnfinished({
      journal: deps.journal,
      terminal: deps.terminal,
      log: deps.log,
      only: (id) => tracked.has(id),
      ...(deps.checkCardWrite ? { checkCardWrite: deps.checkCardWrite } : {}),
    });
    forgetFinished();
    return report;
  }

  function settleNow(): Promise<RecoveryReport> {
    running ??= pass().finally(() => {
      running = undefined;
      schedule();
    });
    return running;
  }

  return {
    track(operationId) {
      tracked.add(operationId);
      schedule();
    },
    open: () => [...tracked],
    settleNow,
    stop() {
      stopped = true;
      deps.time.clearTimeout(timer);
      timer = undefined;
    },
  };
}
