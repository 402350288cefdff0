import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../contracts/draft.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { exportTenant, ExportError } from '../../pipeline/export.ts';
import { DAMAGED_PAGES } from '../../pipeline/parts.ts';
import { damageColumn, damagePages } from '../helpers/damage.ts';
import { query } from '../helpers/duckdb.ts';
import { DRAFT, RUN, validRecord } from '../helpers/records.ts';
import { expectSameFiles } from '../helpers/same_files.ts';

const GOLDEN = fileURLToPath(new URL('../golden/export/', import.meta.url));
const NOW = () => new Date('2026-11-23T06:00:00.000Z');
let root: string;
let out: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'export-'));
  out = join(root, 'json');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const volume = (
  id: string,
  status: FindingDraft['status'],
  savings: string | undefined,
  extra: Partial<FindingDraft> = {},
): FindingDraft => ({
  ...DRAFT,
  status,
  scope: { ...DRAFT.scope, resource_id: id, resource_arn: `arn:aws:ec2:eu-west-3:123456789012:volume/${id}` },
  title: `Volume ${id}`,
  estimated:
    savings === undefined
      ? { notes: '' }
      : { monthly_cost: savings, monthly_savings: savings, confidence: 80, notes: `${savings} a month` },
  ...extra,
});

/** Two daily runs for acme (the second re-reports two findings) and one run for another tenant. */
async function buildDataset(): Promise<void> {
  let n = 0;
  const newId = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const day1 = { ...RUN, runId: 'run-day-1', runTs: new Date('2026-11-21T10:00:00.000Z') };
  const day2 = { ...RUN, runId: 'run-day-2', runTs: new Date('2026-11-22T10:00:00.000Z') };
  const runs: [typeof RUN, string, FindingDraft[]][] = [
    [
      day1,
      'acme',
      [volume('vol-a', 'fail', '10'), volume('vol-b', 'fail', '25.5'), volume('vol-c', 'fail', '3.333333')],
    ],
    [
      day2,
      'acme',
      [
        volume('vol-a', 'fail', '12.25'),
        volume('vol-b', 'pass', undefined),
        volume('vol-d', 'unknown', undefined, { severity: { level: 'high', score: 800 } }),
      ],
    ],
    [day2, 'globex', [volume('vol-z', 'fail', '999')]],
  ];
  for (const [run, tenant, drafts] of runs) {
    const writer = new DatasetWriter({
      root: join(root, 'data'),
      tenantId: tenant,
      runDate: run.runTs.toISOString().slice(0, 10),
      newId,
    });
    for (const draft of drafts)
      await writer.append(storageCast(validRecord(draft, { ...run, tenantId: tenant })));
    await writer.close();
  }
}

/** The export of tenant globex from the built dataset into `out`, at the pinned clock. */
const exportGlobex = () =>
  exportTenant({ dataRoot: join(root, 'data'), tenantId: 'globex', outDir: out, now: NOW });
const readJson = async (name: string) => JSON.parse(await readFile(join(out, name), 'utf8'));
const exportGlobexLike = (tenantId: string) =>
  exportTenant({ dataRoot: join(root, 'data'), tenantId, outDir: out, now: NOW });

