import { describe, expect, it } from 'vitest';
import { LOCALES } from '../../../main/core/contract.js';
import { RENDERER_LOCALES } from './contract.js';

describe('renderer contract mirror', () => {
  it('offers exactly the locales the core accepts, in the same order', () => {
    expect([...RENDERER_LOCALES]).toEqual([...LOCALES]);
  });
});
