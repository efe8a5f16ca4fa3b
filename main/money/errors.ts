/**
 * The one error mapping of the money code: what a thrown error is called in the journal
 * (`errorCode`, `errorText`), whether a failed card write may have landed (`writeFailure`), and
 * what the traveller is told (`writeProblem`). Top-up, orders, the station passage and recovery
 * all use these; none keeps its own copy.
 */
import { maskCardNumbers } from '../../contract/journal-record.js';
import { isCardError } from '../../hardware/card/card-reader.js';

/** The `code` of a driver error (CardError, PaymentTerminalError, or any error that carries one). */
export function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** An error's message for the journal: short, and with any long digit run (a card or bank card
 * number a driver might quote) blanked, so the journal's privacy check never refuses the record. */
export function errorText(e: unknown): string {
  return maskCardNumbers(e instanceof Error ? e.message : String(e), '[number]').slice(0, 200);
}

/** Card error codes that prove the card was never touched: the write is certainly not on it. */
const UNTOUCHED = new Set(['no-card', 'wrong-card', 'wrong-key']);

export type WriteProblem = 'card-removed' | 'wrong-card' | 'write-failed';

/** What the traveller is told about a card that could not be read or written. */
export function writeProblem(code: string | undefined): WriteProblem {
  return code === 'card-gone' || code === 'no-card'
    ? 'card-removed'
    : code === 'wrong-card' || code === 'wrong-key'
      ? 'wrong-card'
      : 'write-failed';
}

export interface WriteFailure {
  /** The journal's reason: the card error code, or 'unexpected' for anything else. */
  reason: string;
  /**
   * May the write have landed? The one rule, decided here for every path: only a CardError that
   * proves the card was never touched (no card, another card, wrong key) is certain. Everything
   * else, including a plain Error (a driver bug, an exception after the blocks were written), is
   * uncertain: the next tap re-reads the card and the ref decides, and recovery checks the card.
   * Calling such a failure certain would reverse a payment whose credit landed (money given away)
   * or load an order twice.
   */
  uncertain: boolean;
  problem: WriteProblem;
  detail: string;
}

export function writeFailure(e: unknown): WriteFailure {
  const code = isCardError(e) ? e.code : undefined;
  return { reason: code ?? 'unexpected', uncertain: !(code !== undefined && UNTOUCHED.has(code)), problem: writeProblem(code), detail: errorText(e) };
}
