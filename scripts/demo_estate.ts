/**
 * A small demo estate seeded through the real SDK: what `npm run demo` and the tests scan. It holds at least
 * one failing and one passing resource for every checker. Resources are created `DEMO_AGE_DAYS` ago (moto's
 * clock is set back while they are made), so a run today finds age-based waste, and CloudWatch metrics are
 * written for the days before the run.
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AttachVolumeCommand,
  CreateImageCommand,
  CreateNatGatewayCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteVolumeCommand,
  EC2Client,
  RunInstancesCommand,
  StopInstancesCommand,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  ECRClient,
  PutImageCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { CreateDBInstanceCommand, CreateDBSnapshotCommand, RDSClient } from '@aws-sdk/client-rds';
import { HUB_ENDPOINT_VARIABLE, setHubState } from './cost_optimization_hub_server.ts';
import { setMotoClock, type MotoServer } from './moto_server.ts';
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';

export const DEMO_REGION = 'us-east-1';
export const DEMO_AGE_DAYS = 100;
const DAY_MS = 86_400_000;

export interface DemoBucket {
  readonly name: string;
  readonly region: string;
  readonly lifecycle: boolean;
  readonly versioned?: boolean;
  readonly tags?: Record<string, string>;
}

export const DEMO_BUCKETS: readonly DemoBucket[] = [
  { name: 'acme-app-logs', region: 'us-east-1', lifecycle: false, tags: { team: 'platform' } },
  {
    name: 'acme-data-lake-raw',
    region: 'eu-west-1',
    lifecycle: false,
    versioned: true,
    tags: { team: 'data' },
  },
  { name: 'acme-backups', region: 'eu-west-3', lifecycle: true, versioned: true },
  { name: 'acme-static-site', region: 'us-west-2', lifecycle: true },
];

/** Ids of what was created, for tests to name their expectations. */
export interface DemoIds {
  /** When the estate's resources were created (moto's clock, set back). */
  readonly builtAt: Date;
  /** The run the estate is built for: now, unless the options said otherwise. */
  readonly runTs: Date;
  readonly instances: { web: string; idle: string; stopped: string; api: string };
  readonly volumes: {
    unattached: string;
    io1Unattached: string;
    data: string;
    io1Attached: string;
    io1TooFast: string;
  };
  readonly snapshots: { old: string; orphaned: string };
  readonly vpcEndpoints: { idle: string; busy: string };
  readonly images: { unused: string };
  readonly addresses: { unassociated: string; associated: string };
  readonly natGateway: string;
  readonly loadBalancers: { empty: string; served: string };
  readonly logGroups: { forever: string; kept: string };
  readonly db: { idle: string; busy: string; snapshot: string };
}

export interface EstateOptions {
  readonly endpoint: string;
  /** The run timestamp the estate is built for (default: now); metrics are written for the days before it. */
  readonly runTs?: Date;
  readonly buckets?: readonly DemoBucket[];
  /** The loopback Cost Optimization Hub to give recommendations to (default: its endpoint variable). */
  readonly hubEndpoint?: string;
  /** Days of metrics before the run timestamp (default 14): more for a history of runs before it. */
  readonly metricDays?: number;
}

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/** Seeds the estate into an emulator: a started one (`startMoto()`), or endpoints given in options. */
export async function seedDemoEstate(options: EstateOptions | MotoServer): Promise<DemoIds> {
  const {
    endpoint,
    runTs = new Date(),
    buckets = DEMO_BUCKETS,
    hubEndpoint,
    metricDays = 14,
  }: EstateOptions = 'hub' in options
    ? { endpoint: options.endpoint, hubEndpoint: options.hub.endpoint }
    : options;
  const config = { region: DEMO_REGION, endpoint, credentials };
  const builtAt = new Date(Date.now() - DEMO_AGE_DAYS * DAY_MS);
  await setMotoClock(endpoint, builtAt.getTime() - Date.now());
  try {
    return {
      builtAt,
      runTs,
      ...(await seedResources(endpoint, config, buckets, hubEndpoint, runTs, metricDays)),
    };
  } finally {
    await setMotoClock(endpoint, 0);
  }
}

