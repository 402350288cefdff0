/**
 * The Cost Optimization Hub checker through the real SDK client against a loopback endpoint speaking the
 * service's JSON protocol (the emulator lacks the service): paging, enrolment, access denied.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CostOptimizationHubClient } from '@aws-sdk/client-cost-optimization-hub';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsServices } from '../../checks/_lib/context.ts';
import { main, type RunnerEffects } from '../../runner.ts';
import {
  startCostOptimizationHub,
  type HubRecommendation,
  type HubServer,
} from '../../scripts/cost_optimization_hub_server.ts';
import { query } from '../helpers/duckdb.ts';

const ACCOUNT = '123456789012';
const CHECK = 'aws.costoptimizationhub.recommendations';
let hub: HubServer;
let dir: string;

beforeAll(async () => {
  hub = await startCostOptimizationHub();
});
afterAll(async () => {
  await hub.stop();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'coh-'));
  hub.calls.clear();
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Effects whose only AWS service is the hub, reached through the real client. */
function effects(): RunnerEffects {
  const client = new CostOptimizationHubClient({
    region: 'us-east-1',
    endpoint: hub.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  const none = () => {
    throw new Error('only the hub is here');
  };
  return {
    now: () => new Date('2026-11-28T06:00:00Z'),
    newId: () => crypto.randomUUID(),
    print: () => undefined,
    logger: () => pino({ level: 'silent' }),
    awsServices: () => ({
      services: new Proxy({} as AwsServices, {
        get: (_, name) => (name === 'costOptimizationHub' ? () => client : none),
      }),
      bootstrap: async () => ({ aws_account_id: ACCOUNT }),
    }),
  };
}

const recommendation = (n: number, account = ACCOUNT): HubRecommendation => ({
  recommendationId: `rec-${n}`,
  accountId: account,
  region: n % 2 ? 'eu-west-1' : 'us-east-1',
  resourceId: `i-${String(n).padStart(4, '0')}`,
  resourceArn: `arn:aws:ec2:us-east-1:${account}:instance/i-${n}`,
  currentResourceType: 'Ec2Instance',
  recommendedResourceType: 'Ec2Instance',
  actionType: 'Rightsize',
  estimatedMonthlySavings: 10 * n + 0.125,
  estimatedMonthlyCost: 100 * n,
  currencyCode: 'USD',
  implementationEffort: 'Medium',
  restartNeeded: true,
  rollbackPossible: false,
  currentResourceSummary: 'm5.2xlarge',
  recommendedResourceSummary: 'm5.xlarge',
  recommendationLookbackPeriodInDays: 14,
});

async function run(): Promise<{ code: number; rows: Record<string, unknown>[] }> {
  const out = join(dir, 'out');
  const code = await main(
    ['--tenant', 'acme', '--checker', CHECK, '--out', out, '--regions', 'us-east-1'],
    effects(),
  );
  const rows = await query(
    `SELECT status, scope.service AS service, scope.resource_type AS resource_type, scope.region AS region,
            scope.resource_id AS resource_id, estimated.monthly_savings::VARCHAR AS savings,
            estimated.monthly_cost::VARCHAR AS cost, source.source_ref AS source_ref,
            dimensions['savings_source'] AS savings_source, dimensions['action_type'] AS action_type,
            dimensions['restart_needed'] AS restart_needed, dimensions['rollback_possible'] AS rollback_possible,
            dimensions['implementation_effort'] AS effort, dimensions['unknown_reason'] AS unknown_reason
     FROM read_parquet($glob) ORDER BY resource_id`,
    { glob: join(out, '**', '*.parquet') },
  );
  return { code, rows };
}

describe('AWS Cost Optimization Hub as a source', () => {
  it("turns every recommendation of the account into a failing finding with AWS's figures, page by page", async () => {
    hub.setState({
      enrolledAccounts: [ACCOUNT],
      recommendations: [1, 2, 3, 4, 5]
        .map((n) => recommendation(n))
        .concat(recommendation(9, '999999999999')),
      pageSize: 2,
    });
    const { code, rows } = await run();
    expect(code).toBe(0);
    expect(hub.calls.get('ListRecommendations')).toBe(3);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toEqual({
      status: 'fail',
      service: 'AmazonEC2',
      resource_type: 'ec2_instance',
      region: 'eu-west-1',
      resource_id: 'i-0001',
      savings: '10.125000',
      cost: '100.000000',
      source_ref: 'rec-1',
      savings_source: 'aws_cost_optimization_hub',
      action_type: 'Rightsize',
      restart_needed: 'true',
      rollback_possible: 'false',
      effort: 'Medium',
      unknown_reason: null,
    });
    expect(rows.map((r) => r.resource_id)).toEqual(['i-0001', 'i-0002', 'i-0003', 'i-0004', 'i-0005']);
  });

  it('reports an account that is not enrolled as unknown, and never enrols it', async () => {
    hub.setState({ enrolledAccounts: [], recommendations: [recommendation(1)] });
    const { code, rows } = await run();
    expect(code).toBe(0);
    expect(rows).toMatchObject([{ status: 'unknown', resource_id: ACCOUNT, unknown_reason: 'not_enrolled' }]);
    expect(hub.calls.get('ListRecommendations')).toBeUndefined();
    expect(hub.calls.get('UpdateEnrollmentStatus')).toBeUndefined();
  });

  it('reports access denied as unknown, and the run goes on', async () => {
    hub.setState({ enrolledAccounts: [ACCOUNT], recommendations: [], deny: true });
    const { code, rows } = await run();
    expect(code).toBe(0);
    expect(rows).toMatchObject([{ status: 'unknown', unknown_reason: 'access_denied' }]);
  });

  it('keeps the identity of a recommendation across refreshes of its id and figures', async () => {
    hub.setState({ enrolledAccounts: [ACCOUNT], recommendations: [recommendation(1)] });
    await run();
    const first = await query(`SELECT fingerprint FROM read_parquet($glob)`, {
      glob: join(dir, 'out', '**', '*.parquet'),
    });
    await rm(join(dir, 'out'), { recursive: true });
    hub.setState({
      enrolledAccounts: [ACCOUNT],
      recommendations: [
        { ...recommendation(1), recommendationId: 'rec-refreshed', estimatedMonthlySavings: 99 },
      ],
    });
    await run();
    const second = await query(`SELECT fingerprint FROM read_parquet($glob)`, {
      glob: join(dir, 'out', '**', '*.parquet'),
    });
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
  });
});
