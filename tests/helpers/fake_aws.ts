/**
 * In-process AWS stand-ins for fault cases the emulator cannot produce (access denied, a throwing
 * checker). Real S3Client instances with `send` replaced, so SDK paginators accept them.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import type { AwsServices } from '../../checks/_lib/context.ts';
import type { RunnerEffects } from '../../runner.ts';

export interface FakeBucket {
  readonly name: string;
  readonly location?: string | null;
  readonly rules?: number;
  readonly deny?: boolean;
  readonly tags?: Record<string, string>;
}

const serviceError = (name: string) => Object.assign(new Error(`${name} (fake)`), { name, $metadata: {} });

export function fakeS3(buckets: readonly FakeBucket[]): S3Client {
  const client = new S3Client({ region: 'us-east-1' });
  const find = (name: string) => buckets.find((b) => b.name === name)!;
  client.send = (async (command: { constructor: { name: string }; input: { Bucket?: string } }) => {
    const bucket = command.input.Bucket ? find(command.input.Bucket) : undefined;
    switch (command.constructor.name) {
      case 'ListBucketsCommand':
        return { Buckets: buckets.map((b) => ({ Name: b.name })) };
      case 'GetBucketLocationCommand':
        return { LocationConstraint: bucket!.location ?? null };
      case 'GetBucketLifecycleConfigurationCommand':
        if (bucket!.deny) throw serviceError('AccessDenied');
        if (!bucket!.rules) throw serviceError('NoSuchLifecycleConfiguration');
        return {
          Rules: Array.from({ length: bucket!.rules }, (_, i) => ({ ID: `r${i}`, Status: 'Enabled' })),
        };
      case 'GetBucketTaggingCommand':
        if (!bucket!.tags) throw serviceError('NoSuchTagSet');
        return { TagSet: Object.entries(bucket!.tags).map(([Key, Value]) => ({ Key, Value })) };
      default:
        throw new Error(`fake S3 has no answer for ${command.constructor.name}`);
    }
  }) as S3Client['send'];
  return client;
}

/** Effects with a pinned clock and ids, fake AWS, and captured output. */
export function fakeEffects(buckets: readonly FakeBucket[], now = '2026-11-22T10:00:00.000Z') {
  const printed: string[] = [];
  let id = 0;
  const s3 = fakeS3(buckets);
  const effects: RunnerEffects = {
    now: () => new Date(now),
    newId: () => `00000000-0000-4000-8000-${String(++id).padStart(12, '0')}`,
    print: (text) => printed.push(text),
    logger: () => pino({ level: 'silent' }),
    awsServices: () => ({
      services: {
        s3: () => s3,
        ...Object.fromEntries(
          (
            ['ec2', 'cloudwatch', 'elbv2', 'logs', 'rds', 'ecr', 'dynamodb', 'costOptimizationHub'] as const
          ).map((name) => [
            name,
            () => {
              throw new Error(`fake AWS has no ${name} client`);
            },
          ]),
        ),
      } as unknown as AwsServices,
      bootstrap: async () => ({ aws_account_id: '123456789012' }),
      partitionRegions: async () => ['eu-west-1', 'eu-west-3', 'us-east-1', 'us-west-2'],
    }),
  };
  return { effects, printed };
}
