/**
 * Where the card's secrets come from. The card layer asks one KeyProvider, which is a SAM
 * (hardware/sam/sam.ts): sector keys diversified per card by UID, and the card MAC. For emulation
 * and tests it is a software SAM whose master secrets come from a key file
 * (keys/emulation-keys.json); in production a hardware SAM implements the same interface.
 *
 * `key(sector, type)` is the key file's own, NOT diversified, key: the keys cards of format 1 were
 * written with. It is used only to migrate such a card (docs/card-format.md, "Migrating format 1
 * cards") and by the configuration check that refuses the emulation keys in real mode.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { KeyType, Sam } from '../sam/sam.js';
import { createSoftwareSam } from '../sam/software-sam.js';
import { SECTOR_COUNT } from './layout.js';

export type { KeyType } from '../sam/sam.js';

export interface KeyProvider extends Sam {
  /** The key file's own (legacy, not diversified) 6-byte key of the given type for a sector (0-39). */
  key(sector: number, type: KeyType): Uint8Array;
}

const hexKey = z
  .string()
  .regex(/^[0-9A-Fa-f]{12}$/, 'a key is 12 hex digits (6 bytes)')
  .transform((s) => Uint8Array.from(Buffer.from(s, 'hex')));
const keyPair = z.object({ a: hexKey, b: hexKey });
const secret = z
  .string()
  .regex(/^(?:[0-9A-Fa-f]{2}){16,64}$/, 'a SAM master secret is 16-64 bytes of hex')
  .transform((s) => Uint8Array.from(Buffer.from(s, 'hex')));

export const keyFileSchema = z.object({
  format: z.literal('ns-kiosk-card-keys/1'),
  description: z.string().optional(),
  /** Keys for any sector not listed under `sectors`. */
  default: keyPair,
  /** Per-sector keys, by sector number ("0".."39"). */
  sectors: z.record(z.string().regex(/^(?:[0-9]|[1-3][0-9])$/, 'sector 0-39'), keyPair).default({}),
  /**
   * The software SAM's master secrets (per-card sector keys; per-card MAC keys). A key file
   * without them derives both from its legacy keys (SHA-256 with distinct labels), so older key
   * files keep working; a production file names them.
   */
  sam: z.object({ keyMaster: secret, macMaster: secret }).optional(),
});
export type KeyFile = z.input<typeof keyFileSchema>;

export class KeyFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyFileError';
  }
}

/** The emulation key file shipped in the repository (not a production secret). */
export const DEFAULT_EMULATION_KEY_FILE = fileURLToPath(new URL('./keys/emulation-keys.json', import.meta.url));

export function keyProviderFromJson(json: unknown, label = 'inline'): KeyProvider {
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new KeyFileError(`key file ${label} is invalid: ${z.prettifyError(parsed.error)}`);
  }
  const { default: def, sectors } = parsed.data;
  const table: { A: Uint8Array; B: Uint8Array }[] = [];
  for (let s = 0; s < SECTOR_COUNT; s++) {
    const p = sectors[String(s)] ?? def;
    table.push({ A: p.a, B: p.b });
  }
  const derived = (what: string) => {
    const h = createHash('sha256').update(`ns-kiosk-sam-${what}-from-legacy-keys:`);
    for (const e of table) h.update(e.A).update(e.B);
    return Uint8Array.from(h.digest());
  };
  const sam = createSoftwareSam(parsed.data.sam ?? { keyMaster: derived('key-master'), macMaster: derived('mac-master') }, label);
  return {
    label,
    sectorKey: (uid, sector, type) => sam.sectorKey(uid, sector, type),
    cardMac: (uid, message) => sam.cardMac(uid, message),
    key(sector: number, type: KeyType): Uint8Array {
      const entry = table[sector];
      if (!entry) throw new RangeError(`no sector ${sector} on a MIFARE Classic 4K`);
      return Uint8Array.from(entry[type]);
    },
  };
}

export function loadKeyFile(path: string = DEFAULT_EMULATION_KEY_FILE): KeyProvider {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new KeyFileError(`cannot read key file ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeyFileError(`key file ${path} is not JSON`, { cause });
  }
  return keyProviderFromJson(json, `file:${path}`);
}
