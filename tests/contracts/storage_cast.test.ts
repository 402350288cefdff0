import { describe, expect, it } from 'vitest';
import { CastError, storageCast } from '../../contracts/storage_cast.ts';
import { validRecord } from '../helpers/records.ts';

const castError = (record: unknown): CastError => {
  try {
    storageCast(record);
  } catch (error) {
    if (error instanceof CastError) return error;
    throw error;
  }
  throw new Error('expected a CastError');
};

describe('storage_cast', () => {
  it('stores "0.1" exactly as 0.100000 (a scaled integer, never a float)', () => {
    const row = storageCast(validRecord());
    expect((row.estimated as Record<string, unknown>).monthly_savings).toBe(100_000n);
    expect((row.estimated as Record<string, unknown>).monthly_cost).toBe(10_000_000n);
  });

  it('turns empty strings into null for non-string fields and keeps them for strings', () => {
    const row = storageCast({
      ...validRecord(),
      priority: '',
      ingested_ts: '',
      estimated: { monthly_savings: '', confidence: '', notes: '' },
    });
    expect(row.priority).toBeNull();
    expect(row.ingested_ts).toBeNull();
    expect(row.estimated).toMatchObject({ monthly_savings: null, confidence: null, notes: '' });
  });

  it('converts ISO timestamps with offsets to UTC milliseconds', () => {
    const row = storageCast({
      ...validRecord(),
      run_ts: '2026-11-22T12:00:00+02:00',
      ingested_ts: '2026-11-22T10:00:00.123456Z',
    });
    expect(row.run_ts).toBe(Date.UTC(2026, 10, 22, 10, 0, 0));
    expect(row.ingested_ts).toBe(Date.UTC(2026, 10, 22, 10, 0, 0, 123));
  });

  it('casts dates, maps and lists', () => {
    const row = storageCast({
      ...validRecord(),
      actual: { cost_30d: '5', model: { currency: 'USD', period_start: '2026-11-01' } },
      frameworks: ['finops'],
    });
    const actual = row.actual as Record<string, Record<string, unknown>>;
    expect(actual.model!.period_start).toBe(Date.UTC(2026, 10, 1));
    expect(row.tags).toEqual(new Map([['env', 'prod']]));
    expect(row.metrics).toEqual(new Map([['size_gib', 100_000_000n]]));
    expect(row.frameworks).toEqual(['finops']);
  });

  it('ignores fields the schema does not know', () => {
    const row = storageCast({ ...validRecord(), surprise: 'x', scope: { ...validRecord().scope, extra: 1 } });
    expect(row).not.toHaveProperty('surprise');
    expect(row.scope).not.toHaveProperty('extra');
  });

  it('rejects a money value with more than six decimals, naming the field path and the value', () => {
    const error = castError({ ...validRecord(), estimated: { monthly_savings: '0.1234567' } });
    expect(error.problems).toEqual([
      { path: 'estimated.monthly_savings', value: '0.1234567', message: 'has more than 6 decimals' },
    ]);
    expect(error.message).toBe('estimated.monthly_savings: "0.1234567" has more than 6 decimals');
  });

  it('reports every cast problem of a record, including inside maps', () => {
    const error = castError({
      ...validRecord(),
      run_ts: 'yesterday',
      metrics: { big: '1e13' },
      severity: { level: 'low', score: 'high' },
    });
    expect(error.problems.map((p) => [p.path, p.value])).toEqual([
      ['run_ts', 'yesterday'],
      ['severity.score', 'high'],
      ['metrics.big', '1e13'],
    ]);
  });

  it('keeps integers within the unsigned widths of the reference schema', () => {
    const record = validRecord();
    const row = storageCast({ ...record, priority: 65535, severity: { level: 'low', score: 0 } });
    expect([row.priority, (row.severity as { score: number }).score]).toEqual([65535, 0]);
    const error = castError({
      ...record,
      priority: 65536,
      severity: { level: 'low', score: -1 },
      estimated: { confidence: 256 },
    });
    expect(error.problems.map((p) => [p.path, p.message])).toEqual([
      ['severity.score', 'is not an unsigned 16-bit integer (0 to 65535)'],
      ['priority', 'is not an unsigned 16-bit integer (0 to 65535)'],
      ['estimated.confidence', 'is not an unsigned 8-bit integer (0 to 255)'],
    ]);
  });
});
