import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { engineErrorMessage } from '../../cli/errors.ts';

/** The error DuckDB throws for a statement. */
async function engineError(sql: string): Promise<Error> {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    await connection.run(sql);
  } catch (error) {
    return error as Error;
  } finally {
    connection.closeSync();
  }
  throw new Error(`no error from ${sql}`);
}

describe("the query engine's errors", () => {
  it('become a sentence without the SQL: data problems say which, our own bugs say to report them', async () => {
    const cases: [string, RegExp][] = [
      [
        "SELECT * FROM read_parquet('/nonexistent/part-1.parquet')",
        /^a file of the dataset could not be read: No files found that match the pattern "\/nonexistent\/part-1\.parquet"$/,
      ],
      [
        "SELECT CAST('x' AS INTEGER)",
        /^a value in the dataset could not be converted: Could not convert string 'x'/,
      ],
      [
        'SELECT nope FROM range(3)',
        /^the query engine failed \(binder error\): this is a bug of finops-findings/,
      ],
      ['SELEC 1', /^the query engine failed \(parser error\): this is a bug/],
    ];
    for (const [sql, expected] of cases) {
      const error = await engineError(sql);
      expect(error.message, sql).toContain('LINE 1:');
      const message = engineErrorMessage(error)!;
      expect(message, sql).toMatch(expected);
      expect(message, sql).not.toMatch(/LINE|SELECT|\^/);
    }
    expect(
      engineErrorMessage(new Error('Out of Memory Error: failed to allocate data of size 16.0 MiB')),
    ).toMatch(/^the query engine ran out of memory; run it with more memory/);
  });

  it('leave other errors alone', () => {
    expect(engineErrorMessage(new Error('ECONNREFUSED'))).toBeUndefined();
    expect(engineErrorMessage(new Error('Access Denied Error: who knows'))).toBeUndefined();
    expect(engineErrorMessage('IO Error: a string, not an Error')).toBeUndefined();
  });
});
