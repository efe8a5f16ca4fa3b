/** What a tester can make an emulated payment terminal do (in-process or the ZVT simulator). */
export type TerminalBehaviour =
  | 'approve'
  | 'decline'
  | 'wrong-pin'
  | 'customer-abort'
  | 'card-not-readable'
  | 'not-registered'
  | 'host-timeout'
  | 'silent'
  | 'drop-acks'
  | 'corrupt-crc'
  | 'slow';

export interface LedgerEntry {
  paymentId?: string;
  receiptNumber: string;
  amountCents: number;
  /** authorized: approved, commit not yet answered; committed: booked; reversed: undone. */
  state: 'authorized' | 'committed' | 'reversed';
  /** Reservation profile (06 22): reserved (state authorized), booked (committed), released or expired (reversed). */
  reservation?: 'reserved' | 'booked' | 'released' | 'expired';
}

export interface TerminalEmulatorControl {
  behaviours(): TerminalBehaviour[];
  behaviour(): TerminalBehaviour;
  setBehaviour(behaviour: TerminalBehaviour): void;
  /** The terminal's own view of the money. */
  ledger(): LedgerEntry[];
}
