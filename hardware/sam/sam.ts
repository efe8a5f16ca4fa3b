/**
 * The SAM (secure access module): where the kiosk's card secrets live. The card layer never holds
 * a master key; it asks the SAM for
 *   - the sector keys of ONE card, diversified from the master keys by the card's UID (a key read
 *     off one card, or sniffed from one tap, opens that card only), and
 *   - the MAC that seals a card's identity, purse, products and credit-ref log to its UID and
 *     write counter (docs/card-format.md, "The seal").
 *
 * Implementations: `software-sam.ts` (master keys from a key file, for emulated and wire modes and
 * tests) and, in production, a hardware SAM in a second PC/SC slot (see README.md in this folder:
 * the same two calls become APDUs, and no key ever leaves the SAM).
 */
export type KeyType = 'A' | 'B';

export interface Sam {
  /** A short, non-secret label for logs ("file:/path", "sam:slot2"). */
  readonly label: string;
  /** The 6-byte MIFARE key of the given type for a sector (0-39) of the card with this UID. */
  sectorKey(uid: string, sector: number, type: KeyType): Uint8Array;
  /** The card MAC (MAC_BYTES bytes) over `message`, keyed per card by its UID. */
  cardMac(uid: string, message: Uint8Array): Uint8Array;
}

/** Length of the card MAC stored on the card. */
export const MAC_BYTES = 8;
