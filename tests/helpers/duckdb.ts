import { join } from 'node:path';
import { DuckDBInstance, listValue } from '@duckdb/node-api';

/**
 * Runs one query in a fresh in-memory DuckDB and returns its rows as JSON-friendly objects. A parameter that
 * is a list of strings (file paths) is bound as a DuckDB list.
 */
export async function query(
  sql: string,
  params?: Record<string, string | readonly string[]>,
): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const bound =
      params &&
      Object.fromEntries(
        Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : listValue([...v])]),
      );
    const reader = await connection.runAndReadAll(sql, bound);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Each finding of a dataset (every part under `root`) as the columns a test names, ordered by them. */
export const findingRows = (root: string, columns: string): Promise<Record<string, unknown>[]> =>
  query(`SELECT ${columns} FROM read_parquet($glob, hive_partitioning = true) ORDER BY ALL`, {
    glob: join(root, '**', '*.parquet'),
  });
