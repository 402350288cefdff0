/**
 * The demo estate's bill: a CUR 2.0 export (real column names and types) of its resources' daily usage for the
 * last two weeks up to now (today still being billed), with a Savings Plan covered instance and its negation, a
 * tax line and data transfer without a resource id, so that `cost import` and the export have something true to
 * show next to the estimates.
 */
import { DEMO_ACCOUNT, DEMO_REGION, type DemoIds } from './demo_estate.ts';
import { writeCurExport, type CurLine } from './billing_export.ts';

const DAYS = 14;
const DAY_MS = 86_400_000;

/** Writes the export under `root/demo-cur2`, one billing period per month the days fall in; its folder. */
export async function writeDemoBill(root: string, estate: DemoIds, now = new Date()): Promise<string> {
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${DEMO_REGION}:${DEMO_ACCOUNT}:${resource}`;
  // What each billed resource costs a day (list prices: the same as the estimates' price table, roughly).
  const resources: { resource: string; product: string; daily: number; sp?: number }[] = [
    { resource: estate.volumes.unattached, product: 'AmazonEC2', daily: 0.3333 },
    { resource: estate.volumes.io1Unattached, product: 'AmazonEC2', daily: 2.0833 },
    { resource: arn('ec2', `natgateway/${estate.natGateway}`), product: 'AmazonEC2', daily: 1.08 },
    { resource: arn('rds', `db:${estate.db.idle}`), product: 'AmazonRDS', daily: 0.816 },
    { resource: estate.instances.idle, product: 'AmazonEC2', daily: 2.304, sp: 1.4976 },
    { resource: estate.instances.web, product: 'AmazonEC2', daily: 2.304 },
  ];
  const account = DEMO_ACCOUNT;
  const byPeriod = new Map<string, CurLine[]>();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let d = DAYS - 1; d >= 0; d -= 1) {
    const day = new Date(today - d * DAY_MS).toISOString().slice(0, 10);
    const lines = byPeriod.get(day.slice(0, 7)) ?? [];
    const at = (hour: number) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`;
    // Today is still being billed: only its first hours are in.
    const share = d === 0 ? 0.25 : 1;
    for (const r of resources) {
      const unblended = Number((r.daily * share).toFixed(6));
      if (r.sp === undefined) {
        lines.push({
          type: 'Usage',
          account,
          resource: r.resource,
          start: at(0),
          product: r.product,
          unblended,
        });
      } else {
        const effective = Number((r.sp * share).toFixed(6));
        lines.push({
          type: 'SavingsPlanCoveredUsage',
          resource: r.resource,
          start: at(0),
          unblended,
          spEffective: effective,
        });
        lines.push({
          type: 'SavingsPlanNegation',
          resource: r.resource,
          start: at(0),
          unblended: -unblended,
        });
      }
    }
    lines.push({
      type: 'Usage',
      resource: null,
      start: at(1),
      product: 'AWSDataTransfer',
      unblended: 0.42 * share,
    });
    lines.push({
      type: 'Tax',
      account,
      resource: null,
      start: at(0),
      product: 'AWS',
      unblended: 1.1 * share,
    });
    byPeriod.set(day.slice(0, 7), lines);
  }
  let folder = '';
  for (const [period, lines] of byPeriod) folder = await writeCurExport(root, 'demo-cur2', period, lines);
  return folder;
}
