/**
 * The checker registry: a map from checker id to its definition, filled at import time by each module
 * under checks/ calling registerChecker(). Strict: a duplicate id throws naming both modules.
 */
import { checkerMetaSchema, type CheckerMeta, type CheckerMetaInput } from '../../contracts/checker_meta.ts';
import type { FindingDraft } from '../../contracts/draft.ts';
import { formatIssues, issuesFromZod } from '../../contracts/issues.ts';
import type { Bootstrap, RunContext } from './context.ts';

export interface CheckerDefinition {
  readonly meta: CheckerMeta;
  /** The factory: yields the drafts of one run. */
  readonly create: (ctx: RunContext, bootstrap: Bootstrap) => AsyncIterable<FindingDraft>;
}

export interface RegisteredChecker extends CheckerDefinition {
  /** The module that registered it (a file URL). */
  readonly module: string;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

/** Declares a checker: its metadata is validated here, so a bad declaration fails at import. */
export function defineChecker(definition: {
  readonly meta: CheckerMetaInput;
  readonly create: CheckerDefinition['create'];
}): CheckerDefinition {
  const parsed = checkerMetaSchema.safeParse(definition.meta);
  if (!parsed.success) {
    const issues = formatIssues(issuesFromZod(parsed.error));
    throw new RegistryError(`checker ${String(definition.meta?.id)} has invalid metadata:\n${issues}`);
  }
  return Object.freeze({ meta: Object.freeze(parsed.data), create: definition.create });
}

export class CheckerRegistry {
  private readonly checkers = new Map<string, RegisteredChecker>();

  register(definition: CheckerDefinition, module: string): void {
    const existing = this.checkers.get(definition.meta.id);
    if (existing) {
      throw new RegistryError(
        `checker id ${definition.meta.id} is registered twice: by ${existing.module} and by ${module}`,
      );
    }
    this.checkers.set(definition.meta.id, Object.freeze({ ...definition, module }));
  }

  /** Every checker, sorted by id. */
  list(): RegisteredChecker[] {
    return [...this.checkers.values()].sort((a, b) => a.meta.id.localeCompare(b.meta.id));
  }

  ids(): string[] {
    return this.list().map((c) => c.meta.id);
  }

  get(id: string): RegisteredChecker {
    const checker = this.checkers.get(id);
    if (!checker) throw new RegistryError(`unknown checker ${id}; known checkers: ${this.ids().join(', ')}`);
    return checker;
  }

  has(id: string): boolean {
    return this.checkers.has(id);
  }
}

/** The process-wide registry that checker modules register into when imported. */
export const registry = new CheckerRegistry();

export function registerChecker(definition: CheckerDefinition, module: string): void {
  registry.register(definition, module);
}
