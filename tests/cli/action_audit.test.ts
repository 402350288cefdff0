import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionAudit } from '../../cli/action_audit.ts';
import type { AwsAccess } from '../../cli/aws.ts';
import { recentActions, writeActions, type ActionRecord } from '../../pipeline/actions.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (n: number): ActionRecord => ({
  action_id: `action-${n}`,
  plan_digest: `sha256:${'a'.repeat(64)}`,
  finding_id: `finding-${n}`,
  fingerprint: `fp-${n}`,
  check_id: 'aws.ec2.eip.unassociated',
  account_id: '123456789012',
  region: 'us-east-1',
  resource_id: `eipalloc-${n}`,
  action: 'release_address',
  parameters: {},
  mode: 'execute',
  status: 'succeeded',
  error: null,
  note: null,
  before: { association_id: null },
  after: { released: true },
  monthly_savings: '3.650000',
  caller_arn: 'arn:aws:iam::123456789012:user/ops',
  started: new Date(`2026-12-05T10:00:0${n}.000Z`),
  finished: new Date(`2026-12-05T10:00:0${n}.500Z`),
});

const noAws = (): AwsAccess => {
  throw new Error('a local audit needs no AWS');
};
const parts = async (root: string) =>
  (await readdir(root, { recursive: true })).filter((name) => String(name).endsWith('.parquet')).sort();

async function recent(root: string) {
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    return (await recentActions(connection, root, 'acme')) ?? [];
  } finally {
    connection.closeSync();
  }
}

describe('the audit of an apply', () => {
  it('holds each attempt as soon as it is made, then one part for the apply; readers never count one twice', async () => {
    const data = join(dir, 'data', 'finops_findings');
    const root = join(dir, 'data', 'finops_actions');
    const audit = await ActionAudit.open(data, 'acme', noAws, 'us-east-1');
    await audit.add(record(1));
    await audit.add(record(2));
    // A process killed here has lost nothing.
    expect(await parts(root)).toHaveLength(2);
    expect((await recent(root)).map((r) => r['action_id'])).toEqual(['action-2', 'action-1']);
    // The moment between the gathered part and the removal of the small ones: still each attempt once.
    const gathered = await writeActions(root, 'acme', [record(1), record(2)]);
    expect(await parts(root)).toHaveLength(3);
    expect((await recent(root)).map((r) => r['action_id'])).toEqual(['action-2', 'action-1']);
    await rm(gathered!);

    await audit.add(record(3));
    const file = await audit.close();
    expect(await parts(root)).toEqual([
      expect.stringMatching(/^tenant_id=acme\/run_date=2026-12-05\/part-[0-9a-f-]{36}\.parquet$/),
    ]);
    expect(file).toBe(join(root, (await parts(root))[0]!));
    const rows = await recent(root);
    expect(rows.map((r) => r['action_id'])).toEqual(['action-3', 'action-2', 'action-1']);
    expect(rows[0]).toMatchObject({
      resource_id: 'eipalloc-3',
      monthly_savings: '3.650000',
      started_ts: '2026-12-05T10:00:03.000Z',
      finished_ts: '2026-12-05T10:00:03.500Z',
      before: { association_id: null },
      after: { released: true },
      parameters: {},
    });
  });

  it('refuses, before any action, a dataset at a bucket root', async () => {
    await expect(ActionAudit.open('s3://finops-lake', 'acme', noAws, 'us-east-1')).rejects.toThrow(
      's3://finops-lake is a bucket root: there is no place beside it for finops_actions',
    );
  });
});
