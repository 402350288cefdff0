import { defineFix, ec2DryRun, registerFix, tagsDrifted } from '../_lib/fixes.ts';
import { ec2 } from '../_lib/sdk.ts';
import { gp3Target } from './aws.ec2.ebs.gp2.to.gp3.ts';
import { volumeNow } from '../_lib/ec2_fixes.ts';

export const fix = defineFix({
  meta: {
    check_id: 'aws.ec2.ebs.gp2.to.gp3',
    action: 'modify_volume_to_gp3',
    summary: "Modify the volume to gp3 in place (same size, gp2's baseline IOPS and throughput; no downtime)",
    iam_actions: ['ec2:DescribeVolumes', 'ec2:ModifyVolume'],
  },
  parameters: (target) => {
    const size = Number(target.metrics['size_gib']);
    if (!Number.isInteger(size) || size < 1)
      throw new Error('the finding does not say the volume size (size_gib)');
    const { iops, throughputMiBps } = gp3Target(size);
    return { volume_type: 'gp3', size_gib: size, iops, throughput_mibps: throughputMiBps };
  },
  async apply(ctx, entry) {
    const { ModifyVolumeCommand } = await ec2();
    const client = ctx.services.ec2(entry.region);
    const now = await volumeNow(ctx, entry);
    if (!now) return { status: 'skipped_drift', before: {}, note: 'the volume no longer exists' };
    const { volume, tags } = now;
    const before = { volume_type: volume.VolumeType, size_gib: volume.Size, iops: volume.Iops, tags };
    if (volume.VolumeType !== 'gp2')
      return { status: 'skipped_drift', before, note: `the volume is ${volume.VolumeType} now` };
    if (volume.Size !== entry.parameters['size_gib'])
      return {
        status: 'skipped_drift',
        before,
        note: `the volume is ${volume.Size} GiB now, not ${entry.parameters['size_gib']}`,
      };
    const drift = tagsDrifted(entry.tags, tags);
    if (drift) return { status: 'skipped_drift', before, note: drift };
    const change = {
      VolumeId: entry.resource_id,
      VolumeType: 'gp3' as const,
      Iops: Number(entry.parameters['iops']),
      Throughput: Number(entry.parameters['throughput_mibps']),
    };
    if (ctx.dryRun) {
      const answer = await ec2DryRun(() => client.send(new ModifyVolumeCommand({ ...change, DryRun: true })));
      return { status: answer, before };
    }
    const { VolumeModification } = await client.send(new ModifyVolumeCommand(change));
    return {
      status: 'succeeded',
      before,
      after: {
        volume_type: VolumeModification?.TargetVolumeType ?? 'gp3',
        iops: VolumeModification?.TargetIops ?? change.Iops,
        throughput_mibps: VolumeModification?.TargetThroughput ?? change.Throughput,
        modification_state: VolumeModification?.ModificationState ?? null,
      },
    };
  },
});

registerFix(fix, import.meta.url);
