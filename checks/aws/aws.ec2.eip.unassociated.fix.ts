import { tagMap } from '../_lib/drafts.ts';
import { defineFix, ec2DryRun, unlessNotFound, registerFix, tagsDrifted } from '../_lib/fixes.ts';
import { ec2 } from '../_lib/sdk.ts';

export const fix = defineFix({
  meta: {
    check_id: 'aws.ec2.eip.unassociated',
    action: 'release_address',
    summary: 'Release the Elastic IP (only while it is still associated with nothing)',
    iam_actions: ['ec2:DescribeAddresses', 'ec2:ReleaseAddress'],
  },
  parameters: () => ({}),
  async apply(ctx, entry) {
    const { DescribeAddressesCommand, ReleaseAddressCommand } = await ec2();
    const client = ctx.services.ec2(entry.region);
    const found = await unlessNotFound(
      client.send(new DescribeAddressesCommand({ AllocationIds: [entry.resource_id] })),
    );
    const address = found?.Addresses?.[0];
    if (!address) return { status: 'skipped_drift', before: {}, note: 'the address was released already' };
    const tags = tagMap(address.Tags);
    const before = { public_ip: address.PublicIp, association_id: address.AssociationId ?? null, tags };
    if (address.AssociationId)
      return {
        status: 'skipped_drift',
        before,
        note: `the address is associated now (${address.AssociationId})`,
      };
    const drift = tagsDrifted(entry.tags, tags);
    if (drift) return { status: 'skipped_drift', before, note: drift };
    if (ctx.dryRun) {
      const answer = await ec2DryRun(() =>
        client.send(new ReleaseAddressCommand({ AllocationId: entry.resource_id, DryRun: true })),
      );
      return { status: answer, before };
    }
    await client.send(new ReleaseAddressCommand({ AllocationId: entry.resource_id }));
    return { status: 'succeeded', before, after: { released: true } };
  },
});

registerFix(fix, import.meta.url);
