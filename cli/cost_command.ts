/**
 * `cost import`: an AWS Data Exports folder (CUR 2.0, legacy CUR Parquet or FOCUS) into the tenant's daily
 * per-resource cost facts, beside the findings dataset (or --cost-data), each billing period replaced whole.
 */
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  COST_FACTS_DIR,
  CostImportError,
  costTenantDir,
  findCostPeriods,
  importCostPeriods,
  type CostFormat,
  type ImportedPeriod,
} from '../pipeline/cost_facts.ts';
import { isDirectory } from '../pipeline/history.ts';
import { interruptible } from '../pipeline/interruptible.ts';
import { normaliseTenant } from '../pipeline/layout.ts';
import { isS3 } from '../pipeline/store.ts';
import { CliError, EXIT } from './errors.ts';
import type { Logger } from './log.ts';
import { stoppable } from './stop.ts';

export interface CostImportArgs {
  readonly tenant: string;
  readonly source: string;
  readonly format: 'auto' | CostFormat;
  readonly data: string;
  readonly 'cost-data'?: string | undefined;
}

export interface CostEffects {
  readonly print: (text: string) => void;
  readonly signals?: NodeJS.EventEmitter;
  readonly logger: Logger;
}

const describe = (p: ImportedPeriod): string => {
  const totals = Object.entries(p.amortized)
    .map(([currency, total]) => `${total} ${currency || '(no currency)'}`)
    .join(', ');
  const lines = [
    `  ${p.period} (${p.format}, ${p.files} file(s)${p.manifest ? ' from its manifest' : ''}): ${p.facts} daily fact(s) for ${p.resources} resource(s), amortized ${totals || '0'}`,
  ];
  for (const left of p.leftOut)
    lines.push(`    left out: ${left.lines} ${left.reason} line(s), ${left.cost ?? '0'} unblended`);
  return lines.join('\n');
};

export async function costImportCommand(args: CostImportArgs, effects: CostEffects): Promise<number> {
  const tenant = normaliseTenant(args.tenant);
  const remote = [args.source, args.data, args['cost-data']].find((v) => v !== undefined && isS3(v));
  if (remote)
    throw new CliError(
      `${remote}: cost import reads and writes local folders for now; copy the export with \`aws s3 sync\` first`,
      EXIT.usage,
    );
  if (!(await isDirectory(args.source)))
    throw new CliError(`--source ${args.source} is not a folder (an AWS Data Exports export)`, EXIT.usage);
  const root = args['cost-data'] ?? join(dirname(args.data), COST_FACTS_DIR);
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const periods = await findCostPeriods(args.source).catch(rethrow);
    effects.logger.info(
      { tenant, source: args.source, periods: periods.map((p) => p.period) },
      'importing costs',
    );
    const imported = await stoppable(
      effects.signals,
      'cost import',
      async (signal) => {
        const { connection, dispose } = interruptible(await instance.connect(), signal);
        try {
          await connection.run("SET TimeZone = 'UTC'");
          return await importCostPeriods(connection, {
            periods,
            root,
            tenant,
            format: args.format === 'auto' ? undefined : args.format,
            onPeriod: (p) =>
              effects.logger.info({ period: p.period, facts: p.facts }, 'billing period imported'),
          }).catch(rethrow);
        } finally {
          dispose();
          connection.closeSync();
        }
      },
      'the billing periods already imported are replaced whole, the others are as they were',
    );
    effects.print(
      `Imported ${imported.length} billing period(s) for tenant ${tenant} into ${costTenantDir(root, tenant)}:\n${imported.map(describe).join('\n')}`,
    );
    return EXIT.ok;
  } finally {
    instance.closeSync();
  }
}

/** What the import says is wrong is the message; anything else goes on as it is. */
function rethrow(error: unknown): never {
  throw error instanceof CostImportError
    ? new CliError(error.message, EXIT.failure, { cause: error })
    : error;
}
