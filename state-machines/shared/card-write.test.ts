import { describe, expect, it } from 'vitest';
import { notProvidedIn, writeProblemOf } from './card-write.js';

describe('shared card-write pieces', () => {
  it('a write problem result is shown as itself; any other result counts as a failed write', () => {
    expect(writeProblemOf('card-removed')).toBe('card-removed');
    expect(writeProblemOf('wrong-card')).toBe('wrong-card');
    expect(writeProblemOf('write-failed')).toBe('write-failed');
    expect(writeProblemOf('loaded')).toBe('write-failed');
    expect(writeProblemOf('refused')).toBe('write-failed');
  });

  it('an actor the runtime did not provide fails loudly, naming the machine and the actor', () => {
    expect(notProvidedIn('top-up')('creditCard')).toThrow("top-up machine: actor 'creditCard' was not provided by the runtime");
  });
});
