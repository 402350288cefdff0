import { EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import type { AwsServices } from '../../checks/_lib/context.ts';
import { Inventory } from '../../checks/_lib/inventory.ts';

/** An EC2 client answering DescribeVolumes in pages of two, counting calls (the emulator ignores page sizes). */
function pagedEc2(total: number) {
  const client = new EC2Client({ region: 'us-east-1' });
  const requests: { MaxResults?: number; NextToken?: string }[] = [];
  client.send = (async (command: { input: { MaxResults?: number; NextToken?: string } }) => {
    requests.push({ ...command.input });
    const start = Number(command.input.NextToken ?? 0);
    const end = Math.min(total, start + 2);
    const Volumes = Array.from({ length: end - start }, (_, i) => ({ VolumeId: `vol-${start + i}` }));
    return { Volumes, ...(end < total ? { NextToken: String(end) } : {}) };
  }) as EC2Client['send'];
  return { client, requests };
}

describe('Inventory', () => {
  it('follows every page of a listing', async () => {
    const { client, requests } = pagedEc2(5);
    const inventory = new Inventory({ ec2: () => client } as unknown as AwsServices, { pageSize: 5 });
    const volumes = await inventory.volumes('us-east-1');
    expect(volumes.map((v) => v.VolumeId)).toEqual(['vol-0', 'vol-1', 'vol-2', 'vol-3', 'vol-4']);
    expect(requests.map((r) => r.NextToken)).toEqual([undefined, '2', '4']);
    expect(requests[0]!.MaxResults).toBe(5);
  });

  it('fetches a listing once however many checkers ask, even at the same time', async () => {
    const { client, requests } = pagedEc2(3);
    const inventory = new Inventory({ ec2: () => client } as unknown as AwsServices);
    const [a, b] = await Promise.all([inventory.volumes('us-east-1'), inventory.volumes('us-east-1')]);
    await inventory.volumes('us-east-1');
    expect(a).toBe(b);
    expect(requests).toHaveLength(2);
  });

  it('keeps listings of different regions apart', async () => {
    const { client, requests } = pagedEc2(1);
    const inventory = new Inventory({ ec2: () => client } as unknown as AwsServices);
    await inventory.volumes('us-east-1');
    await inventory.volumes('eu-west-1');
    expect(requests).toHaveLength(2);
  });

  it('turns a failure to build a request into a rejected promise, never a stray exception', async () => {
    const inventory = new Inventory({
      ec2: () => {
        throw new Error('no client');
      },
    } as unknown as AwsServices);
    await expect(
      Promise.all([inventory.addresses('us-east-1'), inventory.volumes('us-east-1')]),
    ).rejects.toThrow('no client');
  });
});
