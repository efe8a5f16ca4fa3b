/**
 * Technician fixtures for emulated and wire modes and tests (issue 13): never valid on a real
 * kiosk (the operator key that signs their credentials is an emulation key, refused in real mode).
 * Defined once so the kiosk's fixture cards and the embedded back office's technician list agree.
 * `revoked` is on the back office's list as revoked: its card must never open maintenance.
 */
import type { TechnicianCredential } from './technician-credential.js';
import { FIXTURE_CARD_IDS, type FixtureCardId } from './fixture-cards.js';

export interface FixtureTechnician {
  technicianId: string;
  /** The PIN typed at the kiosk; the back office keeps only its argon2id hash. */
  pin: string;
  roles: TechnicianCredential['roles'];
  revoked: boolean;
}

export const FIXTURE_TECHNICIANS = {
  technician: { technicianId: 'T-0001', pin: '2580', roles: ['diagnostics', 'settlement', 'service'], revoked: false },
  'technician-revoked': { technicianId: 'T-0002', pin: '1357', roles: ['diagnostics'], revoked: true },
} as const satisfies Record<string, FixtureTechnician>;

export type FixtureTechnicianId = keyof typeof FIXTURE_TECHNICIANS;

/**
 * The technician fixture cards testers can present (emulated and wire modes): each carries a
 * credential signed with the emulation operator key (hardware/card/technician-card.ts), bound to
 * its own UID. `technician-expired` is the working technician's card whose credential ran out.
 * Dates are fixed, like the traveller fixtures'.
 */
export const TECHNICIAN_CARDS = {
  technician: { uid: '04E7C1A0000001', technician: 'technician', expiresAt: '2031-12-31T23:00:00.000Z' },
  'technician-revoked': { uid: '04E7C1A0000002', technician: 'technician-revoked', expiresAt: '2031-12-31T23:00:00.000Z' },
  'technician-expired': { uid: '04E7C1A0000003', technician: 'technician', expiresAt: '2024-12-31T23:00:00.000Z' },
} as const satisfies Record<string, { uid: string; technician: FixtureTechnicianId; expiresAt: string }>;

export type TechnicianCardId = keyof typeof TECHNICIAN_CARDS;
export const TECHNICIAN_CARD_IDS = Object.keys(TECHNICIAN_CARDS) as TechnicianCardId[];

/** Every card an emulator can present: the traveller fixtures and the technician cards. */
export type PresentableCardId = FixtureCardId | TechnicianCardId;
export const PRESENTABLE_CARD_IDS: PresentableCardId[] = [...FIXTURE_CARD_IDS, ...TECHNICIAN_CARD_IDS];
export const isTechnicianCardId = (id: string): id is TechnicianCardId => (TECHNICIAN_CARD_IDS as string[]).includes(id);
