/**
 * Billed cost beside each finding: cost facts imported from a CUR 2.0 export (real column names and types)
 * matched to findings by resource id, ARN or the ARN's last segment, in the same account only; windows ending at
 * the last complete usage day; savings from the estimate's own ratio; the attribution dataset read back typed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageCast } from '../../contracts/storage_cast.ts';
import type { FindingDraft } from '../../contracts/draft.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import { writeCurExport, type CurLine } from '../../scripts/billing_export.ts';
import { query } from '../helpers/duckdb.ts';
import { RUN, validRecord } from '../helpers/records.ts';

const ACCOUNT = '111111111111';
let dir: string;
let data: string;

const finding = (
  resource: string,
  savings: { cost: string; saves: string } | undefined,
  extra: Partial<FindingDraft> = {},
): FindingDraft => ({
  status: 'fail',
  scope: { account_id: ACCOUNT, region: 'us-east-1', resource_id: resource },
  issue_key: { resource },
  title: `${resource} wastes money`,
  estimated: savings
    ? { monthly_cost: savings.cost, monthly_savings: savings.saves, confidence: 80, notes: 'list price' }
    : {},
  ...extra,
});

/** Daily lines of `cost` for a resource, 2026-10-01 to 2026-10-08 (the 8th still being billed). */
const daily = (resource: string, cost: number, extra: Partial<CurLine> = {}): CurLine[] =>
  Array.from({ length: 8 }, (_, d) => ({
    type: 'Usage',
    resource,
    start: `2026-10-0${d + 1}T00:00:00Z`,
    unblended: cost,
    ...extra,
  }));

