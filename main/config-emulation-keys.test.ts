// The refusal of the emulation keys on a real reader works where the production package leaves the
// key file out (issue 15 package check): by the digest of the whole key set.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEFAULT_EMULATION_KEY_FILE, keyProviderFromJson, loadKeyFile } from '../hardware/card/index.js';
import { EMULATION_KEY_SET_SHA256, keySetDigest } from './config.js';

it('the built-in digest is the digest of the shipped emulation key file (a changed file fails here)', () => {
  expect(keySetDigest(loadKeyFile(DEFAULT_EMULATION_KEY_FILE))).toBe(EMULATION_KEY_SET_SHA256);
});

it('a key set differing from the emulation keys in one key has another digest', () => {
  const json = JSON.parse(readFileSync(DEFAULT_EMULATION_KEY_FILE, 'utf8')) as { sectors: Record<string, { a: string; b: string }> };
  json.sectors['3']!.b = '000000000001';
  expect(keySetDigest(keyProviderFromJson(json))).not.toBe(EMULATION_KEY_SET_SHA256);
});
