/**
 * `plan-shards`: one run split into shards, sized so that each shard finishes well inside one worker's time
 * (a Lambda invocation's 15 minutes), as the JSON a Step Functions Distributed Map iterates over. Each item is the
 * input of one shard's worker: the run id and run time every shard shares, and the shard's own accounts.
 *
 * A shard's duration is estimated from the work per account: each regional checker once per region, each global
 * checker once, at the time a checker × account × region takes one at a time (`UNIT_SECONDS`), `concurrency` of
 * them at once, sped up as `npm run bench -- --sizing` measured (`speedup`). See BENCHMARKS.md, "Sizing".
 */
import { shardAccounts } from '../pipeline/shards.ts';

/**
 * Seconds a checker × account × region is planned to take, one at a time: ten AWS calls of 100 ms. The sizing
 * bench measured 1.25 calls (0.13 s) a unit on the emulator's small accounts; accounts with hundreds of resources
 * page their listings and query metrics in batches, so the plan assumes eight times that.
 */
export const UNIT_SECONDS = 1.0;
/**
 * How much faster `concurrency` units at once go than one at a time: c / (1 + 0.08 (c − 1)), fitted to the sizing
 * bench (3.0× at 4, 5.5× at 8, 7.3× at 16): each account's role, regions and writes are serial.
 */
export const speedup = (concurrency: number): number => concurrency / (1 + 0.08 * (concurrency - 1));
/** The time a shard is planned to take: 10 of a Lambda's 15 minutes, the rest for start-up and slow APIs. */
export const SHARD_BUDGET_SECONDS = 600;

export interface ShardPlanInput {
  readonly tenant: string;
  readonly out: string;
  readonly runId: string;
  readonly runTs: string;
  readonly accounts: readonly string[];
  /** The regions each account is scanned in (--regions, or the enabled regions). */
  readonly regions: readonly string[];
  /** The selected checkers: whether each runs per region. */
  readonly checkers: readonly { readonly id: string; readonly regional: boolean }[];
  readonly concurrency: number;
  /** Fixed by the caller; else sized from the work per account. */
  readonly accountsPerShard?: number | undefined;
  /** Passed on to every shard's input. */
  readonly shared: Readonly<Record<string, unknown>>;
}

export interface ShardPlan {
  readonly tenant: string;
  readonly run_id: string;
  readonly run_ts: string;
  readonly accounts: number;
  readonly regions: number;
  readonly checkers: number;
  readonly accounts_per_shard: number;
  /** The estimated duration of one full shard, in seconds. */
  readonly estimated_shard_seconds: number;
  readonly shards: readonly Record<string, unknown>[];
}

export function planShards(input: ShardPlanInput): ShardPlan {
  const accounts = [...new Set(input.accounts)].sort();
  const regional = input.checkers.filter((c) => c.regional).length;
  const units = regional * input.regions.length + (input.checkers.length - regional);
  const perAccount = (units * UNIT_SECONDS) / speedup(Math.max(1, input.concurrency));
  const perShard =
    input.accountsPerShard ?? Math.max(1, Math.floor(SHARD_BUDGET_SECONDS / Math.max(perAccount, 1e-9)));
  const count = Math.max(1, Math.ceil(accounts.length / perShard));
  const shards = Array.from({ length: count }, (_, i) => {
    const shard = { index: i + 1, count };
    return {
      ...input.shared,
      tenant: input.tenant,
      out: input.out,
      run_id: input.runId,
      run_ts: input.runTs,
      shard: `${shard.index}/${count}`,
      accounts: shardAccounts(accounts, shard),
    };
  });
  return {
    tenant: input.tenant,
    run_id: input.runId,
    run_ts: input.runTs,
    accounts: accounts.length,
    regions: input.regions.length,
    checkers: input.checkers.length,
    accounts_per_shard: Math.ceil(accounts.length / count),
    estimated_shard_seconds: Math.round(Math.ceil(accounts.length / count) * perAccount),
    shards,
  };
}
