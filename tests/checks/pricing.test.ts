import { describe, expect, it } from 'vitest';
import { gp2Performance, gp3Equivalent } from '../../checks/aws/aws.ec2.ebs.gp2.to.gp3.ts';
import { instanceMonthly, stoppedAt } from '../../checks/_lib/ec2.ts';
import { ageDays } from '../../checks/_lib/drafts.ts';
import table from '../../checks/_lib/prices.aws.json' with { type: 'json' };
import {
  big,
  monthlyFromHourly,
  ec2Hourly,
  estimate,
  money,
  noEstimate,
  pricesFor,
  rdsHourly,
  volumeMonthly,
} from '../../checks/_lib/pricing.ts';

const usEast = pricesFor('us-east-1');

describe('price table', () => {
  it('covers at least the ten largest commercial regions with every price the checks need', () => {
    const regions = Object.keys(table.regions);
    for (const region of [
      'us-east-1',
      'us-east-2',
      'us-west-2',
      'eu-west-1',
      'eu-central-1',
      'eu-west-2',
      'ap-southeast-1',
      'ap-southeast-2',
      'ap-northeast-1',
      'ap-south-1',
    ]) {
      expect(regions).toContain(region);
    }
    const keys = Object.keys(table.regions['us-east-1']).sort();
    for (const region of regions)
      expect(Object.keys((table.regions as Record<string, object>)[region]!).sort(), region).toEqual(keys);
  });

  it("carries AWS's us-east-1 list prices", () => {
    expect(usEast.prices.ebs_gb_month.gp2).toBe(0.1);
    expect(usEast.prices.ebs_gb_month.gp3).toBe(0.08);
    expect(usEast.prices.public_ipv4_hour).toBe(0.005);
    expect(usEast.prices.nat_gateway_hour).toBe(0.045);
    expect(table.hours_per_month).toBe(730);
  });

  it('falls back to us-east-1 for an unknown region, with lower confidence and a note saying so', () => {
    const lookup = pricesFor('af-south-1');
    expect(lookup).toMatchObject({ region: 'us-east-1', exact: false });
    const priced = estimate({
      lookup,
      monthlyCost: volumeMonthly({ type: 'gp2', sizeGiB: 100 }, lookup.prices)!,
      monthlySavings: volumeMonthly({ type: 'gp2', sizeGiB: 100 }, lookup.prices)!,
      confidence: 90,
      notes: 'x.',
    });
    expect(priced.estimated.confidence).toBe(70);
    expect(priced.estimated.notes).toContain('us-east-1 prices were used');
    expect(priced.dimensions).toMatchObject({ savings_source: 'price_table', price_region: 'us-east-1' });
  });

  it('keeps savings null, not zero, when no price is known', () => {
    expect(noEstimate('why')).toEqual({
      estimated: { monthly_cost: '', monthly_savings: '', confidence: '', notes: 'why' },
      dimensions: { savings_source: 'none' },
    });
  });
});

describe('arithmetic of each check', () => {
  it.each([
    [
      'an unattached 100 GiB gp2 volume in us-east-1',
      { type: 'gp2', sizeGiB: 100 },
      'us-east-1',
      '10.000000',
    ],
    ['100 GiB gp2 in eu-west-1', { type: 'gp2', sizeGiB: 100 }, 'eu-west-1', '11.000000'],
    ['200 GiB io1 with 4,000 IOPS', { type: 'io1', sizeGiB: 200, iops: 4000 }, 'us-east-1', '285.000000'],
    [
      'gp3 with 6,000 IOPS and 250 MiB/s',
      { type: 'gp3', sizeGiB: 100, iops: 6000, throughputMiBps: 250 },
      'us-east-1',
      '28.000000',
    ],
    [
      'gp3 at its included performance',
      { type: 'gp3', sizeGiB: 100, iops: 3000, throughputMiBps: 125 },
      'us-east-1',
      '8.000000',
    ],
    ['st1 of 500 GiB', { type: 'st1', sizeGiB: 500 }, 'us-east-1', '22.500000'],
  ])('prices %s', (_name, spec, region, expected) => {
    expect(money(volumeMonthly(spec, pricesFor(region).prices)!)).toBe(expected);
  });

  it("accounts for gp2's size-based IOPS against gp3's included 3,000", () => {
    expect(gp2Performance(100)).toEqual({ iops: 300, throughputMiBps: 128 });
    expect(gp2Performance(2000)).toEqual({ iops: 6000, throughputMiBps: 250 });
    expect(gp2Performance(10)).toEqual({ iops: 100, throughputMiBps: 128 });
    const small = gp3Equivalent(100, usEast.prices);
    expect([money(small.gp2), money(small.gp3)]).toEqual(['10.000000', '8.000000']);
    // 2,000 GiB gp2 = $200; gp3 $160 + 3,000 extra IOPS × $0.005 + 125 MiB/s × $0.04 = $180.
    const large = gp3Equivalent(2000, usEast.prices);
    expect([money(large.gp2), money(large.gp3), large.iops]).toEqual(['200.000000', '180.000000', 6000]);
  });

  it('prices an Elastic IP, a NAT gateway and an instance by the hour over 730 hours', () => {
    expect(money(monthlyFromHourly(big(usEast.prices.public_ipv4_hour)))).toBe('3.650000');
    expect(money(monthlyFromHourly(big(usEast.prices.nat_gateway_hour)))).toBe('32.850000');
    expect(money(monthlyFromHourly(ec2Hourly('m5.large', usEast)!))).toBe('70.080000');
  });

  it('derives EC2 and RDS prices outside us-east-1 with the region compute factor', () => {
    expect(money(ec2Hourly('m5.large', pricesFor('eu-central-1'))!)).toBe('0.115200');
    expect(money(rdsHourly('db.t3.medium', usEast)!.times(730))).toBe('49.640000');
    expect(instanceMonthly('x9.unknown', usEast)).toBeUndefined();
  });

  it('reads the stop time from the state reason, in either spelling of UTC', () => {
    expect(stoppedAt({ StateTransitionReason: 'User initiated (2026-01-02 03:04:05 GMT)' })).toEqual(
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(stoppedAt({ StateTransitionReason: 'User initiated (2026-01-02 03:04:05 UTC)' })).toEqual(
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(stoppedAt({ StateTransitionReason: 'Server.ScheduledStop' })).toBeUndefined();
    expect(ageDays('2026-01-01T00:00:00Z', new Date('2026-03-02T00:00:00Z'))).toBe(60);
  });
});
