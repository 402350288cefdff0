import { ec2 } from '../_lib/sdk.ts';
import {
  afterBackup,
  defineFix,
  dryRunAll,
  registerFix,
  tagsDrifted,
  type FixContext,
} from '../_lib/fixes.ts';
import { waitForState } from '../_lib/wait.ts';
import { volumeNow } from '../_lib/ec2_fixes.ts';

/** Tags AWS reserves (aws:…) cannot be set by a caller: they are not copied to the snapshot. */
const copyable = (tags: Record<string, string>) =>
  Object.entries(tags)
    .filter(([key]) => !key.startsWith('aws:'))
    .map(([Key, Value]) => ({ Key, Value }));

export const fix = defineFix({
  meta: {
    check_id: 'aws.ec2.ebs.unattached.volume',
    action: 'snapshot_and_delete_volume',
    summary: 'Snapshot the volume (its tags copied), wait for the snapshot, then delete the volume',
    iam_actions: [
      'ec2:DescribeVolumes',
      'ec2:CreateSnapshot',
      'ec2:DescribeSnapshots',
      'ec2:CreateTags',
      'ec2:DeleteVolume',
    ],
  },
  parameters: () => ({ snapshot: 'yes' }),
  async apply(ctx: FixContext, entry) {
    const { CreateSnapshotCommand, DescribeSnapshotsCommand, DeleteVolumeCommand } = await ec2();
    const client = ctx.services.ec2(entry.region);
    const now = await volumeNow(ctx, entry);
    if (!now) return { status: 'skipped_drift', before: {}, note: 'the volume no longer exists' };
    const { volume, tags } = now;
    const before = { state: volume.State, size_gib: volume.Size, volume_type: volume.VolumeType, tags };
    if (volume.State !== 'available' || (volume.Attachments ?? []).length > 0)
      return { status: 'skipped_drift', before, note: `the volume is ${volume.State} (attached again)` };
    const drift = tagsDrifted(entry.tags, tags);
    if (drift) return { status: 'skipped_drift', before, note: drift };
    if (ctx.dryRun)
      return dryRunAll(before, {
        CreateSnapshot: () =>
          client.send(new CreateSnapshotCommand({ VolumeId: entry.resource_id, DryRun: true })),
        DeleteVolume: () =>
          client.send(new DeleteVolumeCommand({ VolumeId: entry.resource_id, DryRun: true })),
      });
    const snapshot = await client.send(
      new CreateSnapshotCommand({
        VolumeId: entry.resource_id,
        Description: `Backup of ${entry.resource_id} before its deletion (finding ${entry.finding_id})`,
        TagSpecifications: [
          {
            ResourceType: 'snapshot',
            Tags: [
              ...copyable(tags),
              { Key: 'finops:finding_id', Value: entry.finding_id },
              { Key: 'finops:source_volume', Value: entry.resource_id },
            ],
          },
        ],
      }),
    );
    const snapshotId = snapshot.SnapshotId!;
    await waitForState(
      ctx,
      `snapshot ${snapshotId}`,
      async () =>
        (await client.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots?.[0]
          ?.State,
      { ready: 'completed', failed: 'error', kept: 'the volume' },
    );
    await afterBackup(`snapshot ${snapshotId}`, 'deleting the volume', () =>
      client.send(new DeleteVolumeCommand({ VolumeId: entry.resource_id })),
    );
    return { status: 'succeeded', before, after: { snapshot_id: snapshotId, volume_deleted: true } };
  },
});

registerFix(fix, import.meta.url);
