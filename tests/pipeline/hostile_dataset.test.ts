/**
 * Generative (seeded): random bytes, damaged and foreign Parquet files and broken run manifests dropped into a
 * tenant's dataset. The export either succeeds, naming what it skipped, or fails with exit 1 and a one-line
 * message; it finishes within a time bound, and it never leaves a partial export behind.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { random } from '../../bench/findings.ts';
import { main } from '../../runner.ts';
import { damagePages } from '../helpers/damage.ts';
import { query } from '../helpers/duckdb.ts';
import { fakeEffects } from '../helpers/fake_aws.ts';

const BUCKETS = [
  { name: 'logs', location: null, tags: { team: 'platform' } },
  { name: 'eu-data', location: 'EU', rules: 2 },
  { name: 'archive', location: 'eu-west-3' },
];
const CASES = 40;
const TIME_BOUND_MS = 20_000;
const STATUSES = new Set(['pass', 'fail', 'info', 'unknown']);
const COLUMNS = [
  'tenant_id',
  'finding_id',
  'fingerprint',
  'run_id',
  'run_ts',
  'status',
  'check_id',
  'scope',
  'estimated',
];
const SQL_VALUES = [
  "'acme'",
  "'x'",
  'NULL',
  '42',
  '3.5',
  "TIMESTAMP '2026-11-22 10:00:00'",
  "{'a': 1}",
  '[1, 2]',
  "'fail'",
];

let dir: string;
let base: string;
let goodPart: Buffer;
let goodManifest: string;
let previousExport: Map<string, string>;

async function cli(argv: string[]): Promise<{ code: number; errors: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    let id = 0;
    const { effects } = fakeEffects(BUCKETS);
    const code = await main(argv, { ...effects, newId: () => `run-${(id += 1)}-${process.hrtime.bigint()}` });
    return { code, errors: lines.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** Every file under a folder (the findings pages too), by relative path. */
async function readFolder(path: string): Promise<Map<string, string>> {
  const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch(() => []);
  const names = entries
    .filter((e) => e.isFile())
    .map((e) => relative(path, join(e.parentPath, e.name)))
    .sort();
  return new Map(
    await Promise.all(names.map(async (n) => [n, await readFile(join(path, n), 'utf8')] as const)),
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostile-dataset-'));
  base = join(dir, 'base');
  for (const runId of ['r1', 'r2']) {
    const run = await cli([
      '--tenant',
      'acme',
      '--checker',
      'aws.s3.governance.lifecycle.missing',
      '--out',
      base,
      '--run-id',
      runId,
    ]);
    expect(run.code).toBe(0);
  }
  const day = join(base, 'tenant_id=acme', 'run_date=2026-11-22');
  const part = (await readdir(day)).find((f) => f.endsWith('.parquet'))!;
  goodPart = await readFile(join(day, part));
  goodManifest = await readFile(
    join(base, '_runs', 'tenant_id=acme', 'run_date=2026-11-22', 'r1.json'),
    'utf8',
  );
  const site = join(dir, 'previous');
  expect(
    (await cli(['export', '--tenant', 'acme', '--data', base, '--out-dir', site, '--no-dashboard'])).code,
  ).toBe(0);
  previousExport = await readFolder(site);
  expect(previousExport.get('findings.json')).toBeDefined();
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Hostile = { kind: string; path: string };

/** Adds 1–4 hostile files to the dataset at `root`; returns them with their kind. */
async function addHostileFiles(root: string, rand: () => number): Promise<Hostile[]> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const added: Hostile[] = [];
  const count = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < count; i += 1) {
    const date = pick(['2026-11-22', '2026-11-21', '2026-10-01']);
    const partDir = join('tenant_id=acme', `run_date=${date}`);
    const runsDir = join('_runs', 'tenant_id=acme', `run_date=${date}`);
    const kind = pick([
      'random-bytes',
      'truncated',
      'flipped',
      'damaged-pages',
      'foreign-schema',
      'manifest-bytes',
      'manifest-truncated',
      'manifest-wrong-type',
      'manifest-deep',
    ]);
    const isManifest = kind.startsWith('manifest');
    const path = join(
      isManifest ? runsDir : partDir,
      `${isManifest ? 'run' : 'part'}-${kind}-${i}.${isManifest ? 'json' : 'parquet'}`,
    );
    const file = join(root, path);
    await mkdir(join(file, '..'), { recursive: true });
    if (kind === 'random-bytes') await writeFile(file, bytes(Math.floor(rand() * 4096)));
    else if (kind === 'truncated')
      await writeFile(file, goodPart.subarray(0, Math.floor(rand() * goodPart.length)));
    else if (kind === 'flipped') {
      const copy = Buffer.from(goodPart);
      for (let k = 1 + Math.floor(rand() * 20); k > 0; k -= 1)
        copy[Math.floor(rand() * copy.length)] = Math.floor(rand() * 256);
      await writeFile(file, copy);
    } else if (kind === 'damaged-pages')
      await writeFile(file, damagePages(goodPart, 7 + Math.floor(rand() * 90)));
    else if (kind === 'foreign-schema') {
      const columns = COLUMNS.filter(() => rand() < 0.5).map((c) => `${pick(SQL_VALUES)} AS ${c}`);
      await query(`COPY (SELECT ${[...columns, '1 AS x'].join(', ')}) TO '${file}' (FORMAT parquet)`);
    } else if (kind === 'manifest-bytes') await writeFile(file, bytes(Math.floor(rand() * 600)));
    else if (kind === 'manifest-truncated')
      await writeFile(file, goodManifest.slice(0, Math.floor(rand() * goodManifest.length)));
    else if (kind === 'manifest-wrong-type') {
      const manifest = JSON.parse(goodManifest) as Record<string, unknown>;
      manifest[pick(Object.keys(manifest))] = pick([null, 7, 'x', [], {}, [{ a: 1 }], -1]);
      await writeFile(file, JSON.stringify(manifest));
    } else {
      const depth = 1_000 + Math.floor(rand() * 100_000);
      await writeFile(file, `${'['.repeat(depth)}${']'.repeat(depth)}`);
    }
    added.push({ kind, path });
  }
  return added;
}

