/**
 * One dataset, two engines: the reference Python engine's dataset (tests/fixtures/reference_engine, 50
 * findings of one run) read by this engine's export, continued by a run of this engine, and read with this
 * engine's parts by DuckDB and pyarrow as one table.
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { assembleFinding, type RunFacts } from '../../contracts/assemble.ts';
import type { FindingDraft } from '../../contracts/draft.ts';
import { computeFindingId } from '../../contracts/identity.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { main } from '../../runner.ts';
import { query } from '../helpers/duckdb.ts';
import { fakeEffects } from '../helpers/fake_aws.ts';
import { META, RUN } from '../helpers/records.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/reference_engine/reference_dataset', import.meta.url));
const REFERENCE_RUN_TS = '2026-11-22T06:00:00.000Z';
const OUR_RUN: RunFacts = {
  ...RUN,
  runId: 'run-20261123T060000Z-this-engine',
  runTs: new Date('2026-11-23T06:00:00.000Z'),
  ingestedTs: new Date('2026-11-23T06:00:05.000Z'),
};

let dir: string;
let data: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reference-'));
  data = join(dir, 'data');
  await cp(FIXTURE, data, { recursive: true });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

interface ExportedFinding {
  fingerprint: string;
  finding_id: string;
  run_id: string;
  check_id: string;
  status: string;
  lifecycle_status: string;
  first_seen: string | null;
  last_seen: string | null;
  times_seen: number;
  resolved_ts: string | null;
  est_monthly_savings: string | null;
}

async function exportAcme(tenant = 'acme') {
  const { effects, printed } = fakeEffects([]);
  const out = join(dir, 'json');
  const code = await main(
    ['export', '--tenant', tenant, '--data', data, '--out-dir', out, '--no-dashboard'],
    effects,
  );
  const json = async (name: string) => JSON.parse(await readFile(join(out, name), 'utf8'));
  return {
    code,
    printed,
    findings: code === 0 ? ((await json('findings.json')) as ExportedFinding[]) : [],
    summary: code === 0 ? await json('summary.json') : undefined,
  };
}

const glob = () => join(data, '**', '*.parquet');

interface ReferenceRow {
  fingerprint: string;
  finding_id: string;
  check_id: string;
  status: 'pass' | 'fail';
  scope: Record<string, string>;
  monthly_savings: string | null;
  monthly_cost: string | null;
}

const referenceRows = async (): Promise<ReferenceRow[]> =>
  (await query(
    `SELECT fingerprint, finding_id, check_id, status, scope, estimated.monthly_savings::VARCHAR AS monthly_savings,
            estimated.monthly_cost::VARCHAR AS monthly_cost
     FROM read_parquet($glob) ORDER BY fingerprint`,
    { glob: join(FIXTURE, '**', '*.parquet') },
  )) as unknown as ReferenceRow[];

/**
 * A run of this engine over the reference's resources, a day later: every finding again, except `fixed`, which
 * now passes. The reference rows do not store the issue keys their fingerprints were made from, so the run
 * takes each fingerprint from the row (the identity algorithm itself is proven by the reference vectors);
 * everything else, the finding id included, is this engine's own contract, cast and writer.
 */
async function continueWithThisEngine(fixed: string): Promise<void> {
  const writer = new DatasetWriter({ root: data, tenantId: 'acme', runDate: '2026-11-23' });
  for (const row of await referenceRows()) {
    const failing = row.status === 'fail' && row.fingerprint !== fixed;
    const draft: FindingDraft = {
      status: failing ? 'fail' : 'pass',
      scope: row.scope as unknown as FindingDraft['scope'],
      ...(failing
        ? { estimated: { monthly_savings: row.monthly_savings, monthly_cost: row.monthly_cost } }
        : {}),
    };
    const assembled = assembleFinding(draft, { ...META, id: row.check_id }, OUR_RUN);
    expect(assembled.ok ? [] : assembled.issues).toEqual([]);
    const record = {
      ...assembled.record,
      fingerprint: row.fingerprint,
      finding_id: computeFindingId({ tenantId: 'acme', fingerprint: row.fingerprint, salt: '' }),
    };
    await writer.append(storageCast(record));
  }
  await writer.close();
}

