/**
 * npm run demo: a local AWS emulator (moto server), a small seeded estate, a real run of every checker,
 * and the dashboard JSON export. Needs no AWS account.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDemoBill } from './demo_billing.ts';
import { DEMO_AGE_DAYS, seedDemoEstate } from './demo_estate.ts';
import { startMoto } from './moto_server.ts';

// The SDK's Node 20 notice is for operators of real runs; the demo keeps its output to the point.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = 'data/finops_findings';
const EXPORT_DIR = 'webapp_data';

async function main(): Promise<number> {
  console.log('Starting the local AWS emulator (moto server) ...');
  const moto = await startMoto();
  try {
    console.log(
      `Seeding a demo estate at ${moto.endpoint}: EC2, EBS, NAT, load balancers, logs, RDS, S3 ...`,
    );
    const estate = await seedDemoEstate(moto);
    console.log(
      `The estate's resources are dated ${DEMO_AGE_DAYS} days ago (the emulator's clock was set back), so that age-based checks have something to find.`,
    );
    // The estate's bill, as AWS Data Exports would deliver it, imported before the run exports.
    const bill = await writeDemoBill(join(ROOT, 'data', 'billing'), estate);
    const costs = [
      join(ROOT, 'runner.ts'),
      'cost',
      'import',
      '--tenant',
      'demo',
      '--source',
      bill,
      '--data',
      OUT,
    ];
    console.log(
      `Importing its bill (a CUR 2.0 export of the last two weeks): runner.ts ${costs.slice(1).join(' ')}\n`,
    );
    const imported = await runChild(costs, moto.env);
    if (imported !== 0) return imported;
    const args = [
      join(ROOT, 'runner.ts'),
      ...['--tenant', 'demo', '--out', OUT, '--export', '--export-dir', EXPORT_DIR],
      ...['--regions', 'us-east-1'],
    ];
    console.log(`Running: runner.ts ${args.slice(1).join(' ')}\n`);
    const code = await runChild(args, moto.env);
    if (code === 0) {
      console.log(
        `\nDemo done.\n  Parquet dataset: ${resolve(ROOT, OUT)}\n  Dashboard:       ${resolve(ROOT, EXPORT_DIR)} (JSON + page)\n  See it:          npm run dashboard   (serves it on http://127.0.0.1:8787/)`,
      );
      console.log(
        `  Try: duckdb -c "SELECT status, scope.resource_id FROM read_parquet('${OUT}/**/*.parquet')"`,
      );
    }
    return code;
  } finally {
    await moto.stop();
  }
}

/** The runner in a process of its own, its output on this terminal; its exit code. */
function runChild(args: readonly string[], env: Record<string, string>): Promise<number> {
  return new Promise<number>((done) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), args, {
      cwd: ROOT,
      stdio: 'inherit',
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
