/**
 * `cost import` on Data Exports folders built with the real column names and types: CUR 2.0 with every known
 * pitfall (Savings Plan covered usage and its negation, reserved usage, commitment fees, tax and credits, lines
 * without a resource id, split-cost rows, net cost after discounts, a restated month), legacy CUR, FOCUS, and
 * seeded random lines summed exactly beside an independent BigInt sum.
 */
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import { exactMoney } from '../../pipeline/cost_facts.ts';
import { writeCurExport, writeFocusExport, type CurLine } from '../../scripts/billing_export.ts';
import { query } from '../helpers/duckdb.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cost-facts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function effects() {
  const printed: string[] = [];
  const value: RunnerEffects = {
    now: () => new Date('2026-11-28T10:00:00Z'),
    newId: () => crypto.randomUUID(),
    print: (text) => printed.push(text),
    logger: () => pino({ level: 'silent' }),
    awsServices: () => {
      throw new Error('cost import calls no AWS API');
    },
  };
  return { effects: value, printed };
}

/** Runs `cost import` and returns its exit code, what it printed and the facts it wrote (typed columns as text). */
async function costImport(source: string, name: string, extra: string[] = []) {
  const { effects: fx, printed } = effects();
  const data = join(dir, name, 'finops_findings');
  const code = await main(
    ['cost', 'import', '--tenant', 'Acme', '--source', source, '--data', data, ...extra],
    fx,
  );
  const glob = join(dir, name, 'finops_cost_facts', 'tenant_id=acme', '*', '*.parquet');
  const facts =
    code === 0
      ? await query(
          `SELECT usage_date::VARCHAR AS usage_date, account_id, region, service, resource_id, currency,
                  unblended::VARCHAR AS unblended, amortized::VARCHAR AS amortized, net::VARCHAR AS net,
                  list::VARCHAR AS list, source_format, billing_period
           FROM read_parquet($glob, hive_partitioning = false) ORDER BY ALL`,
          { glob },
        )
      : [];
  return { code, printed: printed.join('\n'), facts, glob };
}

const DAY1 = '2026-10-05T';
const DAY2 = '2026-10-06T';

