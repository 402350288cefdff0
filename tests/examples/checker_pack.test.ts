/**
 * examples/checker-pack as a team would ship and use it: packed with `npm pack`, installed into a project
 * beside the engine (compiled, as npm would install it), its check run against fake instances, then the engine
 * run with it against the AWS emulator.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoEstate, type DemoIds } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { findingRows } from '../helpers/duckdb.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHECK_ID = 'finopspackcosttags.ec2.instances.cost.tag.missing';

let dir: string;
let project: string;
let moto: MotoServer;
let estate: DemoIds;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'checker-pack-'));
  // The engine as npm installs it: its package.json, bin and compiled dist (its dependencies: this checkout's).
  const engine = join(dir, 'engine');
  await mkdir(engine);
  await run(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', join(engine, 'dist')],
    {
      cwd: ROOT,
    },
  );
  await cp(join(ROOT, 'package.json'), join(engine, 'package.json'));
  await cp(join(ROOT, 'bin'), join(engine, 'bin'), { recursive: true });
  await symlink(join(ROOT, 'node_modules'), join(engine, 'node_modules'), 'dir');
  // The pack, packed as it would be published, installed into a project (its peer, the engine, beside it).
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
    cwd: join(ROOT, 'examples', 'checker-pack'),
  });
  const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  project = join(dir, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'acme-finops', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--offline', tarball], {
    cwd: project,
  });
  await symlink(engine, join(project, 'node_modules', 'finops-findings'), 'dir');
  moto = await startMoto();
  estate = await seedDemoEstate(moto);
}, 240_000);

afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the example checker pack', () => {
  it('fails an untagged instance, passes a tagged one and gives new ones min_age_days', async () => {
    const installed = join(project, 'node_modules', 'finops-pack-cost-tags', 'index.js');
    const { checker } = (await import(pathToFileURL(installed).href)) as {
      checker: { create: (ctx: unknown, bootstrap: unknown) => AsyncIterable<Record<string, unknown>> };
    };
    const runTs = new Date('2026-12-01T00:00:00Z');
    const instances = [
      {
        InstanceId: 'i-old',
        InstanceType: 't3.large',
        LaunchTime: new Date('2026-10-01T00:00:00Z'),
        Tags: [],
      },
      {
        InstanceId: 'i-new',
        InstanceType: 't3.large',
        LaunchTime: new Date('2026-11-30T00:00:00Z'),
        Tags: [],
      },
      {
        InstanceId: 'i-tagged',
        InstanceType: 't3.large',
        LaunchTime: new Date('2026-10-01T00:00:00Z'),
        Tags: [{ Key: 'cost-center', Value: '1023' }],
      },
    ];
    const drafts = async (minAge: number) => {
      const ctx = {
        regions: ['eu-west-1'],
        runTs,
        params: { [CHECK_ID]: { min_age_days: minAge } },
        inventory: { instances: async () => instances },
      };
      const out: Record<string, unknown>[] = [];
      for await (const draft of checker.create(ctx, { aws_account_id: '123456789012' })) out.push(draft);
      return Object.fromEntries(
        out.map((d) => [(d['scope'] as { resource_id: string }).resource_id, d['status']]),
      );
    };
    expect(await drafts(0)).toEqual({ 'i-old': 'fail', 'i-new': 'fail', 'i-tagged': 'pass' });
    expect(await drafts(7)).toEqual({ 'i-old': 'fail', 'i-new': 'pass', 'i-tagged': 'pass' });
  });

  it('runs in the installed engine against the AWS emulator, named by the project’s policy file', async () => {
    await writeFile(
      join(project, 'finops.config.yaml'),
      `plugins: [finops-pack-cost-tags]\nchecks:\n  ${CHECK_ID}:\n    severity: medium\n`,
    );
    const engine = (args: string[]) =>
      run(
        process.execPath,
        [join(project, 'node_modules', 'finops-findings', 'bin', 'finops-findings.mjs'), ...args],
        {
          cwd: project,
          env: { ...process.env, ...moto.env },
        },
      );
    const validated = await engine(['config', 'validate']);
    expect(validated.stdout).toContain('finops.config.yaml is valid');
    const data = join(project, 'data', 'finops_findings');
    await engine([
      '--tenant',
      'acme',
      '--checker',
      CHECK_ID,
      '--out',
      data,
      '--run-ts',
      estate.runTs.toISOString(),
    ]);
    const rows = await findingRows(
      data,
      'scope.resource_id AS resource, status, severity.level AS level, rulepack_version',
    );
    // The demo's instances carry Name and team tags, no cost-center.
    expect(rows.map((r) => r.resource)).toEqual(Object.values(estate.instances).sort());
    for (const row of rows)
      expect(row).toMatchObject({
        status: 'fail',
        level: 'medium',
        rulepack_version: '0.1.0+finops-pack-cost-tags@1.0.0',
      });
    expect((await readdir(join(data, '_runs', 'tenant_id=acme'))).length).toBe(1);
  });
});
