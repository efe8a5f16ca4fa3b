/**
 * Full contents of the fixture cards testers present on emulated readers (identities in
 * contract/fixture-cards.ts, shared with the reference back office). Dates are fixed, not clock-relative:
 * the expired card expired in 2024, the others are valid until 2029-2031.
 */
import type { CardModel } from '../../contract/card.js';
import { type CardImage, encodeCardImage, imageBlock } from './codec.js';
import { FIXTURE_CARDS, FIXTURE_CARD_IDS, type FixtureCardId } from '../../contract/fixture-cards.js';
import type { KeyProvider } from './keys.js';
import { AREA_LAYOUT } from './layout.js';

export const FIXTURE_LABELS: Record<FixtureCardId, string> = {
  'personal-kaartservicecode': 'Personal card, kaartservicecode and NS Extra waiting',
  'personal-ns-extra': 'Personal card, NS Extra balance waiting',
  'personal-products': 'Personal card with travel products',
  anonymous: 'Anonymous card',
  business: 'NS-Business Card',
  blocked: 'Blocked personal card (reported lost)',
  expired: 'Expired personal card',
  'near-limit': 'Anonymous card near the EUR 150 limit',
  corrupt: 'Defective card (data fails its checks)',
};

function base(id: FixtureCardId): Pick<CardModel, 'uid' | 'cardNumber' | 'kind'> {
  const f = FIXTURE_CARDS[id];
  return { uid: f.uid, cardNumber: f.cardNumber, kind: f.kind };
}

const someTrips = (station: string, day: string): CardModel['transactions'] => [
  { at: `${day}T17:42:10.000Z`, kind: 'check-out', station: 'ASD', amountCents: 905 },
  { at: `${day}T17:03:55.000Z`, kind: 'check-in', station, amountCents: 0 },
  { at: `${day}T07:51:20.000Z`, kind: 'check-out', station, amountCents: 905 },
  { at: `${day}T07:12:02.000Z`, kind: 'check-in', station: 'ASD', amountCents: 0 },
];