/** A month with every kind of line a per-resource cost must keep or leave out. */
const PITFALLS: CurLine[] = [
  // A volume: 24 hourly lines of a cost whose doubles do not add up exactly.
  ...Array.from({ length: 24 }, (_, h) => ({
    type: 'Usage',
    resource: 'vol-0aaa',
    start: `${DAY1}${String(h).padStart(2, '0')}:00:00Z`,
    product: 'AmazonEC2',
    unblended: 0.0137,
    net: 0.0123,
    list: 0.0137,
  })),
  { type: 'Usage', resource: 'vol-0aaa', start: `${DAY2}00:00:00Z`, unblended: 0.1, net: 0.09, list: 0.1 },
  { type: 'Usage', resource: 'vol-0aaa', start: `${DAY2}01:00:00Z`, unblended: 0.2, net: 0.18, list: 0.2 },
  // Four lines whose exact sum is 1.0000005 (rounded: 1.000001); added as doubles they make 1.0000004999999999.
  ...[0.3, 0.6, 0.1, 0.0000005].map((unblended, h) => ({
    type: 'Usage',
    resource: 'vol-0tie',
    start: `${DAY1}0${h}:00:00Z`,
    unblended,
  })),
  // An instance covered by a Savings Plan, and the negation of its on-demand cost.
  {
    type: 'SavingsPlanCoveredUsage',
    resource: 'i-0sp',
    start: `${DAY1}03:00:00Z`,
    unblended: 0.096,
    spEffective: 0.061,
    list: 0.096,
  },
  { type: 'SavingsPlanNegation', resource: 'i-0sp', start: `${DAY1}03:00:00Z`, unblended: -0.096 },
  // An instance covered by a reservation: no unblended usage cost, its share of the reservation.
  {
    type: 'DiscountedUsage',
    resource: 'i-0ri',
    start: `${DAY1}04:00:00Z`,
    unblended: 0,
    riEffective: 0.058,
    list: 0.096,
  },
  {
    type: 'RIFee',
    resource: 'arn:aws:ec2:us-east-1:111111111111:reserved-instances/r-1',
    start: `${DAY1}00:00:00Z`,
    unblended: 42.5,
  },
  {
    type: 'SavingsPlanRecurringFee',
    resource: 'arn:aws:savingsplans::111111111111:savingsplan/sp-1',
    start: `${DAY1}00:00:00Z`,
    unblended: 30,
  },
  { type: 'SavingsPlanUpfrontFee', resource: null, start: `${DAY1}00:00:00Z`, unblended: 700 },
  { type: 'Fee', resource: null, start: `${DAY1}00:00:00Z`, unblended: 29 },
  // Tax without a resource, a credit and a refund on one.
  { type: 'Tax', resource: null, start: `${DAY1}00:00:00Z`, unblended: 7.77, product: 'AWS' },
  { type: 'Credit', resource: 'vol-0aaa', start: `${DAY1}00:00:00Z`, unblended: -1.5 },
  { type: 'Refund', resource: 'vol-0aaa', start: `${DAY1}00:00:00Z`, unblended: -0.25 },
  // Data transfer, with no resource id.
  { type: 'Usage', resource: null, start: `${DAY1}05:00:00Z`, unblended: 3.21, product: 'AWSDataTransfer' },
  // A node's own cost, and the split-cost rows that re-attribute it to pods and tasks.
  { type: 'Usage', resource: 'i-0node', start: `${DAY1}06:00:00Z`, unblended: 0.192 },
  { type: 'Usage', resource: 'i-0node', start: `${DAY1}06:00:00Z`, unblended: 0.12, operation: 'EKSPod-EC2' },
  {
    type: 'Usage',
    resource: 'i-0node',
    start: `${DAY1}06:00:00Z`,
    unblended: 0.07,
    operation: 'ECSTask-EC2',
  },
  // A damaged line without a line item type: neither a resource's cost nor silently gone.
  { type: null, resource: 'vol-0aaa', start: `${DAY1}07:00:00Z`, unblended: 0.5 },
  // A bucket in another region, by its name; an account of its own.
  {
    type: 'Usage',
    resource: 'acme-logs',
    start: `${DAY2}00:00:00Z`,
    unblended: 0.023,
    product: 'AmazonS3',
    region: 'eu-west-1',
    account: '222222222222',
  },
];