async function seedResources(
  endpoint: string,
  config: { region: string; endpoint: string; credentials: typeof credentials },
  buckets: readonly DemoBucket[],
  hubEndpoint: string | undefined,
  runTs: Date,
  metricDays: number,
): Promise<Omit<DemoIds, 'builtAt' | 'runTs'>> {
  await seedBuckets(endpoint, buckets);
  const ec2 = new EC2Client(config);
  const ids = await seedEc2(ec2);
  const natGateway = await seedNetwork(ec2);
  const loadBalancers = await seedLoadBalancers(
    new ElasticLoadBalancingV2Client(config),
    ec2,
    ids.instances.web,
  );
  const logGroups = await seedLogs(new CloudWatchLogsClient(config));
  const db = await seedRds(new RDSClient(config));
  const vpcEndpoints = await seedVpcEndpoints(ec2);
  await seedRepositories(new ECRClient(config));
  await seedTables(new DynamoDBClient(config));
  await seedRecommendations(hubEndpoint ?? process.env[HUB_ENDPOINT_VARIABLE], ids.instances.idle);
  // The SDK gzips a PutMetricData body over 10 KB, which moto's server does not read back: sent as is.
  const cloudwatch = new CloudWatchClient({ ...config, disableRequestCompression: true });
  await seedMetrics(cloudwatch, runTs, metricDays, ids.instances, db, vpcEndpoints);
  return { ...ids, natGateway, loadBalancers, logGroups, db, vpcEndpoints: vpcEndpoints.ids };
}

async function seedBuckets(endpoint: string, buckets: readonly DemoBucket[]): Promise<void> {
  for (const bucket of buckets) {
    const s3 = new S3Client({ region: bucket.region, endpoint, forcePathStyle: true, credentials });
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket.name,
        ...(bucket.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: bucket.region as BucketLocationConstraint } }),
      }),
    );
    if (bucket.versioned) {
      await s3.send(
        new PutBucketVersioningCommand({
          Bucket: bucket.name,
          VersioningConfiguration: { Status: 'Enabled' },
        }),
      );
    }
    if (bucket.lifecycle) {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket.name,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'expire-old',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                Expiration: { Days: 365 },
                NoncurrentVersionExpiration: { NoncurrentDays: 30 },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              },
            ],
          },
        }),
      );
    }
    if (bucket.tags) {
      await s3.send(
        new PutBucketTaggingCommand({
          Bucket: bucket.name,
          Tagging: { TagSet: Object.entries(bucket.tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      );
    }
    s3.destroy();
  }
}

const tags = (name: string, team = 'platform') => [
  { Key: 'Name', Value: name },
  { Key: 'team', Value: team },
];

async function runInstance(ec2: EC2Client, type: string, name: string): Promise<string> {
  const out = await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      InstanceType: type as _InstanceType,
      MinCount: 1,
      MaxCount: 1,
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags(name) }],
    }),
  );
  return out.Instances![0]!.InstanceId!;
}

