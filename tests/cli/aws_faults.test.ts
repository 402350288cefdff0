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
import { createAwsServices } from '../../cli/aws.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import { readManifests } from '../../pipeline/runs_export.ts';
import { query } from '../helpers/duckdb.ts';

type Answer = { status: number; body: string };
let answers: Record<string, Answer[]> = {};
const seen: string[] = [];
const seenKeys: string[] = [];
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
/** The caller's account: an assumed role's keys are "ASIA<account>" (see ASSUMED below). */
const identity = (accessKey: string): Answer => {
  const account = accessKey.startsWith('ASIA') ? accessKey.slice(4) : '123456789012';
  return {
    status: 200,
    body:
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
      `<Arn>arn:aws:iam::${account}:user/t</Arn><UserId>U</UserId><Account>${account}</Account>` +
      '</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>',
  };
};
/** AssumeRole: denied for the accounts in `deniedAccounts`, else keys that name the account. */
let deniedAccounts: string[] = [];
const assumeRole = (roleArn: string): Answer => {
  const account = /iam::(\d{12}):role/.exec(roleArn)?.[1] ?? '';
  if (deniedAccounts.includes(account)) {
    return {
      status: 403,
      body:
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
        `<Message>User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    };
  }
  return {
    status: 200,
    body:
      '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
      `<AccessKeyId>ASIA${account}</AccessKeyId><SecretAccessKey>assumed-secret-9876</SecretAccessKey><SessionToken>assumed-token-9876</SessionToken>` +
      '<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>' +
      `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/r/s</Arn><AssumedRoleId>A:s</AssumedRoleId></AssumedRoleUser>` +
      '</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></AssumeRoleResponse>',
  };
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
      const params = new URLSearchParams(body);
      const action = params.get('Action') ?? '';
      const accessKey = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
      seen.push(action);
      seenKeys.push(`${action}:${accessKey}`);
      const queue = answers[action] ?? [];
      const answer =
        action === 'GetCallerIdentity'
          ? identity(accessKey)
          : action === 'AssumeRole'
            ? assumeRole(params.get('RoleArn') ?? '')
            : queue.length > 1
              ? queue.shift()
              : queue[0];
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
  seenKeys.length = 0;
  deniedAccounts = [];
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

const runEip = (out: string, extra: string[] = [], withEffects: RunnerEffects = effects) =>
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
      ...extra,
    ],
    withEffects,
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

  it('records an account whose role cannot be assumed, scans the others through a throttling storm, and exits 3', async () => {
    deniedAccounts = ['222222222222'];
    answers = {
      DescribeAddresses: [ec2Error(503, 'RequestLimitExceeded'), ec2Error(400, 'Throttling'), ADDRESS],
      DescribeNatGateways: [NO_NAT],
    };
    const printed: string[] = [];
    const logged: string[] = [];
    const out = join(dir, 'accounts');
    const code = await runEip(
      'accounts',
      ['--accounts', '111111111111,222222222222', '--role-name', 'FinOpsAudit', '--external-id', 'ext-123'],
      {
        ...effects,
        print: (text) => printed.push(text),
        logger: () => pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) }),
      },
    );
    expect(code).toBe(3);
    // The scanned account's calls were signed with its assumed keys.
    expect(seenKeys).toContain('DescribeAddresses:ASIA111111111111');
    const rows = await query(
      `SELECT scope.account_id AS account, scope.resource_id AS id, status FROM read_parquet($glob)`,
      {
        glob: join(out, '**', '*.parquet'),
      },
    );
    expect(rows).toEqual([{ account: '111111111111', id: 'eipalloc-1', status: 'fail' }]);
    const manifests = await readManifests(out, 'acme');
    expect(manifests).toHaveLength(1);
    const manifest = manifests[0]!;
    expect(manifest.status).toBe('completed_with_errors');
    expect(manifest.accounts).toEqual(['111111111111', '222222222222']);
    expect(manifest.account_errors).toEqual([
      {
        account_id: '222222222222',
        error: expect.stringContaining(
          'could not assume arn:aws:iam::222222222222:role/FinOpsAudit: AccessDenied',
        ),
      },
    ]);
    expect(manifest.checkers[0]!.coverage).toEqual([{ account_id: '111111111111', region: 'us-east-1' }]);
    expect(printed.join('\n')).toContain('1 account(s) could not be scanned: 222222222222');
    // Neither the caller's nor the assumed credentials are ever logged.
    expect(logged.join('')).not.toMatch(/assumed-secret-9876|assumed-token-9876|ext-123/);
  });

  it('fails with exit 1 when no account can be scanned', async () => {
    deniedAccounts = ['222222222222'];
    const printed: string[] = [];
    const code = await runEip('none', ['--accounts', '222222222222', '--role-name', 'R'], {
      ...effects,
      print: (text) => printed.push(text),
    });
    expect(code).toBe(1);
    expect(printed.join('\n')).toContain('No account could be scanned');
  });
});
