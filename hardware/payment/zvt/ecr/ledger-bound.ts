/**
 * The driver's in-memory ledgers (approvals, reservations) must not grow for as long as the kiosk
 * runs: the soak (10,000 sessions) showed every approval kept for ever, with its three deferreds
 * and receipt (~1 KB per payment: tens of MB over a year of an unattended kiosk).
 *
 * Once more than `keep` entries are held, the oldest *finished* ones are forgotten (a Map iterates
 * in insertion order). Open or unclear entries are never forgotten: they are what the kiosk still
 * has to decide or resolve. A forgotten payment was finished long ago (`keep` payments since); if
 * the kiosk ever asks about it again, resolve() answers as after a restart: from the kiosk's own
 * hints (receipt number) and the terminal, never by guessing.
 */
export const LEDGER_KEEP = 256;

export function forgetOldestFinished<T>(ledger: Map<string, T>, finished: (entry: T) => boolean, keep = LEDGER_KEEP): void {
  let excess = ledger.size - keep;
  if (excess <= 0) return;
  for (const [id, entry] of ledger) {
    if (excess <= 0) break;
    if (!finished(entry)) continue;
    ledger.delete(id);
    excess--;
  }
}
