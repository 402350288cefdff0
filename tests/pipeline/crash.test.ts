import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../helpers/duckdb.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a writer killed in the middle of a part', () => {
  it('leaves readers of **/*.parquet only complete parts', async () => {
    // node itself, not the tsx wrapper: SIGKILL must hit the process that writes.
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      join(ROOT, 'tests', 'helpers', 'crash_writer.ts'),
      dir,
    ]);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.on('exit', () => reject(new Error(`the writer exited early: ${out}`)));
      child.stdout.on('data', (chunk) => {
        out += chunk;
        // Two parts published and half of the third written: kill it there, without warning.
        if (/part 2000\n[\s\S]*part 2000\n[\s\S]*rows 5000\n/.test(out)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const files = await readdir(dir, { recursive: true });
    const visible = files.filter((f) => f.endsWith('.parquet'));
    const hidden = files.filter((f) => f.endsWith('.parquet.tmp'));
    expect(visible).toHaveLength(2);
    expect(hidden).toHaveLength(1);
    expect(hidden[0]!.split('/').pop()).toMatch(/^\.part-/);
    const [counts] = await query(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT filename)::INTEGER AS files FROM read_parquet($glob, filename = true)`,
      { glob: join(dir, '**', '*.parquet') },
    );
    expect(counts).toEqual({ n: 4000, files: 2 });
  }, 60_000);
});
