/**
 * The policy file: `finops.config.yaml` (or `.yml`, `.json`) in the working directory, or `--config FILE`
 * (from the Lambda, an `s3://` object). Per check: `enabled`, `params` (what `--set` does), a `severity`, and
 * a scope (`accounts`, `regions`, `tags`); defaults for `--regions`, `--concurrency` and `--finding-id-mode`.
 * The file is validated whole against the registry: every problem is named with the file, its key path and
 * the values that are known (exit 2). Flags win over the file. The effective configuration and its sha256
 * are recorded in the run manifest, so a finding can be traced to the thresholds that produced it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CheckerParams } from '../checks/_lib/context.ts';
import { defaultParams } from '../checks/_lib/drafts.ts';
import type { CheckerRegistry, RegisteredChecker } from '../checks/_lib/registry.ts';
import { FINDING_ID_MODES, type FindingIdMode } from '../contracts/identity.ts';
import { REGION_NAME, SEVERITIES, type Severity } from '../contracts/vocabulary.ts';
import { CliError, EXIT } from './errors.ts';
import type { Logger } from './log.ts';
import { loadPacks, packSpecSchema, type LoadedPack, type PackSpec } from './packs.ts';

/** The names a policy file may have in the working directory, in the order they are looked for. */
export const CONFIG_FILES = ['finops.config.yaml', 'finops.config.yml', 'finops.config.json'];
export const DEFAULT_CONCURRENCY = 8;

const accountId = z.string().regex(/^\d{12}$/, 'an AWS account id: 12 digits');
const region = z.string().regex(REGION_NAME, 'an AWS region name, like eu-west-1');

const checkSchema = z.strictObject({
  enabled: z.boolean().optional(),
  params: z.record(z.string(), z.number()).optional(),
  severity: z.enum(SEVERITIES).optional(),
  accounts: z.array(accountId).min(1).optional(),
  regions: z.array(region).min(1).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

const configSchema = z.strictObject({
  /** Checker packs to load (see cli/packs.ts): nothing is loaded that is not listed. */
  plugins: z.array(packSpecSchema).optional(),
  regions: z.array(region).min(1).optional(),
  concurrency: z.number().int().min(1).optional(),
  finding_id_mode: z.enum(FINDING_ID_MODES as [FindingIdMode, ...FindingIdMode[]]).optional(),
  checks: z.record(z.string(), checkSchema).optional(),
});

export type Policy = z.infer<typeof configSchema>;

/** The keys each level of the file knows, named when a key is not one of them. */
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  top: Object.keys(configSchema.shape),
  check: Object.keys(checkSchema.shape),
};

export interface LoadedPolicy {
  /** The file it was read from (as given), or null when there is none. */
  readonly source: string | null;
  readonly policy: Policy;
  /** The checker packs loaded (the file's plugins, then --plugin), in that order. */
  readonly packs: readonly LoadedPack[];
}

/** A path of keys as the file writes it: a key with dots (a check id) in brackets. */
function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) =>
      typeof key === 'number'
        ? `[${key}]`
        : /^[A-Za-z_][\w-]*$/.test(String(key))
          ? `${i === 0 ? '' : '.'}${String(key)}`
          : `[${JSON.stringify(String(key))}]`,
    )
    .join('');
}

interface Problem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** What zod found, each with the known keys where a key is unknown. */
function schemaProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    if (issue.code !== 'unrecognized_keys') return [{ path: issue.path, message: issue.message }];
    const known = issue.path.length === 0 ? KNOWN_KEYS.top! : KNOWN_KEYS.check!;
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      message: `unknown key; known keys: ${known.join(', ')}`,
    }));
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * What the file says of checks the registry does not know, or of parameters and scopes they do not have. Read
 * from the parsed value as it is, so that these are named beside the schema's problems, all at once.
 */
