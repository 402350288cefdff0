/**
 * Checker packs: modules that default-export `definePack({ meta, checkers })` (see pack.ts), loaded only when
 * the policy file's `plugins` or `--plugin` name them (code that runs with cloud credentials is loaded only
 * when asked for). A pack is an npm package installed where the engine runs (resolved from the working
 * directory) or a local module (a path). Each is validated like the built-in checks: its metadata, its
 * engine range, each checker's metadata (defineChecker), ids in the pack's namespace; then its checkers join the
 * registry in the order the packs are listed, so the same packs give the same checkers in the same order.
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { z } from 'zod';
import { defineChecker, RegistryError, type CheckerRegistry } from '../checks/_lib/registry.ts';
import { isFile } from '../pipeline/history.ts';
import { CliError, EXIT } from './errors.ts';
import type { Logger } from './log.ts';

/** A pack as the policy file lists it: its name (or path), and whether a missing one is only a warning. */
export interface PackSpec {
  readonly name: string;
  readonly optional?: boolean | undefined;
}

export const packSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), optional: z.boolean().optional() }),
]);

/** What the manifest records of each pack: `name@version`, or a listed optional one that was not there. */
export interface LoadedPack {
  readonly name: string;
  readonly version: string | null;
  readonly checkers: readonly string[];
  /** The version of the pack's own price table, when it has one. */
  readonly prices_version?: string;
  readonly missing?: string;
}

const packSchema = z.object({
  meta: z.strictObject({
    name: z.string().min(1),
    version: z.string().refine((v) => semver.valid(v) !== null, 'must be a semver version, e.g. 1.0.0'),
    engine: z.string().refine((r) => semver.validRange(r) !== null, 'must be a semver range, e.g. ^0.1'),
  }),
  checkers: z.array(z.object({ meta: z.looseObject({}), create: z.function() })).min(1),
  prices: z
    .strictObject({
      version: z.string().min(1),
      currency: z.literal('USD'),
      fallback_region: z.string().min(1),
      regions: z.record(z.string(), z.record(z.string(), z.number().nonnegative())),
    })
    .refine((p) => p.regions[p.fallback_region] !== undefined, {
      message: 'fallback_region must be one of its regions',
      path: ['fallback_region'],
    })
    .optional(),
});

/**
 * A pack's namespace: its name without the npm scope, lower-cased, letters and digits only (`@acme/finops-pack`
 * → `finopspack`); its checks' ids start with it and a dot, so no pack's id is a built-in one or another's.
 */
export const packNamespace = (name: string): string =>
  name
    .replace(/^@[^/]+\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const isPath = (name: string) => name.startsWith('.') || isAbsolute(name);

/**
 * Where a pack's module is: a path from the working directory, or a package installed there; when it is not
 * there, what to say.
 */
async function locate(spec: PackSpec, cwd: string): Promise<{ file: string } | { missing: string }> {
  if (isPath(spec.name)) {
    const file = resolve(cwd, spec.name);
    return (await isFile(file)) ? { file } : { missing: `no module at ${file}` };
  }
  try {
    return { file: createRequire(join(cwd, 'package.json')).resolve(spec.name) };
  } catch {
    return { missing: `npm install ${spec.name}` };
  }
}

/**
 * Loads the packs in order into `registry`. Exit 2 for a pack that is not installed (unless optional: a
 * warning) or whose engine range this engine is not in; exit 1 for one whose import throws or whose content is
 * not a valid pack.
 */
export async function loadPacks(
  specs: readonly PackSpec[],
  registry: CheckerRegistry,
  options: { readonly cwd: string; readonly engineVersion: string; readonly log?: Logger | undefined },
): Promise<LoadedPack[]> {
  const loaded: LoadedPack[] = [];
  for (const spec of specs) {
    const found = await locate(spec, options.cwd);
    if ('missing' in found) {
      const message = `plugin "${spec.name}" is not installed: ${found.missing}`;
      if (!spec.optional) throw new CliError(message, EXIT.usage);
      options.log?.warn({ plugin: spec.name }, `${message} (optional: the run goes on without it)`);
      loaded.push({ name: spec.name, version: null, checkers: [], missing: 'not installed' });
      continue;
    }
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(found.file).href)) as { default?: unknown };
    } catch (error) {
      throw new CliError(
        `plugin "${spec.name}" failed to load: ${(error as Error).message.split('\n')[0]}`,
        EXIT.failure,
        { cause: error },
      );
    }
    loaded.push(registerPack(spec.name, module.default, registry, options.engineVersion));
  }
  return loaded;
}

/** Validates a pack's default export and registers its checkers (module `pack:<name>@<version>`). */
export function registerPack(
  name: string,
  value: unknown,
  registry: CheckerRegistry,
  engineVersion: string,
): LoadedPack {
  const parsed = packSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(pack)'}: ${i.message}`);
    throw new CliError(
      `plugin "${name}" is not a checker pack (default-export definePack({ meta, checkers })): ${problems.join('; ')}`,
      EXIT.failure,
    );
  }
  const { meta } = parsed.data;
  if (!semver.satisfies(engineVersion, meta.engine, { includePrerelease: true }))
    throw new CliError(
      `plugin "${name}" ${meta.version} needs engine ${meta.engine}; this engine is ${engineVersion}`,
      EXIT.usage,
    );
  const namespace = packNamespace(meta.name);
  const source = `pack:${meta.name}@${meta.version}`;
  const ids: string[] = [];
  for (const checker of parsed.data.checkers) {
    let definition;
    try {
      // Validated as a built-in checker's declaration is, whichever copy of the helper built it.
      definition = defineChecker(checker as Parameters<typeof defineChecker>[0]);
    } catch (error) {
      throw new CliError(`plugin "${name}": ${(error as Error).message}`, EXIT.failure, { cause: error });
    }
    if (!definition.meta.id.startsWith(`${namespace}.`))
      throw new CliError(
        `plugin "${name}": checker ${definition.meta.id} is outside the pack's namespace: its id must start with "${namespace}."`,
        EXIT.failure,
      );
    try {
      registry.register(definition, source);
    } catch (error) {
      if (error instanceof RegistryError) throw new CliError(error.message, EXIT.failure, { cause: error });
      throw error;
    }
    ids.push(definition.meta.id);
  }
  return {
    name: meta.name,
    version: meta.version,
    checkers: ids,
    ...(parsed.data.prices ? { prices_version: parsed.data.prices.version } : {}),
  };
}
