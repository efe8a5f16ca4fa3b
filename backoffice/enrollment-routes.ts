/**
 * Enrollment, rotation and the operator's routes (issue 11 finding 5), registered on the back
 * office's app (server.ts) with their authentication on the route:
 *   POST /v1/enroll          auth 'public': the proof of the one-time token is the authentication
 *   POST /v1/keys/rotate     a signed kiosk request (the current key)
 *   POST /operator/kiosks/:kioskId/enrollment-token  auth 'operator' (Bearer BACKOFFICE_OPERATOR_TOKEN)
 *   POST /operator/kiosks/:kioskId/revoke            auth 'operator'
 * The operator routes exist only when an operator token is configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from '../contract/backoffice-api.js';
import { ENROLL_PATH, KioskIdSchema, ROTATE_PATH } from '../contract/enrollment.js';
import { HEADER_SIGNATURE } from '../contract/request-signing.js';
import type { Clock } from '../contract/time.js';
import type { AsyncBackOfficeStore } from './db/store-api.js';
import { HttpError, parse } from './http-errors.js';
import { enroll, issueEnrollmentToken, rotate } from './kiosk-keys.js';

export const OPERATOR_PREFIX = '/operator';
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Bearer check in constant time (over digests: the lengths may differ). */
export async function checkOperator(req: FastifyRequest, operatorToken: string | undefined): Promise<void> {
  const h = req.headers.authorization;
  const given = typeof h === 'string' && h.startsWith('Bearer ') ? h.slice('Bearer '.length) : '';
  if (!operatorToken || !given || !timingSafeEqual(digest(given), digest(operatorToken))) {
    throw new HttpError(401, 'unauthorized', 'operator routes need Authorization: Bearer <BACKOFFICE_OPERATOR_TOKEN>');
  }
}

const KioskParams = z.strictObject({ kioskId: KioskIdSchema });

export function registerEnrollmentRoutes(
  app: FastifyInstance,
  store: AsyncBackOfficeStore,
  options: { clock: Clock; kiosks: Readonly<Record<string, string>>; operatorToken?: string },
): void {
  const { clock, kiosks } = options;
  app.post(`${API_PREFIX}${ENROLL_PATH}`, { config: { auth: 'public' } }, async (req) => enroll(store.keys, req.body, clock, kiosks));

  app.post(`${API_PREFIX}${ROTATE_PATH}`, async (req) =>
    rotate(store.keys, {
      kioskId: req.kioskId,
      current: req.kioskKey,
      requestSignature: String(req.headers[HEADER_SIGNATURE]).toLowerCase(),
      body: req.body,
      clock,
    }),
  );

  if (!options.operatorToken) return;
  app.post(`${OPERATOR_PREFIX}/kiosks/:kioskId/enrollment-token`, { config: { auth: 'operator' } }, async (req) => {
    const { kioskId } = parse(KioskParams, req.params, 'path');
    const { token, expiresAt } = await issueEnrollmentToken(store.keys, kioskId, clock, kiosks);
    req.log.info({ kioskId }, 'enrollment token issued');
    return { kioskId, token, expiresAt: expiresAt.toISOString() };
  });
  app.post(`${OPERATOR_PREFIX}/kiosks/:kioskId/revoke`, { config: { auth: 'operator' } }, async (req) => {
    const { kioskId } = parse(KioskParams, req.params, 'path');
    if (Object.hasOwn(kiosks, kioskId)) throw new HttpError(409, 'configured-kiosk', `kiosk ${kioskId} is configured (BACKOFFICE_KIOSKS): remove it there`);
    const revoked = await store.keys.revokeKiosk(kioskId, clock.now());
    req.log.warn({ kioskId, ...revoked }, 'kiosk revoked');
    return { kioskId, revokedKeys: revoked.keys, revokedTokens: revoked.tokens };
  });
}
