import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storageCast } from '../../contracts/storage_cast.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { normaliseTenant, UnsafeTenantError } from '../../pipeline/layout.ts';
import { query } from '../helpers/duckdb.ts';
import { DRAFT, validRecord } from '../helpers/records.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ds-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ids = () => {
  let n = 0;
  return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
};

async function writeRows(count: number, options: { rowGroupRows?: number; rowsPerFile?: number } = {}) {
  const writer = new DatasetWriter({
    root,
    tenantId: 'acme',
    runDate: '2026-11-22',
    newId: ids(),
    ...options,
  });
  for (let i = 0; i < count; i++) {
    await writer.append(
      storageCast(validRecord({ ...DRAFT, scope: { ...DRAFT.scope, resource_id: `vol-${i}` } })),
    );
  }
  return writer.close();
}

const glob = () => join(root, '**', '*.parquet');

describe('DatasetWriter', () => {
  it('writes the tenant/run_date layout with uuid part names', async () => {
    const parts = await writeRows(3);
    expect(parts).toEqual([
      {
        path: join(
          root,
          'tenant_id=acme',
          'run_date=2026-11-22',
          'part-00000000-0000-4000-8000-000000000001.parquet',
        ),
        rows: 3,
      },
    ]);
  });

  it('reads back in DuckDB with the exact storage types', async () => {
    await writeRows(1);
    const types = Object.fromEntries(
      (await query(`DESCRIBE SELECT * FROM read_parquet('${glob()}', hive_partitioning = true)`)).map((r) => [
        r.column_name,
        r.column_type,
      ]),
    );
    expect(types).toMatchObject({
      tenant_id: 'VARCHAR',
      run_ts: 'TIMESTAMP WITH TIME ZONE',
      run_date: 'DATE',
      tags: 'MAP(VARCHAR, VARCHAR)',
      metrics: 'MAP(VARCHAR, DECIMAL(18,6))',
      frameworks: 'VARCHAR[]',
      links: 'STRUCT("label" VARCHAR, url VARCHAR)[]',
      severity: 'STRUCT("level" VARCHAR, score USMALLINT)',
      priority: 'USMALLINT',
      source: 'STRUCT(source_type VARCHAR, source_ref VARCHAR, schema_version USMALLINT)',
      estimated:
        'STRUCT(monthly_savings DECIMAL(18,6), monthly_cost DECIMAL(18,6), one_time_savings DECIMAL(18,6), confidence UTINYINT, notes VARCHAR)',
    });
    expect(types.actual).toContain('attribution STRUCT("method" VARCHAR, confidence UTINYINT');
    expect(types.actual).toContain('period_start DATE');
    expect(types.lifecycle).toContain('first_seen_ts TIMESTAMP WITH TIME ZONE');
  });

  it('reads back the exact values', async () => {
    await writeRows(1);
    const [row] = await query(`
      SELECT tenant_id, run_date::VARCHAR AS run_date, strftime(run_ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ') AS run_ts,
             estimated.monthly_savings::VARCHAR AS savings, estimated.monthly_cost::VARCHAR AS cost,
             estimated.confidence AS confidence, tags['env'] AS env, metrics['size_gib']::VARCHAR AS size,
             scope.resource_id AS resource_id, status, severity.score AS score, fingerprint, links[1].url AS link
      FROM read_parquet('${glob()}', hive_partitioning = true)`);
    expect(row).toEqual({
      tenant_id: 'acme',
      run_date: '2026-11-22',
      run_ts: '2026-11-22T10:00:00.000Z',
      savings: '0.100000',
      cost: '10.000000',
      confidence: 80,
      env: 'prod',
      size: '100.000000',
      resource_id: 'vol-0',
      status: 'fail',
      score: 500,
      fingerprint: validRecord({ ...DRAFT, scope: { ...DRAFT.scope, resource_id: 'vol-0' } }).fingerprint,
      link: 'https://docs.aws.amazon.com/example',
    });
  });

  it('keeps edge values exact: negative and very large money, nulls, empty maps, non-ASCII text', async () => {
    const writer = new DatasetWriter({ root, tenantId: 'acme', runDate: '2026-11-22', newId: ids() });
    const { estimated: _estimated, ...withoutEstimate } = DRAFT;
    const edge = (id: string, overrides: Partial<typeof DRAFT>) =>
      storageCast(
        validRecord({ ...withoutEstimate, scope: { ...DRAFT.scope, resource_id: id }, ...overrides }),
      );
    await writer.append(
      edge('big', {
        title: 'Ünïcödé ✓ 💸 naïve',
        estimated: {
          monthly_cost: '999999999999.999999',
          monthly_savings: '-12.345678',
          confidence: 0,
          notes: '',
        },
        tags: {},
        metrics: { delta: '-0.000001', huge: '123456789012.5' },
      }),
    );
    await writer.append(edge('none', { tags: { ключ: 'значение' }, metrics: {} }));
    await writer.close();
    const rows = await query(`
      SELECT scope.resource_id AS id, title, estimated.monthly_cost::VARCHAR AS cost,
             estimated.monthly_savings::VARCHAR AS savings, estimated IS NULL AS no_estimate,
             cardinality(tags)::INTEGER AS tags, tags['ключ'] AS ru, metrics['delta']::VARCHAR AS delta,
             metrics['huge']::VARCHAR AS huge, cardinality(metrics)::INTEGER AS metrics
      FROM read_parquet('${glob()}') ORDER BY id`);
    expect(rows).toEqual([
      {
        id: 'big',
        title: 'Ünïcödé ✓ 💸 naïve',
        cost: '999999999999.999999',
        savings: '-12.345678',
        no_estimate: false,
        tags: 0,
        ru: null,
        delta: '-0.000001',
        huge: '123456789012.500000',
        metrics: 2,
      },
      {
        id: 'none',
        title: 'Volume vol-0abc is unattached',
        cost: null,
        savings: null,
        no_estimate: true,
        tags: 1,
        ru: 'значение',
        delta: null,
        huge: null,
        metrics: 0,
      },
    ]);
  });

  it('bounds row groups and rows per file, and compresses with zstd', async () => {
    const parts = await writeRows(25, { rowGroupRows: 5, rowsPerFile: 10 });
    expect(parts.map((p) => p.rows)).toEqual([10, 10, 5]);
    const groups = await query(
      `SELECT file_name, row_group_id, row_group_num_rows::INTEGER AS n, compression
       FROM parquet_metadata('${glob()}') WHERE path_in_schema = 'fingerprint' ORDER BY file_name, row_group_id`,
    );
    expect(groups.map((g) => g.n)).toEqual([5, 5, 5, 5, 5]);
    expect(new Set(groups.map((g) => g.compression))).toEqual(new Set(['ZSTD']));
    const stats = await query(
      `SELECT stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${parts[0]!.path}')
       WHERE path_in_schema = 'scope, resource_id' AND row_group_id = 0`,
    );
    expect(stats).toEqual([{ lo: 'vol-0', hi: 'vol-4' }]);
  });

  it('writes the ids unique per finding without a dictionary, the other columns with one', async () => {
    const parts = await writeRows(20);
    const encodings = await query(
      `SELECT path_in_schema AS path, encodings FROM parquet_metadata('${parts[0]!.path}')
       WHERE row_group_id = 0 AND path_in_schema IN ('finding_id', 'fingerprint', 'scope, resource_id', 'scope, resource_arn', 'check_id', 'tenant_id')
       ORDER BY path`,
    );
    const dictionary = Object.fromEntries(
      encodings.map((e) => [String(e.path), /DICTIONARY/.test(String(e.encodings))]),
    );
    expect(dictionary).toEqual({
      check_id: true,
      finding_id: false,
      fingerprint: false,
      'scope, resource_arn': true,
      'scope, resource_id': true,
      tenant_id: true,
    });
  });

  it('leaves no file a *.parquet reader would pick up when aborted mid-part', async () => {
    const writer = new DatasetWriter({
      root,
      tenantId: 'acme',
      runDate: '2026-11-22',
      rowGroupRows: 2,
      newId: ids(),
    });
    for (let i = 0; i < 5; i++) await writer.append(storageCast(validRecord()));
    const dir = join(root, 'tenant_id=acme', 'run_date=2026-11-22');
    // Mid-write, the open part exists only under its temporary name.
    expect((await readdir(dir)).every((name) => name.startsWith('.') && name.endsWith('.tmp'))).toBe(true);
    await writer.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('names each part to beforePublish while it is still invisible, then to onPart once it is in place', async () => {
    const { access } = await import('node:fs/promises');
    const visible = (path: string) =>
      access(path).then(
        () => true,
        () => false,
      );
    const events: string[] = [];
    const writer = new DatasetWriter({
      root,
      tenantId: 'acme',
      runDate: '2026-11-22',
      rowGroupRows: 2,
      rowsPerFile: 2,
      newId: ids(),
      beforePublish: async (part) => {
        events.push(`before ${part.rows} ${await visible(part.path)}`);
      },
      onPart: async (part) => {
        events.push(`after ${part.rows} ${await visible(part.path)}`);
      },
    });
    for (let i = 0; i < 3; i++) await writer.append(storageCast(validRecord()));
    const parts = await writer.close();
    expect(parts).toHaveLength(2);
    expect(events).toEqual(['before 2 false', 'after 2 true', 'before 1 false', 'after 1 true']);
  });

  it('never rewrites an existing part', async () => {
    const first = await writeRows(1);
    const second = await writeRows(1).catch((e: Error) => e);
    // Same pinned id twice: the second writer must fail rather than replace the first file.
    expect(second).toBeInstanceOf(Error);
    expect(first).toHaveLength(1);
  });
});

describe('tenant ids', () => {
  it.each([
    ['acme', 'acme'],
    ['ACME-prod_1', 'acme-prod_1'],
    [' a.B\t', 'a.b'],
  ])('accepts %j as %j, lower-cased as the reference engine writes it', (given, written) => {
    expect(normaliseTenant(given)).toBe(written);
  });

  it('writes a mixed-case tenant under its lower-cased partition', async () => {
    const writer = new DatasetWriter({ root, tenantId: 'Acme', runDate: '2026-11-22', newId: ids() });
    await writer.append(storageCast(validRecord()));
    await writer.close();
    expect(await readdir(root)).toEqual(['tenant_id=acme']);
  });

  it.each(['', '.', '..', '../etc', 'a/b', 'a b', 'tenant_id=x', 'é'])(
    'rejects %j before anything is written',
    async (tenant) => {
      expect(() => new DatasetWriter({ root, tenantId: tenant, runDate: '2026-11-22' })).toThrow(
        UnsafeTenantError,
      );
      expect(await readdir(root)).toEqual([]);
    },
  );
});
