/** What the EC2 fixes share: the volume as it is now. */
import type { Volume } from '@aws-sdk/client-ec2';
import { tagMap } from './drafts.ts';
import { unlessNotFound, type FixContext, type FixEntry } from './fixes.ts';
import { ec2 } from './sdk.ts';

/** The entry's volume as it is now, with its tags; undefined when it no longer exists. */
export async function volumeNow(
  ctx: FixContext,
  entry: FixEntry,
): Promise<{ volume: Volume; tags: Record<string, string> } | undefined> {
  const { DescribeVolumesCommand } = await ec2();
  const found = await unlessNotFound(
    ctx.services.ec2(entry.region).send(new DescribeVolumesCommand({ VolumeIds: [entry.resource_id] })),
  );
  const volume = found?.Volumes?.[0];
  return volume ? { volume, tags: tagMap(volume.Tags) } : undefined;
}
