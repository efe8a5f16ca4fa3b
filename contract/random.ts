/** The kiosk's randomness in production: node:crypto. Tests inject their own `Random`. */
import { randomBytes } from 'node:crypto';

export interface Random {
  /** A random id (hex), `bytes` long before encoding. */
  id(bytes?: number): string;
  /** Uniform in [0, 1). */
  next(): number;
}

export const cryptoRandom: Random = {
  id: (bytes = 16) => randomBytes(bytes).toString('hex'),
  // 48 random bits over 2^48. (randomInt(0, 2 ** 48) throws: its range must stay below 2^48.)
  next: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
};

/** Deterministic ids for tests: a counter in the first 8 hex characters (so short refs differ). */
export function sequentialRandom(): Random {
  let n = 0;
  return {
    id: (bytes = 16) => (++n).toString(16).padStart(8, '0').padEnd(bytes * 2, 'af'),
    next: () => (n = (n + 1) % 1000) / 1000,
  };
}
