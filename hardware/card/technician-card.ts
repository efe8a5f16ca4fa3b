/**
 * The technician card (issue 13): the same MIFARE Classic 4K chip as a traveller's card, keyed with
 * the same diversified keys, but with its own format header ("NS-KIOSK-TECHNC") and no OV-chipkaart
 * data. It carries one thing: the technician credential (contract/technician-credential.ts, signed
 * with the operator's Ed25519 key), length-prefixed in the data blocks of the sectors the traveller
 * format leaves unused (layout.ts RESERVED_SECTORS). The traveller format is unchanged.
 *
 * `identifyCard` reads block 1 (the format header) and, for a technician card, the credential.
 * Anything else (a traveller card, an unknown header, a read that fails) is `traveller`: the
 * traveller read that follows reports those problems as it always did, and only a card whose
 * header says technician ever reaches the credential check (which is where it is trusted or not).
 *
 * Emulation only: the fixture technician cards are signed with the shipped emulation operator key
 * (keys/emulation-operator-ed25519.pem); main/config.ts refuses its public key on a real kiosk.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { signTechnicianCredential } from '../../contract/technician-credential.js';
import { FIXTURE_TECHNICIANS, TECHNICIAN_CARDS, type TechnicianCardId } from '../../contract/fixture-technicians.js';
import type { BlockSession } from './card-io.js';
import type { CardIdentification } from './card-reader.js';

export type { CardIdentification };
import { SectorAccess } from './card-io.js';
import type { CardImage } from './codec.js';
import { uidBytes } from './codec-bytes.js';
import type { KeyProvider } from './keys.js';
import {
  BLOCK_SIZE,
  dataBlocksOfSectors,
  FORMAT_HEADER_BLOCKS,
  IMAGE_SIZE,
  KIOSK_ACCESS_BYTES,
  MANUFACTURER_BLOCK,
  RESERVED_SECTORS,
  SECTOR_COUNT,
  trailerBlockOfSector,
} from './layout.js';

export const TECHNICIAN_HEADER = 'NS-KIOSK-TECHNC';
export const TECHNICIAN_FORMAT_VERSION = 1;
/** Where the credential sits: 2 bytes length (big-endian), then the token's ASCII bytes. */
export const CREDENTIAL_BLOCKS = dataBlocksOfSectors(RESERVED_SECTORS);
export const MAX_CREDENTIAL_BYTES = CREDENTIAL_BLOCKS.length * BLOCK_SIZE - 2;

export const EMULATION_OPERATOR_KEY_FILE = fileURLToPath(new URL('./keys/emulation-operator-ed25519.pem', import.meta.url));

let emulationKey: KeyObject | undefined;
/** The emulation operator's private key (signs the fixture technician cards; never on a real kiosk). */
export function emulationOperatorPrivateKey(): KeyObject {
  emulationKey ??= createPrivateKey(readFileSync(EMULATION_OPERATOR_KEY_FILE, 'utf8'));
  return emulationKey;
}
export function emulationOperatorPublicKey(): KeyObject {
  return createPublicKey(emulationOperatorPrivateKey());
}


function headerBlock(): Uint8Array {
  const h = new Uint8Array(BLOCK_SIZE);
  h.set(Buffer.from(TECHNICIAN_HEADER, 'ascii'));
  h[15] = TECHNICIAN_FORMAT_VERSION;
  return h;
}

function isTechnicianHeader(block: Uint8Array): boolean {
  return Buffer.from(block).equals(Buffer.from(headerBlock()));
}

/** A technician card image: the credential in the reserved sectors, every sector keyed like a traveller card. */
export function encodeTechnicianCardImage(uid: string, credential: string, keys: KeyProvider): CardImage {
  const bytes = Buffer.from(credential, 'ascii');
  if (bytes.length > MAX_CREDENTIAL_BYTES) throw new RangeError(`a technician credential holds at most ${MAX_CREDENTIAL_BYTES} bytes`);
  const data = new Uint8Array(IMAGE_SIZE);
  const put = (block: number, b: Uint8Array) => data.set(b, block * BLOCK_SIZE);
  const m = new Uint8Array(BLOCK_SIZE);
  const u = uidBytes(uid);
  m.set(u, 0);
  m[u.length] = 0x18; // SAK: MIFARE Classic 4K
  put(MANUFACTURER_BLOCK, m);
  put(FORMAT_HEADER_BLOCKS[0], headerBlock());
  const payload = new Uint8Array(CREDENTIAL_BLOCKS.length * BLOCK_SIZE);
  payload[0] = bytes.length >> 8;
  payload[1] = bytes.length & 0xff;
  payload.set(bytes, 2);
  CREDENTIAL_BLOCKS.forEach((b, i) => put(b, payload.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)));
  for (let s = 0; s < SECTOR_COUNT; s++) {
    const t = new Uint8Array(BLOCK_SIZE);
    t.set(keys.sectorKey(uid, s, 'A'), 0);
    t.set(KIOSK_ACCESS_BYTES, 6);
    t[9] = 0x69;
    t.set(keys.sectorKey(uid, s, 'B'), 10);
    put(trailerBlockOfSector(s), t);
  }
  return { uid, data };
}

/** A fixture technician card, its credential signed now with the emulation operator key. */
export function technicianCardImage(id: TechnicianCardId, keys: KeyProvider): CardImage {
  const c = TECHNICIAN_CARDS[id];
  const t = FIXTURE_TECHNICIANS[c.technician];
  const credential = signTechnicianCredential(
    { v: 1, technicianId: t.technicianId, roles: [...t.roles], expiresAt: c.expiresAt, uid: c.uid },
    emulationOperatorPrivateKey(),
  );
  return encodeTechnicianCardImage(c.uid, credential, keys);
}

/**
 * Which format the card in the field carries. Reads block 1 only for a traveller card (one more
 * block read per tap); for a technician card also the credential's blocks. Never throws: any
 * failure is `traveller`, and the traveller read reports it.
 */
export async function identifyCard(session: BlockSession, keys: KeyProvider): Promise<CardIdentification> {
  try {
    const access = new SectorAccess(session, keys);
    if (!isTechnicianHeader(await access.read(FORMAT_HEADER_BLOCKS[0]))) return { format: 'traveller' };
    const first = await access.read(CREDENTIAL_BLOCKS[0]!);
    const len = (first[0]! << 8) | first[1]!;
    if (len === 0 || len > MAX_CREDENTIAL_BYTES) return { format: 'technician', uid: session.uid, credential: '' };
    const need = Math.ceil((len + 2) / BLOCK_SIZE);
    const buf = new Uint8Array(need * BLOCK_SIZE);
    buf.set(first, 0);
    for (let i = 1; i < need; i++) buf.set(await access.read(CREDENTIAL_BLOCKS[i]!), i * BLOCK_SIZE);
    return { format: 'technician', uid: session.uid, credential: Buffer.from(buf.subarray(2, 2 + len)).toString('ascii') };
  } catch {
    return { format: 'traveller' };
  }
}
