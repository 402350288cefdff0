/**
 * Per-region list prices from AWS Price List Bulk API files (tests/fixtures/price_list, in the real JSON and
 * CSV layouts): only the plain Linux, shared-tenancy, on-demand hourly price of each type is taken, the
 * catalogue script stores them, and the checks then price with them instead of us-east-1 × the factor.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readPriceLists } from '../../scripts/price_list.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/price_list/${name}`, import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'catalogue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('price list files', () => {
  it('take the on-demand Linux shared-tenancy hourly price from a JSON offer file, nothing else', async () => {
    // Windows, dedicated tenancy, SQL pre-installed, capacity reservations, dedicated hosts and the reserved
    // term are all in the file; none of them is the price of a plain instance.
    expect(await readPriceLists([fixture('ec2-eu-west-3.json')])).toEqual({
      'eu-west-3': { 'm5.large': 0.112, 'm5.xlarge': 0.224, 'm6i.large': 0.112 },
    });
  });

  it('stream the same from a CSV file, bare metal included', async () => {
    expect(await readPriceLists([fixture('ec2-us-east-1.csv')])).toEqual({
      'us-east-1': { 'm5.large': 0.096, 'm5.xlarge': 0.192, 'm5.metal': 4.608 },
    });
  });

  it('refuse a file that is not a price list', async () => {
    await expect(readPriceLists([join(ROOT, 'package.json')])).rejects.toThrow(
      'is not a price list offer file',
    );
  });
});

describe('npm run catalogue -- --price-list', () => {
  it('stores the files’ prices per region beside the instance facts', async () => {
    const out = join(dir, 'catalogue.json');
    const run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'scripts/instance_catalogue.ts',
        '--price-list',
        fixture('ec2-eu-west-3.json'),
        '--price-list',
        fixture('ec2-us-east-1.csv'),
        '--out',
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL: '' } },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const catalogue = JSON.parse(await readFile(out, 'utf8'));
    expect(catalogue.prices).toEqual({
      'eu-west-3': { 'm5.large': 0.112, 'm5.xlarge': 0.224, 'm6i.large': 0.112 },
      'us-east-1': { 'm5.large': 0.096, 'm5.metal': 4.608, 'm5.xlarge': 0.192 },
    });
    expect(catalogue.types['m5.large']).toEqual({
      vcpu: 2,
      memory_mib: 8192,
      arch: ['x86_64'],
      metal: false,
    });
    expect(catalogue.offered['eu-west-3']).toContain('m5.large');
  }, 120_000);

  it('makes the checks price with a region’s list price instead of us-east-1 × the factor', async () => {
    vi.resetModules();
    const before = await import('../../checks/_lib/pricing.ts');
    expect(before.money(before.ec2Hourly('m5.large', before.pricesFor('eu-west-3'))!)).toBe('0.112320'); // 0.096 × factor
    // The catalogue as the script writes it with the Paris price list, loaded before the pricing module.
    vi.resetModules();
    const catalogue = (await import('../../checks/_lib/instance_types.aws.json')).default as {
      prices: Record<string, Record<string, number>>;
    };
    catalogue.prices['eu-west-3'] = { 'm5.large': 0.112 };
    const after = await import('../../checks/_lib/pricing.ts');
    expect(after.money(after.ec2Hourly('m5.large', after.pricesFor('eu-west-3'))!)).toBe('0.112000');
    expect(after.money(after.ec2Hourly('m5.xlarge', after.pricesFor('eu-west-3'))!)).toBe('0.224640');
  });
});
