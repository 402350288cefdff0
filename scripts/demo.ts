/**
 * npm run demo: a local AWS emulator (moto server), a small seeded estate, a real run of every checker,
 * and the dashboard JSON export. Needs no AWS account.
 */
import { spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoBill } from './demo_billing.ts';
import { CloudWatchLogsClient, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client, ReleaseAddressCommand } from '@aws-sdk/client-ec2';
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isDirectory } from '../pipeline/history.ts';
import { DEMO_AGE_DAYS, DEMO_REGION, seedDemoEstate, type DemoIds } from './demo_estate.ts';
import { startMoto } from './moto_server.ts';

// The SDK's Node 20 notice is for operators of real runs; the demo keeps its output to the point.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'data/finops_findings';
const EXPORT_DIR = 'webapp_data';
const TENANT = 'demo';

/** The demo's history: a run a week for three weeks, then today's, whose export the dashboard shows. */
const RUNS_DAYS_AGO = [21, 14, 7, 0] as const;
const DAY_MS = 86_400_000;
/** The folders under data/ that hold the demo tenant's findings, state, gold tables, bill and attribution. */
const TENANT_DIR = `tenant_id=${TENANT}`;

async function main(): Promise<number> {
  const cleared = await clearDemoTenant();
  if (cleared > 0)
    console.log(`Removed the previous demo's data (tenant ${TENANT}, ${cleared} folder(s) under data/).`);
  console.log('Starting the local AWS emulator (moto server) ...');
  const moto = await startMoto();
  try {
    console.log(
      `Seeding a demo estate at ${moto.endpoint}: EC2, EBS, NAT, load balancers, logs, RDS, S3 ...`,
    );
    const now = new Date();
    const estate = await seedDemoEstate({
      endpoint: moto.endpoint,
      hubEndpoint: moto.hub.endpoint,
      runTs: now,
      // Metrics for the lookback of the oldest run as well.
      metricDays: 14 + RUNS_DAYS_AGO[0],
    });
    console.log(
      `The estate's resources are dated ${DEMO_AGE_DAYS} days ago (the emulator's clock was set back), so that age-based checks have something to find.`,
    );
    // The estate's bill, as AWS Data Exports would deliver it, imported before the run exports.
    const bill = await writeDemoBill(join(ROOT, 'data', 'billing'), estate);
    const costs = [
      join(ROOT, 'runner.ts'),
      'cost',
      'import',
      ...['--tenant', TENANT, '--source', bill, '--data', OUT],
    ];
    console.log(
      `Importing its bill (a CUR 2.0 export of the last two weeks): runner.ts ${costs.slice(1).join(' ')}\n`,
    );
    const imported = await runChild(costs, moto.env);
    if (imported !== 0) return imported;
    for (const [index, daysAgo] of RUNS_DAYS_AGO.entries()) {
      const last = index === RUNS_DAYS_AGO.length - 1;
      await FIXES[daysAgo]?.(moto.env, estate);
      const args = [
        join(ROOT, 'runner.ts'),
        ...['--tenant', TENANT, '--data', OUT, '--regions', 'us-east-1'],
        ...(last
          ? ['--export', '--out-dir', EXPORT_DIR]
          : [
              ...['--run-ts', new Date(now.getTime() - daysAgo * DAY_MS).toISOString()],
              ...['--log-level', 'warn'],
            ]),
      ];
      if (last) console.log(`\nToday's run: runner.ts ${args.slice(1).join(' ')}\n`);
      else
        console.log(
          `History: the run of ${daysAgo} days ago${FIXES[daysAgo] ? ` (after ${FIX_NOTES[daysAgo]})` : ''}: runner.ts ${args.slice(1).join(' ')}`,
        );
      // The history's runs print nothing but errors; today's shows its summary.
      const code = await runChild(args, moto.env, !last);
      if (code !== 0) return code;
    }
    // The execute step, as a dry run: a plan of fixes for today's open findings, what applying it would do
    // (recorded in finops_actions), and the export again so the dashboard shows them.
    const planned = await remediationDryRun(moto.env);
    if (planned !== 0) return planned;
    console.log(
      `\nDemo done.\n  Parquet dataset: ${resolve(ROOT, OUT)} (${RUNS_DAYS_AGO.length} runs over ${RUNS_DAYS_AGO[0]} days)\n  Dashboard:       ${resolve(ROOT, EXPORT_DIR)} (JSON + page)\n  See it:          npm run dashboard   (serves it on http://127.0.0.1:8787/)`,
    );
    console.log(
      `  Try: duckdb -c "SELECT status, scope.resource_id FROM read_parquet('${OUT}/**/*.parquet')"`,
    );
    return 0;
  } finally {
    await moto.stop();
  }
}

