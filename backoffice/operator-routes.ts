/**
 * Operator routes (issue 12): the reconciliation cases as a JSON API and a plain page.
 *
 * Authentication: HTTP Basic with an operator id and its token (BackOfficeOptions.operators; each
 * token at least 32 characters, refused at start otherwise). Basic, because a browser asks for it
 * by itself, so the page needs no script and no login form. Without configured operators every
 * operator route answers 401 (fail closed). A kiosk's signed request is no operator credential:
 * kiosks can neither see nor settle cases. Serve over TLS (BackOfficeOptions.tls) outside a lab.
 *
 * The page's action forms carry a CSRF token (HMAC of the operator's token), because a browser
 * sends Basic credentials with any cross-site form post. Every transition is written to the case's
 * audit trail with the operator's id.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError, parse } from './http-errors.js';
import { renderCasesPage } from './operator-page.js';
import { CASE_TRANSITIONS, CaseFilter, type Reconciliation } from './reconciliation.js';

export const MIN_OPERATOR_TOKEN_LENGTH = 32;
export const OperatorId = z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/);

/** Refuse an unsafe operator configuration before anything listens. */
export function checkOperators(operators: Record<string, string> | undefined): void {
  for (const [id, token] of Object.entries(operators ?? {})) {
    if (!OperatorId.safeParse(id).success) throw new Error(`operator id '${id.slice(0, 64)}' is not 1-64 letters, digits, . _ @ -`);
    if (token.length < MIN_OPERATOR_TOKEN_LENGTH) throw new Error(`operator '${id}': token shorter than ${MIN_OPERATOR_TOKEN_LENGTH} characters`);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The operator a request's Basic credentials name, or undefined. Constant-time token compare. */
export function operatorOf(header: string | undefined, operators: Record<string, string>): string | undefined {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 1) return undefined;
  const id = decoded.slice(0, i);
  const token = decoded.slice(i + 1);
  const expected = Object.hasOwn(operators, id) ? operators[id]! : undefined;
  // Compare digests (equal length) also for an unknown id, so timing does not tell ids apart.
  const ok = timingSafeEqual(digest(token), digest(expected ?? `\u0000unknown:${token}`));
  return ok && expected !== undefined ? id : undefined;
}

export function csrfToken(operatorId: string, token: string): string {
  return createHmac('sha256', token).update(`operator-csrf:${operatorId}`).digest('hex');
}

const TransitionBody = z.strictObject({ to: z.enum(CASE_TRANSITIONS), note: z.string().trim().min(1).max(500) });
const FormTransitionBody = TransitionBody.extend({ csrf: z.string().regex(/^[0-9a-f]{64}$/) });
const CaseParams = z.strictObject({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

declare module 'fastify' {
  interface FastifyRequest {
    operatorId: string;
  }
}

/**
 * The one operator check: server.ts's auth hook calls it for every route registered
 * `auth: 'operator'` (these and the enrollment routes), on the matched route, never the raw URL.
 */
export async function checkOperatorRequest(req: FastifyRequest, reply: FastifyReply, operators: Record<string, string>): Promise<void> {
  const id = operatorOf(req.headers.authorization, operators);
  if (id === undefined) {
    void reply.header('www-authenticate', 'Basic realm="back office operators", charset="UTF-8"');
    throw new HttpError(401, 'unauthorized', 'operator credentials required');
  }
  req.operatorId = id;
}

export function registerOperatorRoutes(app: FastifyInstance, recon: Reconciliation, operators: Record<string, string>): void {
  const config = { auth: 'operator' as const };
  // HTML forms post url-encoded bodies: accepted on operator routes only (kiosk routes stay JSON).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (req, body, done) => {
    if (req.routeOptions.config?.auth !== 'operator') return done(new HttpError(415, 'unsupported-media-type', 'send application/json'), undefined);
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  const opts = { config };
  const html = (reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");

  app.get('/operator/api/cases', opts, async (req) => ({ cases: await recon.listCases(parse(CaseFilter, req.query, 'query')) }));

  app.get('/operator/api/cases/:id', opts, async (req) => {
    const { id } = parse(CaseParams, req.params, 'path');
    const d = await recon.caseDetail(id);
    if (!d) throw new HttpError(404, 'not-found', `no case ${id}`);
    return d;
  });

  app.post('/operator/api/cases/:id/transition', opts, async (req, reply) => {
    const { id } = parse(CaseParams, req.params, 'path');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'unsupported-media-type', 'send application/json');
    const { to, note } = parse(TransitionBody, req.body, 'body');
    const r = await recon.transition(id, to, `operator:${req.operatorId}`, note);
    if (!r.ok) return reply.code(r.error === 'not-found' ? 404 : 409).send({ error: r.error === 'not-found' ? 'not-found' : 'case-not-open', message: r.message });
    return { case: r.case };
  });

  app.post('/operator/api/reconcile', opts, async () => ({ changed: await recon.sweep() }));

  app.get('/operator/api/credits', opts, async () => ({ credits: await recon.credits() }));

  app.get('/operator/cases', opts, async (req, reply) => {
    const q = Object.fromEntries(Object.entries((req.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));
    const filter = parse(CaseFilter, q, 'query');
    const cases = await recon.listCases(filter);
    return html(reply).send(renderCasesPage({ operatorId: req.operatorId, csrf: csrfToken(req.operatorId, operators[req.operatorId]!), filter, cases }));
  });

  app.post('/operator/cases/:id/transition', opts, async (req, reply) => {
    const { id } = parse(CaseParams, req.params, 'path');
    const { to, note, csrf } = parse(FormTransitionBody, req.body, 'body');
    const expected = csrfToken(req.operatorId, operators[req.operatorId]!);
    if (!timingSafeEqual(Buffer.from(csrf), Buffer.from(expected))) throw new HttpError(401, 'unauthorized', 'bad CSRF token');
    const r = await recon.transition(id, to, `operator:${req.operatorId}`, note);
    if (!r.ok) return reply.code(r.error === 'not-found' ? 404 : 409).send({ error: r.error === 'not-found' ? 'not-found' : 'case-not-open', message: r.message });
    return reply.code(303).header('location', '/operator/cases').send();
  });
}
