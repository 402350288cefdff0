import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexBuilder, isFindingIndex, pageName, type IndexRow } from '../../dashboard/src/findings_index.ts';
import { FindingTable } from '../../dashboard/src/table.ts';
import { INDEX_COLUMNS, writeFindingFiles } from '../../pipeline/findings_files.ts';

let dir: string;
let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'finding-files-'));
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterEach(async () => {
  connection.closeSync();
  instance.closeSync();
  await rm(dir, { recursive: true, force: true });
});

/** `n` findings shaped as the export's `latest` table is, as far as the index columns go. */
async function latest(n: number): Promise<void> {
  await connection.run(`CREATE OR REPLACE TABLE latest AS
    SELECT 'fp-' || i AS fingerprint, 'aws.check.' || (i % 3) AS check_id, 'Check ' || (i % 3) AS check_name,
           CASE WHEN i % 4 = 0 THEN 'pass' ELSE 'fail' END AS status,
           {level: CASE WHEN i % 5 = 0 THEN 'high' ELSE 'low' END, score: 1} AS severity,
           CASE WHEN i % 7 = 0 THEN NULL ELSE 'open' END AS lifecycle_status,
           {account_id: '11111111111' || (i % 2), region: CASE WHEN i % 6 = 0 THEN NULL ELSE 'us-east-1' END,
            service: 'AmazonEC2', resource_id: 'vol-' || i} AS scope,
           CASE WHEN i % 2 = 0 THEN MAP {'team': 'pay', 'env': 'prod'} ELSE MAP {}::MAP(VARCHAR, VARCHAR) END AS tags,
           'Volume ' || i AS title,
           {monthly_savings: CASE WHEN i % 3 = 0 THEN NULL ELSE (i / 100)::DECIMAL(18, 6) END} AS estimated,
           (i % 10)::INTEGER AS days_open,
           CASE WHEN i % 4 = 1 THEN (i / 10)::DECIMAL(18, 6) END AS actual_cost_30d
    FROM range(${n}) t(i)`);
}

const write = (rowsPerPage: number) =>
  writeFindingFiles(
    connection,
    dir,
    {
      from: 'latest',
      row: 'to_json({fingerprint: fingerprint, title: title})::VARCHAR',
      order: 'ORDER BY fingerprint',
    },
    rowsPerPage,
  );

describe('the finding list files', () => {
  it('writes findings.json, its rows in pages, and an index that reads back as the same findings', async () => {
    await latest(2345);
    const files = await write(1000);
    const rows = JSON.parse(await readFile(join(dir, 'findings.json'), 'utf8')) as { fingerprint: string }[];
    expect(rows).toHaveLength(2345);
    const index = JSON.parse(await readFile(join(dir, 'findings_index.json'), 'utf8'));
    expect(isFindingIndex(index)).toBe(true);
    expect(index.pages).toEqual({ dir: files.pages.name, rows: 1000, count: 3 });
    expect((await readdir(files.pages.path)).sort()).toEqual(['00000.json', '00001.json', '00002.json']);
    const paged = [];
    for (let n = 0; n < 3; n += 1)
      paged.push(...JSON.parse(await readFile(join(dir, pageName(files.pages.name, n)), 'utf8')));
    expect(paged).toEqual(rows);

    const table = new FindingTable(index);
    const expected = await connection.runAndReadAll(
      `SELECT ${INDEX_COLUMNS} FROM latest ORDER BY fingerprint`,
    );
    const objects = expected.getRowObjectsJson();
    expect(objects).toHaveLength(2345);
    for (const [i, object] of objects.entries()) expect(table.row(i)).toEqual(object);
    expect(table.row(2)).toMatchObject({
      fingerprint: 'fp-10',
      tags: 'team=pay\nenv=prod',
      est_monthly_savings: '0.100000',
    });
    expect(table.row(1)).toMatchObject({ tags: null, est_monthly_savings: '0.010000' });

    // The index DuckDB built is the one the page builds itself from an older export's rows.
    const builder = new IndexBuilder();
    for (const object of objects) builder.push(object as unknown as IndexRow);
    expect(index).toEqual(builder.build(files.pages.name, 1000));
  });

  it('names the pages by their rows: the same rows, the same folder; other rows, another', async () => {
    await latest(10);
    const first = await write(4);
    await rm(join(dir, 'findings'), { recursive: true });
    const same = await write(4);
    expect(same.pages.name).toBe(first.pages.name);
    await connection.run("UPDATE latest SET title = 'changed' WHERE fingerprint = 'fp-3'");
    await rm(join(dir, 'findings'), { recursive: true });
    expect((await write(4)).pages.name).not.toBe(first.pages.name);
  });

  it('writes an empty list as [] with an index of no findings and no pages', async () => {
    await latest(0);
    const files = await write(1000);
    expect(JSON.parse(await readFile(join(dir, 'findings.json'), 'utf8'))).toEqual([]);
    const index = JSON.parse(await readFile(join(dir, 'findings_index.json'), 'utf8'));
    expect(isFindingIndex(index)).toBe(true);
    expect(index.findings).toBe(0);
    expect(index.pages.count).toBe(0);
    expect(await readdir(files.pages.path)).toEqual([]);
  });
});