function registryProblems(value: unknown, registry: CheckerRegistry): Problem[] {
  const problems: Problem[] = [];
  const checks = isObject(value) && isObject(value['checks']) ? value['checks'] : {};
  for (const [id, check] of Object.entries(checks)) {
    if (!registry.has(id)) {
      problems.push({
        path: ['checks', id],
        message: `unknown check; known checks: ${registry.ids().join(', ')}`,
      });
      continue;
    }
    if (!isObject(check)) continue;
    const { meta } = registry.get(id);
    for (const [name, param] of Object.entries(isObject(check['params']) ? check['params'] : {})) {
      const declared = meta.params[name];
      if (!declared) {
        const known = Object.keys(meta.params);
        problems.push({
          path: ['checks', id, 'params', name],
          message: `unknown parameter; ${id} has ${known.length > 0 ? `these: ${known.join(', ')}` : 'none'}`,
        });
      } else if (typeof param === 'number' && (param < declared.min || param > declared.max)) {
        problems.push({
          path: ['checks', id, 'params', name],
          message: `${param} is out of range: from ${declared.min} to ${declared.max}`,
        });
      }
    }
    if (check['regions'] !== undefined && !meta.regional)
      problems.push({
        path: ['checks', id, 'regions'],
        message: `${id} is not regional (it looks at each account once): scope it by accounts`,
      });
  }
  return problems;
}

/** A policy file's text as a value (YAML, or JSON for a .json file); an empty file is an empty policy. */
function parseText(source: string, text: string): unknown {
  try {
    return (source.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) ?? {};
  } catch (error) {
    throw new CliError(
      `${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
      EXIT.usage,
    );
  }
}

/** Validates a policy file's value against the registry; every problem at once, as one usage error. */
export function validatePolicy(source: string, value: unknown, registry: CheckerRegistry): Policy {
  const parsed = configSchema.safeParse(value);
  const problems = [
    ...(parsed.success ? [] : schemaProblems(parsed.error)),
    ...registryProblems(value, registry),
  ].sort((a, b) => keyPath(a.path).localeCompare(keyPath(b.path)));
  if (problems.length > 0 || !parsed.success) {
    const lines = problems.map((p) => `  ${keyPath(p.path) || '(file)'}: ${p.message}`);
    throw new CliError(`${source}: ${problems.length} problem(s)\n${lines.join('\n')}`, EXIT.usage);
  }
  return parsed.data;
}

/**
 * The policy in force: `--config FILE` (read with `read`, which may fetch an s3:// object), else the first of
 * CONFIG_FILES in `cwd`, else none. The packs it lists (and `plugins` from the flags) are loaded into the
 * registry first: the file may configure their checks.
 */
export async function loadPolicy(
  given: string | undefined,
  registry: CheckerRegistry,
  options: {
    readonly cwd?: string;
    readonly read?: (file: string) => Promise<string>;
    readonly plugins?: readonly string[];
    readonly engineVersion: string;
    readonly log?: Logger | undefined;
  },
): Promise<LoadedPolicy> {
  const cwd = options.cwd ?? process.cwd();
  const read = options.read ?? ((file: string) => readFile(file, 'utf8'));
  let found: { source: string; name: string; text: string } | undefined;
  if (given !== undefined) {
    const text = await read(given).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        `--config ${given}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
        EXIT.usage,
      );
    });
    found = { source: given, name: given, text };
  } else {
    for (const name of CONFIG_FILES) {
      const file = join(cwd, name);
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) {
        found = { source: file, name, text };
        break;
      }
    }
  }
  const value = found ? parseText(found.name, found.text) : {};
  // The packs first (a malformed list is reported with the rest of the file below).
  const listed = z.array(packSpecSchema).safeParse(isObject(value) ? (value['plugins'] ?? []) : []);
  const specs: PackSpec[] = [
    ...(listed.success ? listed.data : []).map((spec) => (typeof spec === 'string' ? { name: spec } : spec)),
    ...(options.plugins ?? []).map((name) => ({ name })),
  ];
  const packs = await loadPacks(specs, registry, {
    cwd,
    engineVersion: options.engineVersion,
    log: options.log,
  });
  return {
    source: found?.source ?? null,
    policy: found ? validatePolicy(found.name, value, registry) : {},
    packs,
  };
}

