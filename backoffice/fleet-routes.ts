/**
 * Issue 13's routes, registered on the back office's app (server.ts) with their authentication on
 * the route:
 *   GET  /v1/technicians                      signed kiosk request: the technician list (signed answer)
 *   POST /v1/heartbeat                        signed kiosk request: its health, backlog, versions
 *                                             (body at most MAX_HEARTBEAT_BYTES, else 413)
 *   GET  /operator/api/technicians            auth 'operator' (operator-routes.ts checkOperatorRequest):
 *   POST /operator/api/technicians              list (no hashes) + audit trail; issue (JSON);
 *   POST /operator/api/technicians/:id/revoke   revoke
 *   GET  /operator/api/fleet, /operator/fleet the fleet view as JSON and as a plain page
 * Every issue and revocation is in the technician audit trail with `operator:<id>` and logged.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { API_PREFIX, HeartbeatRequest, MAX_HEARTBEAT_BYTES, TechnicianId, type TechnicianListDto } from '../contract/backoffice-api.js';
import type { Clock } from '../contract/time.js';
import type { AsyncBackOfficeStore } from './db/store-api.js';
import { HttpError, parse } from './http-errors.js';
import { renderFleetPage } from './fleet-page.js';
import { issueTechnician, revokeTechnician, type TechnicianSigning } from './technicians.js';

export const TECHNICIANS_PATH = '/technicians';
export const HEARTBEAT_PATH = '/heartbeat';

const TechnicianParams = z.strictObject({ technicianId: TechnicianId });

export interface FleetRouteOptions {
  clock: Clock;
  /** Configured kiosks (listed as silent until their first heartbeat). */
  kiosks: Readonly<Record<string, string>>;
  /** The operator's signing key for technician credentials; none: issue answers no credential. */
  technicianSigning?: TechnicianSigning;
}

export function registerFleetRoutes(app: FastifyInstance, store: AsyncBackOfficeStore, o: FleetRouteOptions): void {
  const operator = { config: { auth: 'operator' as const } };
  const json = (reply: FastifyReply) => {
    if (!(reply.request.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'unsupported-media-type', 'send application/json');
  };

  // Kiosk-signed (no `auth` given: kiosk-only, decided on the matched route). The answer is signed
  // over the request by server.ts's onSend hook, so a tampered list never reaches a kiosk's cache.
  app.get(`${API_PREFIX}${TECHNICIANS_PATH}`, async (): Promise<TechnicianListDto> => store.technicians.list());

  app.post(`${API_PREFIX}${HEARTBEAT_PATH}`, { bodyLimit: MAX_HEARTBEAT_BYTES }, async (req) => {
    const hb = parse(HeartbeatRequest, req.body, 'body');
    await store.fleet.recordHeartbeat(req.kioskId, hb);
    return { received: true as const };
  });

  app.get('/operator/api/technicians', operator, async () => ({
    technicians: await store.technicians.technicians(),
    events: await store.technicians.events(),
  }));

  app.post('/operator/api/technicians', operator, async (req, reply) => {
    json(reply);
    const r = await issueTechnician(store.technicians, req.body, { clock: o.clock, actor: `operator:${req.operatorId}`, ...(o.technicianSigning ? { signing: o.technicianSigning } : {}) });
    req.log.warn({ technicianId: r.technicianId, roles: r.roles, version: r.version, operator: req.operatorId, credential: r.credential !== undefined }, 'technician issued');
    // The generated PIN and the credential are shown once: never cached anywhere on the way.
    return reply.header('cache-control', 'no-store').send(r);
  });

  app.post('/operator/api/technicians/:technicianId/revoke', operator, async (req) => {
    const { technicianId } = parse(TechnicianParams, req.params, 'path');
    const r = await revokeTechnician(store.technicians, technicianId, `operator:${req.operatorId}`);
    req.log.warn({ technicianId, version: r.version, operator: req.operatorId }, 'technician revoked');
    return r;
  });

  app.get('/operator/api/fleet', operator, async () => store.fleet.view(Object.keys(o.kiosks)));

  app.get('/operator/fleet', operator, async (req, reply) => {
    const view = await store.fleet.view(Object.keys(o.kiosks));
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
      .send(renderFleetPage({ operatorId: req.operatorId, view, technicians: await store.technicians.technicians() }));
  });
}
