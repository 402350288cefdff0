/**
 * What a checker pack builds with (`finops-findings/pack`): the helper and types the built-in checks use. A pack
 * is a module that default-exports `definePack({ meta, checkers })`; the engine loads only the packs a policy
 * file's `plugins` or `--plugin` name, validates them like its own checks, and registers their checkers.
 * Checkers yield drafts, as built-in ones do: the contract validates them; a pack never reaches storage.
 */
import type { CheckerDefinition } from './checks/_lib/registry.ts';

export { defineChecker, type CheckerDefinition } from './checks/_lib/registry.ts';
export type { Bootstrap, RunContext } from './checks/_lib/context.ts';
export type { FindingDraft } from './contracts/draft.ts';
export { ageDays, arn, eachRegion, paramsOf, scopeOf, tagMap } from './checks/_lib/drafts.ts';

export interface PackMeta {
  /** The pack's npm name (or a local module's): `@acme/finops-pack`. Its checks' ids start with its namespace. */
  readonly name: string;
  readonly version: string;
  /** The engine versions the pack works with, as a semver range: `^0.1`. */
  readonly engine: string;
}

/**
 * A pack's own list prices, for what the built-in table (checks/_lib/prices.aws.json) does not price: per
 * region, named prices in `currency` (a month is 730 hours, as in the built-in table). Its `version` is recorded
 * in each run's manifest beside the pack's, so a dollar figure can be traced to the table that produced it.
 */
export interface PackPrices {
  readonly version: string;
  readonly currency: 'USD';
  /** Whose prices stand in for a region the table does not list. */
  readonly fallback_region: string;
  readonly regions: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface CheckerPack {
  readonly meta: PackMeta;
  readonly checkers: readonly CheckerDefinition[];
  readonly prices?: PackPrices;
}

/** Declares a pack (the identity: it gives a pack its type). */
export const definePack = (pack: CheckerPack): CheckerPack => pack;

/**
 * A region's prices from a pack's table: the region's own (`exact`), else the fallback region's. A price the
 * table lacks is undefined: a check then reports no estimate rather than a wrong one.
 */
export function packPricesFor(
  prices: PackPrices,
  region: string,
): { readonly region: string; readonly exact: boolean; price(name: string): number | undefined } {
  const own = prices.regions[region];
  const used = own ? region : prices.fallback_region;
  const table = own ?? prices.regions[prices.fallback_region] ?? {};
  return { region: used, exact: own !== undefined, price: (name) => table[name] };
}
