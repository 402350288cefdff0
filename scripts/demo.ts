/**
 * npm run demo: a local AWS emulator (moto server), a small seeded estate, a real run of every checker,
 * and the dashboard JSON export. Needs no AWS account.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    await seedDemoEstate(moto);
    console.log(
      `The estate's resources are dated ${DEMO_AGE_DAYS} days ago (the emulator's clock was set back), so that age-based checks have something to find.`,
    );
    const args = [
      join(ROOT, 'runner.ts'),
      ...['--tenant', 'demo', '--out', OUT, '--export', '--export-dir', EXPORT_DIR],
      ...['--regions', 'us-east-1'],
    ];
    console.log(`Running: runner.ts ${args.slice(1).join(' ')}\n`);
    const code = await new Promise<number>((done) => {
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), args, {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, ...moto.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      child.on('exit', (c) => done(c ?? 1));
    });
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

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exitCode = 1;
  },
);
