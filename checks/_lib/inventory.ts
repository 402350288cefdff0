/**
 * The run's shared inventory: every AWS listing a checker needs, fetched once per account and region and
 * shared by all checkers (memoized promises), paginated everywhere.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import type { Address, Image, Instance, NatGateway, Snapshot, Volume } from '@aws-sdk/client-ec2';
import type {
  LoadBalancer,
  TargetGroup,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import pLimit from 'p-limit';
import type { AwsServices } from './context.ts';
import { collect } from './paging.ts';
import { bucketVersioning, s3Buckets, type BucketFacts, type VersioningState } from './s3_inventory.ts';
import * as sdk from './sdk.ts';

export interface InventoryOptions {
  /** Page size for listings (smaller pages in tests prove pagination); undefined is the API default. */
  readonly pageSize?: number | undefined;
}

export interface MetricRequest {
  readonly namespace: string;
  readonly metric: string;
  readonly dimension: string;
  readonly ids: readonly string[];
  readonly stat: 'Average' | 'Sum' | 'Maximum';
  /** The metric's other dimensions for a resource, when it is published with more than `dimension`. */
  readonly extraDimensions?: (id: string) => readonly { Name: string; Value: string }[];
  readonly days: number;
  /** The end of the window: the run timestamp. */
  readonly end: Date;
}

const DAY_SECONDS = 86_400;
const QUERIES_PER_CALL = 500;

export class Inventory {
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly services: AwsServices;
  private readonly pageSize: number | undefined;

  constructor(services: AwsServices, options: InventoryOptions = {}) {
    this.services = services;
    this.pageSize = options.pageSize;
  }

