import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { IntakeRequest } from '../contract/backoffice-api.js';
import { generateJournal } from './db/testing/journal-gen.js';
import { compileIntakeCheck, intakeJsonSchema, intakeParser, parseIntakeRequest } from './intake-validation.js';

const compiled = await compileIntakeCheck();
const zodSays = (body: unknown) => IntakeRequest.safeParse(body).success;
const batch = (count: number) =>
  JSON.parse(JSON.stringify({ records: generateJournal({ kioskId: 'kiosk-00042', secret: 'k'.repeat(32), count, startAt: new Date('2026-12-01T08:00:00Z'), seed: 42 }).records })) as {
    records: Record<string, unknown>[];
  };

describe('the compiled intake check says what zod says', () => {
  it('a kiosk batch of 200 records, as the uploader sends it: both accept it, and the route gets it unchanged', async () => {
    const body = batch(200);
    expect(zodSays(body)).toBe(true);
    expect(compiled(body)).toBe(true);
    expect(await parseIntakeRequest(body)).toEqual(IntakeRequest.parse(body));
  });

  const cases: [string, (r: Record<string, unknown>) => void][] = [
    ['an operation id of 100 emoji (200 UTF-16 units; both count code points: passes)', (r) => (r.operationId = '😀'.repeat(100))],
    ['an operation id of 201 emoji (201 code points: refused)', (r) => (r.operationId = '😀'.repeat(201))],
    ['an operation id of 101 emoji (202 UTF-16 units, 101 code points)', (r) => (r.operationId = '😀'.repeat(101))],
    ['a data string of 500 emoji', (r) => (r.data = { note: '😀'.repeat(500) })],
    ['a data string of 501 emoji', (r) => (r.data = { note: '😀'.repeat(501) })],
    ['a data key of 64 emoji', (r) => (r.data = { ['😀'.repeat(64)]: 1 })],
    ['a data key of 65 emoji', (r) => (r.data = { ['😀'.repeat(65)]: 1 })],
    ['a lone surrogate in a string', (r) => (r.operationId = 'op-\ud800')],
    ['200 lone high surrogates then a low one', (r) => (r.operationId = `${'\ud800'.repeat(200)}\udc00`)],
    ['an uppercase hash', (r) => (r.hash = String(r.hash).toUpperCase())],
    ['a hash one digit short', (r) => (r.hash = String(r.hash).slice(1))],
    ['a time with an offset instead of Z', (r) => (r.at = String(r.at).replace('Z', '+00:00'))],
    ['a time without seconds', (r) => (r.at = '2026-12-01T08:00Z')],
    ['29 February of a year that has none', (r) => (r.at = '2026-02-29T08:00:00.000Z')],
    ['29 February of a leap year', (r) => (r.at = '2028-02-29T08:00:00.000Z')],
    ['an amount of 2^53 cents', (r) => (r.amountCents = 2 ** 53)],
    ['an amount of 2^53 - 1 cents', (r) => (r.amountCents = 2 ** 53 - 1)],
    ['an amount of 1.5 cents', (r) => (r.amountCents = 1.5)],
    ['an amount of -0 cents', (r) => (r.amountCents = -0)],
    ['an infinite amount', (r) => (r.amountCents = Infinity)],
    ['an infinite data number', (r) => (r.data = { n: Infinity })],
    ['a NaN data number', (r) => (r.data = { n: NaN })],
    ['a data value that is an object', (r) => (r.data = { n: { deep: 1 } })],
    ['seq 0', (r) => (r.seq = 0)],
    ['key id 2^31', (r) => (r.keyId = 2 ** 31)],
    ['key id 2^31 - 1', (r) => (r.keyId = 2 ** 31 - 1)],
    ['an unknown field', (r) => (r.extra = 1)],
    ['an own __proto__ field (as JSON.parse makes one)', (r) => Object.defineProperty(r, '__proto__', { value: {}, enumerable: true, configurable: true, writable: true })],
    ['a card with an unknown field', (r) => (r.card = { ...(r.card as object), number: '3528000000000001' })],
    ['last4 of five digits', (r) => (r.card = { ...(r.card as object), last4: '12345' })],
    ['a missing hmac', (r) => delete r.hmac],
    ['an optional field present as undefined', (r) => (r.keyId = undefined)],
    ['a type of 65 characters', (r) => (r.type = 't'.repeat(65))],
    ['an empty type', (r) => (r.type = '')],
  ];
  it.each(cases)('%s: the same verdict from both', (_name, change) => {
    const body = batch(2);
    change(body.records[1]!);
    expect(compiled(body)).toBe(zodSays(body));
  });

  it.each([
    ['no records', { records: [] }],
    ['1,001 records', { records: Array.from({ length: 1001 }, () => batch(1).records[0]) }],
    ['records not an array', { records: { 0: batch(1).records[0] } }],
    ['a field beside records', { ...batch(1), more: true }],
    ['no body', undefined],
    ['a string', 'records'],
  ])('%s: refused by both', (_name, body) => {
    expect(zodSays(body)).toBe(false);
    expect(compiled(body)).toBe(false);
  });

  it('on near-valid batches with random changes to any field, the two never disagree (property)', () => {
    const fields = ['type', 'operationId', 'amountCents', 'card', 'data', 'seq', 'kioskId', 'at', 'prevHash', 'keyId', 'hash', 'hmac', 'extra', '__proto__', 'constructor'];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 70 }),
      fc.string({ unit: fc.constantFrom('a', '😀', '\ud800', '\udc00', '0', 'f', 'F', ' '), minLength: 28, maxLength: 70 }),
      fc.string({ unit: fc.constantFrom('a', '😀', '\ud800'), minLength: 190, maxLength: 510 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefA'), minLength: 63, maxLength: 65 }),
      fc.date({ noInvalidDate: true, min: new Date('0001-01-01'), max: new Date('9999-12-31') }).map((d) => d.toISOString()),
      fc.constantFrom('2026-12-01T08:00:00Z', '2026-12-01t08:00:00Z', '2026-12-01T08:00:00.1234567Z', '2026-12-01T24:00:00Z', '2026-12-01 08:00:00Z', '1234', ''),
    );
    const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, -(2 ** 53 - 1), -(2 ** 53), 1.5, Infinity, -Infinity, NaN));
    const value: fc.Arbitrary<unknown> = fc.oneof(
      fc.constant(undefined),
      text,
      number,
      fc.jsonValue({ maxDepth: 2 }),
      fc.dictionary(text, fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 1 })), { maxKeys: 3 }),
      fc.record({ hash: text, last4: fc.oneof(fc.stringMatching(/^\d{3,5}$/), text) }, { requiredKeys: [] }),
    );
    const change = fc.record({ record: fc.nat(2), field: fc.constantFrom(...fields), value, remove: fc.boolean() });
    const base = batch(3);
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 4 }), (changes) => {
        const body = structuredClone(base);
        for (const c of changes) {
          const r = body.records[c.record]!;
          if (c.remove) delete r[c.field];
          else Object.defineProperty(r, c.field, { value: c.value, enumerable: true, configurable: true, writable: true });
        }
        return compiled(body) === zodSays(body);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the compiled check is built only from rules it was proven with', () => {
  it('IntakeRequest has no zod refinement but the finite-number one (z.toJSONSchema drops refinements silently; JSON and Ajv refuse non-finite numbers)', () => {
    const custom: unknown[] = [];
    const walk = (s: unknown): void => {
      const def = (s as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) return;
      for (const c of (def.checks as { _zod: { def: { check: string; fn?: unknown } } }[] | undefined) ?? []) if (c._zod.def.check === 'custom') custom.push(c._zod.def.fn);
      if (def.type === 'custom') custom.push(def.fn);
      for (const k of ['element', 'innerType', 'keyType', 'valueType', 'in', 'out']) if (def[k]) walk(def[k]);
      for (const o of (def.options as unknown[] | undefined) ?? []) walk(o);
      for (const v of Object.values((def.shape as Record<string, unknown> | undefined) ?? {})) walk(v);
    };
    walk(IntakeRequest);
    expect(custom).toHaveLength(1);
    const finite = custom[0] as (n: number) => boolean;
    expect([finite(1), finite(Infinity), finite(NaN)]).toEqual([true, false, false]);
    // And the walk sees one when there is one (a test that could not fail would prove nothing).
    custom.length = 0;
    walk(z.strictObject({ records: z.array(z.strictObject({ at: z.string().refine((s) => s < '2030') })) }));
    expect(custom).toHaveLength(1);
  });

  it('a keyword it was not proven with (multipleOf), or a format without a pattern, is refused when compiling', async () => {
    await expect(compileIntakeCheck(z.strictObject({ n: z.number().multipleOf(2) }))).rejects.toThrow(/keyword multipleOf .* not one the compiled check was proven with/);
    expect(() => intakeJsonSchema(z.strictObject({ at: z.iso.datetime() }))).not.toThrow();
    const noPattern = z.strictObject({ at: z.string().meta({ format: 'date-time' }) });
    expect(() => intakeJsonSchema(noPattern)).toThrow(/format date-time .* has no pattern/);
  });

  it('a body the compiled check refuses gets zod\'s 400 and its words', async () => {
    const body = batch(1);
    body.records[0]!.seq = 0;
    await expect(parseIntakeRequest(body)).rejects.toThrow(/invalid body: records\.0\.seq: /);
  });

  it('a check that cannot be compiled leaves every batch to zod: a valid one accepted, a bad one refused with zod\'s words', async () => {
    const parse = intakeParser(() => Promise.reject(new Error('no Ajv here')));
    const good = batch(2);
    expect(await parse(good)).toEqual(IntakeRequest.parse(good));
    const bad = batch(2);
    bad.records[1]!.hash = 'f'.repeat(63);
    await expect(parse(bad)).rejects.toThrow(/invalid body: records\.1\.hash: /);
  });
});
