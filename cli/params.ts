/** `--set <checker-id>.<param>=<number>`: checker thresholds for one run, checked against the metadata. */
import type { CheckerParams } from '../checks/_lib/context.ts';
import type { CheckerRegistry } from '../checks/_lib/registry.ts';
import { CliError, EXIT } from './errors.ts';

export function parseCheckerParams(sets: readonly string[], registry: CheckerRegistry): CheckerParams {
  const params: Record<string, Record<string, number>> = {};
  for (const set of sets) {
    const match = /^(.+)\.([a-z][a-z0-9_]*)=(.+)$/.exec(set.trim());
    if (!match) throw new CliError(`--set ${set}: expected <checker-id>.<param>=<number>`, EXIT.usage);
    const [, id, name, text] = match as unknown as [string, string, string, string];
    if (!registry.has(id))
      throw new CliError(
        `--set ${set}: unknown checker ${id}; known checkers: ${registry.ids().join(', ')}`,
        EXIT.usage,
      );
    const declaredParams = registry.get(id).meta.params;
    const declared = Object.keys(declaredParams);
    if (!declared.includes(name)) {
      throw new CliError(
        `--set ${set}: ${id} has no parameter ${name}; its parameters: ${declared.join(', ') || '(none)'}`,
        EXIT.usage,
      );
    }
    const value = Number(text);
    if (!Number.isFinite(value)) throw new CliError(`--set ${set}: ${text} is not a number`, EXIT.usage);
    const { min, max } = declaredParams[name]!;
    if (value < min || value > max)
      throw new CliError(`--set ${set}: ${name} must be from ${min} to ${max}`, EXIT.usage);
    (params[id] ??= {})[name] = value;
  }
  return params;
}
