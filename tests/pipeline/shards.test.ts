/**
 * Shards of one run: which accounts each shard scans (seeded, generative), and the run's manifest merged from
 * its shards' manifests.
 */
import { describe, expect, it } from 'vitest';
import { random } from '../../bench/findings.ts';
import type { RunManifest, RunStatus } from '../../pipeline/manifest.ts';
import {
  mergeShards,
  parseShard,
  shardAccounts,
  shardOfKey,
  type ShardManifest,
} from '../../pipeline/shards.ts';

const accountId = (rand: () => number) => String(Math.floor(rand() * 1e12)).padStart(12, '0');

describe('--shard K/N', () => {
  it('reads K/N, and says what is wrong with anything else', () => {
    expect(parseShard('3/40')).toEqual({ index: 3, count: 40 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('0/4')).toEqual({ reason: '--shard 0/4: K is from 1 to 4' });
    expect(parseShard('5/4')).toEqual({ reason: '--shard 5/4: K is from 1 to 4' });
    expect(parseShard('1/0')).toEqual({ reason: '--shard 1/0: from 1 to 1000 shards' });
    expect(parseShard('3 of 4')).toEqual({ reason: '--shard 3 of 4: write it K/N, as 3/40 (shard 3 of 40)' });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'gives every account to exactly one shard, in near-equal slices, whatever the order (seed %i)',
    (seed) => {
      const rand = random(seed);
      const accounts = Array.from({ length: Math.floor(rand() * 120) }, () => accountId(rand));
      const count = 1 + Math.floor(rand() * 45);
      const shards = Array.from({ length: count }, (_, i) =>
        shardAccounts(accounts, { index: i + 1, count }),
      );
      const all = [...new Set(accounts)].sort();
      expect(shards.flat()).toEqual(all);
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      // The same list in another order (as ListAccounts may page it) gives the same slices.
      const shuffled = [...accounts].sort(() => rand() - 0.5);
      for (let i = 0; i < count; i += 1)
        expect(shardAccounts(shuffled, { index: i + 1, count })).toEqual(shards[i]);
    },
  );

  it('names a shard manifest by its run, day and shard', () => {
    expect(shardOfKey('_runs/tenant_id=acme/run_date=2026-11-28/nightly/shard-3-of-40.json')).toEqual({
      runDate: '2026-11-28',
      runId: 'nightly',
      index: 3,
      count: 40,
    });
    expect(shardOfKey('_runs/tenant_id=acme/run_date=2026-11-28/nightly.json')).toBeUndefined();
  });
});

function shard(index: number, count: number, status: RunStatus, accounts: string[]): ShardManifest {
  const base: RunManifest = {
    schema_version: 1,
    tenant_id: 'acme',
    workspace_id: 'default',
    run_id: 'nightly',
    run_ts: '2026-11-28T02:00:00.000Z',
    run_date: '2026-11-28',
    engine_name: 'finops-findings',
    engine_version: '0.1.0',
    rulepack_version: '0.1.0',
    status,
    arguments: { tenant: 'acme', shard: `${index}/${count}` },
    accounts,
    account_errors: [],
    regions: ['us-east-1'],
    started_ts: `2026-11-28T02:0${index}:00.000Z`,
    finished_ts: `2026-11-28T02:1${index}:00.000Z`,
    duration_ms: 600_000,
    checkers:
      status === 'running'
        ? []
        : ['aws.b', 'aws.a'].map((check_id) => ({
            check_id,
            counts: { fail: index, pass: 1 },
            invalid: 0,
            error:
              status === 'completed_with_errors' && check_id === 'aws.a'
                ? `throttled in shard ${index}`
                : null,
            duration_ms: 100 * index,
            coverage: accounts.map((account_id) => ({ account_id, region: 'us-east-1' })),
          })),
    files: [{ path: `tenant_id=acme/run_date=2026-11-28/part-${index}.parquet`, rows: index + 1 }],
  };
  return { ...base, shard: { index, count } };
}

describe("the run's manifest from its shards", () => {
  it('holds every shard’s accounts, coverage, counts and parts, in the order the checkers ran', () => {
    const merged = mergeShards([
      shard(2, 2, 'completed', ['222222222222', '333333333333']),
      shard(1, 2, 'completed', ['111111111111']),
    ]);
    expect(merged.unfinished).toEqual([]);
    const m = merged.manifest;
    expect(m.status).toBe('completed');
    expect(m.accounts).toEqual(['111111111111', '222222222222', '333333333333']);
    expect(m.checkers.map((c) => c.check_id)).toEqual(['aws.b', 'aws.a']);
    expect(m.checkers[0]!.counts).toEqual({ fail: 3, pass: 2 });
    expect(m.checkers[0]!.coverage.map((c) => c.account_id)).toEqual([
      '111111111111',
      '222222222222',
      '333333333333',
    ]);
    expect(m.files.map((f) => f.rows)).toEqual([2, 3]);
    expect(m.started_ts).toBe('2026-11-28T02:01:00.000Z');
    expect(m.finished_ts).toBe('2026-11-28T02:12:00.000Z');
    expect(m.arguments).toEqual({ tenant: 'acme' });
    expect('shard' in m).toBe(false);
    expect(m.shards.map((s) => [s.index, s.status])).toEqual([
      [1, 'completed'],
      [2, 'completed'],
    ]);
  });

  it('says with errors when a shard had some, and interrupted when one never finished or is missing', () => {
    expect(
      mergeShards([shard(1, 2, 'completed', ['1']), shard(2, 2, 'completed_with_errors', ['2'])]).manifest,
    ).toMatchObject({ status: 'completed_with_errors' });
    expect(
      mergeShards([shard(1, 2, 'completed', ['1']), shard(2, 2, 'completed_with_errors', ['2'])]).manifest
        .checkers[1]!.error,
    ).toBe('throttled in shard 2');
    const crashed = mergeShards([shard(1, 3, 'completed', ['1']), shard(2, 3, 'running', ['2'])]);
    expect(crashed.unfinished).toEqual([2, 3]);
    expect(crashed.manifest.status).toBe('interrupted');
    expect(crashed.manifest.missing_shards).toEqual([3]);
    // What the finished shard covered still counts; the crashed one covers nothing.
    expect(crashed.manifest.checkers[0]!.coverage.map((c) => c.account_id)).toEqual(['1']);
    expect(mergeShards([shard(1, 2, 'running', ['1'])]).manifest.status).toBe('failed');
  });

  it('refuses shards of different run times or counts', () => {
    const late = { ...shard(2, 2, 'completed', ['2']), run_ts: '2026-11-28T03:00:00.000Z' };
    expect(() => mergeShards([shard(1, 2, 'completed', ['1']), late])).toThrow(
      'give every shard the same --run-ts',
    );
    expect(() => mergeShards([shard(1, 2, 'completed', ['1']), shard(2, 3, 'completed', ['2'])])).toThrow(
      'the shards disagree on how many there are (2, 3)',
    );
  });
});
