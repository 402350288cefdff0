/**
 * npm run catalogue [-- --endpoint URL] [--price-list FILE ...] [--out FILE]: regenerates
 * checks/_lib/instance_types.aws.json (or --out),
 * the instance-type
 * catalogue the compute checks size and price with: each type's vCPUs, memory, architectures and bare-metal
 * flag (EC2 DescribeInstanceTypes; family and size are its name), and the types sold in each region of the price
 * table (DescribeInstanceTypeOfferings). It is versioned with the price table (prices.aws.json), whose version
 * it records. Reads the account's EC2 API through the usual SDK configuration; with no AWS account, it starts
 * the local emulator (moto serves AWS's published instance-type data) unless --endpoint names one.
 * `--price-list` takes AWS Price List Bulk API files for Amazon EC2 (a region's offer file, JSON or CSV): their
 * on-demand Linux prices become the catalogue's per-region prices, which the checks use before the price
 * table's us-east-1 price × regional factor. Regions not in the given files keep the prices they had.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  EC2Client,
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2';
import prices from '../checks/_lib/prices.aws.json' with { type: 'json' };
import { writeFileAtomic } from '../pipeline/atomic.ts';
import { startMoto } from './moto_server.ts';
import { readPriceLists, type RegionalPrices } from './price_list.ts';

const CATALOGUE = fileURLToPath(new URL('../checks/_lib/instance_types.aws.json', import.meta.url));
const option = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const TARGET = option('--out') ?? CATALOGUE;

interface TypeFacts {
  vcpu: number;
  memory_mib: number;
  arch: string[];
  metal: boolean;
}

async function describe(client: EC2Client) {
  const types: Record<string, TypeFacts> = {};
  for await (const page of paginateDescribeInstanceTypes({ client }, {})) {
    for (const t of page.InstanceTypes ?? []) {
      if (!t.InstanceType || !t.VCpuInfo?.DefaultVCpus || !t.MemoryInfo?.SizeInMiB) continue;
      types[t.InstanceType] = {
        vcpu: t.VCpuInfo.DefaultVCpus,
        memory_mib: t.MemoryInfo.SizeInMiB,
        arch: [...(t.ProcessorInfo?.SupportedArchitectures ?? [])].sort(),
        metal: t.BareMetal === true,
      };
    }
  }
  return types;
}

async function offered(endpoint: string | undefined, region: string): Promise<string[]> {
  const client = new EC2Client({ region, ...(endpoint ? { endpoint } : {}) });
  const found: string[] = [];
  for await (const page of paginateDescribeInstanceTypeOfferings({ client }, { LocationType: 'region' })) {
    for (const o of page.InstanceTypeOfferings ?? []) if (o.InstanceType) found.push(o.InstanceType);
  }
  return [...new Set(found)].sort();
}

const byName = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The per-region prices the catalogue has now, so that a run without --price-list keeps them. */
async function currentPrices(): Promise<RegionalPrices> {
  const text = await readFile(CATALOGUE, 'utf8').catch(() => '{}');
  return (JSON.parse(text) as { prices?: RegionalPrices }).prices ?? {};
}

async function build(endpoint: string | undefined, source: string, listed: RegionalPrices) {
  const regions = Object.keys(prices.regions).sort();
  const types = await describe(new EC2Client({ region: 'us-east-1', ...(endpoint ? { endpoint } : {}) }));
  const byRegion: Record<string, string[]> = {};
  for (const region of regions)
    byRegion[region] = (await offered(endpoint, region)).filter((t) => t in types);
  const before = await currentPrices();
  const regional: RegionalPrices = {};
  for (const region of regions) {
    const known = Object.entries({ ...before[region], ...listed[region] }).filter(([type]) => type in types);
    if (known.length > 0) regional[region] = byName(known);
  }
  return {
    price_table_version: prices.version,
    source,
    types: byName(Object.entries(types)),
    offered: byRegion,
    prices: regional,
  };
}

/** JSON with one line per instance type and per region: reviewable diffs when AWS adds types. */
function layout(catalogue: Awaited<ReturnType<typeof build>>): string {
  const lines = (entries: [string, unknown][]) =>
    entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  return (
    `{\n "price_table_version": ${JSON.stringify(catalogue.price_table_version)},\n` +
    ` "source": ${JSON.stringify(catalogue.source)},\n` +
    ` "types": {\n${lines(Object.entries(catalogue.types))}\n },\n` +
    ` "offered": {\n${lines(Object.entries(catalogue.offered))}\n },\n` +
    ` "prices": {${Object.keys(catalogue.prices).length ? `\n${lines(Object.entries(catalogue.prices))}\n ` : ''}}\n}\n`
  );
}

async function main(): Promise<void> {
  const lists = process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--price-list' ? [arg] : []));
  const listed = await readPriceLists(lists);
  let endpoint = option('--endpoint') ?? process.env['AWS_ENDPOINT_URL'];
  const moto = endpoint ? undefined : await startMoto();
  if (moto) {
    Object.assign(process.env, moto.env);
    endpoint = moto.endpoint;
  }
  try {
    const source = moto
      ? "EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings as served by moto (AWS's published instance-type data)"
      : `EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings at ${endpoint ?? 'the AWS API'}`;
    const catalogue = await build(endpoint, source, listed);
    await writeFileAtomic(TARGET, layout(catalogue));
    console.log(
      `Wrote ${TARGET}: ${Object.keys(catalogue.types).length} instance types, offerings in ${Object.keys(catalogue.offered).length} regions, list prices for ${Object.keys(catalogue.prices).length} region(s) (price table ${catalogue.price_table_version}).`,
    );
  } finally {
    await moto?.stop();
  }
}

main().catch((error: Error) => {
  console.error(`catalogue: ${error.message}`);
  process.exitCode = 1;
});
