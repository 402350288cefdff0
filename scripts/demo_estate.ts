/** A small demo estate seeded through the real SDK: what `npm run demo` and the tests scan. */
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketTaggingCommand,
  S3Client,
  type BucketLocationConstraint,
} from '@aws-sdk/client-s3';

export interface DemoBucket {
  readonly name: string;
  readonly region: string;
  readonly lifecycle: boolean;
  readonly tags?: Record<string, string>;
}

export const DEMO_BUCKETS: readonly DemoBucket[] = [
  { name: 'acme-app-logs', region: 'us-east-1', lifecycle: false, tags: { team: 'platform' } },
  { name: 'acme-data-lake-raw', region: 'eu-west-1', lifecycle: false, tags: { team: 'data' } },
  { name: 'acme-backups', region: 'eu-west-3', lifecycle: true },
  { name: 'acme-static-site', region: 'us-west-2', lifecycle: true },
];

export async function seedDemoEstate(
  endpoint: string,
  buckets: readonly DemoBucket[] = DEMO_BUCKETS,
): Promise<void> {
  const clients = new Map<string, S3Client>();
  const s3 = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new S3Client({
        region,
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      clients.set(region, client);
    }
    return client;
  };
  for (const bucket of buckets) {
    const client = s3(bucket.region);
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket.name,
        ...(bucket.region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: bucket.region as BucketLocationConstraint } }),
      }),
    );
    if (bucket.lifecycle) {
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket.name,
          LifecycleConfiguration: {
            Rules: [
              {
                ID: 'expire-old',
                Status: 'Enabled',
                Filter: { Prefix: '' },
                Expiration: { Days: 365 },
                AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
              },
            ],
          },
        }),
      );
    }
    if (bucket.tags) {
      await client.send(
        new PutBucketTaggingCommand({
          Bucket: bucket.name,
          Tagging: { TagSet: Object.entries(bucket.tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      );
    }
  }
  for (const client of clients.values()) client.destroy();
}