/** Runs Python 3 with pyarrow on a script; its stdout is JSON. */
function pyarrow(script: string, ...args: string[]): unknown {
  const run = spawnSync('python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python3 with pyarrow failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe("the reference engine's dataset", () => {
  it('exports: 50 findings, 33 failing and 17 passing, six checks, 8393.413647 a month to save', async () => {
    const { code, findings, summary } = await exportAcme();
    expect(code).toBe(0);
    expect(findings).toHaveLength(50);
    expect(findings.filter((f) => f.status === 'fail')).toHaveLength(33);
    expect(findings.filter((f) => f.status === 'pass')).toHaveLength(17);
    expect(new Set(findings.map((f) => f.check_id)).size).toBe(6);
    expect(summary.by_status).toEqual({ fail: 33, pass: 17 });
    expect(summary.totals.est_monthly_savings).toBe('8393.413647');
    // The ids are the reference's, untouched.
    const rows = await referenceRows();
    expect(findings.map((f) => [f.fingerprint, f.finding_id]).sort()).toEqual(
      rows.map((r) => [r.fingerprint, r.finding_id]).sort(),
    );
  });

  it('derives the same finding id from each reference fingerprint', async () => {
    const rows = await referenceRows();
    expect(rows).toHaveLength(50);
    for (const row of rows) {
      expect(computeFindingId({ tenantId: 'acme', fingerprint: row.fingerprint, salt: '' })).toBe(
        row.finding_id,
      );
    }
  });

  it('is continued by a run of this engine: first seen in the reference run, seen twice, one fixed', async () => {
    const fixed = (await referenceRows()).find((r) => r.status === 'fail')!.fingerprint;
    await continueWithThisEngine(fixed);
    const { code, findings } = await exportAcme();
    expect(code).toBe(0);
    expect(findings).toHaveLength(50);
    const failing = findings.filter((f) => f.status === 'fail');
    expect(failing).toHaveLength(32);
    for (const f of failing) {
      expect(f).toMatchObject({
        run_id: OUR_RUN.runId,
        lifecycle_status: 'open',
        first_seen: REFERENCE_RUN_TS,
        last_seen: OUR_RUN.runTs.toISOString(),
        times_seen: 2,
      });
    }
    expect(findings.find((f) => f.fingerprint === fixed)).toMatchObject({
      status: 'pass',
      lifecycle_status: 'resolved',
      first_seen: REFERENCE_RUN_TS,
      last_seen: REFERENCE_RUN_TS,
      times_seen: 1,
      resolved_ts: OUR_RUN.runTs.toISOString(),
    });
  });

  it("is read with this engine's parts by one DuckDB read_parquet, without union_by_name", async () => {
    await continueWithThisEngine('');
    const types = Object.fromEntries(
      (
        await query(`DESCRIBE SELECT * FROM read_parquet($glob, hive_partitioning = true)`, { glob: glob() })
      ).map((r) => [r.column_name, r.column_type]),
    );
    expect(types).toMatchObject({
      tenant_id: 'VARCHAR',
      priority: 'USMALLINT',
      severity: 'STRUCT("level" VARCHAR, score USMALLINT)',
      source: 'STRUCT(source_type VARCHAR, source_ref VARCHAR, schema_version USMALLINT)',
      tags: 'MAP(VARCHAR, VARCHAR)',
      metrics: 'MAP(VARCHAR, DECIMAL(18,6))',
    });
    expect(types.estimated).toContain('confidence UTINYINT');
    expect(types.actual).toContain('attribution STRUCT("method" VARCHAR, confidence UTINYINT');
    // Both engines' rows for each finding, with the same exact money.
    const rows = await query(
      `SELECT engine, count(*)::INTEGER AS n, count(DISTINCT fingerprint)::INTEGER AS fingerprints,
              sum(estimated.monthly_savings)::VARCHAR AS savings, max(source.schema_version)::INTEGER AS schema_version
       FROM (SELECT *, CASE WHEN run_id = $ours THEN 'this' ELSE 'reference' END AS engine
             FROM read_parquet($glob, hive_partitioning = true))
       GROUP BY engine ORDER BY engine`,
      { glob: glob(), ours: OUR_RUN.runId },
    );
    expect(rows).toEqual([
      { engine: 'reference', n: 50, fingerprints: 50, savings: '8393.413647', schema_version: 1 },
      { engine: 'this', n: 50, fingerprints: 50, savings: '8393.413647', schema_version: 1 },
    ]);
  });

  it("has the same pyarrow schema and Parquet layout as this engine's parts, and reads as one dataset", async () => {
    await continueWithThisEngine('');
    const parts = (await readdir(data, { recursive: true })).filter((f) => f.endsWith('.parquet'));
    const [reference, ours] = [
      parts.find((p) => p.includes('2026-11-22'))!,
      parts.find((p) => p.includes('2026-11-23'))!,
    ].map((p) => join(data, p));
    const result = pyarrow(
      `
import json, sys
import pyarrow.dataset as ds
import pyarrow.parquet as pq

def layout(path):
    schema = pq.ParquetFile(path).schema
    # Name, nesting, nullability and logical type of every column. Decimals may be stored as int64 or as
    # fixed-length bytes (both are DECIMAL(18,6) to every reader), so their physical type is left out.
    return [[c.path, c.max_definition_level, c.max_repetition_level, str(c.logical_type),
             None if str(c.logical_type).startswith('Decimal') else c.physical_type]
            for c in (schema.column(i) for i in range(len(schema)))]

reference, ours, root = sys.argv[1:4]
table = ds.dataset(root, format="parquet", partitioning="hive").to_table()
print(json.dumps({
    "schemas_equal": pq.read_schema(reference).equals(pq.read_schema(ours)),
    "layout_reference": layout(reference),
    "layout_ours": layout(ours),
    "rows": table.num_rows,
    "score_type": str(table.schema.field("severity").type),
    "priority_type": str(table.schema.field("priority").type),
}))
`,
      reference!,
      ours!,
      data,
    ) as Record<string, unknown>;
    expect(result.schemas_equal).toBe(true);
    expect((result.layout_reference as unknown[]).length).toBeGreaterThan(70);
    expect(result.layout_ours).toEqual(result.layout_reference);
    expect(result).toMatchObject({
      rows: 100,
      score_type: 'struct<level: string, score: uint16>',
      priority_type: 'uint16',
    });
  });
});

describe('tenant ids, lower-cased as the reference engine writes them', () => {
  it('exports a mixed-case --tenant from the lower-cased partition', async () => {
    const { code, findings } = await exportAcme('ACME');
    expect(code).toBe(0);
    expect(findings).toHaveLength(50);
  });

  it('says how to fix a folder written with a mixed-case tenant by an earlier version', async () => {
    const { rename } = await import('node:fs/promises');
    await rename(join(data, 'tenant_id=acme'), join(data, 'tenant_id=Acme'));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const { code } = await exportAcme('acme');
    expect(code).toBe(1);
    expect(stderr.mock.calls.join('\n')).toContain(
      'tenant_id=Acme was written before tenant ids were lower-cased: rename it, and _runs/tenant_id=Acme, to tenant_id=acme',
    );
  });
});
