/**
 * The fixture cards testers can present on emulated hardware, by id. Their identities are fixed
 * here because the reference back office (backoffice/fixtures) keys its pending orders and blocked
 * list on the same card numbers. Full card contents live in hardware/card/fixtures.ts; every
 * emulator (in process, and the wire-mode virtual card behind vpcd) issues them in the current card
 * format: credit-ref log, sealed by the SAM, keyed with each card's own diversified keys.
 */
export const FIXTURE_CARDS = {
  'personal-kaartservicecode': { uid: '04A1B2C3D4E5F6', cardNumber: '3528010000000017', kind: 'personal' },
  'personal-ns-extra': { uid: '04A1B2C3D4E5F7', cardNumber: '3528010000000025', kind: 'personal' },
  'personal-products': { uid: '04A1B2C3D4E5F8', cardNumber: '3528010000000033', kind: 'personal' },
  anonymous: { uid: '04B1B2C3D4E5F6', cardNumber: '3528020000000014', kind: 'anonymous' },
  business: { uid: '04C1B2C3D4E5F6', cardNumber: '3528030000000011', kind: 'business' },
  blocked: { uid: '04D1B2C3D4E5F6', cardNumber: '3528010000000041', kind: 'personal' },
  expired: { uid: '04E1B2C3D4E5F6', cardNumber: '3528010000000058', kind: 'personal' },
  'near-limit': { uid: '04F1B2C3D4E5F6', cardNumber: '3528020000000022', kind: 'anonymous' },
  corrupt: { uid: '04AAB2C3D4E5F6', cardNumber: '3528010000000066', kind: 'personal' },
} as const;

export type FixtureCardId = keyof typeof FIXTURE_CARDS;
export const FIXTURE_CARD_IDS = Object.keys(FIXTURE_CARDS) as FixtureCardId[];
