/**
 * The simulated terminal's own books: every payment it approved and every reversal it made, with
 * the receipt and trace numbers a terminal hands out, and the Status-Information it reports.
 */
import type { Clock } from '../../../../contract/time.js';
import type { LedgerEntry } from '../../emulator-control.js';
import { EUR, type StatusInformation } from '../messages.js';

export interface SimulatorLedgerEntry extends LedgerEntry {
  trace: string;
  /**
   * reservation (06 22): `state` reads as for a payment — authorized while reserved, committed once
   * booked (06 24), reversed once released (06 25) or expired; `reservation` says which.
   */
  kind: 'payment' | 'reversal' | 'reservation';
  /** BMP 3B of a reservation: book total must name it again. */
  aid?: string;
}

export class TerminalLedger {
  private readonly entries: SimulatorLedgerEntry[] = [];
  private receiptNo = 0;
  private trace = 0;

  /** A new entry with the next receipt and trace numbers. */
  record(kind: SimulatorLedgerEntry['kind'], amountCents: number, state: SimulatorLedgerEntry['state']): SimulatorLedgerEntry {
    const e: SimulatorLedgerEntry = { receiptNumber: String(++this.receiptNo).padStart(4, '0'), trace: this.nextTrace(), amountCents, state, kind };
    this.entries.push(e);
    return e;
  }

  nextTrace(): string {
    return String(++this.trace).padStart(6, '0');
  }

  reservation(receiptNumber: string | undefined): SimulatorLedgerEntry | undefined {
    return this.entries.find((x) => x.kind === 'reservation' && x.receiptNumber === receiptNumber);
  }

  payment(receiptNumber: string | undefined): SimulatorLedgerEntry | undefined {
    return this.entries.find((x) => x.kind === 'payment' && x.receiptNumber === receiptNumber);
  }

  /** What the booked payments add up to (end-of-day). */
  bookedTotal(): number {
    return this.entries.reduce((s, e) => s + ((e.kind === 'payment' || e.kind === 'reservation') && e.state === 'committed' ? e.amountCents : 0), 0);
  }

  list(): SimulatorLedgerEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
}

/** The Status-Information (04 0F) this terminal reports, at the clock's time. */
export function statusInformation(clock: Clock, terminalId: string, resultCode: number, amountCents: number, receiptNumber?: string, trace?: string): StatusInformation {
  const now = clock.now();
  const p2 = (n: number) => String(n).padStart(2, '0');
  const s: StatusInformation = {
    resultCode,
    amountCents,
    currency: EUR,
    time: `${p2(now.getUTCHours())}${p2(now.getUTCMinutes())}${p2(now.getUTCSeconds())}`,
    date: `${p2(now.getUTCMonth() + 1)}${p2(now.getUTCDate())}`,
    terminalId,
  };
  if (trace) s.trace = trace;
  if (receiptNumber) {
    s.receiptNumber = receiptNumber;
    s.maskedPan = '672559******' + receiptNumber;
    s.cardName = 'girocard';
    s.cardType = 0x05;
  }
  return s;
}