function effects(): { effects: RunnerEffects; printed: string[] } {
  const printed: string[] = [];
  return {
    printed,
    effects: {
      now: () => new Date('2026-10-08T12:00:00Z'),
      newId: () => crypto.randomUUID(),
      print: (text) => printed.push(text),
      logger: () => pino({ level: 'silent' }),
      awsServices: () => {
        throw new Error('no AWS here');
      },
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'attribution-'));
  data = join(dir, 'data', 'finops_findings');
  const run = {
    ...RUN,
    runTs: new Date('2026-10-08T06:00:00Z'),
    ingestedTs: new Date('2026-10-08T06:00:05Z'),
  };
  const writer = new DatasetWriter({ root: data, tenantId: 'acme', runDate: '2026-10-08' });
  const drafts: FindingDraft[] = [
    // Removed by its fix: saves what it costs.
    finding('vol-0aaa', { cost: '8.00', saves: '8.00' }),
    // Changed by its fix (gp2 → gp3): saves 20 % of what it costs.
    finding('vol-0bbb', { cost: '10.00', saves: '2.00' }),
    // Billed under its ARN: matched by the ARN's last segment.
    finding('nat-0ddd', { cost: '32.40', saves: '32.40' }),
    // Billed under the ARN the finding carries.
    finding(
      'lb-one',
      { cost: '16.20', saves: '16.20' },
      {
        scope: {
          account_id: ACCOUNT,
          region: 'us-east-1',
          resource_id: 'lb-one',
          resource_arn:
            'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/lb-one/50dc6c495c0c9188',
        },
      },
    ),
    // Passing: it costs, it saves nothing.
    finding('vol-0eee', { cost: '5.00', saves: '5.00' }, { status: 'pass' }),
    // The same id in another account is another resource.
    finding(
      'vol-0fff',
      { cost: '5.00', saves: '5.00' },
      { scope: { account_id: '222222222222', region: 'us-east-1', resource_id: 'vol-0fff' } },
    ),
    // No price: its cost is known, not what it saves.
    finding('snap-0ggg', undefined),
    // Two volumes with one id in two accounts, each billed the same: two resources, both counted.
    finding('vol-0twin', undefined),
    finding('vol-0twin', undefined, {
      scope: { account_id: '444444444444', region: 'us-east-1', resource_id: 'vol-0twin' },
    }),
  ];
  for (const draft of drafts) await writer.append(storageCast(validRecord(draft, run)));
  await writer.close();
  const source = await writeCurExport(join(dir, 'exports'), 'acme-cur2', '2026-10', [
    ...daily('vol-0aaa', 0.1),
    ...daily('vol-0bbb', 0.5),
    ...daily('arn:aws:ec2:us-east-1:111111111111:natgateway/nat-0ddd', 1.08),
    ...daily(
      'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/lb-one/50dc6c495c0c9188',
      0.54,
    ),
    ...daily('vol-0eee', 0.2),
    ...daily('vol-0fff', 0.3, { account: '111111111111' }),
    ...daily('vol-0twin', 0.4),
    ...daily('vol-0twin', 0.4, { account: '444444444444' }),
    // A volume of another account with the id of one a finding names: no finding names this one.
    ...daily('vol-0aaa', 0.05, { account: '333333333333' }),
    ...daily('snap-0ggg', 0.01),
    // A resource no finding names, and a Savings Plan covered one: amortized and unblended differ.
    ...daily('i-0nobody', 2),
    ...daily('i-0nobody', 0.5, { type: 'SavingsPlanCoveredUsage', spEffective: 0.3 }),
  ]);
  const { effects: fx, printed } = effects();
  const code = await main(['cost', 'import', '--tenant', 'acme', '--source', source, '--data', data], fx);
  if (code !== 0) throw new Error(printed.join('\n'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportWith(name: string, extra: string[] = []) {
  const out = join(dir, name);
  const { effects: fx, printed } = effects();
  const code = await main(
    ['export', '--tenant', 'acme', '--data', data, '--out-dir', out, '--no-dashboard', ...extra],
    fx,
  );
  expect(code, printed.join('\n')).toBe(0);
  const { readFile } = await import('node:fs/promises');
  const read = async (file: string) => JSON.parse(await readFile(join(out, file), 'utf8'));
  const findings = (await read('findings.json')) as Record<string, unknown>[];
  return {
    byResource: Object.fromEntries(findings.map((f) => [String(f['resource_id']), f])),
    summary: (await read('summary.json')) as {
      totals: Record<string, unknown>;
      cost_coverage: Record<string, unknown>;
    },
  };
}

describe('billed cost beside each finding', () => {
  it('matches by id, ARN and ARN suffix in the same account, and sums the days up to the last complete one', async () => {
    const { byResource } = await exportWith('site');
    // 2026-10-08 is still being billed: the windows end on the 7th, and hold 7 of 30 days.
    expect(byResource['vol-0aaa']).toMatchObject({
      actual_cost_7d: '0.700000',
      actual_cost_30d: '0.700000',
      actual_savings_30d: '0.700000',
      actual_currency: 'USD',
      actual_cost_model: 'amortized',
      actual_period_end: '2026-10-07',
      attribution_method: 'exact_resource_id',
      attribution_confidence: 100,
    });
    expect(byResource['vol-0bbb']).toMatchObject({
      actual_cost_30d: '3.500000',
      actual_savings_30d: '0.700000',
    });
    expect(byResource['nat-0ddd']).toMatchObject({
      actual_cost_30d: '7.560000',
      actual_savings_30d: '7.560000',
      attribution_method: 'heuristic',
      attribution_confidence: 80,
    });
    expect(byResource['lb-one']).toMatchObject({
      actual_cost_30d: '3.780000',
      attribution_method: 'exact_resource_id',
    });
    expect(byResource['vol-0eee']).toMatchObject({ actual_cost_30d: '1.400000', actual_savings_30d: null });
    expect(byResource['snap-0ggg']).toMatchObject({ actual_cost_30d: '0.070000', actual_savings_30d: null });
    // Billed in account 111…, found in 222…: not the same resource.
    expect(byResource['vol-0fff']).toMatchObject({ actual_cost_30d: null, attribution_method: null });
  });

  it('totals the open failing findings, and keeps the cost no finding names visible', async () => {
    const { summary } = await exportWith('site-summary');
    // 0.7 + 3.5 + 7.56 + 3.78 + 0.07 + 2 × 2.8 (the twins) billed; 0.7 + 0.7 + 7.56 + 3.78 saved.
    expect(summary.totals).toMatchObject({
      actual_cost_30d: '21.210000',
      actual_savings_30d: '12.740000',
      actual_currency: 'USD',
    });
    expect(summary.cost_coverage).toEqual({
      findings_with_actual_cost: 8,
      open_failing_findings: 8,
      // i-0nobody: 7 × (2 + 0.3) amortized, vol-0fff of account 111…: 7 × 0.3, and vol-0aaa of 333…: 7 × 0.05.
      unmatched_cost_30d: { USD: '18.550000' },
    });
  });

  it('shows unblended cost with --cost-model unblended', async () => {
    const { summary } = await exportWith('site-unblended', ['--cost-model', 'unblended']);
    expect((summary.cost_coverage['unmatched_cost_30d'] as Record<string, string>)['USD']).toBe('19.950000');
  });

  it('writes the attribution dataset with the findings schema’s own types', async () => {
    await exportWith('site-dataset');
    const glob = join(dir, 'data', 'finops_cost_attribution', 'tenant_id=acme', '*.parquet');
    const [types] = await query(`DESCRIBE SELECT actual FROM read_parquet($glob)`, { glob });
    const { default: columns } = await import('../../pipeline/findings_columns.json', {
      with: { type: 'json' },
    });
    expect(types!['column_type']).toBe((columns as Record<string, string>)['actual']);
    const rows = await query(
      `SELECT tenant_id, actual.cost_30d::VARCHAR AS cost, actual.model.period_end::VARCHAR AS period_end,
              actual.attribution.matched_keys AS keys
       FROM read_parquet($glob) ORDER BY cost`,
      { glob },
    );
    expect(rows).toHaveLength(8);
    expect(rows.at(-1)).toMatchObject({
      tenant_id: 'acme',
      cost: '7.560000',
      period_end: '2026-10-07',
      keys: ['arn:aws:ec2:us-east-1:111111111111:natgateway/nat-0ddd'],
    });
  });
});
