/** The compiled JavaScript discovers and runs the same checkers as the TypeScript sources. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { query } from './helpers/duckdb.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

const listed = async (command: string, args: string[]) =>
  (
    JSON.parse((await run(command, [...args, '--list-checkers', '--json'], { cwd: ROOT })).stdout) as {
      id: string;
    }[]
  ).map((c) => c.id);

describe('compiled build', () => {
  beforeAll(async () => {
    await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT });
  }, 120_000);

  it('lists the same checkers under node dist/runner.js, tsx runner.ts and the bin entry', async () => {
    const fromSources = await listed(bin('tsx'), [join(ROOT, 'runner.ts')]);
    expect(fromSources.length).toBeGreaterThan(0);
    expect(await listed(process.execPath, [join(ROOT, 'dist', 'runner.js')])).toEqual(fromSources);
    expect(await listed(process.execPath, [join(ROOT, 'bin', 'finops-findings.mjs')])).toEqual(fromSources);
  });

  it('writes Parquet from the compiled JavaScript, its encoder thread included, and exits on its own', async () => {
    const root = await mkdtemp(join(tmpdir(), 'build-write-'));
    try {
      const dist = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, 'dist', path)).href);
      const script = `
        const { DatasetWriter } = await import(${dist('pipeline/dataset_writer.js')});
        const writer = new DatasetWriter({ root: ${JSON.stringify(root)}, tenantId: 'acme', runDate: '2026-11-22', rowGroupRows: 100 });
        for (let i = 0; i < 250; i++) {
          await writer.append({ tenant_id: 'acme', finding_id: 'f' + i, fingerprint: 'p' + i, run_id: 'r', run_ts: 0, check_id: 'c', status: 'fail' });
        }
        const parts = await writer.close();
        console.log(JSON.stringify(parts.map((p) => p.rows)));`;
      const { stdout } = await run(
        process.execPath,
        [
          // Options a worker may not be given explicitly, which the encoder thread must still start under.
          '--max-old-space-size=1024',
          '--input-type=module',
          '--eval',
          script,
        ],
        {
          cwd: ROOT,
          timeout: 60_000,
        },
      );
      expect(JSON.parse(stdout)).toEqual([250]);
      const [read] = await query(
        `SELECT count(*)::INTEGER AS n, min(finding_id) AS lo, max(run_ts) AS ts FROM read_parquet($glob)`,
        { glob: join(root, '**', '*.parquet') },
      );
      expect(read).toEqual({ n: 250, lo: 'f0', ts: '1970-01-01 00:00:00+00' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('prints the package version', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'dist', 'runner.js'), '--version'], {
      cwd: ROOT,
    });
    const pkg = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(join(ROOT, 'package.json'), 'utf8')),
    );
    expect(stdout.trim()).toBe(pkg.version);
  });
});
