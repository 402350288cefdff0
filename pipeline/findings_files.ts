/**
 * The finding list, written once from one query in one pass: findings.json (every row, the documented
 * interface), the same rows in pages of PAGE_ROWS under `findings/<digest>/`, and findings_index.json, the
 * columns the dashboard lists, filters, sorts and searches (see dashboard/src/findings_index.ts). The pages'
 * folder is named by a digest of the rows, so an identical export names the same folder and a page loaded
 * with an older index is never a different export's.
 */
import { createHash } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { IndexBuilder, pageFile, PAGE_ROWS, type IndexRow } from '../dashboard/src/findings_index.ts';
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

/**
 * Streams `sql` (its first column `row`, the finding's JSON text, then INDEX_COLUMNS) into the three
 * outputs under `stage`.
 */
export async function writeFindingFiles(
  connection: DuckDBConnection,
  stage: string,
  sql: string,
  rowsPerPage = PAGE_ROWS,
): Promise<FindingFiles> {
  const building = join(stage, '.pages');
  await makeDirectory(building);
  const index = new IndexBuilder();
  const digest = createHash('sha256');
  let page: string[] = [];
  let pages = 0;
  const flushPage = async () => {
    await writeFile(join(building, pageFile(pages)), `[\n${page.join(',\n')}\n]\n`);
    pages += 1;
    page = [];
  };
  async function* list(): AsyncGenerator<string> {
    yield '[';
    const result = await connection.stream(sql);
    // One write per chunk of rows (DuckDB's vector of up to 2,048), not one per row.
    for await (const rows of result.yieldRowObjectJson()) {
      if (rows.length === 0) continue;
      const texts = rows.map((row) => String(row['row']));
      yield `${index.length === 0 ? '\n' : ',\n'}${texts.join(',\n')}`;
      for (const [i, row] of rows.entries()) {
        index.push(row as unknown as IndexRow);
        digest.update(texts[i]!).update('\n');
        page.push(texts[i]!);
        if (page.length === rowsPerPage) await flushPage();
      }
    }
    if (page.length > 0) await flushPage();
    yield index.length === 0 ? ']\n' : '\n]\n';
  }
  const findings = join(stage, 'findings.json');
  await writeFileAtomic(findings, list());
  const name = `${PAGES_DIR}/${digest.digest('hex').slice(0, 16)}`;
  const path = join(stage, PAGES_DIR, basename(name));
  await makeDirectory(join(stage, PAGES_DIR));
  await rename(building, path);
  const indexFile = join(stage, INDEX_FILE);
  await writeFileAtomic(indexFile, JSON.stringify(index.build(name, rowsPerPage)));
  return { files: [findings, indexFile], pages: { path, name } };
}
