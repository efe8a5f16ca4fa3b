/**
 * The journal's chain, checked once at start-up (issue 12 item 6). A journal whose chain does not
 * verify (a record edited, spliced in, deleted or re-signed behind the kiosk's back) cannot be
 * trusted to tell recovery what money is open, so the kiosk takes no money until a technician has
 * looked: the composition root turns the money journeys off and the kiosk shows only what moves
 * no money. The finding is reported twice: in the log (error) and as a `kiosk.note` in the journal
 * itself, which the uploader carries to the back office.
 */
import type { ChainCheck, SqliteJournal } from './sqlite-journal.js';

export interface StartUpChainCheck {
  /** true: take no money this run. */
  moneyStopped: boolean;
  check: ChainCheck;
}

export function checkChainAtStartUp(
  journal: Pick<SqliteJournal, 'verifyChain' | 'append'>,
  log: (msg: string, extra: object) => void,
  operationId: string,
): StartUpChainCheck {
  const check = journal.verifyChain();
  if (check.ok) return { moneyStopped: false, check };
  const bad = check.firstBad!;
  log('journal chain broken at start-up: money journeys stopped until a technician checks the journal', {
    checked: check.checked,
    firstBadSeq: bad.seq,
    reason: bad.reason,
  });
  journal.append({
    type: 'kiosk.note',
    operationId,
    data: { event: 'journal-chain-broken', firstBadSeq: bad.seq, reason: bad.reason, checked: check.checked, money: 'stopped' },
  });
  return { moneyStopped: true, check };
}
