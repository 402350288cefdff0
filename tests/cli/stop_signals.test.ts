/**
 * Ctrl-C on long DuckDB work under `npx tsx`, as a terminal sends it (SIGINT to the whole process group: tsx and
 * the node process it starts). The export and the KPI rebuild stop within seconds, publish nothing, and say so;
 * a second Ctrl-C quits at once.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleFinding } from '../../contracts/assemble.ts';
import { storageCast } from '../../contracts/storage_cast.ts';
import { DatasetWriter } from '../../pipeline/dataset_writer.ts';
import { benchFindings } from '../../bench/findings.ts';
import { query } from '../helpers/duckdb.ts';
import { RUN } from '../helpers/records.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
/** Enough history that an export takes several seconds on the CI machine (2 cores: ~10 s). */
const DAYS = 30;
const PER_DAY = 20_000;
let dir: string;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stop-signals-'));
  data = join(dir, 'data');
  const first = new DatasetWriter({ root: data, tenantId: 'acme', runDate: '2026-11-22' });
  for (const { meta, draft } of benchFindings(PER_DAY, 7)) {
    const result = assembleFinding(draft, meta, { ...RUN, runTs: new Date('2026-11-22T06:00:00Z') });
    if (result.ok) await first.append(storageCast(result.record));
  }
  const [part] = await first.close();
  for (let d = 1; d < DAYS; d += 1) {
    const date = new Date(Date.UTC(2026, 10, 22 - d)).toISOString().slice(0, 10);
    const target = join(data, 'tenant_id=acme', `run_date=${date}`);
    await mkdir(target, { recursive: true });
    await query(
      `COPY (SELECT * REPLACE ('run-' || ${d} AS run_id, run_ts - INTERVAL (${d}) DAY AS run_ts) FROM read_parquet('${part!.path}'))
       TO '${join(target, 'part-0.parquet')}' (FORMAT parquet, COMPRESSION zstd)`,
    );
  }
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** From the first Ctrl-C to the end of the process group's leader. */
  ms: number;
}

/**
 * Starts the CLI in a process group of its own, waits for `startedLine` on stderr and `afterMs` more, then
 * presses Ctrl-C `presses` times, 300 ms apart.
 */
async function interrupt(args: string[], startedLine: string, afterMs: number, presses = 1): Promise<Ended> {
  const child = spawn(TSX, [join(ROOT, 'runner.ts'), ...args], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_REGION: 'us-east-1' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const ended = new Promise<Omit<Ended, 'ms' | 'stderr'>>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // Pressed once the work is under way (its first progress line), not while the process is still starting.
  const started = Date.now();
  while (!stderr.includes(startedLine) && child.exitCode === null && Date.now() - started < 30_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, afterMs));
  const pressed = Date.now();
  for (let i = 0; i < presses; i += 1) {
    if (i > 0) await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-child.pid!, 'SIGINT');
    } catch {
      // the group has already gone
    }
  }
  const result = await ended;
  const ms = Date.now() - pressed;
  // Anything of the group still alive would be a hang: end it so the test run does not.
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // all gone, as it should be
  }
  return { ...result, stderr, ms };
}

/**
 * The exit code the engine chose. tsx relays a signal to its child and, if the child has not told it within
 * 30 ms that it got it (on a loaded machine it may not have), kills the child and exits 130 itself, after the
 * engine has already stopped cleanly and said so. That 130 is tsx's, not the engine's.
 */
const exitCodeOf = (ended: Ended): number | null =>
  ended.code === 130 && /error: the .* was interrupted/.test(ended.stderr) ? 1 : ended.code;

describe('Ctrl-C under tsx', () => {
  it('stops an export within seconds, publishes nothing and keeps the previous export', async () => {
    const out = join(dir, 'site');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'findings.json'), '["the previous export"]');
    const ended = await interrupt(
      ['export', '--tenant', 'acme', '--data', data, '--out-dir', out],
      'reading history',
      500,
    );
    console.log(JSON.stringify(ended).slice(0, 2000));
    expect(ended.stderr).toContain('SIGINT: stopping the export (again to quit now)');
    expect(ended.stderr).toContain(
      'the export was interrupted: nothing was published; what was there before is unchanged',
    );
    expect(exitCodeOf(ended), ended.stderr).toBe(1);
    expect(ended.ms).toBeLessThan(8_000);
    expect(await readFile(join(out, 'findings.json'), 'utf8')).toBe('["the previous export"]');
    expect(await readdir(out)).toEqual(['findings.json']);
  }, 60_000);

  it('quits at once on a second Ctrl-C', async () => {
    const out = join(dir, 'site-2');
    const ended = await interrupt(
      ['export', '--tenant', 'acme', '--data', data, '--out-dir', out],
      'reading history',
      500,
      2,
    );
    expect(ended.code === 0).toBe(false);
    expect(ended.ms).toBeLessThan(3_000);
    expect((await readdir(out).catch(() => [])).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 60_000);

  it('stops a KPI rebuild within seconds', async () => {
    const ended = await interrupt(
      ['kpi', 'rebuild', '--tenant', 'acme', '--data', data, '--log-level', 'debug'],
      'rebuilding KPIs',
      500,
    );
    expect(ended.stderr).toContain('SIGINT: stopping the KPI rebuild (again to quit now)');
    expect(ended.stderr).toContain('the KPI rebuild was interrupted');
    expect(exitCodeOf(ended), ended.stderr).toBe(1);
    expect(ended.ms).toBeLessThan(8_000);
  }, 60_000);
});
