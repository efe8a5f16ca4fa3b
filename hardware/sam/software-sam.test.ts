import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAC_BYTES } from './sam.js';
import { createSoftwareSam, SamError } from './software-sam.js';

const secrets = { keyMaster: Buffer.alloc(32, 1), macMaster: Buffer.alloc(32, 2) };
const sam = createSoftwareSam(secrets, 'test');
const UID = '04A1B2C3D4E5F6';

describe('software SAM', () => {
  it('diversifies sector keys by UID, sector and key type (every one distinct), deterministically', () => {
    const seen = new Set<string>();
    for (const uid of [UID, '04A1B2C3D4E5F7', 'A1B2C3D4'])
      for (let s = 0; s < 40; s++) for (const t of ['A', 'B'] as const) seen.add(Buffer.from(sam.sectorKey(uid, s, t)).toString('hex'));
    expect(seen.size).toBe(3 * 40 * 2);
    expect(sam.sectorKey(UID, 7, 'B')).toEqual(createSoftwareSam(secrets, 'again').sectorKey(UID, 7, 'B'));
    expect(sam.sectorKey(UID, 7, 'B')).toHaveLength(6);
  });

  it('computes the documented derivation (so a hardware SAM can be checked against it)', () => {
    const uid = Buffer.from(UID, 'hex');
    const key = createHmac('sha256', secrets.keyMaster).update('NSK-KEY-1').update(Buffer.of(7, ...uid)).update(Buffer.of(3, 0x42)).digest().subarray(0, 6);
    expect(Buffer.from(sam.sectorKey(UID, 3, 'B'))).toEqual(key);
    const macKey = createHmac('sha256', secrets.macMaster).update('NSK-MAC-1').update(Buffer.of(7, ...uid)).digest();
    const mac = createHmac('sha256', macKey).update('message').digest().subarray(0, MAC_BYTES);
    expect(Buffer.from(sam.cardMac(UID, Buffer.from('message')))).toEqual(mac);
  });

  it('MACs per card: the same message under another UID or another master gives another MAC', () => {
    const m = Buffer.from('purse and products');
    expect(sam.cardMac(UID, m)).toHaveLength(MAC_BYTES);
    expect(sam.cardMac(UID, m)).not.toEqual(sam.cardMac('04A1B2C3D4E5F7', m));
    expect(sam.cardMac(UID, m)).not.toEqual(createSoftwareSam({ ...secrets, macMaster: Buffer.alloc(32, 3) }, 'x').cardMac(UID, m));
  });

  it('refuses short or shared master secrets and anything that is not a UID', () => {
    expect(() => createSoftwareSam({ keyMaster: Buffer.alloc(8, 1), macMaster: Buffer.alloc(32, 2) }, 'x')).toThrow(SamError);
    expect(() => createSoftwareSam({ keyMaster: Buffer.alloc(32, 1), macMaster: Buffer.alloc(32, 1) }, 'x')).toThrow(SamError);
    expect(() => sam.sectorKey('04a1b2c3d4e5f6', 1, 'A')).toThrow(SamError);
    expect(() => sam.cardMac('', Buffer.alloc(1))).toThrow(SamError);
    expect(() => sam.sectorKey(UID, 40, 'A')).toThrow(RangeError);
  });
});
