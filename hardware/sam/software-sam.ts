/**
 * A SAM in software: the master secrets are in this process (loaded from a key file), the
 * derivations are the ones a hardware SAM would run inside itself. For emulated and wire modes
 * and tests; a real kiosk uses a hardware SAM (README.md in this folder).
 *
 * Why HMAC-SHA256 (truncated) and not AES-CMAC: node:crypto has HMAC but no CMAC, so CMAC would
 * mean a hand-written construction or another dependency for the same property (a PRF keyed by a
 * secret); HMAC-SHA256 is a standard PRF, and truncating it to 8 bytes (64 bits) is allowed by
 * RFC 2104 section 5 / NIST SP 800-107. An attacker must forge it blind, one card tap per
 * guess, at 2^-64 a try. (A hardware SAM such as NXP's AV3 would do AES-CMAC with AN10922 key
 * diversification instead: the interface does not care which PRF sits behind it.)
 *
 * Derivations (every input length-fixed, so no two inputs share an encoding):
 *   sector key  = HMAC-SHA256(keyMaster, "NSK-KEY-1" | uid | sector u8 | 'A'/'B')[0..6]
 *   card MAC key = HMAC-SHA256(macMaster, "NSK-MAC-1" | uid)
 *   card MAC     = HMAC-SHA256(card MAC key, message)[0..8]
 * The UID is prefixed by its length (4 or 7 bytes).
 */
import { createHmac } from 'node:crypto';
import { type KeyType, MAC_BYTES, type Sam } from './sam.js';

export interface SoftwareSamSecrets {
  /** Master of the per-card sector keys (at least 16 bytes). */
  keyMaster: Uint8Array;
  /** Master of the per-card MAC keys (at least 16 bytes). Kept apart from keyMaster. */
  macMaster: Uint8Array;
}

export class SamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SamError';
  }
}

function uidInput(uid: string): Buffer {
  if (!/^(?:[0-9A-F]{8}|[0-9A-F]{14})$/.test(uid)) throw new SamError(`not a card UID: ${JSON.stringify(uid)}`);
  const b = Buffer.from(uid, 'hex');
  return Buffer.concat([Buffer.of(b.length), b]);
}

export function createSoftwareSam(secrets: SoftwareSamSecrets, label: string): Sam {
  if (secrets.keyMaster.length < 16 || secrets.macMaster.length < 16) throw new SamError('SAM master secrets must be at least 16 bytes');
  if (Buffer.from(secrets.keyMaster).equals(Buffer.from(secrets.macMaster))) throw new SamError('the key master and the MAC master must differ');
  const keyMaster = Buffer.from(secrets.keyMaster);
  const macMaster = Buffer.from(secrets.macMaster);
  // Per-card MAC keys are derived once per UID seen (a kiosk sees a few cards at a time).
  const macKeys = new Map<string, Buffer>();
  return {
    label,
    sectorKey(uid: string, sector: number, type: KeyType): Uint8Array {
      if (!Number.isInteger(sector) || sector < 0 || sector > 39) throw new RangeError(`no sector ${sector} on a MIFARE Classic 4K`);
      const h = createHmac('sha256', keyMaster)
        .update('NSK-KEY-1')
        .update(uidInput(uid))
        .update(Buffer.of(sector, type === 'A' ? 0x41 : 0x42))
        .digest();
      return Uint8Array.from(h.subarray(0, 6));
    },
    cardMac(uid: string, message: Uint8Array): Uint8Array {
      let k = macKeys.get(uid);
      if (!k) {
        k = createHmac('sha256', macMaster).update('NSK-MAC-1').update(uidInput(uid)).digest();
        if (macKeys.size > 64) macKeys.clear();
        macKeys.set(uid, k);
      }
      return Uint8Array.from(createHmac('sha256', k).update(message).digest().subarray(0, MAC_BYTES));
    },
  };
}