describe('cost import of a CUR 2.0 export', () => {
  it('keeps each resource’s own usage, amortized, net and list, summed exactly, and names what it left out', async () => {
    const source = await writeCurExport(join(dir, 'exports'), 'acme-cur2', '2026-10', PITFALLS, {
      stale: [{ type: 'Usage', resource: 'vol-stale', start: `${DAY1}00:00:00Z`, unblended: 99 }],
    });
    const { code, printed, facts } = await costImport(source, 'pitfalls');
    expect(code, printed).toBe(0);
    const row = (resource: string, day = '2026-10-05') =>
      facts.find((f) => f['resource_id'] === resource && f['usage_date'] === day);
    // 24 × 0.0137 as decimals: 0.3288 (as doubles the sum is 0.32880000000000004).
    expect(row('vol-0aaa')).toMatchObject({
      unblended: '0.328800',
      amortized: '0.328800',
      net: '0.295200',
      list: '0.328800',
    });
    expect(row('vol-0aaa', '2026-10-06')).toMatchObject({ unblended: '0.300000', net: '0.270000' });
    expect(row('vol-0tie')).toMatchObject({ unblended: '1.000001', amortized: '1.000001' });
    expect(row('i-0sp')).toMatchObject({ unblended: '0.096000', amortized: '0.061000', list: '0.096000' });
    expect(row('i-0ri')).toMatchObject({ unblended: '0.000000', amortized: '0.058000', list: '0.096000' });
    expect(row('i-0node')).toMatchObject({ unblended: '0.192000', amortized: '0.192000' });
    expect(row('acme-logs', '2026-10-06')).toMatchObject({
      account_id: '222222222222',
      region: 'eu-west-1',
      service: 'AmazonS3',
      currency: 'USD',
      source_format: 'cur2',
      billing_period: '2026-10',
    });
    // Nothing else: no fee, tax, credit, refund, negation, split cost, line without a resource, stale file.
    expect(facts.map((f) => f['resource_id']).sort()).toEqual(
      ['acme-logs', 'i-0node', 'i-0ri', 'i-0sp', 'vol-0aaa', 'vol-0aaa', 'vol-0tie'].sort(),
    );
    expect(printed).toContain(
      '2026-10 (cur2, 1 file(s) from its manifest): 7 daily fact(s) for 6 resource(s), amortized 1.962801 USD',
    );
    for (const left of [
      'left out: 1 Credit line(s), -1.500000 unblended',
      'left out: 1 Fee line(s), 29.000000 unblended',
      'left out: 1 RIFee line(s), 42.500000 unblended',
      'left out: 1 Refund line(s), -0.250000 unblended',
      'left out: 1 SavingsPlanNegation line(s), -0.096000 unblended',
      'left out: 1 Tax line(s), 7.770000 unblended',
      'left out: 1 no resource id line(s), 3.210000 unblended',
      'left out: 1 no line item type line(s), 0.500000 unblended',
      'left out: 1 split cost (EKSPod-EC2) line(s), 0.120000 unblended',
      'left out: 1 split cost (ECSTask-EC2) line(s), 0.070000 unblended',
    ])
      expect(printed).toContain(left);
  });

  it('writes typed Parquet: DATE, text and DECIMAL(18,6)', async () => {
    const source = await writeCurExport(
      join(dir, 'exports-typed'),
      'acme-cur2',
      '2026-10',
      PITFALLS.slice(0, 3),
    );
    const { glob } = await costImport(source, 'typed');
    const types = await query(`DESCRIBE SELECT * FROM read_parquet($glob, hive_partitioning = false)`, {
      glob,
    });
    expect(Object.fromEntries(types.map((t) => [t['column_name'], t['column_type']]))).toEqual({
      usage_date: 'DATE',
      account_id: 'VARCHAR',
      region: 'VARCHAR',
      service: 'VARCHAR',
      resource_id: 'VARCHAR',
      currency: 'VARCHAR',
      unblended: 'DECIMAL(18,6)',
      amortized: 'DECIMAL(18,6)',
      net: 'DECIMAL(18,6)',
      list: 'DECIMAL(18,6)',
      source_format: 'VARCHAR',
      billing_period: 'VARCHAR',
    });
  });

  it('replaces a restated month whole: importing again never doubles a cost', async () => {
    const exports = join(dir, 'exports-restated');
    const line = (unblended: number): CurLine => ({
      type: 'Usage',
      resource: 'vol-0r',
      start: `${DAY1}00:00:00Z`,
      unblended,
    });
    await writeCurExport(exports, 'acme-cur2', '2026-09', [{ ...line(5), start: '2026-09-05T00:00:00Z' }]);
    const source = await writeCurExport(exports, 'acme-cur2', '2026-10', [line(1.25)]);
    const first = await costImport(source, 'restated');
    const again = await costImport(source, 'restated');
    expect(again.facts).toEqual(first.facts);
    // AWS restates October: the new delivery replaces the old one.
    await writeCurExport(exports, 'acme-cur2', '2026-10', [line(1.5), { ...line(0.5), resource: 'vol-0s' }]);
    const restated = await costImport(source, 'restated');
    expect(restated.facts.map((f) => [f['billing_period'], f['resource_id'], f['unblended']])).toEqual([
      ['2026-09', 'vol-0r', '5.000000'],
      ['2026-10', 'vol-0r', '1.500000'],
      ['2026-10', 'vol-0s', '0.500000'],
    ]);
    // One part a period, and no staging folder left behind.
    const tenant = join(dir, 'restated', 'finops_cost_facts', 'tenant_id=acme');
    expect((await readdir(tenant)).sort()).toEqual(['billing_period=2026-09', 'billing_period=2026-10']);
    expect(await readdir(join(tenant, 'billing_period=2026-10'))).toHaveLength(1);
  });

  it('reads the data folder when there is no manifest, and a payer without discounts has net = unblended', async () => {
    const source = await writeCurExport(
      join(dir, 'exports-plain'),
      'plain',
      '2026-10',
      [{ type: 'Usage', resource: 'vol-0p', start: `${DAY1}00:00:00Z`, unblended: 0.3 }],
      { manifest: false, withoutNet: true },
    );
    const { code, facts } = await costImport(source, 'plain');
    expect(code).toBe(0);
    expect(facts).toMatchObject([{ resource_id: 'vol-0p', unblended: '0.300000', net: '0.300000' }]);
  });

  it('says an export without resource ids needs "Include resource IDs" (exit 1), and lists missing columns', async () => {
    const source = await writeCurExport(
      join(dir, 'exports-noids'),
      'noids',
      '2026-10',
      PITFALLS.slice(0, 2),
      {
        withoutResourceIds: true,
      },
    );
    const { effects: fx } = effects();
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      expect(
        await main(
          ['cost', 'import', '--tenant', 'acme', '--source', source, '--data', join(dir, 'noids', 'd')],
          fx,
        ),
      ).toBe(1);
      const focus = await writeFocusExport(join(dir, 'exports-noids'), 'not-cur', '2026-10', [
        { category: 'Usage', resource: 'i-0f', start: `${DAY1}00:00:00Z`, billed: 1, effective: 1, list: 1 },
      ]);
      expect(
        await main(
          [
            'cost',
            'import',
            '--tenant',
            'acme',
            '--source',
            focus,
            '--format',
            'cur2',
            '--data',
            join(dir, 'noids', 'd'),
          ],
          fx,
        ),
      ).toBe(1);
      const lacking = await writeCurExport(
        join(dir, 'exports-noids'),
        'lacking',
        '2026-10',
        PITFALLS.slice(0, 2),
        {
          drop: ['pricing_public_on_demand_cost', 'reservation_effective_cost'],
        },
      );
      expect(
        await main(
          ['cost', 'import', '--tenant', 'acme', '--source', lacking, '--data', join(dir, 'noids', 'd')],
          fx,
        ),
      ).toBe(1);
      expect(await main(['cost', 'import', '--tenant', 'acme', '--source', join(dir, 'nowhere')], fx)).toBe(
        2,
      );
      expect(
        await main(
          ['cost', 'import', '--tenant', 'acme', '--source', dir, '--data', join(dir, 'noids', 'd')],
          fx,
        ),
      ).toBe(1);
    } finally {
      process.stderr.write = write;
    }
    const said = stderr.join('');
    expect(said).toContain(
      'the export has no line_item_resource_id column: it was created without "Include resource IDs" (INCLUDE_RESOURCES)',
    );
    expect(said).toContain('--format cur2, but the files are a focus export');
    expect(said).toContain(
      'the cur2 export lacks 2 required column(s): pricing_public_on_demand_cost, reservation_effective_cost',
    );
    expect(said).toContain('--source');
    expect(said).toContain('no billing data under');
    expect(said).not.toMatch(/\n\s+at /);
  });

  it('refuses a line beyond what the exact sums hold in one sentence, and keeps what was there', async () => {
    const good = await writeCurExport(join(dir, 'exports-huge'), 'fine', '2026-10', PITFALLS.slice(0, 2));
    expect((await costImport(good, 'huge')).code).toBe(0);
    const huge = await writeCurExport(join(dir, 'exports-huge'), 'huge', '2026-10', [
      { type: 'Usage', resource: 'vol-0big', start: `${DAY1}00:00:00Z`, unblended: 2e9 },
    ]);
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    let result: Awaited<ReturnType<typeof costImport>>;
    try {
      result = await costImport(huge, 'huge');
    } finally {
      process.stderr.write = write;
    }
    expect(result.code).toBe(1);
    expect(stderr.join('')).toContain(
      "billing period 2026-10: a line costs more than ±$900,000,000, beyond what the facts' exact sums hold",
    );
    expect(stderr.join('')).not.toMatch(/INT64|Conversion Error/);
    // The period imported before is as it was.
    const kept = await query(`SELECT DISTINCT resource_id FROM read_parquet($glob)`, { glob: result.glob });
    expect(kept).toEqual([{ resource_id: 'vol-0aaa' }]);
  });
});