describe('a dataset with random hostile files', () => {
  it.each(Array.from({ length: CASES }, (_, i) => i + 1))(
    'seed %i: exports naming what it skipped, or fails in one line; never hangs or half-writes',
    async (seed) => {
      const rand = random(seed * 7919);
      const root = join(dir, `case-${seed}`, 'data');
      const site = join(dir, `case-${seed}`, 'site');
      await cp(base, root, { recursive: true });
      await cp(join(dir, 'previous'), site, { recursive: true });
      const hostile = await addHostileFiles(root, rand);

      const started = Date.now();
      const result = await cli([
        'export',
        '--tenant',
        'acme',
        '--data',
        root,
        '--out-dir',
        site,
        '--no-dashboard',
      ]);
      expect(Date.now() - started).toBeLessThan(TIME_BOUND_MS);
      expect([0, 1]).toContain(result.code);
      const after = await readFolder(site);
      expect([...after.keys()].filter((name) => name.startsWith('.'))).toEqual([]);

      if (result.code === 1) {
        expect(result.errors).toMatch(/^error: [^\n]+\n(\(run again with --debug for details\)\n)?$/);
        expect(after).toEqual(previousExport);
        return;
      }
      expect([...after.keys()]).toEqual([...previousExport.keys()]);
      const findings = JSON.parse(after.get('findings.json')!) as Record<string, unknown>[];
      expect(findings.length).toBeGreaterThan(0);
      for (const row of findings) {
        expect(typeof row.finding_id).toBe('string');
        expect(typeof row.fingerprint).toBe('string');
        expect(STATUSES.has(String(row.status))).toBe(true);
      }
      const skipped = (JSON.parse(after.get('summary.json')!) as { skipped_files: { path: string }[] })
        .skipped_files;
      const hostilePaths = new Set(hostile.map((h) => h.path));
      for (const file of skipped) expect(hostilePaths.has(file.path)).toBe(true);
      // What cannot be a Parquet file or a run manifest at all is always named.
      for (const h of hostile.filter((h) =>
        ['random-bytes', 'manifest-deep', 'foreign-schema'].includes(h.kind),
      ))
        expect(skipped.map((f) => f.path)).toContain(h.path);
    },
    TIME_BOUND_MS + 10_000,
  );
});
