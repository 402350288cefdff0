/**
 * npm run catalogue [-- --endpoint URL]: regenerates checks/_lib/instance_types.aws.json, the instance-type
 * catalogue the compute checks size and price with: each type's vCPUs, memory, architectures and bare-metal
 * flag (EC2 DescribeInstanceTypes; family and size are its name), and the types sold in each region of the price
 * table (DescribeInstanceTypeOfferings). It is versioned with the price table (prices.aws.json), whose version
 * it records. Reads the account's EC2 API through the usual SDK configuration; with no AWS account, it starts
 * the local emulator (moto serves AWS's published instance-type data) unless --endpoint names one.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  EC2Client,
  paginateDescribeInstanceTypeOfferings,
  paginateDescribeInstanceTypes,
} from '@aws-sdk/client-ec2';
import prices from '../checks/_lib/prices.aws.json' with { type: 'json' };
import { startMoto } from './moto_server.ts';

const TARGET = fileURLToPath(new URL('../checks/_lib/instance_types.aws.json', import.meta.url));

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

async function build(endpoint: string | undefined, source: string) {
  const regions = Object.keys(prices.regions).sort();
  const types = await describe(new EC2Client({ region: 'us-east-1', ...(endpoint ? { endpoint } : {}) }));
  const byRegion: Record<string, string[]> = {};
  for (const region of regions)
    byRegion[region] = (await offered(endpoint, region)).filter((t) => t in types);
  const sorted = Object.fromEntries(Object.entries(types).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { price_table_version: prices.version, source, types: sorted, offered: byRegion };
}

/** JSON with one line per instance type and per region: reviewable diffs when AWS adds types. */
function layout(catalogue: Awaited<ReturnType<typeof build>>): string {
  const lines = (entries: [string, unknown][]) =>
    entries.map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(',\n');
  return (
    `{\n "price_table_version": ${JSON.stringify(catalogue.price_table_version)},\n` +
    ` "source": ${JSON.stringify(catalogue.source)},\n` +
    ` "types": {\n${lines(Object.entries(catalogue.types))}\n },\n` +
    ` "offered": {\n${lines(Object.entries(catalogue.offered))}\n }\n}\n`
  );
}

async function main(): Promise<void> {
  const given = process.argv.indexOf('--endpoint');
  let endpoint = given > 0 ? process.argv[given + 1] : process.env['AWS_ENDPOINT_URL'];
  const moto = endpoint ? undefined : await startMoto();
  if (moto) {
    Object.assign(process.env, moto.env);
    endpoint = moto.endpoint;
  }
  try {
    const source = moto
      ? "EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings as served by moto (AWS's published instance-type data)"
      : `EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings at ${endpoint ?? 'the AWS API'}`;
    const catalogue = await build(endpoint, source);
    await writeFile(TARGET, layout(catalogue));
    console.log(
      `Wrote ${TARGET}: ${Object.keys(catalogue.types).length} instance types, offerings in ${Object.keys(catalogue.offered).length} regions (price table ${catalogue.price_table_version}).`,
    );
  } finally {
    await moto?.stop();
  }
}

main().catch((error: Error) => {
  console.error(`catalogue: ${error.message}`);
  process.exitCode = 1;
});
