import { tagMap } from '../_lib/drafts.ts';
import {
  afterBackup,
  defineFix,
  dryRunAll,
  registerFix,
  tagsDrifted,
  unlessNotFound,
} from '../_lib/fixes.ts';
import { ec2 } from '../_lib/sdk.ts';
import { waitForState } from '../_lib/wait.ts';

export const fix = defineFix({
  meta: {
    check_id: 'aws.ec2.instances.stopped.long',
    action: 'backup_and_terminate_instance',
    summary:
      'Create an AMI of the instance (its volumes snapshotted), wait for it, then terminate the instance',
    iam_actions: [
      'ec2:DescribeInstances',
      'ec2:CreateImage',
      'ec2:DescribeImages',
      'ec2:CreateTags',
      'ec2:TerminateInstances',
    ],
    destructive: true,
  },
  parameters: () => ({ backup: 'ami' }),
  async apply(ctx, entry) {
    const { DescribeInstancesCommand, CreateImageCommand, DescribeImagesCommand, TerminateInstancesCommand } =
      await ec2();
    const client = ctx.services.ec2(entry.region);
    const found = await unlessNotFound(
      client.send(new DescribeInstancesCommand({ InstanceIds: [entry.resource_id] })),
    );
    const instance = found?.Reservations?.[0]?.Instances?.[0];
    const state = instance?.State?.Name;
    if (!instance || state === 'terminated' || state === 'shutting-down')
      return { status: 'skipped_drift', before: {}, note: 'the instance no longer exists' };
    const tags = tagMap(instance.Tags);
    const before = { state, instance_type: instance.InstanceType, tags };
    if (state !== 'stopped') return { status: 'skipped_drift', before, note: `the instance is ${state} now` };
    const drift = tagsDrifted(entry.tags, tags);
    if (drift) return { status: 'skipped_drift', before, note: drift };
    const name = `finops-backup-${entry.resource_id}-${entry.finding_id.slice(0, 12)}`;
    if (ctx.dryRun)
      return dryRunAll(before, {
        CreateImage: () =>
          client.send(new CreateImageCommand({ InstanceId: entry.resource_id, Name: name, DryRun: true })),
        TerminateInstances: () =>
          client.send(new TerminateInstancesCommand({ InstanceIds: [entry.resource_id], DryRun: true })),
      });
    const { ImageId } = await client.send(
      new CreateImageCommand({
        InstanceId: entry.resource_id,
        Name: name,
        Description: `Backup of ${entry.resource_id} before its termination (finding ${entry.finding_id})`,
        NoReboot: true,
        TagSpecifications: [
          {
            ResourceType: 'image',
            Tags: [
              { Key: 'finops:finding_id', Value: entry.finding_id },
              { Key: 'finops:source_instance', Value: entry.resource_id },
            ],
          },
        ],
      }),
    );
    const imageId = ImageId!;
    await waitForState(
      ctx,
      `image ${imageId}`,
      async () => (await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0]?.State,
      { ready: 'available', failed: 'failed', kept: 'the instance' },
    );
    await afterBackup(`image ${imageId}`, 'terminating the instance', () =>
      client.send(new TerminateInstancesCommand({ InstanceIds: [entry.resource_id] })),
    );
    return { status: 'succeeded', before, after: { image_id: imageId, terminated: true } };
  },
});

registerFix(fix, import.meta.url);
