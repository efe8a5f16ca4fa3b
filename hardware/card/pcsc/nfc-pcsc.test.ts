import { describe, expect, it } from 'vitest';
import { PcscUnavailableError, loadNfcPcsc } from './nfc-pcsc.js';

describe('loading the optional PC/SC driver', () => {
  it('without nfc-pcsc installed (no libpcsclite-dev at npm install): a clear error that says what to install', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'nfc-pcsc'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadNfcPcsc(missing)).toThrow(PcscUnavailableError);
    expect(() => loadNfcPcsc(missing)).toThrow(/libpcsclite-dev.*npm install.*Emulated hardware does not need it.*Cannot find module 'nfc-pcsc'/s);
  });
});
