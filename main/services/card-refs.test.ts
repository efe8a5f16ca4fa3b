import { describe, expect, it } from 'vitest';
import { cardCreditRefs } from './card-refs.js';

describe('cardCreditRefs: the refs a card holds, newest first, for card.refs-seen', () => {
  it('takes the credit-ref log first (newest first), then top-up and product refs not in it, once each, only well-formed refs', () => {
    const refs = cardCreditRefs({
      creditRefs: ['eeeeeeee', 'aaaaaaaa'],
      topUps: [
        { at: '2026-11-23T10:00:00Z', amountCents: 100, location: 'k', ref: 'aaaaaaaa' },
        { at: '2026-11-22T10:00:00Z', amountCents: 100, location: 'k', ref: 'bbbbbbbb' },
      ],
      products: [
        { code: 'DAL-VOORDEEL', validFrom: '2026-01-01', validUntil: '2026-12-31', ref: 'cccccccc' },
        { code: 'STATION-PASSAGE', validFrom: '2026-11-23', validUntil: '2026-11-23T11:00:00Z', ref: 'dddddddd' },
        { code: 'OLD', validFrom: '2020-01-01', validUntil: '2020-12-31' },
        { code: 'DUP', validFrom: '2026-01-01', validUntil: '2026-12-31', ref: 'aaaaaaaa' },
        { code: 'BAD', validFrom: '2026-01-01', validUntil: '2026-12-31', ref: 'not,a,ref' },
      ],
    });
    expect(refs).toEqual(['eeeeeeee', 'aaaaaaaa', 'bbbbbbbb', 'cccccccc', 'dddddddd']);
  });

  it('drops a ref of more than 8 hex characters, whichever end the extra ones are on (the back office matches whole refs)', () => {
    const refs = cardCreditRefs({ creditRefs: ['001234abcd', '1234abcd00', '1234abcd'], topUps: [], products: [] });
    expect(refs).toEqual(['1234abcd']);
  });
});
