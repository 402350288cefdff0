import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { benchFindings } from '../../bench/findings.ts';
import { BENCH_RUN } from '../../bench/stages.ts';
import { assembleFinding } from '../../contracts/assemble.ts';
import {
  findingRecordSchema,
  isCommonValidRecord,
  validateRecord,
  type FindingRecord,
} from '../../contracts/record.ts';
import { compileCommonCase, withCommonCase } from '../../contracts/record_precheck.ts';
import { validRecord } from '../helpers/records.ts';

/** A record with every optional part present, so every field can be altered. */
const FULL: FindingRecord = {
  ...validRecord(),
  priority: 10,
  frameworks: ['finops'],
  estimated: {
    monthly_savings: '1.5',
    monthly_cost: '-2',
    one_time_savings: '0',
    confidence: 80,
    notes: 'n',
  },
  actual: {
    cost_7d: '1',
    cost_30d: '2.25',
    cost_mtd: '',
    cost_prev_month: null,
    savings_7d: '0.000001',
    savings_30d: '999999999999.999999',
    model: {
      currency: 'USD',
      cost_model: 'amortized',
      granularity: 'daily',
      period_start: '2026-11-01',
      period_end: '2026-11-30',
    },
    attribution: { method: 'tag', confidence: 90, matched_keys: ['team'] },
  },
  labels: { owner: 'platform', gone: null },
  dimensions: { source: 'price_table' },
  metadata_json: '{"a":1}',
};

/** Values each leaf is replaced with: wrong types, blanks, edge numbers, odd spellings of valid values. */
const ODD_VALUES: readonly unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'x',
  'open',
  'USD',
  0,
  -1,
  1.5,
  1001,
  65536,
  Number.NaN,
  '750',
  ' 1.5 ',
  '1.0000001',
  '1e3',
  '1000000000000',
  '-999999999999.999999',
  '2026-02-30',
  '2026-11-22T06:00:00Z',
  '2026-11-22T25:00:00Z',
  new Date('2026-11-22T00:00:00Z'),
  true,
  [],
  ['a'],
  [undefined],
  {},
  { a: 'b' },
  { a: 1 },
  { a: null },
  Object.create({ inherited: 1 }),
];

/** Every path to a value in a record: leaves, and objects and arrays as wholes. */
function paths(value: unknown, prefix: readonly (string | number)[] = []): (string | number)[][] {
  const here = prefix.length > 0 ? [[...prefix]] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  }
  return here;
}

function withValue(record: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(record) as Record<string | number, unknown>;
  let target = copy;
  for (const step of path.slice(0, -1)) target = target[step] as Record<string | number, unknown>;
  target[path[path.length - 1]!] = value;
  return copy;
}

describe('the common-case record check', () => {
  it('will not compile a schema with a refined leaf that declares no common-case check, naming its path', () => {
    const declared = withCommonCase(
      z.string().refine((s) => s !== 'x'),
      (v) => v === 'ok',
    );
    expect(() => compileCommonCase(z.object({ a: z.object({ b: declared }) }))).not.toThrow();
    expect(() =>
      compileCommonCase(z.object({ a: z.object({ b: z.string().refine((s) => s !== 'x') }) })),
    ).toThrow(/^\(record\)\.a\.b: a refined schema/);
    expect(() => compileCommonCase(z.object({ n: z.array(z.number()) }))).toThrow(
      /^\(record\)\.n\[\]: a number schema/,
    );
    const check = compileCommonCase(z.object({ a: z.object({ b: declared }).nullish() }));
    expect([check({ a: { b: 'ok' } }), check({ a: null }), check({}), check({ a: { b: 'no' } })]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('recognises the records a run assembles, so the fast path is the one taken', () => {
    expect(isCommonValidRecord(FULL)).toBe(true);
    expect(isCommonValidRecord(validRecord())).toBe(true);
    for (const { meta, draft } of benchFindings(500)) {
      const assembled = assembleFinding(draft, meta, BENCH_RUN);
      expect(assembled.ok).toBe(true);
      expect(isCommonValidRecord(assembled.record)).toBe(true);
    }
  });

  it('never accepts a record the schema rejects, whatever field is altered and however', () => {
    let altered = 0;
    let rejectedBySchema = 0;
    for (const path of paths(FULL)) {
      for (const value of ODD_VALUES) {
        const record = withValue(FULL, path, value);
        const schemaAccepts = findingRecordSchema.safeParse(record).success;
        if (!schemaAccepts) rejectedBySchema += 1;
        if (isCommonValidRecord(record) && !schemaAccepts) {
          throw new Error(`fast path accepted ${path.join('.')} = ${String(value)}, the schema did not`);
        }
        altered += 1;
      }
    }
    // The alterations really did probe invalid records, in numbers.
    expect(altered).toBeGreaterThan(2_000);
    expect(rejectedBySchema).toBeGreaterThan(1_000);
  });

  it('leaves valid but unusual spellings to the schema, which accepts them', () => {
    const unusual = [
      { ...FULL, severity: { level: 'low', score: '250' } },
      { ...FULL, estimated: { monthly_savings: 12.5 } },
      { ...FULL, run_ts: new Date('2026-11-22T10:00:00Z') },
      { ...FULL, metrics: { size_gib: ' 100 ' } },
    ];
    for (const record of unusual) {
      expect(isCommonValidRecord(record)).toBe(false);
      expect(validateRecord(record)).toEqual([]);
    }
  });

  it('refuses what the cross-field rules refuse, as the schema does', () => {
    const open = { ...FULL, status: 'pass', lifecycle: { status: 'open' } };
    expect(isCommonValidRecord(open)).toBe(false);
    expect(validateRecord(open).map((i) => i.path)).toEqual(['lifecycle.status']);
    const noCurrency = { ...FULL, actual: { cost_30d: '1' } };
    expect(isCommonValidRecord(noCurrency)).toBe(false);
    expect(validateRecord(noCurrency).map((i) => i.path)).toEqual(['actual.model.currency']);
  });
});
