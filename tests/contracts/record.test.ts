import { describe, expect, it } from 'vitest';
import { assembleFinding } from '../../contracts/assemble.ts';
import { computeFingerprint } from '../../contracts/identity.ts';
import { formatIssues } from '../../contracts/issues.ts';
import { validateRecord } from '../../contracts/record.ts';
import { DRAFT, META, RUN, validRecord } from '../helpers/records.ts';

const paths = (record: unknown) => validateRecord(record).map((i) => i.path);

describe('finding record validation', () => {
  it('accepts an assembled record', () => {
    expect(validateRecord(validRecord())).toEqual([]);
  });

  it('reports every missing required field, not only the first', () => {
    const record = validRecord() as Record<string, unknown>;
    const broken = {
      ...record,
      tenant_id: '',
      finding_id: undefined,
      fingerprint: ' ',
      run_id: undefined,
      run_ts: '',
      check_id: undefined,
      status: undefined,
      severity: { score: 10 },
      scope: { region: 'eu-west-3' },
      source: {},
    };
    expect(paths(broken).sort()).toEqual(
      [
        'check_id',
        'finding_id',
        'fingerprint',
        'run_id',
        'run_ts',
        'scope.account_id',
        'scope.cloud',
        'scope.service',
        'severity.level',
        'source.schema_version',
        'status',
        'tenant_id',
      ].sort(),
    );
    expect(validateRecord(broken).find((i) => i.path === 'tenant_id')?.message).toBe('is required');
  });

  it('rejects values outside the enums', () => {
    const record = validRecord();
    const issues = validateRecord({
      ...record,
      status: 'failed',
      severity: { level: 'urgent', score: 1 },
      lifecycle: { status: 'closed' },
      actual: { model: { currency: 'USD', cost_model: 'list' }, attribution: { method: 'guess' } },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'actual.attribution.method',
        'actual.model.cost_model',
        'lifecycle.status',
        'severity.level',
        'status',
      ].sort(),
    );
    expect(issues.find((i) => i.path === 'status')?.message).toBe('must be one of pass, fail, info, unknown');
  });

  it('rejects scores, confidences and schema versions out of range', () => {
    const record = validRecord();
    expect(
      paths({
        ...record,
        severity: { level: 'low', score: 1001 },
        estimated: { confidence: 101 },
        actual: { attribution: { confidence: -1 } },
        source: { schema_version: 0 },
      }).sort(),
    ).toEqual([
      'actual.attribution.confidence',
      'estimated.confidence',
      'severity.score',
      'source.schema_version',
    ]);
  });

  it('rejects a money field with more than six decimals or not a number', () => {
    const issues = validateRecord({
      ...validRecord(),
      estimated: { monthly_savings: '1.0000001', monthly_cost: 'ten' },
    });
    expect(issues).toEqual([
      { path: 'estimated.monthly_savings', code: 'custom', message: '"1.0000001" has more than 6 decimals' },
      { path: 'estimated.monthly_cost', code: 'custom', message: '"ten" is not a decimal number' },
    ]);
  });

  it('requires a currency when actual costs are present', () => {
    expect(paths({ ...validRecord(), actual: { cost_30d: '12.5' } })).toEqual(['actual.model.currency']);
    expect(paths({ ...validRecord(), actual: { cost_30d: '12.5', model: { currency: 'USD' } } })).toEqual([]);
  });

  it('refuses a pass or info finding that is open or acknowledged', () => {
    expect(paths({ ...validRecord(), status: 'pass', lifecycle: { status: 'open' } })).toEqual([
      'lifecycle.status',
    ]);
    expect(paths({ ...validRecord(), status: 'info', lifecycle: { status: 'acknowledged' } })).toEqual([
      'lifecycle.status',
    ]);
    expect(paths({ ...validRecord(), status: 'pass', lifecycle: { status: 'resolved' } })).toEqual([]);
  });

  it('formats issues in one place as path, message and code', () => {
    expect(formatIssues([{ path: 'status', code: 'invalid_value', message: 'must be one of x' }])).toBe(
      'status: must be one of x (invalid_value)',
    );
  });
});

describe('assembleFinding', () => {
  it('derives the fingerprint from tenant, check, scope and issue key', () => {
    const record = validRecord();
    expect(record.fingerprint).toBe(
      computeFingerprint({
        tenantId: 'acme',
        checkId: META.id,
        scope: { cloud: 'aws', service: 'AmazonEC2', resource_type: 'ebs_volume', ...DRAFT.scope },
        issueKey: DRAFT.issue_key,
      }),
    );
  });

  it('keeps the finding id across runs in stable mode and changes it per run in per_run mode', () => {
    const later = { ...RUN, runId: 'run-2', runTs: new Date('2026-11-23T10:00:00Z') };
    expect(validRecord(DRAFT, later).finding_id).toBe(validRecord().finding_id);
    const perRun = { ...RUN, findingIdMode: 'per_run' as const };
    expect(validRecord(DRAFT, perRun).finding_id).not.toBe(
      validRecord(DRAFT, { ...perRun, runId: 'run-2' }).finding_id,
    );
  });

  it('fills defaults from the checker metadata', () => {
    const record = validRecord({ status: 'pass', scope: { account_id: '123456789012' } });
    expect(record).toMatchObject({
      check_id: META.id,
      check_name: META.title,
      category: 'compute',
      severity: { level: 'medium', score: 500 },
      remediation: 'Fix it.',
      scope: { cloud: 'aws', service: 'AmazonEC2', resource_type: 'ebs_volume' },
      lifecycle: { status: '' },
    });
  });

  it('returns the problems of an invalid draft with the record', () => {
    const assembled = assembleFinding({ ...DRAFT, scope: { account_id: '' } }, META, RUN);
    expect(assembled.ok).toBe(false);
    expect(!assembled.ok && assembled.issues.map((i) => i.path)).toEqual(['scope.account_id']);
  });
});
