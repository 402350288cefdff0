/** `dataset check [--quarantine]` on a local dataset with every kind of damaged file. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../runner.ts';
import { damagePages } from '../helpers/damage.ts';
import { query } from '../helpers/duckdb.ts';
import { fakeEffects } from '../helpers/fake_aws.ts';

const BUCKETS = [
  { name: 'logs', location: null },
  { name: 'eu-data', location: 'EU', rules: 2 },
];
let dir: string;
let stderr: ReturnType<typeof vi.spyOn>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataset-check-'));
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[]): Promise<{ code: number; printed: string }> {
  const { effects, printed } = fakeEffects(BUCKETS);
  const code = await main(argv, effects);
  return { code, printed: printed.join('\n') };
}

describe('dataset check', () => {
  it('names every file an export would skip, moves them aside with --quarantine, and then finds none', async () => {
    const out = join(dir, 'data');
    const run = ['--tenant', 'acme', '--checker', 'aws.s3.governance.lifecycle.missing', '--out', out];
    expect((await cli(run)).code).toBe(0);
    const day = join(out, 'tenant_id=acme', 'run_date=2026-11-22');
    const [good] = (await readdir(day)).filter((f) => f.endsWith('.parquet'));
    const bytes = await readFile(join(day, good!));
    await writeFile(join(day, 'part-truncated.parquet'), bytes.subarray(0, bytes.length - 100));
    await writeFile(join(day, 'part-empty.parquet'), '');
    await writeFile(join(day, 'part-pages.parquet'), damagePages(bytes));
    await query(`COPY (SELECT 'x' AS status) TO '${join(day, 'part-foreign.parquet')}' (FORMAT parquet)`);
    const runs = join(out, '_runs', 'tenant_id=acme', 'run_date=2026-11-22');
    await mkdir(runs, { recursive: true });
    await writeFile(join(runs, 'broken.json'), '{"run_id": "broken", ');

    const check = await cli(['dataset', 'check', '--tenant', 'acme', '--data', out]);
    expect(check.code).toBe(3);
    const listed = check.printed
      .split('\n')
      .filter((line) => line.startsWith('  '))
      .map((line) => line.trim().split(': ')[0]);
    const bad = [
      'tenant_id=acme/run_date=2026-11-22/part-empty.parquet',
      'tenant_id=acme/run_date=2026-11-22/part-foreign.parquet',
      'tenant_id=acme/run_date=2026-11-22/part-truncated.parquet',
      'tenant_id=acme/run_date=2026-11-22/part-pages.parquet',
      '_runs/tenant_id=acme/run_date=2026-11-22/broken.json',
    ];
    expect(listed).toEqual(bad);
    expect(check.printed).toContain(
      'Checked tenant acme under ' + out + ': 5 part(s) and 2 run manifest(s); 5 cannot be read:',
    );
    // Without --quarantine nothing moves.
    expect((await readdir(day)).filter((f) => f.endsWith('.parquet'))).toHaveLength(5);

    const moved = await cli(['dataset', 'check', '--tenant', 'acme', '--data', out, '--quarantine']);
    expect(moved.code).toBe(3);
    expect(moved.printed).toContain('Quarantined 5 file(s)');
    expect(await readdir(day)).toEqual([good]);
    const quarantined = (await readdir(join(out, '_quarantine'), { recursive: true }))
      .filter((f) => f.endsWith('.quarantined'))
      .map((f) => f.replaceAll('\\', '/'))
      .sort();
    expect(quarantined).toEqual(bad.map((key) => `${key}.quarantined`).sort());
    // What readers of **/*.parquet see is the good part alone.
    expect(
      await query(
        `SELECT count(DISTINCT filename)::INTEGER AS files FROM read_parquet($glob, filename = true)`,
        {
          glob: join(out, '**', '*.parquet'),
        },
      ),
    ).toEqual([{ files: 1 }]);

    const again = await cli(['dataset', 'check', '--tenant', 'acme', '--data', out]);
    expect(again.code).toBe(0);
    expect(again.printed).toContain('1 part(s) and 1 run manifest(s); every file reads.');
  });

  it('fails on a tenant with no files (exit 1)', async () => {
    const result = await cli(['dataset', 'check', '--tenant', 'nobody', '--data', join(dir, 'none')]);
    expect(result.code).toBe(1);
    expect(stderr.mock.calls.join('')).toContain('tenant nobody has no files under');
  });
});