/** What the command line says, each undefined when the flag was not given. */
export interface PolicyFlags {
  readonly regions?: readonly string[] | undefined;
  readonly concurrency?: number | undefined;
  readonly findingIdMode?: FindingIdMode | undefined;
  /** --checker: exactly these (a check the file disables runs when named here). */
  readonly checkers?: readonly string[] | undefined;
  readonly excluded?: readonly string[] | undefined;
  /** --set, parsed: they win over the file's params. */
  readonly params?: CheckerParams | undefined;
}

/** One selected check as the run uses it. */
export interface EffectiveCheck {
  readonly params: Readonly<Record<string, number>>;
  readonly severity?: Severity;
  readonly accounts?: readonly string[];
  readonly regions?: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
}

export interface EffectiveConfig {
  readonly regions: readonly string[];
  readonly concurrency: number;
  readonly finding_id_mode: FindingIdMode;
  /** Every selected check, by id (sorted), with its parameters (defaults included) and scope. */
  readonly checks: Readonly<Record<string, EffectiveCheck>>;
}

/** The file and the flags together (flags win), for the checkers the run will use. */
export function effectiveConfig(
  policy: Policy,
  flags: PolicyFlags,
  registry: CheckerRegistry,
): { readonly config: EffectiveConfig; readonly checkers: RegisteredChecker[] } {
  const named = flags.checkers ?? [];
  const excluded = flags.excluded ?? [];
  const unknown = [...named, ...excluded].filter((id) => !registry.has(id));
  if (unknown.length > 0)
    throw new CliError(
      `unknown checker id ${unknown.join(', ')}; known checkers:\n  ${registry.ids().join('\n  ')}`,
      EXIT.usage,
    );
  const files = policy.checks ?? {};
  const checkers = registry
    .list()
    .filter((c) => (named.length > 0 ? named.includes(c.meta.id) : files[c.meta.id]?.enabled !== false))
    .filter((c) => !excluded.includes(c.meta.id));
  const checks: Record<string, EffectiveCheck> = {};
  for (const { meta } of checkers) {
    const file = files[meta.id] ?? {};
    checks[meta.id] = {
      params: { ...defaultParams(meta), ...file.params, ...flags.params?.[meta.id] },
      ...(file.severity ? { severity: file.severity } : {}),
      ...(file.accounts ? { accounts: [...file.accounts] } : {}),
      ...(file.regions ? { regions: [...file.regions] } : {}),
      ...(file.tags ? { tags: { ...file.tags } } : {}),
    };
  }
  return {
    checkers,
    config: {
      regions: [...(flags.regions ?? policy.regions ?? [])],
      concurrency: flags.concurrency ?? policy.concurrency ?? DEFAULT_CONCURRENCY,
      finding_id_mode: flags.findingIdMode ?? policy.finding_id_mode ?? 'stable',
      checks,
    },
  };
}

/** The sha256 of the effective configuration's canonical JSON (keys sorted at every level). */
export function configDigest(config: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(config)))
    .digest('hex');
}

/** What a run manifest records of its configuration. */
export interface ConfigRecord {
  readonly source: string | null;
  readonly sha256: string;
  readonly effective: EffectiveConfig;
  /** The checker packs loaded: name, version and checkers (or why an optional one is missing). */
  readonly packs: readonly LoadedPack[];
}

export const configRecord = (
  source: string | null,
  config: EffectiveConfig,
  packs: readonly LoadedPack[] = [],
): ConfigRecord => ({
  source,
  sha256: configDigest({ ...config, packs: packs.map((p) => `${p.name}@${p.version ?? 'missing'}`) }),
  effective: config,
  packs,
});