describe('a damaged cost', () => {
  it.each([
    ['a NaN', Number.NaN, 'Usage'],
    ['an infinite', Number.POSITIVE_INFINITY, 'Usage'],
    ['a left-out NaN', Number.NaN, 'Tax'],
  ])('refuses %s cost by what it is, not as a cost too large', async (name, unblended, type) => {
    const good = await writeCurExport(join(dir, `exports-${name}`), 'fine', '2026-10', PITFALLS.slice(0, 2));
    expect((await costImport(good, `damaged-${name}`)).code).toBe(0);
    const source = await writeCurExport(join(dir, `exports-${name}`), 'damaged', '2026-10', [
      { type, resource: 'vol-0bad', start: `${DAY1}00:00:00Z`, unblended },
    ]);
    const stderr: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write;
    let result: Awaited<ReturnType<typeof costImport>>;
    try {
      result = await costImport(source, `damaged-${name}`);
    } finally {
      process.stderr.write = write;
    }
    expect(result.code).toBe(1);
    expect(stderr.join('')).toContain(
      'billing period 2026-10: a cost is not a number (NaN or infinite): the export is damaged; deliver it again',
    );
    expect(stderr.join('')).not.toMatch(/900,000,000|INT64|Conversion Error/);
    // The period imported before is as it was.
    const kept = await query(`SELECT DISTINCT resource_id FROM read_parquet($glob)`, { glob: result.glob });
    expect(kept).toEqual([{ resource_id: 'vol-0aaa' }]);
  });
});

