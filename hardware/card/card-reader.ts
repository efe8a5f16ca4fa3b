import type { CardIdentity, CardModel, CardSection } from '../../contract/card.js';

/**
 * Why a card operation failed. Every driver maps its own failures onto these codes, so the kiosk
 * can tell the traveller what happened:
 * - card-gone: the card left the field (before or during the operation);
 * - wrong-key: authentication refused (not a card this kiosk may read/write, or keys wrong);
 * - corrupt: the data failed its integrity checks (defective card: send to the service desk);
 * - tampered: the data is intact (its CRCs check) but its seal is not this kiosk SAM's MAC for this
 *   chip: edited by someone with a key set, or cloned onto another chip. Refused like a defective
 *   card, and reported (docs/card-format.md, "The seal");
 * - wrong-card: a write was asked for one card and another card is on the reader;
 * - no-card: no card is present;
 * - reader-unavailable: no reader, or PC/SC is down;
 * - io: any other transmission failure.
 */
export type CardErrorCode =
  | 'card-gone'
  | 'wrong-key'
  | 'corrupt'
  | 'tampered'
  | 'wrong-card'
  | 'no-card'
  | 'reader-unavailable'
  | 'io';

export class CardError extends Error {
  readonly code: CardErrorCode;
  constructor(code: CardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CardError';
    this.code = code;
  }
}

export function isCardError(e: unknown): e is CardError {
  return e instanceof CardError;
}

/** Issue 13: which format a card carries (technician-card.ts reads it). Only `technician` opens maintenance. */
export type CardIdentification = { format: 'traveller' } | { format: 'technician'; uid: string; credential: string };

export type CardReaderEvent =
  | { type: 'card-presented'; uid: string }
  | { type: 'card-removed'; uid: string }
  | { type: 'reader-status'; ready: boolean; readerName?: string; detail?: string };

/**
 * A card update: given the card as it is now, return what it should become. The driver verifies
 * the card on the reader is the expected one (UID and card number) before a single block is
 * written, and writes tear-safely (a card pulled away mid-write keeps either state, never a third).
 */
export type CardUpdate = (current: CardModel) => CardModel;

export interface CardReader {
  /** Start watching for readers and cards. Idempotent. */
  start(): Promise<void>;
  stop(): Promise<void>;
  subscribe(listener: (event: CardReaderEvent) => void): () => void;
  /** UID of the card in the field now, if any. */
  currentCard(): string | undefined;
  /** Read the card in the field: only the sections asked for are guaranteed filled. */
  read(sections?: readonly CardSection[]): Promise<CardModel>;
  /** Issue 13: which format the card in the field carries (a technician card and its credential).
   * Optional: a reader without it never opens maintenance. */
  identify?(): Promise<CardIdentification>;
  /** Apply an update to the card in the field, which must be `expected`. Returns the new state. */
  write(expected: CardIdentity, update: CardUpdate): Promise<CardModel>;
  /** Issue 13 (the technician's dashboard): the ATR (hex) of the last card that came into the
   * field, if any. Optional: a reader without it shows none. */
  lastAtr?(): string | undefined;
}

/** The ATR a PC/SC reader reports for a MIFARE Classic 4K (PC/SC part 3 storage-card ATR); the
 * emulated reader reports it for its emulated chips, as vpcd's virtual card answers on the wire. */
export const MIFARE_CLASSIC_4K_ATR_HEX = '3B8F8001804F0CA0000003060300020000000069';