describe('exportTenant', () => {
  it('matches the golden files (clock and ids pinned)', async () => {
    await buildDataset();
    await exportTenant({ dataRoot: join(root, 'data'), tenantId: 'acme', outDir: out, now: NOW });
    if (process.env.UPDATE_GOLDEN === '1') await cp(out, GOLDEN, { recursive: true });
    await expectSameFiles(out, GOLDEN, [
      'findings.json',
      'findings_index.json',
      'summary.json',
      'top_savings.json',
      'resolved.json',
      'suppressed.json',
      'trends.json',
    ]);
  });

  it('carries a realised saving only on resolved findings, and lists only positive savings at the top', async () => {
    await buildDataset();
    // A third tenant: failing findings that save $5, nothing, and an unknown amount.
    const writer = new DatasetWriter({
      root: join(root, 'data'),
      tenantId: 'initech',
      runDate: '2026-11-22',
    });
    const run = { ...RUN, tenantId: 'initech', runTs: new Date('2026-11-22T10:00:00.000Z') };
    for (const draft of [
      volume('vol-5', 'fail', '5'),
      volume('vol-0', 'fail', '0'),
      volume('vol-x', 'fail', undefined),
    ])
      await writer.append(storageCast(validRecord(draft, run)));
    await writer.close();

    await exportGlobexLike('acme');
    const realised = Object.fromEntries(
      (
        (await readJson('findings.json')) as {
          resource_id: string;
          realised_monthly_savings: string | null;
        }[]
      ).map((f) => [f.resource_id, f.realised_monthly_savings]),
    );
    // vol-a is open: it has saved nothing yet; vol-c and vol-b were fixed, with what they saved when last failing.
    expect(realised).toEqual({ 'vol-a': null, 'vol-c': '3.333333', 'vol-d': null, 'vol-b': '25.500000' });

    await exportGlobexLike('initech');
    const top = (await readJson('top_savings.json')) as { resource_id: string }[];
    expect(top.map((f) => f.resource_id)).toEqual(['vol-5']);
    expect(((await readJson('findings.json')) as unknown[]).length).toBe(3);
  });

  it('keeps one row per fingerprint, its latest occurrence, with its lifecycle', async () => {
    await buildDataset();
    await exportTenant({ dataRoot: join(root, 'data'), tenantId: 'acme', outDir: out, now: NOW });
    type Row = {
      resource_id: string;
      run_id: string;
      status: string;
      lifecycle_status: string | null;
      est_monthly_savings: string | null;
    };
    const findings: Row[] = await readJson('findings.json');
    expect(
      findings.map((f) => [f.resource_id, f.run_id, f.status, f.lifecycle_status, f.est_monthly_savings]),
    ).toEqual([
      ['vol-a', 'run-day-2', 'fail', 'open', '12.250000'],
      // Day 2 covered the same check, account and region without vol-c: it was fixed.
      ['vol-c', 'run-day-1', 'fail', 'resolved', '3.333333'],
      ['vol-d', 'run-day-2', 'unknown', null, null],
      ['vol-b', 'run-day-2', 'pass', 'resolved', null],
    ]);
    const top = await readJson('top_savings.json');
    expect(top.map((f: { resource_id: string }) => f.resource_id)).toEqual(['vol-a']);
    const summary = await readJson('summary.json');
    expect(summary.totals).toMatchObject({
      est_monthly_savings: '12.250000',
      resolved_findings_30d: 2,
      realised_monthly_savings_30d: '28.833333',
    });
    expect(summary.matrix).toEqual({ fail: { medium: 2 }, pass: { medium: 1 }, unknown: { high: 1 } });
  });

  it("reads only the tenant's partitions (another tenant's unreadable file does not matter)", async () => {
    await buildDataset();
    const other = join(root, 'data', 'tenant_id=globex', 'run_date=2026-11-22');
    await writeFile(join(other, 'part-corrupt.parquet'), 'not parquet at all');
    const acme = await exportTenant({
      dataRoot: join(root, 'data'),
      tenantId: 'acme',
      outDir: out,
      now: NOW,
    });
    expect(acme.skipped).toEqual([]);
    expect(
      (await readJson('findings.json')).every((f: { tenant_id: string }) => f.tenant_id === 'acme'),
    ).toBe(true);
  });

  it('skips a damaged part of the tenant, names it, and exports the rest', async () => {
    await buildDataset();
    const day = join(root, 'data', 'tenant_id=globex', 'run_date=2026-11-22');
    const good = (await readdir(day)).filter((f) => f.endsWith('.parquet'));
    const bytes = await readFile(join(day, good[0]!));
    await writeFile(join(day, 'part-truncated.parquet'), bytes.subarray(0, bytes.length - 100));
    await writeFile(join(day, 'part-empty.parquet'), '');
    await writeFile(join(day, 'part-text.parquet'), 'not parquet at all');
    const result = await exportGlobex();
    const reason = 'cannot be read as Parquet: empty, truncated or damaged';
    const expected = ['part-empty.parquet', 'part-text.parquet', 'part-truncated.parquet'].map((name) => ({
      path: join('tenant_id=globex', 'run_date=2026-11-22', name),
      reason,
    }));
    expect(result.skipped).toEqual(expected);
    expect((await readJson('summary.json')).skipped_files).toEqual(expected);
    expect(result.findings).toBeGreaterThan(0);
    expect(await readJson('findings.json')).toHaveLength(result.findings);
  });

  it('skips a part whose footer reads but whose data pages are damaged', async () => {
    await buildDataset();
    const day = join(root, 'data', 'tenant_id=globex', 'run_date=2026-11-22');
    const before = await exportGlobex();
    const good = (await readdir(day)).filter((f) => f.endsWith('.parquet'));
    await writeFile(join(day, 'part-pages.parquet'), damagePages(await readFile(join(day, good[0]!))));
    const after = await exportGlobex();
    expect(after.skipped).toEqual([
      { path: join('tenant_id=globex', 'run_date=2026-11-22', 'part-pages.parquet'), reason: DAMAGED_PAGES },
    ]);
    expect(after.findings).toBe(before.findings);
    expect(await readJson('findings.json')).toHaveLength(before.findings);
  });

  it('skips the newest part when only a column the history does not read is damaged', async () => {
    await buildDataset();
    const day = join(root, 'data', 'tenant_id=globex', 'run_date=2026-11-22');
    const before = await exportGlobex();
    const good = (await readdir(day)).filter((f) => f.endsWith('.parquet'));
    // A later run of the same findings, its `message` column damaged: its rows would be the latest ones.
    const later = join(day, 'part-later.parquet');
    await query(
      `COPY (SELECT * REPLACE ('run-later' AS run_id, run_ts + INTERVAL 1 HOUR AS run_ts)
             FROM read_parquet($file, hive_partitioning = false))
       TO '${later}' (FORMAT parquet)`,
      { file: join(day, good[0]!) },
    );
    await damageColumn(later, 'message');
    const after = await exportGlobex();
    expect(after.skipped).toEqual([
      { path: join('tenant_id=globex', 'run_date=2026-11-22', 'part-later.parquet'), reason: DAMAGED_PAGES },
    ]);
    expect(after.findings).toBe(before.findings);
    const rows = (await readJson('findings.json')) as { run_id: string }[];
    expect(rows.map((row) => row.run_id)).not.toContain('run-later');
    expect(rows).toHaveLength(before.findings);
  });

  it('skips a valid Parquet file whose columns are not the findings schema', async () => {
    await buildDataset();
    const day = join(root, 'data', 'tenant_id=globex', 'run_date=2026-11-22');
    const before = await exportGlobex();
    await query(
      `COPY (SELECT 'x' AS status, NULL::VARCHAR AS fingerprint) TO '${join(day, 'part-foreign.parquet')}' (FORMAT parquet)`,
    );
    const after = await exportGlobex();
    expect(after.findings).toBe(before.findings);
    expect(after.skipped).toHaveLength(1);
    expect(after.skipped[0]!.path).toBe(
      join('tenant_id=globex', 'run_date=2026-11-22', 'part-foreign.parquet'),
    );
    expect(after.skipped[0]!.reason).toMatch(/^not a findings file: it lacks \d+ column\(s\) \(tenant_id, /);
  });

  it('skips a truncated or empty run manifest, names it, and exports the rest', async () => {
    await buildDataset();
    const runs = join(root, 'data', '_runs', 'tenant_id=acme', 'run_date=2026-11-22');
    await mkdir(runs, { recursive: true });
    await writeFile(join(runs, 'run-truncated.json'), '{"run_id": "run-truncated", "checkers": [');
    await writeFile(join(runs, 'run-empty.json'), '{}');
    const result = await exportTenant({
      dataRoot: join(root, 'data'),
      tenantId: 'acme',
      outDir: out,
      now: NOW,
    });
    expect(result.skipped.map((f) => [f.path, f.reason.split(':')[0]])).toEqual([
      [join('_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'run-empty.json'), 'not a run manifest'],
      [
        join('_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'run-truncated.json'),
        'not valid JSON (empty or truncated)',
      ],
    ]);
    expect(result.findings).toBeGreaterThan(0);
    expect((await readJson('summary.json')).skipped_files).toHaveLength(2);
  });

  it("leaves no other tenant's file behind and no staging folder, and keeps what is not an export file", async () => {
    await buildDataset();
    await mkdir(out, { recursive: true });
    for (const name of ['runs.json', 'coverage.json', 'findings.json', 'README.md']) {
      await writeFile(join(out, name), `{"from": "another tenant's export"}`);
    }
    const result = await exportTenant({
      dataRoot: join(root, 'data'),
      tenantId: 'acme',
      outDir: out,
      now: NOW,
    });
    const left = (await readdir(out)).sort();
    // acme has no run manifests: the other tenant's runs.json and coverage.json must not describe it.
    expect(left).toEqual([
      'README.md',
      'findings',
      'findings.json',
      'findings_index.json',
      'resolved.json',
      'summary.json',
      'suppressed.json',
      'top_savings.json',
      'trends.json',
    ]);
    expect(result.files.map((f) => f.slice(out.length + 1)).sort()).toEqual(
      left.filter((f) => f !== 'README.md' && f !== 'findings'),
    );
    expect((await readJson('findings.json')).length).toBe(result.findings);
    expect(await readdir(join(out, 'findings'))).toEqual([basename(result.pages)]);
  });

  it("keeps the pages of an identical export, and removes an older export's pages after publishing the new index", async () => {
    await buildDataset();
    const first = await exportGlobex();
    const again = await exportGlobex();
    expect(again.pages).toBe(first.pages);
    const index = await readJson('findings_index.json');
    expect(index.pages).toEqual({ dir: `findings/${basename(first.pages)}`, rows: 1000, count: 1 });
    expect(JSON.parse(await readFile(join(first.pages, '00000.json'), 'utf8'))).toEqual(
      await readJson('findings.json'),
    );
    const acme = await exportTenant({
      dataRoot: join(root, 'data'),
      tenantId: 'acme',
      outDir: out,
      now: NOW,
    });
    expect(acme.pages).not.toBe(first.pages);
    expect(await readdir(join(out, 'findings'))).toEqual([basename(acme.pages)]);
    expect((await readJson('findings_index.json')).pages.dir).toBe(`findings/${basename(acme.pages)}`);
  });

  it('leaves the previous export untouched when an export fails', async () => {
    await buildDataset();
    await exportTenant({ dataRoot: join(root, 'data'), tenantId: 'acme', outDir: out, now: NOW });
    const before = await readFile(join(out, 'findings.json'), 'utf8');
    const rules = join(root, 'bad-suppressions.yaml');
    await writeFile(rules, 'rules:\n  - reason: no match field\n    owner: x\n');
    await expect(
      exportTenant({
        dataRoot: join(root, 'data'),
        tenantId: 'acme',
        outDir: out,
        now: NOW,
        suppressions: rules,
      }),
    ).rejects.toThrow();
    expect(await readFile(join(out, 'findings.json'), 'utf8')).toBe(before);
    expect((await readdir(out)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('treats a tenant id as data, never as SQL', async () => {
    await buildDataset();
    await expect(
      exportTenant({ dataRoot: join(root, 'data'), tenantId: "acme' OR 1=1 --", outDir: out, now: NOW }),
    ).rejects.toThrow(/cannot name a directory/);
  });

  it('fails on an unknown tenant with the list of available tenants', async () => {
    await buildDataset();
    await expect(
      exportTenant({ dataRoot: join(root, 'data'), tenantId: 'initech', outDir: out, now: NOW }),
    ).rejects.toThrow(
      new ExportError(
        `tenant initech has no findings under ${join(root, 'data')}; available tenants: acme, globex`,
      ),
    );
  });

  it('fails clearly when there is no dataset at all', async () => {
    await mkdir(join(root, 'empty'));
    await expect(
      exportTenant({ dataRoot: join(root, 'empty'), tenantId: 'acme', outDir: out, now: NOW }),
    ).rejects.toThrow(/no findings dataset at/);
  });
});

describe('suppressions that a backtracking glob matcher chokes on', () => {
  it('exports at once with `*a*a*a*a*a*a*b` against ids of 5,000 characters', async () => {
    const long = 'a'.repeat(5_000);
    const writer = new DatasetWriter({ root: join(root, 'data'), tenantId: 'acme', runDate: '2026-11-22' });
    for (const id of [long, `${long}b`])
      await writer.append(storageCast(validRecord(volume(id, 'fail', '1'))));
    await writer.close();
    const rules = join(root, 'suppressions.yaml');
    await writeFile(
      rules,
      'rules:\n  - resource_id: "*a*a*a*a*a*a*b"\n    reason: hostile\n    owner: test\n',
    );
    const started = performance.now();
    await exportTenant({
      dataRoot: join(root, 'data'),
      tenantId: 'acme',
      outDir: out,
      now: NOW,
      suppressions: rules,
    });
    expect(performance.now() - started).toBeLessThan(15_000);
    const rows = (await readJson('findings.json')) as { resource_id: string; lifecycle_status: string }[];
    expect(rows.map((r) => [r.resource_id.length, r.lifecycle_status]).sort()).toEqual([
      [5_000, 'open'],
      [5_001, 'ignored'],
    ]);
  });
});

describe('the columns a findings part has', () => {
  it('are in findings_columns.json, exactly as DuckDB reads a part this engine writes', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { columnsOf, emptyPart, EXPECTED_COLUMNS } = await import('../../pipeline/parts.ts');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const written = await columnsOf(connection, await emptyPart());
      if (process.env.UPDATE_GOLDEN === '1') {
        const described = (
          await connection.runAndReadAll(
            `DESCRIBE SELECT * FROM read_parquet($file, hive_partitioning = false)`,
            { file: await emptyPart() },
          )
        ).getRowObjectsJson() as { column_name: string; column_type: string }[];
        await writeFile(
          fileURLToPath(new URL('../../pipeline/findings_columns.json', import.meta.url)),
          `${JSON.stringify(Object.fromEntries(described.map((r) => [r.column_name, r.column_type])), null, 2)}\n`,
        );
      }
      expect(written.size).toBe(34);
      expect([...EXPECTED_COLUMNS]).toEqual([...written]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
