/**
 * The events a shell may send to the core, as a zod schema: the core validates every event with it
 * where it enters (kiosk runtime, Electron IPC). Kept apart from bridge.ts so that the machines and
 * the renderer, which need only the types, never load zod.
 */
import { z } from 'zod';
import { LOCALES } from './locales.js';
import { MAINTENANCE_ACTIONS } from './maintenance.js';

/** Events a shell may send. Anything else is refused with a typed error. */
export const kioskEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('START') }),
  z.object({ type: z.literal('SET_LOCALE'), locale: z.enum(LOCALES) }),
  z.object({ type: z.literal('TOGGLE_LARGE_TEXT') }),
  z.object({ type: z.literal('ACTIVITY') }),
  z.object({ type: z.literal('MORE_TIME') }),
  /** "No, I have finished" on the inactivity warning. */
  z.object({ type: z.literal('END_VISIT') }),
  z.object({ type: z.literal('CHOOSE'), option: z.enum(['topup', 'collect-orders', 'balance', 'station-passage']) }),
  z.object({ type: z.literal('SELECT_AMOUNT'), amountCents: z.number().int().positive().max(15000) }),
  z.object({ type: z.literal('SELECT_ORDER'), orderId: z.string().min(1).max(64) }),
  z.object({ type: z.literal('CONFIRM') }),
  z.object({ type: z.literal('RETRY') }),
  z.object({ type: z.literal('BACK') }),
  z.object({ type: z.literal('CANCEL') }),
  z.object({ type: z.literal('FINISH') }),
  // Issue 13: the technician's events (taken only while the maintenance journey runs). A PIN is
  // digits only; it is never logged nor shown back.
  z.object({ type: z.literal('PIN'), pin: z.string().regex(/^\d{4,12}$/) }),
  z.object({
    type: z.literal('RUN'),
    action: z.enum(MAINTENANCE_ACTIONS),
    reason: z.string().trim().min(1).max(200).optional(),
  }),
  z.object({ type: z.literal('LOCK') }),
]);
export type KioskEvent = z.infer<typeof kioskEventSchema>;


