/**
 * A finding's identity is a fact about the resource and the rule: a new price table or instance catalogue
 * changes the money and the advice, never a fingerprint (so open findings stay open, none reopen).
 * Every checker runs against the emulator twice, the second time with other prices and other sizes sold.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { seedDemoEstate, type DemoIds } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { query } from '../helpers/duckdb.ts';

let moto: MotoServer;
let estate: DemoIds;
let dir: string;
const savedEnv = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, moto.env);
  estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'identity-'));
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Row {
  check_id: string;
  resource_id: string;
  status: string;
  fingerprint: string;
  savings: string | null;
  recommended: string | null;
}

/** Every checker, in a fresh module graph (so the data tables are loaded anew), into its own dataset. */
async function runAll(name: string): Promise<Row[]> {
  const { main } = await import('../../runner.ts');
  const { createAwsServices } = await import('../../cli/aws.ts');
  const out = join(dir, name);
  const code = await main(
    ['--tenant', 'acme', '--out', out, '--regions', 'us-east-1', '--run-ts', estate.runTs.toISOString()],
    {
      now: () => new Date(),
      newId: () => crypto.randomUUID(),
      print: () => undefined,
      logger: () => pino({ level: 'silent' }),
      awsServices: createAwsServices,
    },
  );
  expect(code).toBe(0);
  return (await query(
    `SELECT check_id, scope.resource_id AS resource_id, status, fingerprint,
            estimated.monthly_savings::VARCHAR AS savings, dimensions['recommended_type'] AS recommended
     FROM read_parquet($glob) ORDER BY check_id, resource_id`,
    { glob: join(out, '**', '*.parquet') },
  )) as unknown as Row[];
}

describe('identity across data-table updates', () => {
  it('keeps every fingerprint when prices and the instance catalogue change', async () => {
    vi.resetModules();
    const before = await runAll('before');

    // A new price table (every EC2 price tripled) and catalogue (the current m and t families no longer sold).
    vi.resetModules();
    const prices = (await import('../../checks/_lib/prices.aws.json')).default as {
      ec2_hourly_us_east_1: Record<string, number>;
    };
    for (const type of Object.keys(prices.ec2_hourly_us_east_1)) prices.ec2_hourly_us_east_1[type]! *= 3;
    const catalogue = (await import('../../checks/_lib/instance_types.aws.json')).default as {
      offered: Record<string, string[]>;
    };
    catalogue.offered['us-east-1'] = catalogue.offered['us-east-1']!.filter((t) => !/^(m6i|t3)\./.test(t));
    const after = await runAll('after');

    expect(before.length).toBeGreaterThan(20);
    const identity = (rows: Row[]) => rows.map((r) => `${r.check_id} ${r.resource_id} ${r.fingerprint}`);
    expect(identity(after)).toEqual(identity(before));
    // The new tables did take effect: the money and the advice changed.
    const web = (rows: Row[]) =>
      rows.find(
        (r) => r.check_id === 'aws.ec2.instances.old.generation' && r.resource_id === estate.instances.web,
      )!;
    expect(web(before)).toMatchObject({ status: 'fail', recommended: 'm6i.large', savings: '2.920000' });
    expect(web(after)).toMatchObject({ status: 'fail', recommended: null, savings: null });
    const idle = (rows: Row[]) =>
      rows.find(
        (r) => r.check_id === 'aws.ec2.instances.underutilized' && r.resource_id === estate.instances.idle,
      )!;
    expect(idle(after).savings).toBe('210.240000');
    expect(idle(before).savings).toBe('70.080000');
  });
});
