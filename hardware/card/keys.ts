/**
 * Where MIFARE sector keys come from. The kiosk asks one KeyProvider; for emulation and tests it
 * is a key file (keys/emulation-keys.json), in production a SAM-backed provider would implement
 * the same interface.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SECTOR_COUNT } from './layout.js';

export type KeyType = 'A' | 'B';

export interface KeyProvider {
  /** The 6-byte key of the given type for a sector (0-39). */
  key(sector: number, type: KeyType): Uint8Array;
  /** A short, non-secret label for logs ("file:/path", "sam:slot2"). */
  readonly label: string;
}

const hexKey = z
  .string()
  .regex(/^[0-9A-Fa-f]{12}$/, 'a key is 12 hex digits (6 bytes)')
  .transform((s) => Uint8Array.from(Buffer.from(s, 'hex')));
const keyPair = z.object({ a: hexKey, b: hexKey });

export const keyFileSchema = z.object({
  format: z.literal('ns-kiosk-card-keys/1'),
  description: z.string().optional(),
  /** Keys for any sector not listed under `sectors`. */
  default: keyPair,
  /** Per-sector keys, by sector number ("0".."39"). */
  sectors: z.record(z.string().regex(/^(?:[0-9]|[1-3][0-9])$/, 'sector 0-39'), keyPair).default({}),
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
  return {
    label,
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
