/**
 * The finding list, written once from one ordered table: findings.json (every row, the documented
 * interface), the same rows in pages of PAGE_ROWS under `findings/<digest>/`, and findings_index.json, the
 * columns the dashboard lists, filters, sorts and searches (see dashboard/src/findings_index.ts). The pages'
 * folder is named by a digest of the rows, so an identical export names the same folder and a page loaded
 * with an older index is never a different export's.
 *
 * DuckDB builds the rows' JSON texts and the whole index (its dictionaries and code lists) with every thread;
 * this process only streams the texts into the files, a chunk at a time.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  DICTIONARY_COLUMNS,
  PLAIN_COLUMNS,
  pageFile,
  PAGE_ROWS,
  type FindingIndexFile,
} from '../dashboard/src/findings_index.ts';
import { writeFileAtomic } from './atomic.ts';
import { makeDirectory } from './dirs.ts';

export const INDEX_FILE = 'findings_index.json';
/** The folder (in the export) holding one folder of pages per distinct export. */
export const PAGES_DIR = 'findings';

/** The index columns, named as IndexRow names them, beside the row's JSON text (`row`). */
export const INDEX_COLUMNS = `fingerprint, check_id, check_name, status, severity.level AS severity_level,
  lifecycle_status, scope.account_id AS account_id, scope.region AS region, scope.service AS service,
  nullif(array_to_string(list_transform(map_entries(tags), t -> t.key || '=' || t.value), chr(10)), '') AS tags,
  scope.resource_id AS resource_id, title, CAST(estimated.monthly_savings AS VARCHAR) AS est_monthly_savings,
  days_open, CAST(actual_cost_30d AS VARCHAR) AS actual_cost_30d`;

export interface FindingFiles {
  /** findings.json and findings_index.json, in the staging folder. */
  readonly files: readonly string[];
  /** The pages' folder in the staging folder, and its path relative to the export (`findings/<digest>`). */
  readonly pages: { readonly path: string; readonly name: string };
}

/** What the list holds: `row` (a finding's JSON text) from `from`, in the order `order` ("ORDER BY …"). */
export interface FindingList {
  readonly from: string;
  readonly row: string;
  readonly order: string;
}

/**
 * Writes the list's three outputs under `stage`. The rows stay in the temp table `finding_rows` (`rn`, their order;
 * `row`, their JSON text; the index columns), for other lists of the same rows to reuse.
 */
export async function writeFindingFiles(
  connection: DuckDBConnection,
  stage: string,
  list: FindingList,
  rowsPerPage = PAGE_ROWS,
): Promise<FindingFiles> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE finding_rows AS
     SELECT (row_number() OVER (${list.order}) - 1)::BIGINT AS rn, ${list.row} AS row, ${INDEX_COLUMNS}
     FROM ${list.from}`,
  );
  const building = join(stage, '.pages');
  await makeDirectory(building);
  const { rows, digest, pages } = await writeRows(
    connection,
    join(stage, 'findings.json'),
    building,
    rowsPerPage,
  );
  const name = `${PAGES_DIR}/${digest.slice(0, 16)}`;
  const path = join(stage, PAGES_DIR, basename(name));
  await makeDirectory(join(stage, PAGES_DIR));
  await rename(building, path);
  const indexFile = join(stage, INDEX_FILE);
  const header: Omit<FindingIndexFile, 'columns'> = {
    version: 1,
    findings: rows,
    pages: { dir: name, rows: rowsPerPage, count: pages },
  };
  const columns = await indexColumns(connection);
  await writeFileAtomic(indexFile, `${JSON.stringify(header).slice(0, -1)},"columns":${columns}}`);
  return { files: [join(stage, 'findings.json'), indexFile], pages: { path, name } };
}

/** Streams the rows' texts into findings.json and the pages; their count, digest and pages written. */
async function writeRows(
  connection: DuckDBConnection,
  target: string,
  pagesDir: string,
  rowsPerPage: number,
): Promise<{ rows: number; digest: string; pages: number }> {
  const digest = createHash('sha256');
  let page: string[] = [];
  let pages = 0;
  let rows = 0;
  // A page is written while the next rows are read; every write is awaited before the folder is named.
  const writes: Promise<void>[] = [];
  const flushPage = () => {
    writes.push(writeFile(join(pagesDir, pageFile(pages)), `[\n${page.join(',\n')}\n]\n`));
    pages += 1;
    page = [];
  };
  async function* list(): AsyncGenerator<string> {
    yield '[';
    const result = await connection.stream('SELECT row FROM finding_rows ORDER BY rn');
    // One write per chunk of rows (DuckDB's vector of up to 2,048), not one per row.
    for await (const chunk of result.yieldRows()) {
      if (chunk.length === 0) continue;
      const texts = chunk.map(([row]) => String(row));
      const text = texts.join('\n');
      yield `${rows === 0 ? '\n' : ',\n'}${texts.join(',\n')}`;
      digest.update(text).update('\n');
      rows += texts.length;
      for (const row of texts) {
        page.push(row);
        if (page.length === rowsPerPage) flushPage();
      }
    }
    if (page.length > 0) flushPage();
    yield rows === 0 ? ']\n' : '\n]\n';
  }
  await writeFileAtomic(target, list());
  await Promise.all(writes);
  return { rows, digest: digest.digest('hex'), pages };
}

/**
 * The index's columns as one JSON object, built by DuckDB: a dictionary column's values in order of first
 * appearance and one code per row, a plain column's values in row order.
 */
async function indexColumns(connection: DuckDBConnection): Promise<string> {
  const dictionaries = DICTIONARY_COLUMNS.map(
    (column) =>
      `d_${column} AS (SELECT ${column} AS value, (row_number() OVER (ORDER BY min(rn)) - 1)::INTEGER AS code
                       FROM finding_rows GROUP BY ${column})`,
  );
  const fields = [
    ...DICTIONARY_COLUMNS.map(
      (column) => `${column}: {
        values: coalesce((SELECT list(value ORDER BY code) FROM d_${column}), []),
        codes: coalesce((SELECT list(d.code ORDER BY f.rn) FROM finding_rows f
                         JOIN d_${column} d ON f.${column} IS NOT DISTINCT FROM d.value), [])}`,
    ),
    ...[...PLAIN_COLUMNS, 'actual_cost_30d'].map(
      (column) => `${column}: coalesce((SELECT list(${column} ORDER BY rn) FROM finding_rows), [])`,
    ),
  ];
  const reader = await connection.runAndReadAll(
    `WITH ${dictionaries.join(',\n')} SELECT to_json({${fields.join(',\n')}})::VARCHAR AS columns`,
  );
  return String(reader.getRowObjects()[0]!['columns']);
}
