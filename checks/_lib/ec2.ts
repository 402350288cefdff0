/** EC2 facts shared by checkers: volume prices, previous-generation families, stop times. */
import type { Instance, Volume } from '@aws-sdk/client-ec2';
import type Big from 'big.js';
import type { Bootstrap } from './context.ts';
import type { Inventory } from './inventory.ts';
import { arn, scopeOf, tagMap } from './drafts.ts';
import { equivalentIn, familyOf, type Sizing } from './instance_catalogue.ts';
import { UNDERUTILIZED_ID } from './cpu.ts';
import {
  big,
  ec2Hourly,
  estimate,
  money,
  monthlyFromHourly,
  noEstimate,
  volumeMonthly,
  type EstimateParts,
  type PriceLookup,
} from './pricing.ts';

export const volumeSpec = (v: Volume) => ({
  type: v.VolumeType ?? 'unknown',
  sizeGiB: v.Size ?? 0,
  iops: v.Iops,
  throughputMiBps: v.Throughput,
});

export function volumeCost(v: Volume, lookup: PriceLookup): Big | undefined {
  return volumeMonthly(volumeSpec(v), lookup.prices);
}

/** One sentence on how a volume's monthly price was computed. */
export function volumeCostNote(v: Volume, lookup: PriceLookup, cost: Big): string {
  const perGb = (lookup.prices.ebs_gb_month as Record<string, number>)[v.VolumeType ?? ''];
  const extras =
    v.VolumeType === 'io1' || v.VolumeType === 'io2' || v.VolumeType === 'gp3'
      ? ' plus provisioned IOPS/throughput'
      : '';
  return `${v.Size} GiB ${v.VolumeType} at $${perGb}/GB-month in ${lookup.region}${extras} = $${money(cost)}/month`;
}

/** Previous-generation families and the current-generation family that replaces each. */
export const OLD_GENERATION: Readonly<Record<string, string>> = {
  t1: 't3',
  t2: 't3',
  m1: 'm6i',
  m2: 'r6i',
  m3: 'm6i',
  m4: 'm6i',
  c1: 'c6i',
  c3: 'c6i',
  c4: 'c6i',
  r3: 'r6i',
  r4: 'r6i',
  i2: 'i4i',
  d2: 'd3',
  g2: 'g4dn',
  g3: 'g4dn',
};

/** The current-generation type for a previous-generation one, in the region: at least its vCPUs and memory. */
export function replacementFor(type: string, lookup: PriceLookup): Sizing | undefined {
  const next = OLD_GENERATION[familyOf(type)];
  return next === undefined ? undefined : equivalentIn(next, type, lookup);
}

export const instanceMonthly = (type: string, lookup: PriceLookup): Big | undefined => {
  const hourly = ec2Hourly(type, lookup);
  return hourly && monthlyFromHourly(hourly);
};

/** When a stopped instance stopped, from its StateTransitionReason ("User initiated (2026-01-02 03:04:05 GMT)"). */
export function stoppedAt(instance: Instance): Date | undefined {
  const match = /\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)/.exec(
    instance.StateTransitionReason ?? '',
  );
  return match ? new Date(`${match[1]}T${match[2]}Z`) : undefined;
}

/** Hourly price difference as a monthly amount, never below zero. */
export const monthlyDifference = (from: Big, to: Big): Big => (from.gt(to) ? from.minus(to) : big(0));

/**
 * The account's snapshots in a region with what they are to the account: the ids a registered AMI refers to
 * (they are priced with the AMI), and the ids whose source volume no longer exists (copies name a placeholder).
 */
export async function snapshotUse(inventory: Inventory, region: string) {
  const [snapshots, images, volumes] = await Promise.all([
    inventory.snapshots(region),
    inventory.images(region),
    inventory.volumes(region),
  ]);
  const present = new Set(volumes.map((v) => v.VolumeId));
  return {
    snapshots,
    usedByImages: new Set(images.flatMap((i) => (i.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId))),
    orphaned: new Set(snapshots.filter((s) => !present.has(s.VolumeId)).map((s) => s.SnapshotId ?? '')),
  };
}

/**
 * In-use volumes attached to an instance that is not stopped, with that instance: unattached volumes and those
 * of stopped instances are priced by their own checks.
 */
export async function volumesInUse(
  inventory: Inventory,
  region: string,
): Promise<{ volume: Volume; instanceId: string }[]> {
  const [volumes, instances] = await Promise.all([inventory.volumes(region), inventory.instances(region)]);
  const stopped = new Set(instances.filter((i) => i.State?.Name !== 'running').map((i) => i.InstanceId));
  return volumes.flatMap((volume) => {
    const instanceId = volume.Attachments?.[0]?.InstanceId;
    return volume.State === 'in-use' && instanceId && !stopped.has(instanceId)
      ? [{ volume, instanceId }]
      : [];
  });
}

/** What every finding about an EC2 instance starts from: its scope, tags, type and the rule's issue key. */
export function instanceFinding(bootstrap: Bootstrap, region: string, instance: Instance, rule: string) {
  const id = instance.InstanceId ?? '';
  return {
    scope: scopeOf(
      bootstrap,
      region,
      id,
      arn('ec2', region, bootstrap.aws_account_id, `instance/${id}`),
      instance.Placement?.AvailabilityZone,
    ),
    issue_key: { rule },
    tags: tagMap(instance.Tags),
    dimensions: { instance_type: instance.InstanceType ?? '' },
  };
}

/** An EBS volume's scope: its id, ARN and Availability Zone. */
export const volumeScope = (bootstrap: Bootstrap, region: string, volume: Volume) =>
  scopeOf(
    bootstrap,
    region,
    volume.VolumeId ?? '',
    arn('ec2', region, bootstrap.aws_account_id, `volume/${volume.VolumeId ?? ''}`),
    volume.AvailabilityZone,
  );

/**
 * The estimate of moving a running instance to another type: the monthly price difference, never below zero
 * (`why` says what it compares); none when a price is missing; zero when the instance is also underutilized,
 * as the rightsizing check counts its saving.
 */
export function typeChangeEstimate(input: {
  readonly lookup: PriceLookup;
  readonly from: string;
  readonly to: string;
  readonly underutilized: boolean;
  readonly confidence: number;
  readonly why: (current: Big, next: Big, savings: Big) => string;
}): EstimateParts {
  const { lookup, from, to, confidence } = input;
  const current = instanceMonthly(from, lookup);
  const next = instanceMonthly(to, lookup);
  if (!current || !next) return noEstimate(`No list price for ${current ? to : from} in the price table.`);
  if (input.underutilized) {
    return estimate({
      lookup,
      monthlyCost: current,
      monthlySavings: big(0),
      confidence,
      derivedCompute: true,
      notes: `The instance is underutilized: its saving ($${money(current)}/month today) is counted once, by ${UNDERUTILIZED_ID}, which recommends a smaller size.`,
    });
  }
  const savings = monthlyDifference(current, next);
  return estimate({
    lookup,
    monthlyCost: current,
    monthlySavings: savings,
    confidence,
    derivedCompute: true,
    notes: input.why(current, next, savings),
  });
}
