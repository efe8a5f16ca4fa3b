import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../contract/time.js';
import { cardHardwareConfigSchema, createCardHardware, vpcdReaderName } from './index.js';
import { KeyFileError } from './keys.js';

const clock = fixedClock('2026-11-23T09:00:00Z');

describe('createCardHardware', () => {
  it('emulated mode gives a started reader with tester control over the fixtures', async () => {
    const hw = await createCardHardware({ mode: 'emulated' }, { clock });
    expect(hw.control!.fixtures()).toHaveLength(9 + 3) // nine traveller fixtures and three technician cards (issue 13);
    await hw.control!.present('near-limit');
    expect((await hw.reader.read()).balanceCents).toBe(14_250);
    await hw.stop();
  });

  it('rejects a bad configuration and a missing key file with clear errors', async () => {
    expect(cardHardwareConfigSchema.safeParse({ mode: 'usb' }).success).toBe(false);
    expect(cardHardwareConfigSchema.safeParse({ mode: 'wire', vpcdPort: 70000 }).success).toBe(false);
    await expect(createCardHardware({ mode: 'emulated', keyFile: '/nonexistent/keys.json' }, { clock })).rejects.toThrow(KeyFileError);
  });

  it('names vpcd readers by slot', () => {
    expect(vpcdReaderName(35963)).toBe('Virtual PCD 00 00');
    expect(vpcdReaderName(35964)).toBe('Virtual PCD 00 01');
  });
});