describe('the exact sum', () => {
  it('equals the sum of the costs cast to DECIMAL(18,10), rounded to DECIMAL(18,6): halves and random doubles alike', async () => {
    const [row] = await query(
      `WITH v AS (
         SELECT (random() * 2000 - 1000)::DOUBLE AS x, i % 97 AS g FROM range(400000) t(i)
         UNION ALL SELECT ((i + 0.5) / 1e10)::DOUBLE, abs(i) % 97 FROM range(-50000, 50000) t(i)
         UNION ALL SELECT (i / 1e4 + 0.00005)::DOUBLE, abs(i) % 97 FROM range(-50000, 50000) t(i)
         -- Sums that end in a half at 6 places, positive and negative: one value a group.
         UNION ALL SELECT ((i + 0.5) / 1e6)::DOUBLE, 10000 + i FROM range(-1000, 1000) t(i)),
       sums AS (
         SELECT g, ${exactMoney('x')} AS integers, CAST(sum(CAST(x AS DECIMAL(18,10))) AS DECIMAL(18,6)) AS decimals
         FROM v GROUP BY g)
       SELECT count(*)::INTEGER AS groups, (count(*) FILTER (WHERE integers <> decimals))::INTEGER AS differ FROM sums`,
    );
    expect(row).toEqual({ groups: 2097, differ: 0 });
  });
});

