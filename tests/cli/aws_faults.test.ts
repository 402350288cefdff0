/**
 * Faults the emulator cannot produce, against a tiny EC2/STS endpoint on loopback: throttling storms
 * (retried by the SDK's adaptive mode with bounded attempts) and access denied, through real SDK clients.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAwsServices, main, type RunnerEffects } from '../../runner.ts';
import { query } from '../helpers/duckdb.ts';

type Answer = { status: number; body: string };
let answers: Record<string, Answer[]> = {};
const seen: string[] = [];
let server: Server;
let dir: string;
const savedEnv = { ...process.env };

const ok = (action: string, inner: string): Answer => ({
  status: 200,
  body: `<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>${inner}</${action}Response>`,
});
const ec2Error = (status: number, code: string): Answer => ({
  status,
  body: `<Response><Errors><Error><Code>${code}</Code><Message>${code} (test)</Message></Error></Errors><RequestID>r</RequestID></Response>`,
});
const IDENTITY: Answer = {
  status: 200,
  body:
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
    '<Arn>arn:aws:iam::123456789012:user/t</Arn><UserId>U</UserId><Account>123456789012</Account>' +
    '</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
};
const ADDRESS = ok(
  'DescribeAddresses',
  '<addressesSet><item><publicIp>198.51.100.7</publicIp><allocationId>eipalloc-1</allocationId><domain>vpc</domain></item></addressesSet>',
);
const NO_NAT = ok('DescribeNatGateways', '<natGatewaySet/>');

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      seen.push(action);
      const queue = answers[action] ?? [];
      const answer = action === 'GetCallerIdentity' ? IDENTITY : queue.length > 1 ? queue.shift() : queue[0];
      res.writeHead(answer?.status ?? 500, { 'content-type': 'text/xml' });
      res.end(
        answer?.body ?? '<Response><Errors><Error><Code>InternalError</Code></Error></Errors></Response>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
  });
  dir = await mkdtemp(join(tmpdir(), 'faults-'));
});

afterEach(() => {
  seen.length = 0;
});

afterAll(async () => {
  process.env = savedEnv;
  server.close();
  await rm(dir, { recursive: true, force: true });
});

const effects: RunnerEffects = {
  now: () => new Date(),
  newId: () => crypto.randomUUID(),
  print: () => undefined,
  logger: () => pino({ level: 'silent' }),
  awsServices: createAwsServices,
};

const runEip = (out: string) =>
  main(
    [
      '--tenant',
      'acme',
      '--checker',
      'aws.ec2.eip.unassociated',
      '--regions',
      'us-east-1',
      '--out',
      join(dir, out),
    ],
    effects,
  );

describe('AWS faults', () => {
  it('survives a throttling storm shorter than the retry budget', async () => {
    answers = {
      DescribeAddresses: [
        ec2Error(503, 'RequestLimitExceeded'),
        ec2Error(503, 'RequestLimitExceeded'),
        ec2Error(400, 'Throttling'),
        ADDRESS,
      ],
      DescribeNatGateways: [NO_NAT],
    };
    expect(await runEip('storm')).toBe(0);
    expect(seen.filter((a) => a === 'DescribeAddresses')).toHaveLength(4);
    const rows = await query(`SELECT scope.resource_id AS id, status FROM read_parquet($glob)`, {
      glob: join(dir, 'storm', '**', '*.parquet'),
    });
    expect(rows).toEqual([{ id: 'eipalloc-1', status: 'fail' }]);
  });

  it('gives up after a bounded number of attempts, records the checker error and exits 3', async () => {
    answers = { DescribeAddresses: [ec2Error(503, 'RequestLimitExceeded')], DescribeNatGateways: [NO_NAT] };
    expect(await runEip('endless')).toBe(3);
    expect(seen.filter((a) => a === 'DescribeAddresses')).toHaveLength(6);
  });

  it('turns access denied in a region into an unknown finding and goes on', async () => {
    answers = { DescribeAddresses: [ec2Error(403, 'UnauthorizedOperation')], DescribeNatGateways: [NO_NAT] };
    expect(await runEip('denied')).toBe(0);
    const rows = await query(
      `SELECT scope.resource_id AS id, scope.resource_type AS type, status, dimensions['unknown_reason'] AS reason FROM read_parquet($glob)`,
      { glob: join(dir, 'denied', '**', '*.parquet') },
    );
    expect(rows).toEqual([
      { id: 'us-east-1', type: 'aws_region', status: 'unknown', reason: 'access_denied' },
    ]);
  });
});
