/**
 * CPU utilisation verdicts shared by the underutilized and old-generation checkers, so an instance is
 * priced once: rightsizing takes precedence over a generation upgrade.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import type { RunContext } from './context.ts';

export const UNDERUTILIZED_ID = 'aws.ec2.instances.underutilized';
export const UNDERUTILIZED_PARAMS = {
  cpu_threshold_percent: {
    default: 10,
    min: 1,
    max: 100,
    description: 'Highest daily average CPU (%) below which an instance is underutilized',
  },
  lookback_days: { default: 14, min: 1, max: 455, description: 'Days of CloudWatch CPUUtilization examined' },
} as const;

export type CpuVerdict =
  | { readonly kind: 'underutilized'; readonly maxDailyAverage: number; readonly days: number }
  | { readonly kind: 'busy'; readonly maxDailyAverage: number; readonly days: number }
  | { readonly kind: 'no_data'; readonly days: number };

export function cpuParams(ctx: RunContext): { threshold: number; days: number } {
  const set = ctx.params[UNDERUTILIZED_ID] ?? {};
  return {
    threshold: set.cpu_threshold_percent ?? UNDERUTILIZED_PARAMS.cpu_threshold_percent.default,
    days: set.lookback_days ?? UNDERUTILIZED_PARAMS.lookback_days.default,
  };
}

/** Verdicts for running instances of a region, from one shared GetMetricData pass. */
export async function cpuVerdicts(
  ctx: RunContext,
  region: string,
  instances: readonly Instance[],
): Promise<Map<string, CpuVerdict>> {
  const { threshold, days } = cpuParams(ctx);
  const ids = instances.flatMap((i) => (i.InstanceId ? [i.InstanceId] : []));
  const series = ids.length
    ? await ctx.inventory.dailyMetric(region, {
        namespace: 'AWS/EC2',
        metric: 'CPUUtilization',
        dimension: 'InstanceId',
        ids,
        stat: 'Average',
        days,
        end: ctx.runTs,
      })
    : new Map<string, number[]>();
  const verdicts = new Map<string, CpuVerdict>();
  for (const id of ids) {
    const values = series.get(id) ?? [];
    // Fewer than half the days with data is too little to call an instance idle.
    if (values.length < Math.ceil(days / 2)) {
      verdicts.set(id, { kind: 'no_data', days });
      continue;
    }
    const max = Math.max(...values);
    verdicts.set(id, { kind: max < threshold ? 'underutilized' : 'busy', maxDailyAverage: max, days });
  }
  return verdicts;
}
