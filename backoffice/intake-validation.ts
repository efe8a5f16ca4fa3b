/**
 * The journal route's body check, compiled. contract/backoffice-api.ts `IntakeRequest` (zod) is
 * the one definition; at the first batch it is turned into JSON Schema (z.toJSONSchema) and
 * compiled by Ajv into one function. It takes 0.41-0.43 of zod's CPU for a batch of 200 records
 * (`npm run bench:intake-checks`: 183-382 against 435-881 µs); the back office checks ~5,400
 * batches in the fleet storm (backoffice/README.md stop 23).
 *
 * Fail closed: the compiled check only ever says yes. A body it refuses is checked by zod, which
 * decides and words the 400 (so the answers a kiosk gets are zod's, as before). That the compiled
 * check accepts nothing zod refuses is proven by a differential property test
 * (intake-validation.test.ts), which also proves that IntakeRequest holds no rule JSON Schema
 * cannot say (a zod refinement is dropped by z.toJSONSchema, silently).
 *
 * Where the two could differ:
 * - string lengths: both count code points, a surrogate pair as one (zod 4's codePointLength, Ajv's
 *   ucs2length); the test holds them to it with emoji at the bounds;
 * - patterns are compiled as zod compiles them (no `u` flag);
 * - `format: date-time` is left to the pattern zod emits beside it (a format without a pattern is
 *   refused when compiling);
 * - a keyword outside the list this was proven with is refused when the check is compiled.
 *
 * Compiled at the first batch, not at start-up: importing Ajv (141-187 ms) and compiling (98-120 ms)
 * cost 0.24-0.31 s of CPU under tsx, which the embedded back office would spend beside the kiosk's
 * start (bench:startup). Should the
 * compile ever fail, zod checks every batch (correct, only slower); the test compiles it.
 */
import { z } from 'zod';
import { IntakeRequest } from '../contract/backoffice-api.js';
import { parse } from './http-errors.js';

/** Every JSON Schema keyword the generated schema may hold (what the differential test covers). */
const KNOWN_KEYWORDS = new Set([
  '$schema',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'anyOf',
  'propertyNames',
]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The generated schema, checked as the module comment says; throws on anything unknown. */
export function intakeJsonSchema(schema: z.ZodType = IntakeRequest): Record<string, Json> {
  const vet = (node: Json, at: string, keyed: boolean): Json => {
    if (Array.isArray(node)) return node.map((n, i) => vet(n, `${at}/${i}`, false));
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(node)) {
      // Under `properties` the keys are field names, not keywords.
      if (keyed) {
        out[k] = vet(v, `${at}/${k}`, false);
        continue;
      }
      if (!KNOWN_KEYWORDS.has(k)) throw new Error(`intake schema: keyword ${k} at ${at || '/'} is not one the compiled check was proven with`);
      out[k] = vet(v, `${at}/${k}`, k === 'properties');
    }
    if ('format' in out && !('pattern' in out)) throw new Error(`intake schema: format ${String(out.format)} at ${at || '/'} has no pattern beside it`);
    return out;
  };
  return vet(z.toJSONSchema(schema, { target: 'draft-7' }) as Json, '', false) as Record<string, Json>;
}

/** The compiled check: true only for a body IntakeRequest accepts (never the other way round). */
export async function compileIntakeCheck(schema: z.ZodType = IntakeRequest): Promise<(body: unknown) => boolean> {
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({
    strict: true,
    allErrors: false,
    unicodeRegExp: false,
    // strictNumbers is Ajv 8's default: NaN and ±Infinity are not numbers (zod: Number.isFinite).
    strictNumbers: true,
    formats: { 'date-time': true },
  });
  const check = ajv.compile(intakeJsonSchema(schema));
  return (body) => check(body) === true;
}

/**
 * The journal route's body parser: the compiled check's yes, or zod's answer (its 400 or, never
 * seen, its yes). `compile` is injected for the test of a check that cannot be compiled.
 */
export function intakeParser(compile: () => Promise<(body: unknown) => boolean> = () => compileIntakeCheck()): (body: unknown) => Promise<z.infer<typeof IntakeRequest>> {
  let fastCheck: Promise<(body: unknown) => boolean> | undefined;
  return async (body) => {
    fastCheck ??= compile().catch(() => () => false);
    if ((await fastCheck)(body)) return body as z.infer<typeof IntakeRequest>;
    return parse(IntakeRequest, body, 'body');
  };
}

export const parseIntakeRequest = intakeParser();