  private memo<T>(key: string, load: () => Promise<T>): Promise<T> {
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      // Always a promise, even when building the request throws: a caller awaiting several listings
      // (Promise.all) then handles every failure, and none is left unhandled.
      hit = Promise.resolve().then(load);
      this.cache.set(key, hit);
    }
    return hit;
  }

  private paging(min = 5): { pageSize?: number } {
    return this.pageSize ? { pageSize: Math.max(min, this.pageSize) } : {};
  }

  volumes(region: string): Promise<Volume[]> {
    return this.memo(`ec2:volumes:${region}`, async () =>
      collect(
        (await sdk.ec2()).paginateDescribeVolumes(
          { client: this.services.ec2(region), ...this.paging() },
          {},
        ),
        (p) => p.Volumes,
      ),
    );
  }

  /** Snapshots this account owns. */
  snapshots(region: string): Promise<Snapshot[]> {
    return this.memo(`ec2:snapshots:${region}`, async () =>
      collect(
        (await sdk.ec2()).paginateDescribeSnapshots(
          { client: this.services.ec2(region), ...this.paging() },
          { OwnerIds: ['self'] },
        ),
        (p) => p.Snapshots,
      ),
    );
  }

  /** AMIs this account owns. */
  images(region: string): Promise<Image[]> {
    return this.memo(`ec2:images:${region}`, async () =>
      collect(
        (await sdk.ec2()).paginateDescribeImages(
          { client: this.services.ec2(region), ...this.paging() },
          { Owners: ['self'] },
        ),
        (p) => p.Images,
      ),
    );
  }

  instances(region: string): Promise<Instance[]> {
    return this.memo(`ec2:instances:${region}`, async () =>
      collect(
        (await sdk.ec2()).paginateDescribeInstances(
          { client: this.services.ec2(region), ...this.paging() },
          {},
        ),
        (p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []),
      ),
    );
  }

  /** Elastic IPs (DescribeAddresses is not paginated). */
  addresses(region: string): Promise<Address[]> {
    return this.memo(`ec2:addresses:${region}`, async () => {
      const out = await this.services.ec2(region).send(new (await sdk.ec2()).DescribeAddressesCommand({}));
      return out.Addresses ?? [];
    });
  }

  natGateways(region: string): Promise<NatGateway[]> {
    return this.memo(`ec2:nat:${region}`, async () =>
      collect(
        (await sdk.ec2()).paginateDescribeNatGateways(
          { client: this.services.ec2(region), ...this.paging() },
          {},
        ),
        (p) => p.NatGateways,
      ),
    );
  }

  loadBalancers(region: string): Promise<LoadBalancer[]> {
    return this.memo(`elbv2:lbs:${region}`, async () =>
      collect(
        (await sdk.elbv2()).paginateDescribeLoadBalancers(
          { client: this.services.elbv2(region), ...this.paging(1) },
          {},
        ),
        (p) => p.LoadBalancers,
      ),
    );
  }

  targetGroups(region: string): Promise<TargetGroup[]> {
    return this.memo(`elbv2:tgs:${region}`, async () =>
      collect(
        (await sdk.elbv2()).paginateDescribeTargetGroups(
          { client: this.services.elbv2(region), ...this.paging(1) },
          {},
        ),
        (p) => p.TargetGroups,
      ),
    );
  }

  targetHealth(region: string, targetGroupArn: string): Promise<TargetHealthDescription[]> {
    return this.memo(`elbv2:health:${region}:${targetGroupArn}`, async () => {
      const out = await this.services
        .elbv2(region)
        .send(new (await sdk.elbv2()).DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
      return out.TargetHealthDescriptions ?? [];
    });
  }

  logGroups(region: string): Promise<LogGroup[]> {
    return this.memo(`logs:groups:${region}`, async () =>
      collect(
        (await sdk.logs()).paginateDescribeLogGroups(
          { client: this.services.logs(region), ...this.paging(1) },
          {},
        ),
        (p) => p.logGroups,
      ),
    );
  }

  dbInstances(region: string): Promise<DBInstance[]> {
    return this.memo(`rds:instances:${region}`, async () =>
      collect(
        (await sdk.rds()).paginateDescribeDBInstances(
          { client: this.services.rds(region), ...this.paging(20) },
          {},
        ),
        (p) => p.DBInstances,
      ),
    );
  }

  /** Manual DB snapshots. */
  dbSnapshots(region: string): Promise<DBSnapshot[]> {
    return this.memo(`rds:snapshots:${region}`, async () =>
      collect(
        (await sdk.rds()).paginateDescribeDBSnapshots(
          { client: this.services.rds(region), ...this.paging(20) },
          { SnapshotType: 'manual' },
        ),
        (p) => p.DBSnapshots,
      ),
    );
  }

  /** Every bucket once per run (S3 is global), each with its own region, lifecycle and tags. */
  buckets(homeRegion: string): Promise<BucketFacts[]> {
    return this.memo('s3:buckets', () => s3Buckets(this.services, homeRegion));
  }

  versioning(bucket: BucketFacts): Promise<VersioningState> {
    return this.memo(`s3:versioning:${bucket.name}`, () => bucketVersioning(this.services, bucket));
  }

  /**
   * Daily values of one metric for many resources, in as few GetMetricData calls as possible.
   * Returns resource id → daily values (days without data are absent, not zero).
   */
  dailyMetric(region: string, request: MetricRequest): Promise<Map<string, number[]>> {
    const key = `cw:${region}:${request.namespace}:${request.metric}:${request.stat}:${request.days}:${request.end.toISOString()}:${[...request.ids].sort().join(',')}`;
    return this.memo(key, async () => {
      const result = new Map<string, number[]>(request.ids.map((id) => [id, []]));
      const start = new Date(request.end.getTime() - request.days * DAY_SECONDS * 1000);
      const limit = pLimit(4);
      const chunks: string[][] = [];
      for (let i = 0; i < request.ids.length; i += QUERIES_PER_CALL)
        chunks.push(request.ids.slice(i, i + QUERIES_PER_CALL));
      await Promise.all(
        chunks.map((ids) =>
          limit(async () => {
            const queries: MetricDataQuery[] = ids.map((id, index) => ({
              Id: `m${index}`,
              MetricStat: {
                Metric: {
                  Namespace: request.namespace,
                  MetricName: request.metric,
                  Dimensions: [
                    { Name: request.dimension, Value: id },
                    ...(request.extraDimensions?.(id) ?? []),
                  ],
                },
                Period: DAY_SECONDS,
                Stat: request.stat,
              },
              ReturnData: true,
            }));
            let NextToken: string | undefined;
            do {
              const out = await this.services.cloudwatch(region).send(
                new (await sdk.cloudwatch()).GetMetricDataCommand({
                  MetricDataQueries: queries,
                  StartTime: start,
                  EndTime: request.end,
                  NextToken,
                }),
              );
              for (const series of out.MetricDataResults ?? []) {
                const id = ids[Number(series.Id?.slice(1))];
                if (id !== undefined) result.get(id)!.push(...(series.Values ?? []));
              }
              NextToken = out.NextToken;
            } while (NextToken);
          }),
        ),
      );
      return result;
    });
  }
}
