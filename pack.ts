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

export interface CheckerPack {
  readonly meta: PackMeta;
  readonly checkers: readonly CheckerDefinition[];
}

/** Declares a pack (the identity: it gives a pack its type). */
export const definePack = (pack: CheckerPack): CheckerPack => pack;