export const FIXTURE_CARD_MODELS: Record<FixtureCardId, CardModel> = {
  'personal-kaartservicecode': {
    ...base('personal-kaartservicecode'),
    expiryDate: '2030-03-31',
    birthDate: '1988-05-14',
    balanceCents: 1250,
    products: [],
    transactions: someTrips('UT', '2026-11-20'),
    topUps: [{ at: '2026-10-02T08:15:00.000Z', amountCents: 2000, location: 'KIOSK-UT-03', ref: '7f3a9c01' }],
    creditRefs: ['7f3a9c01'],
    autoTopUp: false,
    blocked: false,
  },
  'personal-ns-extra': {
    ...base('personal-ns-extra'),
    expiryDate: '2029-08-31',
    birthDate: '1975-11-02',
    balanceCents: 830,
    products: [],
    transactions: someTrips('RTD', '2026-11-18'),
    topUps: [
      { at: '2026-09-12T12:00:00.000Z', amountCents: 1000, location: 'online', ref: 'c0ffee01' },
      { at: '2026-06-01T09:30:00.000Z', amountCents: 500, location: 'ns-extra', ref: 'b16b00b5' },
    ],
    creditRefs: ['c0ffee01', 'b16b00b5'],
    autoTopUp: true,
    blocked: false,
  },
  'personal-products': {
    ...base('personal-products'),
    expiryDate: '2031-01-31',
    birthDate: '1992-02-29',
    balanceCents: 4520,
    products: [
      { code: 'DAL-VOORDEEL', validFrom: '2026-01-15', validUntil: '2027-01-14', travelClass: 2, ref: 'a1b2c3d4' },
      { code: 'SAMENREISKORTING', validFrom: '2026-03-01', validUntil: '2027-02-28', ref: 'a1b2c3d5' },
    ],
    transactions: someTrips('UT', '2026-11-21'),
    topUps: [{ at: '2026-11-01T10:00:00.000Z', amountCents: 2500, location: 'KIOSK-ASD-01', ref: '00c0ffee' }],
    creditRefs: ['00c0ffee', 'a1b2c3d5', 'a1b2c3d4'],
    autoTopUp: false,
    blocked: false,
  },
  anonymous: {
    ...base('anonymous'),
    expiryDate: '2030-06-30',
    balanceCents: 2035,
    products: [],
    transactions: someTrips('GVC', '2026-11-19').slice(0, 2),
    topUps: [{ at: '2026-11-19T16:55:00.000Z', amountCents: 2000, location: 'KIOSK-GVC-02', ref: '5eed0001' }],
    creditRefs: ['5eed0001'],
    autoTopUp: false,
    blocked: false,
  },
  business: {
    ...base('business'),
    expiryDate: '2030-12-31',
    balanceCents: 0,
    products: [
      { code: 'NS-BUSINESS-VRIJ', validFrom: '2026-01-01', validUntil: '2026-12-31', travelClass: 1, ref: 'b0551234' },
    ],
    transactions: someTrips('UT', '2026-11-22'),
    topUps: [],
    creditRefs: ['b0551234'],
    autoTopUp: false,
    blocked: false,
  },
  blocked: {
    ...base('blocked'),
    expiryDate: '2029-05-31',
    birthDate: '1969-07-20',
    balanceCents: 1710,
    products: [],
    transactions: someTrips('EHV', '2026-11-10'),
    topUps: [],
    creditRefs: [],
    autoTopUp: false,
    blocked: true,
  },
  expired: {
    ...base('expired'),
    expiryDate: '2024-06-30',
    birthDate: '1959-09-09',
    balanceCents: 640,
    products: [{ code: 'DAL-VOORDEEL', validFrom: '2026-01-01', validUntil: '2026-12-31', travelClass: 2, ref: 'e0e0e0e0' }],
    transactions: someTrips('ZL', '2024-06-01'),
    topUps: [],
    creditRefs: ['e0e0e0e0'],
    autoTopUp: false,
    blocked: false,
  },
  'near-limit': {
    ...base('near-limit'),
    expiryDate: '2030-09-30',
    balanceCents: 14_250,
    products: [],
    transactions: someTrips('UT', '2026-11-17').slice(0, 2),
    topUps: [
      { at: '2026-11-16T18:00:00.000Z', amountCents: 10_000, location: 'KIOSK-UT-01', ref: '1a2b3c4d' },
      { at: '2026-10-16T18:00:00.000Z', amountCents: 5_000, location: 'KIOSK-UT-01', ref: '1a2b3c4c' },
    ],
    creditRefs: ['1a2b3c4d', '1a2b3c4c'],
    autoTopUp: false,
    blocked: false,
  },
  // Its image is damaged below: this model is what was on it before the damage.
  corrupt: {
    ...base('corrupt'),
    expiryDate: '2030-01-31',
    birthDate: '1980-01-01',
    balanceCents: 2280,
    products: [],
    transactions: someTrips('AMF', '2026-11-11'),
    topUps: [],
    creditRefs: [],
    autoTopUp: false,
    blocked: false,
  },
};

export function fixtureCardModel(id: FixtureCardId): CardModel {
  return structuredClone(FIXTURE_CARD_MODELS[id]);
}

/** The card image of a fixture, issued in the current format: sealed by the SAM and keyed with the
 * card's own diversified keys. The 'corrupt' card has a flipped bit in the current identity and
 * purse records, so every read reports a defective card. */
export function fixtureCardImage(id: FixtureCardId, keys: KeyProvider): CardImage {
  const image = encodeCardImage(FIXTURE_CARD_MODELS[id], keys);
  if (id === 'corrupt') {
    imageBlock(image, AREA_LAYOUT.identity.blocks[0][0]!)[6]! ^= 0x10;
    imageBlock(image, AREA_LAYOUT.purse.blocks[0][0]!)[5]! ^= 0x01;
  }
  return image;
}

export { FIXTURE_CARD_IDS };
