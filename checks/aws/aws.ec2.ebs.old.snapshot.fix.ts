import { tagMap } from '../_lib/drafts.ts';
import { defineFix, ec2DryRun, unlessNotFound, registerFix, tagsDrifted } from '../_lib/fixes.ts';
import { ec2 } from '../_lib/sdk.ts';

export const fix = defineFix({
  meta: {
    check_id: 'aws.ec2.ebs.old.snapshot',
    action: 'delete_snapshot',
    summary: 'Delete the snapshot (only while no AMI uses it)',
    iam_actions: ['ec2:DescribeSnapshots', 'ec2:DescribeImages', 'ec2:DeleteSnapshot'],
  },
  parameters: () => ({}),
  async apply(ctx, entry) {
    const { DescribeSnapshotsCommand, paginateDescribeImages, DeleteSnapshotCommand } = await ec2();
    const client = ctx.services.ec2(entry.region);
    const found = await unlessNotFound(
      client.send(new DescribeSnapshotsCommand({ SnapshotIds: [entry.resource_id] })),
    );
    const snapshot = found?.Snapshots?.[0];
    if (!snapshot) return { status: 'skipped_drift', before: {}, note: 'the snapshot no longer exists' };
    const tags = tagMap(snapshot.Tags);
    const before = { state: snapshot.State, volume_size_gib: snapshot.VolumeSize, tags };
    // The account's own images, read whole (as the check does) rather than filtered by snapshot id.
    const using: string[] = [];
    for await (const page of paginateDescribeImages({ client }, { Owners: ['self'] }))
      for (const image of page.Images ?? [])
        if ((image.BlockDeviceMappings ?? []).some((m) => m.Ebs?.SnapshotId === entry.resource_id))
          using.push(image.ImageId ?? '');
    if (using.length > 0)
      return { status: 'skipped_drift', before, note: `an AMI uses the snapshot now (${using.join(', ')})` };
    const drift = tagsDrifted(entry.tags, tags);
    if (drift) return { status: 'skipped_drift', before, note: drift };
    if (ctx.dryRun) {
      const answer = await ec2DryRun(() =>
        client.send(new DeleteSnapshotCommand({ SnapshotId: entry.resource_id, DryRun: true })),
      );
      return { status: answer, before };
    }
    await client.send(new DeleteSnapshotCommand({ SnapshotId: entry.resource_id }));
    return { status: 'succeeded', before, after: { deleted: true } };
  },
});

registerFix(fix, import.meta.url);