describe('cost import of other exports', () => {
  it('reads legacy CUR in Parquet (tags as columns of their own)', async () => {
    const source = await writeCurExport(
      join(dir, 'exports-legacy'),
      'legacy',
      '2026-10',
      [
        {
          type: 'Usage',
          resource: 'i-0l',
          start: `${DAY1}00:00:00Z`,
          unblended: 0.5,
          tags: { team: 'data' },
        },
      ],
      { legacy: true, manifest: false },
    );
    const { code, facts } = await costImport(source, 'legacy');
    expect(code).toBe(0);
    expect(facts).toMatchObject([
      { resource_id: 'i-0l', region: 'us-east-1', unblended: '0.500000', source_format: 'cur_legacy' },
    ]);

    // The report's own layout: <prefix>/<report>/<report>/year=2026/month=10/<report>-00001.snappy.parquet.
    const report = join(dir, 'exports-legacy', 'cur-prefix', 'legacy-report');
    const month = join(report, 'legacy-report', 'year=2026', 'month=10');
    await mkdir(month, { recursive: true });
    const [file] = await readdir(join(source, 'data', 'BILLING_PERIOD=2026-10'));
    await copyFile(
      join(source, 'data', 'BILLING_PERIOD=2026-10', file!),
      join(month, 'legacy-report-00001.snappy.parquet'),
    );
    const fromReport = await costImport(join(dir, 'exports-legacy', 'cur-prefix'), 'legacy-layout');
    expect(fromReport.code).toBe(0);
    expect(fromReport.facts).toEqual(facts);
    expect(fromReport.printed).toContain('2026-10 (cur_legacy, 1 file(s))');
  });

  it('reads FOCUS: usage with a resource, billed, effective and list cost, each currency its own', async () => {
    const source = await writeFocusExport(join(dir, 'exports-focus'), 'acme-focus', '2026-10', [
      {
        category: 'Usage',
        resource: 'i-0f',
        start: `${DAY1}00:00:00Z`,
        billed: 0.096,
        effective: 0.061,
        list: 0.096,
      },
      {
        category: 'Usage',
        resource: 'i-0f',
        start: `${DAY1}01:00:00Z`,
        billed: 0.096,
        effective: 0.061,
        list: 0.096,
      },
      {
        category: 'Usage',
        resource: 'i-0f',
        start: `${DAY1}02:00:00Z`,
        billed: 0.09,
        effective: 0.05,
        list: 0.1,
        currency: 'EUR',
      },
      { category: 'Usage', resource: null, start: `${DAY1}00:00:00Z`, billed: 1, effective: 1, list: 1 },
      {
        category: 'Purchase',
        resource: 'sp-1',
        start: `${DAY1}00:00:00Z`,
        billed: 700,
        effective: 0,
        list: 0,
      },
      { category: 'Tax', resource: null, start: `${DAY1}00:00:00Z`, billed: 7, effective: 7, list: 0 },
      { category: 'Credit', resource: 'i-0f', start: `${DAY1}00:00:00Z`, billed: -2, effective: -2, list: 0 },
      { category: null, resource: 'i-0f', start: `${DAY1}00:00:00Z`, billed: 0.25, effective: 0.25, list: 0 },
      {
        category: 'Usage',
        resource: 'i-0f',
        start: `${DAY1}00:00:00Z`,
        noStartDate: true,
        billed: 0.5,
        effective: 0.5,
        list: 0.5,
      },
    ]);
    const { code, facts, printed } = await costImport(source, 'focus');
    expect(code, printed).toBe(0);
    expect(
      facts.map((f) => [
        f['resource_id'],
        f['currency'],
        f['unblended'],
        f['amortized'],
        f['list'],
        f['source_format'],
      ]),
    ).toEqual([
      ['i-0f', 'EUR', '0.090000', '0.050000', '0.100000', 'focus'],
      ['i-0f', 'USD', '0.192000', '0.122000', '0.192000', 'focus'],
    ]);
    expect(printed).toContain('amortized 0.050000 EUR, 0.122000 USD');
    expect(printed).toContain('left out: 1 Purchase line(s), 700.000000 unblended');
    expect(printed).toContain('left out: 1 no resource id line(s), 1.000000 unblended');
    expect(printed).toContain('left out: 1 no charge category line(s), 0.250000 unblended');
    expect(printed).toContain('left out: 1 no charge period line(s), 0.500000 unblended');
  });
});