async function seedEc2(ec2: EC2Client) {
  const web = await runInstance(ec2, 'm4.large', 'web');
  const idle = await runInstance(ec2, 'm5.xlarge', 'batch-idle');
  const stopped = await runInstance(ec2, 't3.large', 'forgotten');
  await ec2.send(new StopInstancesCommand({ InstanceIds: [stopped] }));
  const api = await runInstance(ec2, 'c5.large', 'api');

  const volume = async (size: number, type: 'gp2' | 'io1', name: string, iops?: number) =>
    (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${DEMO_REGION}a`,
          Size: size,
          VolumeType: type,
          ...(iops ? { Iops: iops } : {}),
          TagSpecifications: [{ ResourceType: 'volume', Tags: tags(name) }],
        }),
      )
    ).VolumeId!;
  const unattached = await volume(100, 'gp2', 'old-scratch');
  const io1Unattached = await volume(200, 'io1', 'old-db-disk', 4000);
  const data = await volume(500, 'gp2', 'web-data');
  await ec2.send(new AttachVolumeCommand({ VolumeId: data, InstanceId: web, Device: '/dev/sdf' }));

  const old = (
    await ec2.send(new CreateSnapshotCommand({ VolumeId: unattached, Description: 'before cleanup' }))
  ).SnapshotId!;
  const unused = (await ec2.send(new CreateImageCommand({ InstanceId: web, Name: 'web-golden-2025' })))
    .ImageId!;

  // Made after the image, so that the AMI's snapshots stay as they were.
  const io1Attached = await volume(100, 'io1', 'db-journal', 3000);
  const io1TooFast = await volume(500, 'io1', 'db-hot', 20_000);
  for (const [VolumeId, Device] of [
    [io1Attached, '/dev/sdg'],
    [io1TooFast, '/dev/sdh'],
  ] as const) {
    await ec2.send(new AttachVolumeCommand({ VolumeId, InstanceId: api, Device }));
  }
  const gone = await volume(40, 'gp2', 'decommissioned');
  const orphaned = (
    await ec2.send(
      new CreateSnapshotCommand({ VolumeId: gone, Description: 'last backup of a deleted disk' }),
    )
  ).SnapshotId!;
  await ec2.send(new DeleteVolumeCommand({ VolumeId: gone }));

  const unassociated = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const associated = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  await ec2.send(new AssociateAddressCommand({ AllocationId: associated, InstanceId: web }));
  return {
    instances: { web, idle, stopped, api },
    volumes: { unattached, io1Unattached, data, io1Attached, io1TooFast },
    snapshots: { old, orphaned },
    images: { unused },
    addresses: { unassociated, associated },
  };
}

async function seedNetwork(ec2: EC2Client): Promise<string> {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.10.0.0/16' }))).Vpc!.VpcId!;
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: '10.10.1.0/24' }))).Subnet!
    .SubnetId!;
  const allocation = (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
  const nat = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnet, AllocationId: allocation }));
  return nat.NatGateway!.NatGatewayId!;
}

async function seedLoadBalancers(elb: ElasticLoadBalancingV2Client, ec2: EC2Client, web: string) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnets = await Promise.all(
    ['a', 'b'].map(async (zone, i) => {
      const out = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpc,
          CidrBlock: `10.20.${i}.0/24`,
          AvailabilityZone: `${DEMO_REGION}${zone}`,
        }),
      );
      return out.Subnet!.SubnetId!;
    }),
  );
  const balancer = async (name: string) => {
    const out = await elb.send(
      new CreateLoadBalancerCommand({ Name: name, Subnets: subnets, Type: 'application' }),
    );
    return out.LoadBalancers![0]!;
  };
  const group = async (name: string, lbArn: string) => {
    const tg = (
      await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpc }))
    ).TargetGroups![0]!;
    // A listener ties the group to the load balancer.
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn! }],
      }),
    );
    return tg.TargetGroupArn!;
  };
  const empty = await balancer('legacy-api');
  await group('legacy-api-tg', empty.LoadBalancerArn!);
  const served = await balancer('web');
  const webGroup = await group('web-tg', served.LoadBalancerArn!);
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: webGroup, Targets: [{ Id: web }] }));
  return { empty: empty.LoadBalancerName!, served: served.LoadBalancerName! };
}

async function seedLogs(logs: CloudWatchLogsClient) {
  const forever = '/aws/lambda/orders-legacy';
  const kept = '/aws/lambda/orders';
  await logs.send(new CreateLogGroupCommand({ logGroupName: forever }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: kept }));
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: kept, retentionInDays: 30 }));
  return { forever, kept };
}

async function seedRds(rds: RDSClient) {
  const create = (id: string) =>
    rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: id,
        DBInstanceClass: 'db.t3.medium',
        Engine: 'postgres',
        AllocatedStorage: 100,
        MasterUsername: 'admin_user',
        MasterUserPassword: 'not-a-real-password-1',
      }),
    );
  await create('reporting-old');
  await create('orders');
  await rds.send(
    new CreateDBSnapshotCommand({
      DBInstanceIdentifier: 'orders',
      DBSnapshotIdentifier: 'orders-before-migration',
    }),
  );
  return { idle: 'reporting-old', busy: 'orders', snapshot: 'orders-before-migration' };
}

/** Daily datapoints for the days before the run: a busy and an idle instance, an idle and a used database. */
async function seedMetrics(
  cloudwatch: CloudWatchClient,
  runTs: Date,
  metricDays: number,
  instances: { web: string; idle: string; api: string },
  db: { idle: string; busy: string },
  endpoints: { busy: { id: string; dimensions: { Name: string; Value: string }[] } },
): Promise<void> {
  const days = Array.from({ length: metricDays }, (_, i) => new Date(runTs.getTime() - (i + 0.5) * DAY_MS));
  const put = (
    Namespace: string,
    MetricName: string,
    Name: string,
    Value: string,
    value: (day: number) => number,
    more: { Name: string; Value: string }[] = [],
  ) =>
    cloudwatch.send(
      new PutMetricDataCommand({
        Namespace,
        MetricData: days.map((Timestamp, i) => ({
          MetricName,
          Dimensions: [{ Name, Value }, ...more],
          Timestamp,
          Value: value(i),
          Unit: 'None',
        })),
      }),
    );
  await put('AWS/EC2', 'CPUUtilization', 'InstanceId', instances.web, (d) => 35 + (d % 5) * 5);
  await put('AWS/EC2', 'CPUUtilization', 'InstanceId', instances.idle, (d) => 1 + (d % 3));
  await put('AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', db.idle, () => 0);
  await put('AWS/RDS', 'DatabaseConnections', 'DBInstanceIdentifier', db.busy, (d) => 10 + d);
  await put('AWS/EC2', 'CPUUtilization', 'InstanceId', instances.api, (d) => 40 + (d % 5) * 5);
  await put('AWS/DynamoDB', 'ConsumedReadCapacityUnits', 'TableName', 'orders-v2', (d) => 1_000 + d);
  await put(
    'AWS/PrivateLinkEndpoints',
    'BytesProcessed',
    'VPC Endpoint Id',
    endpoints.busy.id,
    (d) => 5_000_000 + d,
    endpoints.busy.dimensions,
  );
}

/** Two interface endpoints in two Availability Zones: one idle, one that carries traffic (metrics above). */
async function seedVpcEndpoints(ec2: EC2Client) {
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  const subnets = await Promise.all(
    ['a', 'b'].map(
      async (zone, i) =>
        (
          await ec2.send(
            new CreateSubnetCommand({
              VpcId: vpc,
              CidrBlock: `10.30.${i}.0/24`,
              AvailabilityZone: `${DEMO_REGION}${zone}`,
            }),
          )
        ).Subnet!.SubnetId!,
    ),
  );
  const endpoint = async (service: string) =>
    (
      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpc,
          ServiceName: `com.amazonaws.${DEMO_REGION}.${service}`,
          VpcEndpointType: 'Interface',
          SubnetIds: subnets,
        }),
      )
    ).VpcEndpoint!.VpcEndpointId!;
  const idle = await endpoint('sqs');
  const busy = await endpoint('ssm');
  const dimensions = [
    { Name: 'Endpoint Type', Value: 'Interface' },
    { Name: 'Service Name', Value: `com.amazonaws.${DEMO_REGION}.ssm` },
    { Name: 'VPC Id', Value: vpc },
  ];
  return { ids: { idle, busy }, busy: { id: busy, dimensions } };
}

/** A repository without a lifecycle policy holding 2.5 GB of images, and one with a policy. */
async function seedRepositories(ecr: ECRClient): Promise<void> {
  for (const name of ['legacy-worker', 'app-images']) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
  }
  // ECR reports an image's size; the emulator takes it from the manifest's config entry, so both say the total.
  const manifest = (layerBytes: number, tag: string) =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: {
        mediaType: 'application/vnd.docker.container.image.v1+json',
        size: layerBytes,
        digest: `sha256:${tag.padEnd(64, '0').slice(0, 64)}`,
      },
      layers: [
        {
          mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
          size: layerBytes,
          digest: `sha256:${tag.padEnd(64, '1').slice(0, 64)}`,
        },
      ],
    });
  for (const [tag, bytes] of [
    ['a1', 1_500_000_000],
    ['b2', 1_000_000_000],
  ] as const) {
    await ecr.send(
      new PutImageCommand({
        repositoryName: 'legacy-worker',
        imageTag: tag,
        imageManifest: manifest(bytes, tag),
      }),
    );
  }
  await ecr.send(
    new PutLifecyclePolicyCommand({
      repositoryName: 'app-images',
      lifecyclePolicyText: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 7,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    }),
  );
}

/** A provisioned table nothing uses, and one that is read (metrics above). */
async function seedTables(dynamodb: DynamoDBClient): Promise<void> {
  for (const [name, read, write] of [
    ['sessions-v1', 100, 50],
    ['orders-v2', 20, 10],
  ] as const) {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PROVISIONED',
        ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write },
      }),
    );
  }
}

/** The demo account (moto's) as AWS would see it in Cost Optimization Hub. */
export const DEMO_ACCOUNT = '123456789012';

/**
 * Cost Optimization Hub's view of the demo account: it rightsizes the idle instance that the native check
 * also reports (AWS's figure includes a 25% discount), and recommends a Lambda memory change no native check
 * covers.
 */
async function seedRecommendations(endpoint: string | undefined, idle: string): Promise<void> {
  if (!endpoint) return;
  await setHubState(endpoint, {
    enrolledAccounts: [DEMO_ACCOUNT],
    recommendations: [
      {
        recommendationId: 'demo-rightsize-batch-idle',
        accountId: DEMO_ACCOUNT,
        region: DEMO_REGION,
        resourceId: idle,
        resourceArn: `arn:aws:ec2:${DEMO_REGION}:${DEMO_ACCOUNT}:instance/${idle}`,
        currentResourceType: 'Ec2Instance',
        recommendedResourceType: 'Ec2Instance',
        actionType: 'Rightsize',
        estimatedMonthlySavings: 52.56,
        estimatedMonthlyCost: 105.12,
        currencyCode: 'USD',
        implementationEffort: 'Medium',
        restartNeeded: true,
        rollbackPossible: true,
        currentResourceSummary: 'm5.xlarge',
        recommendedResourceSummary: 'm5.large',
        recommendationLookbackPeriodInDays: 14,
      },
      {
        recommendationId: 'demo-lambda-thumbnailer',
        accountId: DEMO_ACCOUNT,
        region: DEMO_REGION,
        resourceId: 'thumbnailer',
        resourceArn: `arn:aws:lambda:${DEMO_REGION}:${DEMO_ACCOUNT}:function:thumbnailer`,
        currentResourceType: 'LambdaFunction',
        recommendedResourceType: 'LambdaFunction',
        actionType: 'Rightsize',
        estimatedMonthlySavings: 3.2,
        estimatedMonthlyCost: 9.6,
        currencyCode: 'USD',
        implementationEffort: 'VeryLow',
        restartNeeded: false,
        rollbackPossible: true,
        currentResourceSummary: '3008 MB memory',
        recommendedResourceSummary: '1024 MB memory',
        recommendationLookbackPeriodInDays: 14,
      },
    ],
  });
}
