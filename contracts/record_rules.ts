/** The finding contract's rules that span fields, shared by the schema and by the common-case check. */

export interface CrossFieldProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/** No value: absent, or "" (the wire form's empty optional value). */
export const isBlank = (v: unknown): boolean => v === undefined || v === null || v === '';

interface RuleInput {
  readonly status?: unknown;
  readonly actual?:
    | {
        readonly cost_7d?: unknown;
        readonly cost_30d?: unknown;
        readonly cost_mtd?: unknown;
        readonly cost_prev_month?: unknown;
        readonly savings_7d?: unknown;
        readonly savings_30d?: unknown;
        readonly model?: { readonly currency?: unknown } | null | undefined;
      }
    | null
    | undefined;
  readonly lifecycle?: { readonly status?: unknown } | null | undefined;
}

/** Problems with how fields go together; each field's own type and range are checked elsewhere. */
export function crossFieldProblems(record: RuleInput): CrossFieldProblem[] {
  const problems: CrossFieldProblem[] = [];
  const actual = record.actual;
  const costs = actual && [
    actual.cost_7d,
    actual.cost_30d,
    actual.cost_mtd,
    actual.cost_prev_month,
    actual.savings_7d,
    actual.savings_30d,
  ];
  if (costs?.some((c) => !isBlank(c)) && isBlank(actual?.model?.currency)) {
    problems.push({
      path: ['actual', 'model', 'currency'],
      message: 'is required when actual costs are present',
    });
  }
  const lifecycle = record.lifecycle?.status;
  if (
    (record.status === 'pass' || record.status === 'info') &&
    (lifecycle === 'open' || lifecycle === 'acknowledged')
  ) {
    problems.push({
      path: ['lifecycle', 'status'],
      message: `a ${String(record.status)} finding cannot be ${String(lifecycle)}`,
    });
  }
  return problems;
}
