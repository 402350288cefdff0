import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findingSchema } from '../../contracts/schema.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { BatchBuilder } from '../../pipeline/arrow_batch.ts';
import { ParquetPart } from '../../pipeline/parquet_part.ts';
import { query } from '../helpers/duckdb.ts';
import { DRAFT, validRecord } from '../helpers/records.ts';

const OPTIONS = { rowGroupRows: 100, createdBy: 'test' };
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'part-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A batch of findings on volumes `<prefix>-<from>` … `<prefix>-<from + count - 1>`. */
function batch(prefix: string, from: number, count: number) {
  const builder = new BatchBuilder(findingSchema);
  for (let i = from; i < from + count; i += 1) {
    const id = `${prefix}-${i}`;
    builder.append(storageCast(validRecord({ ...DRAFT, scope: { ...DRAFT.scope, resource_id: id } })));
  }
  return builder.flush();
}

const paths = (name: string) => [join(dir, `${name}.parquet`), join(dir, `.${name}.parquet.tmp`)] as const;

describe('ParquetPart (encoded on its own thread)', () => {
  it('writes two parts at once, each with exactly its own rows', async () => {
    const [a, b] = await Promise.all([
      ParquetPart.open(...paths('a'), batch('a', 0, 50), OPTIONS),
      ParquetPart.open(...paths('b'), batch('b', 0, 30), OPTIONS),
    ]);
    for (let i = 1; i < 4; i += 1) {
      await Promise.all([a.write(batch('a', i * 50, 50)), b.write(batch('b', i * 30, 30))]);
    }
    await Promise.all([a.close(), b.close()]);
    expect([a.rows, b.rows]).toEqual([200, 120]);
    const read = await query(
      `SELECT split_part(parse_filename(filename), '.', 1) AS part, count(*)::INTEGER AS n,
              count(DISTINCT scope.resource_id)::INTEGER AS ids,
              bool_and(starts_with(scope.resource_id, split_part(parse_filename(filename), '.', 1) || '-')) AS own
       FROM read_parquet($glob, filename = true) GROUP BY ALL ORDER BY part`,
      { glob: join(dir, '*.parquet') },
    );
    expect(read).toEqual([
      { part: 'a', n: 200, ids: 200, own: true },
      { part: 'b', n: 120, ids: 120, own: true },
    ]);
    expect((await readdir(dir)).sort()).toEqual(['a.parquet', 'b.parquet']);
  });

  it('reports a part it cannot create (by its close at the latest) instead of hanging, and goes on', async () => {
    const [, taken] = paths('c');
    await writeFile(taken, 'someone else’s file');
    const write = async () => {
      const c = await ParquetPart.open(...paths('c'), batch('c', 0, 10), OPTIONS);
      await c.close();
    };
    await expect(write()).rejects.toThrow(/EEXIST/);
    const d = await ParquetPart.open(...paths('d'), batch('d', 0, 10), OPTIONS);
    await d.close();
    const [read] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet($file)`, {
      file: paths('d')[0],
    });
    expect(read).toEqual({ n: 10 });
  });

  it('drops an aborted part without a trace, its temporary file included', async () => {
    const e = await ParquetPart.open(...paths('e'), batch('e', 0, 10), OPTIONS);
    await e.write(batch('e', 10, 10));
    await e.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});
