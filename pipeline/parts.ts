/**
 * The parts of a tenant that can be read as findings. A damaged file (zero bytes, truncated, not Parquet) or one
 * whose columns are not the findings schema (nor an earlier version of it, whose integers were signed) is
 * skipped and named, never allowed to take the tenant's export down or to add rows without ids.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { findingSchema } from '../contracts/schema.ts';
import { BatchBuilder } from './arrow_batch.ts';
import findingColumns from './findings_columns.json' with { type: 'json' };
import { ParquetPart } from './parquet_part.ts';

export interface SkippedFile {
  /** The file, relative to the dataset root. */
  readonly path: string;
  readonly reason: string;
}

export interface TenantParts {
  readonly files: readonly string[];
  readonly skipped: readonly SkippedFile[];
}

/** A zero-row part of the findings schema: what DuckDB makes of this engine's own files. */
let template: Promise<string> | undefined;
export function emptyPart(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'finops-schema-'));
    const id = randomUUID();
    const batch = new BatchBuilder(findingSchema).flush();
    const part = await ParquetPart.open(
      join(dir, `part-${id}.parquet`),
      join(dir, `.part-${id}.tmp`),
      batch,
      { rowGroupRows: 1, createdBy: 'finops-findings schema' },
    );
    const path = await part.close();
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return path;
  })();
  return template;
}

/** Integer widths and signs changed between versions of the schema; everything else must be the same. */
const comparable = (type: string) => type.replace(/\b(U?(TINYINT|SMALLINT|INTEGER|BIGINT))\b/g, 'INT');

/**
 * The columns DuckDB reads from a part this engine writes (`findings_columns.json`, which a test holds equal to
 * a freshly written part): known without writing one, so checking parts costs no Parquet encoder start-up.
 */
export const EXPECTED_COLUMNS: ReadonlyMap<string, string> = new Map(
  Object.entries(findingColumns).map(([name, type]) => [name, comparable(type)]),
);

export async function columnsOf(connection: DuckDBConnection, file: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(
    'DESCRIBE SELECT * FROM read_parquet($file, hive_partitioning = false)',
    { file },
  );
  const rows = reader.getRowObjectsJson() as { column_name: string; column_type: string }[];
  return new Map(rows.map((r) => [r.column_name, comparable(r.column_type)]));
}

/** Why a file cannot be read as findings, or undefined when it can. */
function mismatch(
  expected: ReadonlyMap<string, string>,
  found: ReadonlyMap<string, string>,
): string | undefined {
  const missing = [...expected.keys()].filter((name) => !found.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ', …' : '');
    return `not a findings file: it lacks ${missing.length} column(s) (${shown})`;
  }
  const differing = [...expected].filter(([name, type]) => found.get(name) !== type).map(([name]) => name);
  if (differing.length > 0) return `not a findings file: column(s) ${differing.join(', ')} have other types`;
  return undefined;
}

/** The visible Parquet files under a folder (hidden temporary parts excluded), sorted. */
export async function listParts(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.parquet') && !e.name.startsWith('.'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Rows without the ids and status every finding has are not findings, whatever file holds them. */
export const VALID_ROW = `tenant_id = $tenant AND fingerprint IS NOT NULL AND finding_id IS NOT NULL AND run_id IS NOT NULL
       AND run_ts IS NOT NULL AND status IN ('pass', 'fail', 'info', 'unknown')`;

export const DAMAGED_PAGES = 'damaged: its footer reads, but its data pages do not';

/**
 * Reads every value of a part (hashing each row), since damage inside data pages shows only then: a part
 * whose footer is intact passes the schema check. Why it cannot be read, or undefined when it can.
 */
export async function unreadableValues(
  connection: DuckDBConnection,
  file: string,
): Promise<string | undefined> {
  try {
    await connection.run('SELECT bit_xor(hash(t)) FROM read_parquet($file, hive_partitioning = false) AS t', {
      file,
    });
    return undefined;
  } catch {
    return DAMAGED_PAGES;
  }
}

/** Splits readable files from those whose values cannot be read (paths of the latter relative to `root`). */
export async function readableValues(
  connection: DuckDBConnection,
  root: string,
  files: readonly string[],
): Promise<TenantParts> {
  const readable: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of files) {
    const reason = await unreadableValues(connection, file);
    if (reason === undefined) readable.push(file);
    else skipped.push({ path: relative(root, file), reason });
  }
  return { files: readable, skipped };
}

/**
 * Runs `read` on the parts. A part whose footer is intact but whose data pages are damaged fails only then:
 * the parts are read value by value to find it, and `read` runs again on the others (even none). Returns what
 * was read and what was skipped; an error that no damaged part explains is thrown.
 */
export async function readSkippingDamaged(
  connection: DuckDBConnection,
  root: string,
  files: readonly string[],
  read: (files: readonly string[]) => Promise<unknown>,
): Promise<TenantParts> {
  try {
    await read(files);
    return { files, skipped: [] };
  } catch (error) {
    const checked = await readableValues(connection, root, files);
    if (checked.skipped.length === 0) throw error;
    await read(checked.files);
    return checked;
  }
}

/** The tenant's readable parts under `tenantDir`, and the skipped ones with why (paths relative to `root`). */
export async function tenantParts(
  connection: DuckDBConnection,
  root: string,
  tenantDir: string,
): Promise<TenantParts> {
  return checkParts(connection, root, await listParts(tenantDir));
}

/** Which of these files can be read as findings (their footer and schema), and why the others cannot. */
export async function checkParts(
  connection: DuckDBConnection,
  root: string,
  candidates: readonly string[],
): Promise<TenantParts> {
  const expected = EXPECTED_COLUMNS;
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  for (const file of candidates) {
    const found = await columnsOf(connection, file).catch(() => undefined);
    const reason = found
      ? mismatch(expected, found)
      : 'cannot be read as Parquet: empty, truncated or damaged';
    if (reason === undefined) files.push(file);
    else skipped.push({ path: relative(root, file), reason });
  }
  return { files, skipped };
}
