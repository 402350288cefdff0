/**
 * `npm run bench -- --sizing`: how fast one worker scans, against AWS's latency. The real runner scans an
 * organisation in the AWS emulator (moto, the management account holding the demo estate, the members empty)
 * through a loopback proxy that holds every call for a fixed time (`--sizing-latency-ms`, default 100), at several
 * `--concurrency` values: account-regions per minute per worker, the seconds one checker × account × region
 * takes one at a time (what plan-shards sizes shards with), and AWS calls per unit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccountCommand,
  CreateOrganizationCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { pino } from 'pino';
import { HUB_ENDPOINT_VARIABLE } from '../scripts/cost_optimization_hub_server.ts';
import { seedDemoEstate } from '../scripts/demo_estate.ts';
import { startMoto } from '../scripts/moto_server.ts';
import type { Measurement } from './stages.ts';

/** A loopback HTTP proxy to `target` that holds each request `latencyMs` before passing it on; counts them. */
async function latencyProxy(
  target: string,
  latencyMs: number,
): Promise<{ url: string; calls(): number; close(): Promise<void> }> {
  const to = new URL(target);
  let calls = 0;
  const server: Server = createServer((incoming, outgoing) => {
    calls += 1;
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      setTimeout(() => {
        const forward = request(
          {
            host: to.hostname,
            port: to.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forward.on('error', () => outgoing.destroy());
        forward.end(Buffer.concat(chunks));
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function sizingBench(options: {
  readonly latencyMs: number;
  readonly accounts: number;
  readonly regions: readonly string[];
  readonly concurrencies: readonly number[];
  readonly note: (text: string) => void;
}): Promise<Measurement[]> {
  const moto = await startMoto();
  const dir = await mkdtemp(join(tmpdir(), 'bench-sizing-'));
  const saved = { ...process.env };
  const proxies = await Promise.all([
    latencyProxy(moto.endpoint, options.latencyMs),
    latencyProxy(moto.hub.endpoint, options.latencyMs),
  ]);
  try {
    Object.assign(process.env, moto.env);
    await seedDemoEstate(moto);
    const org = new OrganizationsClient({ region: 'us-east-1' });
    await org.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    for (let i = 1; i < options.accounts; i += 1)
      await org.send(
        new CreateAccountCommand({ AccountName: `member-${i}`, Email: `member-${i}@example.com` }),
      );
    // The runner's calls go through the proxies; seeding did not.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: proxies[0]!.url,
      [HUB_ENDPOINT_VARIABLE]: proxies[1]!.url,
    });
    const { main } = await import('../runner.ts');
    const { discoverCheckers } = await import('../cli/discover.ts');
    const checkers = (await discoverCheckers()).list();
    const regional = checkers.filter((c) => c.meta.regional).length;
    const units = options.accounts * (regional * options.regions.length + (checkers.length - regional));
    const accountRegions = options.accounts * options.regions.length;
    const results: Measurement[] = [];
    for (const concurrency of options.concurrencies) {
      options.note(
        `  sizing: ${options.accounts} accounts × ${options.regions.length} regions at --concurrency ${concurrency}…`,
      );
      const before = proxies[0]!.calls() + proxies[1]!.calls();
      const started = performance.now();
      const code = await main(
        [
          '--tenant',
          'sizing',
          '--org',
          '--role-name',
          'FinOpsAudit',
          '--regions',
          options.regions.join(','),
          '--concurrency',
          String(concurrency),
          '--out',
          join(dir, `c${concurrency}`),
          '--no-progress',
        ],
        {
          now: () => new Date(),
          newId: () => crypto.randomUUID(),
          print: () => undefined,
          logger: () => pino({ level: 'silent' }),
          awsServices: (await import('../cli/aws.ts')).createAwsServices,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const calls = proxies[0]!.calls() + proxies[1]!.calls() - before;
      results.push({
        measure: 'sizing_worker',
        seconds,
        exit_code: code,
        latency_ms: options.latencyMs,
        concurrency,
        accounts: options.accounts,
        regions: options.regions.length,
        checkers: checkers.length,
        units,
        aws_calls: calls,
        calls_per_unit: Number((calls / units).toFixed(2)),
        account_regions_per_minute: Number(((accountRegions * 60) / seconds).toFixed(1)),
        unit_seconds_serial: Number(((seconds * concurrency) / units).toFixed(3)),
      });
    }
    return results;
  } finally {
    process.env = saved;
    await Promise.all(proxies.map((p) => p.close()));
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
