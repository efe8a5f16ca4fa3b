/**
 * Enrollment, rotation and the operator's routes (issue 11 finding 5), registered on the back
 * office's app (server.ts) with their authentication on the route:
 *   POST /v1/enroll          auth 'public': the proof of the one-time token is the authentication
 *   POST /v1/keys/rotate     a signed kiosk request (the current key)
 *   POST /operator/kiosks/:kioskId/enrollment-token  auth 'operator' (BACKOFFICE_OPERATORS, HTTP Basic:
 *   POST /operator/kiosks/:kioskId/revoke            operator-routes.ts checkOperatorRequest)
 * Without configured operators the operator routes answer 401.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from '../contract/backoffice-api.js';
import { ENROLL_PATH, KioskIdSchema, ROTATE_PATH } from '../contract/enrollment.js';
import { HEADER_SIGNATURE } from '../contract/request-signing.js';
import type { Clock } from '../contract/time.js';
import type { AsyncBackOfficeStore } from './db/store-api.js';
import { HttpError, parse } from './http-errors.js';
import { enroll, issueEnrollmentToken, rotate } from './kiosk-keys.js';

export const OPERATOR_PREFIX = '/operator';

const KioskParams = z.strictObject({ kioskId: KioskIdSchema });

export function registerEnrollmentRoutes(
  app: FastifyInstance,
  store: AsyncBackOfficeStore,
  options: { clock: Clock; kiosks: Readonly<Record<string, string>> },
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

  app.post(`${OPERATOR_PREFIX}/kiosks/:kioskId/enrollment-token`, { config: { auth: 'operator' } }, async (req) => {
    const { kioskId } = parse(KioskParams, req.params, 'path');
    const { token, expiresAt } = await issueEnrollmentToken(store.keys, kioskId, clock, kiosks);
    req.log.info({ kioskId, operator: req.operatorId }, 'enrollment token issued');
    return { kioskId, token, expiresAt: expiresAt.toISOString() };
  });
  app.post(`${OPERATOR_PREFIX}/kiosks/:kioskId/revoke`, { config: { auth: 'operator' } }, async (req) => {
    const { kioskId } = parse(KioskParams, req.params, 'path');
    if (Object.hasOwn(kiosks, kioskId)) throw new HttpError(409, 'configured-kiosk', `kiosk ${kioskId} is configured (BACKOFFICE_KIOSKS): remove it there`);
    const revoked = await store.keys.revokeKiosk(kioskId, clock.now());
    req.log.warn({ kioskId, operator: req.operatorId, ...revoked }, 'kiosk revoked');
    return { kioskId, revokedKeys: revoked.keys, revokedTokens: revoked.tokens };
  });
}
