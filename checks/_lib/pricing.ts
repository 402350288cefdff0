/**
 * Dollar estimates from the versioned price table (prices.aws.json, data not code). Arithmetic is exact
 * decimal (big.js); results are money strings with six decimals.
 */
import Big from 'big.js';
import catalogue from './instance_types.aws.json' with { type: 'json' };
import table from './prices.aws.json' with { type: 'json' };

export type RegionPrices = (typeof table.regions)['us-east-1'];
export const PRICE_TABLE_VERSION = table.version;
export const HOURS_PER_MONTH = new Big(table.hours_per_month);

export interface PriceLookup {
  readonly region: string;
  readonly prices: RegionPrices;
  /** False when the region is not in the table and us-east-1 prices stand in. */
  readonly exact: boolean;
}

const regions = table.regions as Record<string, RegionPrices>;

export function pricesFor(region: string): PriceLookup {
  const prices = regions[region];
  if (prices) return { region, prices, exact: true };
  return { region: table.fallback_region, prices: regions[table.fallback_region]!, exact: false };
}

export const big = (n: number | string): Big => new Big(String(n));
export const money = (value: Big): string => value.round(6, Big.roundHalfUp).toFixed(6);
export const monthlyFromHourly = (hourly: Big): Big => hourly.times(HOURS_PER_MONTH);

export type VolumeType = keyof RegionPrices['ebs_gb_month'];

export interface VolumeSpec {
  readonly type: string;
  readonly sizeGiB: number;
  readonly iops?: number | undefined;
  readonly throughputMiBps?: number | undefined;
}

/** gp3 includes 3,000 IOPS and 125 MiB/s; io1/io2 bill every provisioned IOPS. */
export const GP3_INCLUDED_IOPS = 3000;
export const GP3_INCLUDED_THROUGHPUT = 125;

/** The monthly list price of an EBS volume, or undefined for a type the table does not know. */
export function volumeMonthly(spec: VolumeSpec, prices: RegionPrices): Big | undefined {
  const perGb = (prices.ebs_gb_month as Record<string, number>)[spec.type];
  if (perGb === undefined) return undefined;
  let cost = big(perGb).times(spec.sizeGiB);
  const perIops = (prices.ebs_iops_month as Record<string, number>)[spec.type];
  if (perIops !== undefined && spec.iops) {
    const billable = spec.type === 'gp3' ? Math.max(0, spec.iops - GP3_INCLUDED_IOPS) : spec.iops;
    cost = cost.plus(big(perIops).times(billable));
  }
  if (spec.type === 'gp3' && spec.throughputMiBps) {
    const billable = Math.max(0, spec.throughputMiBps - GP3_INCLUDED_THROUGHPUT);
    cost = cost.plus(big(prices.ebs_throughput_mibps_month.gp3).times(billable));
  }
  return cost;
}

function hourlyFrom(list: Record<string, number>, key: string, lookup: PriceLookup): Big | undefined {
  const base = list[key];
  return base === undefined ? undefined : big(base).times(big(lookup.prices.compute_factor));
}

// Per-region list prices read from AWS price list files by `npm run catalogue -- --price-list ...`, when given.
const listed = (catalogue as { prices?: Record<string, Record<string, number>> }).prices ?? {};

/** An instance type's on-demand hourly price: the region's list price if known, else us-east-1's × the factor. */
export const ec2Hourly = (instanceType: string, lookup: PriceLookup): Big | undefined => {
  const list = listed[lookup.region]?.[instanceType];
  return list === undefined ? hourlyFrom(table.ec2_hourly_us_east_1, instanceType, lookup) : big(list);
};

export const rdsHourly = (instanceClass: string, lookup: PriceLookup): Big | undefined =>
  hourlyFrom(table.rds_hourly_us_east_1, instanceClass, lookup);

/** A us-east-1 price of `other_us_east_1` for the region (× its compute factor outside us-east-1). */
export const otherPrice = (name: keyof typeof table.other_us_east_1, lookup: PriceLookup): Big =>
  big(table.other_us_east_1[name]).times(big(lookup.prices.compute_factor));

export const knownInstanceTypes = (): string[] => Object.keys(table.ec2_hourly_us_east_1);

export interface EstimateInput {
  readonly lookup: PriceLookup;
  readonly monthlyCost: Big;
  readonly monthlySavings: Big;
  /** 0..100 before the adjustments for fallback regions and derived compute prices. */
  readonly confidence: number;
  readonly notes: string;
  /** True when the price comes from the us-east-1 list times the region's compute factor. */
  readonly derivedCompute?: boolean;
}

export interface EstimateParts {
  readonly estimated: {
    monthly_cost: string;
    monthly_savings: string;
    confidence: number | '';
    notes: string;
  };
  readonly dimensions: Record<string, string>;
}

/** A priced estimate: the money, how sure it is, and one sentence on how it was computed. */
export function estimate(input: EstimateInput): EstimateParts {
  let confidence = input.confidence;
  const notes = [input.notes];
  if (!input.lookup.exact) {
    confidence -= 20;
    notes.push(
      `No list price for this region in price table ${PRICE_TABLE_VERSION}; us-east-1 prices were used.`,
    );
  } else if (input.derivedCompute && input.lookup.region !== 'us-east-1') {
    confidence -= 10;
    notes.push(`Hourly price is the us-east-1 list price times ${input.lookup.region}'s compute factor.`);
  }
  return {
    estimated: {
      monthly_cost: money(input.monthlyCost),
      monthly_savings: money(input.monthlySavings),
      confidence: Math.max(0, confidence),
      notes: notes.join(' '),
    },
    dimensions: {
      savings_source: 'price_table',
      price_table_version: PRICE_TABLE_VERSION,
      price_region: input.lookup.region,
    },
  };
}

/** No price is known: cost and savings stay null (never zero), and the notes say why. */
export function noEstimate(notes: string): EstimateParts {
  return {
    estimated: { monthly_cost: '', monthly_savings: '', confidence: '', notes },
    dimensions: { savings_source: 'none' },
  };
}