const PLAN = 'data/remediation-plan.json';

async function remediationDryRun(env: Record<string, string>): Promise<number> {
  const runner = join(ROOT, 'runner.ts');
  const steps = [
    ['remediate', 'plan', '--tenant', TENANT, '--data', OUT, '--out', PLAN],
    ['remediate', 'apply', '--plan', PLAN],
  ];
  for (const step of steps) {
    console.log(`\nRemediation, a dry run: runner.ts ${step.join(' ')}\n`);
    const code = await runChild([runner, ...step], env);
    if (code !== 0) return code;
  }
  const exported = ['export', '--tenant', TENANT, '--data', OUT, '--out-dir', EXPORT_DIR];
  console.log(`\nExporting again, with the actions: runner.ts ${exported.join(' ')}`);
  return runChild([runner, ...exported, '--log-level', 'warn'], env, true);
}

type Fix = (env: Record<string, string>, estate: DemoIds) => Promise<void>;

/** What the estate's owners fixed before the run of so many days ago: its findings are resolved by that run. */
const FIXES: Readonly<Partial<Record<number, Fix>>> = {
  7: async (env, estate) => {
    const config = clientConfig(env);
    await new EC2Client(config).send(
      new ReleaseAddressCommand({ AllocationId: estate.addresses.unassociated }),
    );
    const balancers = new ElasticLoadBalancingV2Client(config);
    const { LoadBalancers } = await balancers.send(
      new DescribeLoadBalancersCommand({ Names: [estate.loadBalancers.empty] }),
    );
    for (const balancer of LoadBalancers ?? [])
      await balancers.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: balancer.LoadBalancerArn }));
  },
  0: async (env, estate) => {
    await new CloudWatchLogsClient(clientConfig(env)).send(
      new PutRetentionPolicyCommand({ logGroupName: estate.logGroups.forever, retentionInDays: 30 }),
    );
  },
};
const FIX_NOTES: Readonly<Partial<Record<number, string>>> = {
  7: 'the unused Elastic IP was released and the empty load balancer deleted',
  0: 'a retention period was set on the log group that kept everything',
};

const clientConfig = (env: Record<string, string>) => ({
  region: DEMO_REGION,
  endpoint: env['AWS_ENDPOINT_URL']!,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

/**
 * The demo tenant's folders under data/ (findings and their run manifests, state, gold, cost facts, attribution)
 * are removed, so that each demo shows one estate's history; other tenants' data is left alone.
 */
async function clearDemoTenant(): Promise<number> {
  const data = join(ROOT, 'data');
  let cleared = 0;
  for (const dataset of await subfolders(data)) {
    // A dataset's own folders (_runs for manifests) hold tenant folders too.
    const inner = (await subfolders(dataset)).filter((folder) => basename(folder).startsWith('_'));
    for (const folder of [dataset, ...inner].map((parent) => join(parent, TENANT_DIR))) {
      if (!(await isDirectory(folder))) continue;
      await rm(folder, { recursive: true, force: true });
      cleared += 1;
    }
  }
  return cleared;
}

async function subfolders(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory()).map((entry) => join(folder, entry.name));
}

/** The runner in a process of its own, its output on this terminal (quiet: its errors only); its exit code. */
function runChild(args: readonly string[], env: Record<string, string>, quiet = false): Promise<number> {
  return new Promise<number>((done) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), args, {
      cwd: ROOT,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
      env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    child.on('exit', (c) => done(c ?? 1));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exitCode = 1;
  },
);
