/**
 * Technician fixtures for emulated and wire modes and tests (issue 13): never valid on a real
 * kiosk (the operator key that signs their credentials is an emulation key, refused in real mode).
 * Defined once so the kiosk's fixture cards and the embedded back office's technician list agree.
 * `revoked` is on the back office's list as revoked: its card must never open maintenance.
 */
import type { TechnicianCredential } from './technician-credential.js';

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
