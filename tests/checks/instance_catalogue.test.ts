/**
 * Sizing from the instance-type catalogue: a recommendation names only a type that exists, is sold in the
 * region and has at least the vCPUs and memory of today's (or is the next smaller size, for rightsizing),
 * and its saving is the price difference, never below zero.
 */
import { describe, expect, it } from 'vitest';
import { instanceMonthly, monthlyDifference, replacementFor } from '../../checks/_lib/ec2.ts';
import catalogue from '../../checks/_lib/instance_types.aws.json' with { type: 'json' };
import {
  CATALOGUE_PRICE_TABLE_VERSION,
  instanceFacts,
  isSold,
  nextSmaller,
} from '../../checks/_lib/instance_catalogue.ts';
import { money, monthlyFromHourly, PRICE_TABLE_VERSION, pricesFor } from '../../checks/_lib/pricing.ts';
import table from '../../checks/_lib/prices.aws.json' with { type: 'json' };

const usEast = pricesFor('us-east-1');

/** The monthly saving of moving `from` to the sizing's type, as the checks compute it. */
const saving = (from: string, to: { hourly?: ReturnType<typeof monthlyFromHourly> | undefined }) =>
  money(monthlyDifference(instanceMonthly(from, usEast)!, monthlyFromHourly(to.hourly!)));

describe('the instance-type catalogue', () => {
  it('is versioned with the price table and covers its regions', () => {
    expect(CATALOGUE_PRICE_TABLE_VERSION).toBe(PRICE_TABLE_VERSION);
    expect(Object.keys(catalogue.offered).sort()).toEqual(Object.keys(table.regions).sort());
    expect(Object.keys(catalogue.types).length).toBeGreaterThan(1000);
  });

  it('knows every type the price table prices', () => {
    expect(Object.keys(table.ec2_hourly_us_east_1).filter((t) => !instanceFacts(t))).toEqual([]);
  });

  it('holds the facts of a type as AWS publishes them', () => {
    expect(instanceFacts('m4.10xlarge')).toEqual({
      type: 'm4.10xlarge',
      family: 'm4',
      vcpu: 40,
      memoryMiB: 163840,
      arch: ['x86_64'],
      metal: false,
    });
    expect(instanceFacts('m5.metal')).toMatchObject({ vcpu: 96, metal: true });
    expect(isSold('m4.large', 'us-east-1')).toBe(true);
    expect(isSold('m4.large', 'eu-west-3')).toBe(false);
  });
});

describe('previous generation → the smallest current-generation type with at least its vCPUs and memory', () => {
  it.each([
    // [type, replacement, monthly saving in us-east-1]: a bigger type may cost more, and then nothing is saved.
    ['m4.10xlarge', 'm6i.12xlarge', '0.000000'],
    ['m4.16xlarge', 'm6i.16xlarge', '93.440000'],
    ['c4.8xlarge', 'c6i.12xlarge', '0.000000'],
    ['r4.16xlarge', 'r6i.16xlarge', '163.520000'],
    ['t2.nano', 't3.nano', '0.438000'],
    ['m4.large', 'm6i.large', '2.920000'],
  ])('%s → %s, saving %s a month', (type, replacement, monthly) => {
    const sizing = replacementFor(type, usEast)!;
    expect(sizing.type).toBe(replacement);
    const [from, to] = [instanceFacts(type)!, instanceFacts(replacement)!];
    expect(to.vcpu).toBeGreaterThanOrEqual(from.vcpu);
    expect(to.memoryMiB).toBeGreaterThanOrEqual(from.memoryMiB);
    expect(saving(type, sizing)).toBe(monthly);
  });

  it('leaves current generations and unknown families alone', () => {
    expect(replacementFor('m5.large', usEast)).toBeUndefined();
    expect(replacementFor('x9.large', usEast)).toBeUndefined();
  });

  it('recommends nothing for an unknown size of an old family', () => {
    expect(replacementFor('m4.99xlarge', usEast)).toEqual({
      reason: 'm4.99xlarge is not in the instance-type catalogue',
    });
  });

  it('recommends nothing where no large enough replacement is sold', () => {
    expect(replacementFor('d2.xlarge', pricesFor('us-west-1'))).toEqual({
      reason: 'no d3 size as large as d2.xlarge is sold in us-west-1',
    });
    expect(replacementFor('d2.xlarge', usEast)?.type).toBe('d3.xlarge');
  });
});

describe('rightsizing → the next smaller size of the same family, sold and priced in the region', () => {
  it.each([
    ['m5.xlarge', 'm5.large', '70.080000'],
    ['m4.xlarge', 'm4.large', '73.000000'],
    ['m5.metal', 'm5.16xlarge', '1121.280000'],
    ['m4.16xlarge', 'm4.10xlarge', '876.000000'],
  ])('%s → %s, saving %s a month', (type, smaller, monthly) => {
    const sizing = nextSmaller(type, usEast);
    expect(sizing.type).toBe(smaller);
    expect(saving(type, sizing)).toBe(monthly);
  });

  it.each([
    ['m5.large', 'us-east-1', 'm5.large is the smallest m5 size'],
    ['t3.nano', 'us-east-1', 't3.nano is the smallest t3 size'],
    ['x9.large', 'us-east-1', 'x9.large is not in the instance-type catalogue'],
    ['m4.xlarge', 'eu-west-3', 'm4.large is not sold in eu-west-3'],
    ['m6i.48xlarge', 'us-east-1', 'm6i.48xlarge is not in the instance-type catalogue'],
  ])('recommends nothing for %s in %s: %s', (type, region, reason) => {
    expect(nextSmaller(type, pricesFor(region))).toEqual({ reason });
  });

  it('recommends nothing when the next smaller size has no price', () => {
    expect(nextSmaller('m7i.12xlarge', usEast)).toEqual({
      reason: 'm7i.8xlarge has no price in the price table',
    });
  });
});
