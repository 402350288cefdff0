/** The enumerations of the finding contract, shared by the schemas, the cast and the checkers. */
export const STATUSES = ['pass', 'fail', 'info', 'unknown'] as const;
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const LIFECYCLE_STATUSES = ['open', 'acknowledged', 'snoozed', 'resolved', 'ignored'] as const;
export const COST_MODELS = ['unblended', 'amortized', 'net', 'blended'] as const;
export const ATTRIBUTION_METHODS = [
  'exact_resource_id',
  'tag',
  'heuristic',
  'shared_unallocated',
  'none',
] as const;

export type Status = (typeof STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
export type LifecycleStatus = (typeof LIFECYCLE_STATUSES)[number];

/** Default numeric score for a severity level, on the reference engine's 0..1000 scale. */
export const SEVERITY_SCORES: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 250,
  medium: 500,
  high: 750,
  critical: 900,
};

/** An AWS region name: partition prefix, geography, number (us-east-1, us-gov-west-1, cn-north-1, eu-central-2). */
export const REGION_NAME = /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-\d{1,2}$/;

/** `dimensions.savings_source` of a finding that carries AWS Cost Optimization Hub's own figure. */
export const AWS_RECOMMENDATION_SOURCE = 'aws_cost_optimization_hub';

/** The cost models the cost facts give (`cost import`): amortized (commitments spread), unblended, net. */
export const FACT_COST_MODELS = [
  'amortized',
  'unblended',
  'net',
] as const satisfies readonly (typeof COST_MODELS)[number][];
export type CostModel = (typeof FACT_COST_MODELS)[number];
