/**
 * The balance rules (public OV-chipkaart terms, docs/domain.md): a card holds at most EUR 150; a
 * balance may be negative after a trip; a credit (top-up, NS Extra) must leave the balance at or
 * below the configured maximum, which is itself at most EUR 150.
 */
export const MAX_BALANCE_CENTS = 15_000;

/** How much can still be added to `balanceCents` without passing `maxBalanceCents`. */
export function balanceRoom(balanceCents: number, maxBalanceCents: number): number {
  return Math.max(0, maxBalanceCents - balanceCents);
}

/** Would adding `amountCents` pass the maximum? Exactly the maximum is allowed. */
export function exceedsMaximum(balanceCents: number, amountCents: number, maxBalanceCents: number): boolean {
  return balanceCents + amountCents > maxBalanceCents;
}
