/**
 * Crash points for kill tests: a journal `afterAppend` hook that kills the process with SIGKILL
 * right after the n-th durable record of a given type — i.e. between that step and the next, the
 * worst moment for a kiosk. Drive it from the environment of a child process:
 *   KIOSK_CRASH_AFTER=payment.approved      (first occurrence)
 *   KIOSK_CRASH_AFTER=card.write-intent#2   (second occurrence)
 * and pass `afterAppend: crashAfterFromEnv()` to openJournal in the child.
 */
import type { JournalEntryType, JournalRecord } from '../journal.js';

export function crashAfter(type: JournalEntryType, occurrence = 1, kill: () => void = () => process.kill(process.pid, 'SIGKILL')) {
  let seen = 0;
  return (record: JournalRecord): void => {
    if (record.type === type && ++seen === occurrence) kill();
  };
}

export function crashAfterFromEnv(env: NodeJS.ProcessEnv = process.env): ((record: JournalRecord) => void) | undefined {
  const spec = env.KIOSK_CRASH_AFTER;
  if (!spec) return undefined;
  const [type, n] = spec.split('#');
  return crashAfter(type as JournalEntryType, n ? Number(n) : 1);
}
