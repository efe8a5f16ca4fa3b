/** The kiosk's randomness in production: node:crypto. Tests inject their own `Random`. */
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** A random id (hex), `bytes` long before encoding. */
  id(bytes?: number): string;
  /** Uniform in [0, 1). */
  next(): number;
}

export const cryptoRandom: Random = {
  id: (bytes = 16) => randomBytes(bytes).toString('hex'),
  next: () => randomInt(0, 2 ** 48) / 2 ** 48,
};

/** Deterministic ids for tests: a counter in the first 8 hex characters (so short refs differ). */
export function sequentialRandom(): Random {
  let n = 0;
  return {
    id: (bytes = 16) => (++n).toString(16).padStart(8, '0').padEnd(bytes * 2, 'af'),
    next: () => (n = (n + 1) % 1000) / 1000,
  };
}