describe('every line kept or left out (seeded)', () => {
  it.each([5, 17])(
    'puts each line in the facts or in what was left out, never both or neither (seed %i)',
    async (seed) => {
      const rand = random(seed);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)]!;
      const lines: CurLine[] = [];
      const leftOut = new Map<string, { lines: number; cents: number }>();
      let keptCents = 0;
      for (let i = 0; i < 300; i += 1) {
        const type = pick(['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'Tax', 'Credit', '', null]);
        const resource = pick(['vol-1', 'i-2', '']);
        const operation = pick(['RunInstances', 'EKSPod-EC2', 'ECSTask-EC2']);
        const noStartDate = rand() < 0.1;
        const currency = rand() < 0.1 ? '' : 'USD';
        const cents = Math.floor(rand() * 20_000) - 2_000;
        lines.push({
          type,
          resource,
          operation,
          noStartDate,
          currency,
          start: `2026-10-0${1 + Math.floor(rand() * 3)}T0${Math.floor(rand() * 10)}:00:00Z`,
          unblended: cents / 100,
        });
        const reason = !type
          ? 'no line item type'
          : !['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage'].includes(type)
            ? type
            : resource === ''
              ? 'no resource id'
              : noStartDate
                ? 'no usage date'
                : currency === ''
                  ? 'no currency'
                  : operation === 'RunInstances'
                    ? undefined
                    : `split cost (${operation})`;
        if (reason === undefined) {
          keptCents += cents;
          continue;
        }
        const entry = leftOut.get(reason) ?? { lines: 0, cents: 0 };
        entry.lines += 1;
        entry.cents += cents;
        leftOut.set(reason, entry);
      }
      const source = await writeCurExport(join(dir, `exports-kept-${seed}`), 'kept', '2026-10', lines);
      const { code, facts, printed } = await costImport(source, `kept-${seed}`);
      expect(code, printed).toBe(0);
      expect(leftOut.size).toBeGreaterThan(5);
      const said = [...printed.matchAll(/left out: (\d+) (.+?) line\(s\), (-?[\d.]+) unblended/g)].map(
        ([, n, reason, cost]) =>
          [reason, { lines: Number(n), cents: Math.round(Number(cost) * 100) }] as const,
      );
      expect(Object.fromEntries(said)).toEqual(Object.fromEntries(leftOut));
      expect(facts.length).toBeGreaterThan(0);
      expect(facts.reduce((sum, f) => sum + Math.round(Number(f['unblended']) * 100), 0)).toBe(keptCents);
    },
  );
});

describe('sums of many lines (seeded)', () => {
  /** Half away from zero, to 6 places, of an amount in units of 10^-8. */
  const round6 = (units: bigint): string => {
    const negative = units < 0n;
    const abs = negative ? -units : units;
    const rounded = (abs + 50n) / 100n;
    const text = `${rounded / 1_000_000n}.${String(rounded % 1_000_000n).padStart(6, '0')}`;
    return negative && rounded !== 0n ? `-${text}` : text;
  };

  it.each([11, 23, 37])(
    'equal an exact BigInt sum of the same lines, rounded once (seed %i)',
    async (seed) => {
      const rand = random(seed);
      const resources = ['vol-1', 'vol-2', 'i-3', 'i-4'];
      const types = [
        'Usage',
        'DiscountedUsage',
        'SavingsPlanCoveredUsage',
        'Tax',
        'Credit',
        'SavingsPlanNegation',
      ];
      const lines: CurLine[] = [];
      const expected = new Map<string, { unblended: bigint; amortized: bigint }>();
      // Costs of up to 8 decimals, as doubles (what an export holds).
      const amount = () => BigInt(Math.floor(rand() * 2_000_000_000) - 200_000_000);
      for (let i = 0; i < 400; i += 1) {
        const type = types[Math.floor(rand() * types.length)]!;
        const resource = resources[Math.floor(rand() * resources.length)]!;
        const day = 1 + Math.floor(rand() * 3);
        const [unblended, sp, ri] = [amount(), amount(), amount()];
        lines.push({
          type,
          resource,
          start: `2026-10-0${day}T${String(Math.floor(rand() * 24)).padStart(2, '0')}:00:00Z`,
          unblended: Number(unblended) / 1e8,
          spEffective: Number(sp) / 1e8,
          riEffective: Number(ri) / 1e8,
        });
        if (!['Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage'].includes(type)) continue;
        const key = `${resource} 2026-10-0${day}`;
        const sums = expected.get(key) ?? { unblended: 0n, amortized: 0n };
        sums.unblended += unblended;
        sums.amortized +=
          type === 'DiscountedUsage' ? ri : type === 'SavingsPlanCoveredUsage' ? sp : unblended;
        expected.set(key, sums);
      }
      const source = await writeCurExport(join(dir, `exports-seed-${seed}`), 'seeded', '2026-10', lines);
      const { code, facts } = await costImport(source, `seed-${seed}`);
      expect(code).toBe(0);
      expect(facts.length).toBeGreaterThan(5);
      expect(
        Object.fromEntries(
          facts.map((f) => [`${f['resource_id']} ${f['usage_date']}`, [f['unblended'], f['amortized']]]),
        ),
      ).toEqual(
        Object.fromEntries(
          [...expected].map(([key, s]) => [key, [round6(s.unblended), round6(s.amortized)]]),
        ),
      );
    },
  );
});
