#!/usr/bin/env node
/**
 * The runner: the command line, and the only place that builds AWS SDK clients.
 *   runner.ts --tenant acme [--checker ID ...] [--export]      run the checkers, write Parquet
 *   runner.ts export --tenant acme                              dataset → dashboard JSON
 *   runner.ts --list-checkers [--json]                          what can run
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { RunContext } from './checks/_lib/context.ts';
import type { CheckerRegistry } from './checks/_lib/registry.ts';
import { FINDING_ID_MODES, type FindingIdMode } from './contracts/identity.ts';
import { parseTimestamp } from './contracts/time.ts';
import { discoverCheckers, discoverFixes } from './cli/discover.ts';
import { CliError, defaultRegion, engineErrorMessage, EXIT, ioErrorMessage } from './cli/errors.ts';
import { createLogger, LOG_LEVELS, logStep, type Logger } from './cli/log.ts';
import { parseCheckerParams } from './cli/params.ts';
import {
  CONFIG_FILES,
  configRecord,
  DEFAULT_CONCURRENCY,
  effectiveConfig,
  loadPolicy,
} from './cli/config.ts';
import type { LoadedPack } from './cli/packs.ts';
import { iamPolicy } from './cli/iam_policy.ts';
import { checkerJson, checkerTable, runSummary } from './cli/report.ts';
import type * as AwsModule from './cli/aws.ts';
import type { AwsAccess } from './cli/aws.ts';
import type { ScanTarget } from './cli/run.ts';
import { SAFE_RUN_ID } from './pipeline/manifest.ts';
import { parseShard, type Shard } from './pipeline/shards.ts';
import { FACT_COST_MODELS, REGION_NAME, type CostModel } from './contracts/vocabulary.ts';
import { isS3, LocalStore, parseLocation, type ObjectStore } from './pipeline/store.ts';
import { normaliseTenant, removeStaleTempParts } from './pipeline/layout.ts';

export const ENGINE_NAME = 'finops-findings';
/** Checks running at once across accounts and regions. */
/** Errors whose message is the whole story for a user: printed without a stack. */
const KNOWN_ERRORS = new Set(['CliError', 'UnsafeTenantError', 'ExportError', 'SuppressionFileError']);

// Heavy modules (the AWS SDK, parquet-wasm, DuckDB) load only for the commands that use them, so listing
// the checkers or printing --help starts quickly.
let aws: typeof AwsModule | undefined;
const loadAws = async () => (aws ??= await import('./cli/aws.ts'));
export type { AwsAccess };
export const ENGINE_VERSION = readPackageVersion();
/** The version of the checker catalogue; it moves with the engine until rule packs ship separately. */
export const RULEPACK_VERSION = ENGINE_VERSION;
const DEFAULT_OUT = 'data/finops_findings';
const DEFAULT_EXPORT_DIR = 'webapp_data';

function readPackageVersion(): string {
  // The same file is found from runner.ts and from dist/runner.js.
  for (const candidate of ['./package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(fileURLToPath(new URL(candidate, import.meta.url)), 'utf8'));
      if (pkg.name === 'finops-findings') return String(pkg.version);
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** Side effects the runner depends on, injectable so tests pin time and ids. */
export interface RunnerEffects {
  readonly now: () => Date;
  readonly newId: () => string;
  readonly print: (text: string) => void;
  readonly logger: (level: string) => Logger;
  /** AWS access with the caller's credentials, in a home region. */
  readonly awsServices: (region: string) => AwsAccess;
  /** Stop signals: the run stops cleanly when they fire (tests pass their own emitter). */
  readonly signals?: NodeJS.EventEmitter;
  /** Waits between polls of a snapshot or an image a remediation made (default: real time; tests: none). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export const defaultEffects: RunnerEffects = {
  now: () => new Date(),
  newId: randomUUID,
  print: (text) => process.stdout.write(`${text}\n`),
  logger: (level) => createLogger(level),
  awsServices: (region) => {
    if (!aws) throw new Error('the AWS SDK was not loaded before use');
    return aws.createAwsServices(region);
  },
  signals: process,
};

interface RunArgs {
  tenant?: string;
  'state-data'?: string;
  'gold-data'?: string;
  workspace: string;
  checker: string[];
  'exclude-checker': string[];
  data: string;
  'finding-id-mode'?: FindingIdMode | undefined;
  config?: string | undefined;
  plugin: string[];
  regions?: string[] | undefined;
  'list-checkers': boolean;
  json: boolean;
  export: boolean;
  'out-dir': string;
  dashboard: boolean;
  'drop-invalid': boolean;
  'run-ts'?: string;
  'billing-account-id'?: string;
  set: string[];
  'page-size'?: number;
  suppressions?: string;
  'log-level': string;
  accounts: string[];
  org: boolean;
  'role-name'?: string;
  'external-id'?: string;
  concurrency?: number | undefined;
  'run-id'?: string;
  shard?: string;
  progress?: boolean;
}

/** Repeatable and comma-separated: `--regions a,b --regions c`. */
function parseList(values: readonly string[] | undefined): string[] {
  const given = (values ?? [])
    .flatMap((v) => String(v).split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  return [...new Set(given)];
}

/** The earliest run date accepted: AWS's first service (S3) opened in 2006; nothing before can be scanned. */
const EARLIEST_RUN = Date.UTC(2006, 0, 1);
/** How far ahead of this machine's clock a run may be dated (clock skew between schedulers). */
const RUN_TS_SKEW_MS = 86_400_000;

/**
 * A run dated far ahead would make every later run "earlier" than it: lifecycle and `days_open` would be
 * wrong until the run is deleted. A run dated before AWS existed is a typo. Backfills in between are fine.
 */
/** --shard K/N, with what a shard needs: the run id and time every shard shares, and the accounts to split. */
function shardOf(args: RunArgs): Shard {
  const parsed = parseShard(args.shard!);
  if ('reason' in parsed) throw new CliError(parsed.reason, EXIT.usage);
  if (!args['run-id'] || !args['run-ts'])
    throw new CliError(
      '--shard needs --run-id and --run-ts: every shard of a run gives the same ones (plan-shards prints them)',
      EXIT.usage,
    );
  const listed = parseList(args.accounts).length > 0;
  if (args.org === listed)
    throw new CliError(
      "--shard needs --org (the shard scans its slice of the organisation) or --accounts (the shard's own accounts, as plan-shards lists them), one of them",
      EXIT.usage,
    );
  if (args.export)
    throw new CliError(
      '--export with --shard: export after `run finalize`, once every shard is done',
      EXIT.usage,
    );
  return parsed;
}

function checkRunDate(runTs: Date, now: Date, given: string | undefined): void {
  if (runTs.getTime() > now.getTime() + RUN_TS_SKEW_MS) {
    throw new CliError(
      `--run-ts ${given}: more than a day after this machine's clock (${now.toISOString()}); ` +
        'a run is dated when it scans (a backfill into the past is fine)',
      EXIT.usage,
    );
  }
  if (runTs.getTime() < EARLIEST_RUN) {
    throw new CliError(`--run-ts ${given}: before 2006, when AWS opened; check the year`, EXIT.usage);
  }
}

/** --run-ts, checked; now without it. */
function runTimeOf(given: string | undefined, effects: RunnerEffects): Date {
  const runTs = given ? new Date(parseTimestamp(given) ?? NaN) : effects.now();
  if (Number.isNaN(runTs.getTime()))
    throw new CliError(`--run-ts ${given} is not an ISO timestamp`, EXIT.usage);
  checkRunDate(runTs, effects.now(), given);
  return runTs;
}

/** --regions, checked as names (none: each account's enabled regions). */
function regionsOf(given: readonly string[] | undefined): string[] {
  const regions = parseList(given);
  if (given !== undefined && regions.length === 0) {
    throw new CliError(
      "--regions is empty: name at least one region, or leave it out to scan each account's enabled regions",
      EXIT.usage,
    );
  }
  const badRegion = regions.find((r) => !REGION_NAME.test(r));
  if (badRegion !== undefined) {
    throw new CliError(
      `--regions: ${JSON.stringify(badRegion)} is not an AWS region name (like eu-west-1)`,
      EXIT.usage,
    );
  }
  return regions;
}

/** --run-id, checked; without it one made of the run time (compact ISO: run ids name files, so no colons). */
function runIdOf(given: string | undefined, runTs: Date, effects: RunnerEffects): string {
  const runId =
    given ??
    `run-${runTs.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '')}-${effects.newId().slice(0, 8)}`;
  if (!SAFE_RUN_ID.test(runId)) {
    throw new CliError(`--run-id ${runId}: use letters, digits, '-', '_' and '.' (at most 128)`, EXIT.usage);
  }
  return runId;
}

/** `plan-shards`: the organisation's (or --accounts') accounts cut into shards of one run, as JSON. */
async function planShardsCommand(
  args: Pick<
    RunArgs,
    | 'checker'
    | 'exclude-checker'
    | 'data'
    | 'accounts'
    | 'org'
    | 'concurrency'
    | 'tenant'
    | 'config'
    | 'finding-id-mode'
    | 'set'
    | 'plugin'
  > & {
    readonly 'role-name'?: string | undefined;
    readonly 'external-id'?: string | undefined;
    readonly 'run-id'?: string | undefined;
    readonly 'run-ts'?: string | undefined;
    readonly regions?: string[] | undefined;
    readonly 'accounts-per-shard'?: number | undefined;
  },
  effects: RunnerEffects,
  log: Logger,
): Promise<number> {
  const tenant = normaliseTenant(args.tenant!);
  const registry = await discoverCheckers();
  const { config, checkers } = await runConfig(args, registry, effects);
  if (checkers.length === 0)
    throw new CliError('no checker left to run after --exclude-checker and the policy file', EXIT.usage);
  const runTs = runTimeOf(args['run-ts'], effects);
  const runId = runIdOf(args['run-id'], runTs, effects);
  const { regions } = config;
  const listed = parseList(args.accounts);
  const bad = listed.filter((id) => !/^\d{12}$/.test(id));
  if (bad.length > 0)
    throw new CliError(`not an AWS account id: ${bad.join(', ')} (12 digits expected)`, EXIT.usage);
  if (!args.org && listed.length === 0)
    throw new CliError(
      'plan-shards splits the accounts of --org or --accounts: give one of them',
      EXIT.usage,
    );
  if (!args['role-name'])
    throw new CliError('plan-shards needs --role-name: the shards assume it in each account', EXIT.usage);
  const perShard = args['accounts-per-shard'];
  if (perShard !== undefined && (!Number.isInteger(perShard) || perShard < 1))
    throw new CliError(`--accounts-per-shard ${perShard}: a whole number of at least 1`, EXIT.usage);
  const { concurrency } = config;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new CliError(`--concurrency ${concurrency}: a whole number of at least 1`, EXIT.usage);
  let accounts = listed;
  let scanned = regions;
  if (args.org || regions.length === 0) {
    await loadAws();
    const home = regions[0] ?? defaultRegion();
    const root = effects.awsServices(home);
    if (args.org) {
      if (!root.organizationAccounts)
        throw new CliError('--org is not available with these credentials', EXIT.usage);
      const members = await root.organizationAccounts().catch((error: unknown) => {
        throw new CliError(
          `could not list the organization's accounts (Organizations ListAccounts): ${(error as Error).message}`,
          EXIT.failure,
          { cause: error },
        );
      });
      accounts = [...new Set([...listed, ...members])];
    }
    // Sized by the caller's enabled regions; each shard scans each account's own.
    if (regions.length === 0) scanned = (await root.enabledRegions?.().catch(() => undefined)) ?? [home];
  }
  const { planShards } = await import('./cli/plan_shards.ts');
  const plan = planShards({
    tenant,
    out: args.data,
    runId,
    runTs: runTs.toISOString(),
    accounts,
    regions: scanned,
    checkers: checkers.map((c) => ({ id: c.meta.id, regional: c.meta.regional })),
    concurrency,
    accountsPerShard: perShard,
    shared: {
      role_name: args['role-name'],
      ...(args['external-id'] ? { external_id: args['external-id'] } : {}),
      ...(regions.length > 0 ? { regions } : {}),
      ...(args.checker.length > 0 ? { checkers: args.checker } : {}),
      ...(args['exclude-checker'].length > 0 ? { exclude_checkers: args['exclude-checker'] } : {}),
      ...(args.config ? { config: args.config } : {}),
      ...(args.plugin.length > 0 ? { plugins: args.plugin } : {}),
      concurrency,
    },
  });
  log.info(
    {
      run_id: runId,
      accounts: plan.accounts,
      shards: plan.shards.length,
      per_shard: plan.accounts_per_shard,
    },
    'shards planned',
  );
  effects.print(JSON.stringify(plan, null, 2));
  return EXIT.ok;
}

async function runCommand(args: RunArgs, effects: RunnerEffects, log: Logger): Promise<number> {
  const registry = await discoverCheckers();
  // Packs are loaded first (the policy file lists them): they are listed, and run, like built-in checkers.
  const { config, checkers, source, packs } = await runConfig(args, registry, effects, log);
  if (args['list-checkers']) {
    effects.print(args.json ? checkerJson(registry.list()) : checkerTable(registry.list()));
    return EXIT.ok;
  }
  if (!args.tenant) throw new CliError('--tenant is required to run the checkers (see --help)', EXIT.usage);
  const tenantId = normaliseTenant(args.tenant);
  if (checkers.length === 0)
    throw new CliError('no checker left to run after --exclude-checker and the policy file', EXIT.usage);
  const params = Object.fromEntries(Object.entries(config.checks).map(([id, check]) => [id, check.params]));
  const runTs = runTimeOf(args['run-ts'], effects);
  const { regions, concurrency } = config;
  const pageSize = args['page-size'];
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)) {
    throw new CliError(`--page-size ${pageSize}: a whole number from 1 to 1000`, EXIT.usage);
  }
  const homeRegion = regions[0] ?? defaultRegion();
  const runId = runIdOf(args['run-id'], runTs, effects);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new CliError(`--concurrency ${concurrency}: a whole number of at least 1`, EXIT.usage);
  }
  const shard = args.shard === undefined ? undefined : shardOf(args);
  const runLog = log.child({ run_id: runId, ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}) });
  const [
    { resolveAccounts },
    { openDestination },
    { createProgress, progressMode },
    { runCheckers },
    { Inventory },
  ] = await Promise.all([
    import('./cli/accounts.ts'),
    import('./cli/destination.ts'),
    import('./cli/progress.ts'),
    import('./cli/run.ts'),
    import('./checks/_lib/inventory.ts'),
    loadAws(),
  ]);
  const root = effects.awsServices(homeRegion);
  const { scopes, errors: accountErrors } = await resolveAccounts({
    root,
    homeRegion,
    regions: regions.length > 0 ? regions : undefined,
    accounts: parseList(args.accounts),
    org: args.org,
    roleName: args['role-name'],
    externalId: args['external-id'],
    runId,
    concurrency,
    log: runLog,
    shard,
  });
  const billing = args['billing-account-id'];
  const targets: ScanTarget[] = scopes.map((scope) => ({
    accountId: scope.accountId,
    bootstrap: Object.freeze({ ...scope.bootstrap, ...(billing ? { billing_account_id: billing } : {}) }),
    context: Object.freeze({
      tenantId,
      workspaceId: args.workspace,
      runId,
      runTs,
      engineVersion: ENGINE_VERSION,
      regions: Object.freeze([...scope.regions]),
      services: scope.access.services,
      inventory: new Inventory(scope.access.services, { pageSize: args['page-size'] }),
      params,
    }) satisfies RunContext,
  }));
  logStep(
    runLog,
    {
      accounts: targets.map((t) => t.accountId),
      failed_accounts: accountErrors.length,
      regions: [...new Set(targets.flatMap((t) => t.context.regions))],
      checkers: checkers.length,
    },
    'run started',
  );

  const facts = {
    tenantId,
    workspaceId: args.workspace,
    runId,
    runTs,
    ingestedTs: effects.now(),
    engineName: ENGINE_NAME,
    engineVersion: ENGINE_VERSION,
    rulepackVersion: rulepackVersion(packs),
    findingIdMode: config.finding_id_mode,
  };
  const destination = await openDestination(args.data, root, homeRegion);
  const { acquireRunLease, acquireRunLock, RunLockedError } = await import('./pipeline/run_lock.ts');
  // Shards of one run run at once: each holds its own lock.
  const lockId = shard ? `${runId}.shard-${shard.index}-of-${shard.count}` : runId;
  const locked = (error: Error) => {
    throw error instanceof RunLockedError ? new CliError(error.message, EXIT.failure) : error;
  };
  let lock: { release(): Promise<void>; check?(): void };
  if (destination.staging === args.data) {
    lock = await acquireRunLock(args.data, tenantId, lockId, effects.now()).catch(locked);
    for (const file of await removeStaleTempParts(args.data, tenantId, effects.now()))
      runLog.info({ file }, 'removed a temporary part left by a run that was killed');
  } else if (destination.leases) {
    const leases = destination.leases;
    lock = await acquireRunLease(leases, tenantId, lockId).catch(async (error: Error) => {
      await destination.close();
      return locked(error);
    });
  } else {
    lock = { release: async () => undefined };
  }
  const { listenForStop } = await import('./cli/stop.ts');
  const stop = listenForStop(
    effects.signals,
    (signal) =>
      runLog.warn(
        `${signal}: stopping after the findings in hand; they are written and the run is marked interrupted (again to quit now)`,
      ),
    (signal) => {
      // A second signal means now: the default action ends the process; a part being written stays a hidden
      // temporary file that no reader of *.parquet sees, and the manifest still says running.
      runLog.warn(`${signal} again: quitting now`);
      if (effects.signals === process) process.kill(process.pid, signal);
    },
  );
  const shownProgress = progressMode(
    args.progress,
    Boolean(process.stderr.isTTY),
    args['log-level'] === 'silent',
  );
  const progress = createProgress(shownProgress, runLog);
  let report;
  try {
    report = await runCheckers({
      facts,
      targets,
      accountErrors,
      checkers,
      store: destination.store,
      staging: destination.staging,
      log: runLog,
      now: effects.now,
      newId: effects.newId,
      concurrency,
      signal: stop.signal,
      ...(lock.check ? { lease: { check: () => lock.check?.() } } : {}),
      onProgress: progress.update,
      quietCheckers: shownProgress === 'bar',
      args: recordedArguments(args),
      config: configRecord(source, config, packs),
      shard,
    });
  } finally {
    progress.stop();
    stop.off();
    await destination.close();
    await lock.release();
  }
  if (shard) {
    // The run is not one yet: `run finalize` makes its manifest once the shards are done, and keeps the state.
    effects.print(runSummary(report, tenantId));
    effects.print(
      `\nShard ${shard.index}/${shard.count} of run ${runId} is written. Once every shard is done: finops-findings run finalize --tenant ${tenantId} --run-id ${runId} --data ${args.data}`,
    );
  } else {
    // The tenant's state and the day's KPI gold follow every run, so exports and trends never read history.
    const { keepTenantState } = await import('./cli/maintain.ts');
    const kept = await keepTenantState({
      data: args.data,
      tenant: tenantId,
      stateData: args['state-data'],
      goldData: args['gold-data'],
      access: root,
      homeRegion,
      logger: runLog,
    }).catch((error: Error) => ({
      mode: 'failed',
      saveError: ioErrorMessage(error) ?? engineErrorMessage(error) ?? error.message,
    }));
    if (kept.saveError !== undefined) {
      runLog.warn(
        { err: kept.saveError },
        'the tenant state and KPI gold tables were not updated; the next export rebuilds them',
      );
    } else logStep(runLog, { state: kept.mode }, 'tenant state and KPI gold tables updated');
    effects.print(runSummary(report, tenantId));
  }
  if (report.status === 'interrupted') {
    effects.print(
      '\nThe run was interrupted: what it found so far is written; the manifest says interrupted.',
    );
    return EXIT.failure;
  }

  // A shard may have no account (more shards than accounts): it has nothing to scan, and that is fine.
  if (targets.length === 0 && (!shard || accountErrors.length > 0)) {
    effects.print(`\nNo account could be scanned: ${accountErrors.map((a) => a.error).join('; ')}`);
    return EXIT.failure;
  }
  if (args.export) {
    const { exportCommand } = await import('./cli/export_command.ts');
    await exportCommand(
      {
        tenant: tenantId,
        data: args.data,
        'out-dir': args['out-dir'],
        suppressions: args.suppressions,
        dashboard: args.dashboard,
        'log-level': args['log-level'],
        'state-data': args['state-data'],
        'gold-data': args['gold-data'],
      },
      effects,
    );
  }
  const invalid = report.checkers.reduce((n, c) => n + c.invalid, 0);
  if (invalid > 0 && !args['drop-invalid']) {
    effects.print(
      `\n${invalid} invalid finding draft(s) were not written (pass --drop-invalid to accept that).`,
    );
    return EXIT.failure;
  }
  const failed = report.checkers.filter((c) => c.failures.length > 0);
  if (failed.length > 0) {
    effects.print(`\n${failed.length} checker(s) failed: ${failed.map((c) => c.id).join(', ')}`);
  }
  if (accountErrors.length > 0) {
    effects.print(
      `\n${accountErrors.length} account(s) could not be scanned: ${accountErrors.map((a) => a.account_id).join(', ')}`,
    );
  }
  return failed.length > 0 || accountErrors.length > 0 ? EXIT.partial : EXIT.ok;
}

/** The policy file and the flags together (flags win): the checkers to run and the configuration in force. */
async function runConfig(
  args: Pick<
    RunArgs,
    | 'config'
    | 'regions'
    | 'concurrency'
    | 'finding-id-mode'
    | 'checker'
    | 'exclude-checker'
    | 'set'
    | 'plugin'
  >,
  registry: CheckerRegistry,
  effects: RunnerEffects,
  log?: Logger,
) {
  const { source, policy, packs } = await loadPolicy(args.config, registry, {
    read: (file) => readConfigText(file, effects),
    plugins: args.plugin,
    engineVersion: ENGINE_VERSION,
    log,
  });
  const { config, checkers } = effectiveConfig(
    policy,
    {
      regions: args.regions === undefined ? undefined : regionsOf(args.regions),
      concurrency: args.concurrency,
      findingIdMode: args['finding-id-mode'],
      checkers: args.checker.length > 0 ? args.checker : undefined,
      excluded: args['exclude-checker'],
      params: parseCheckerParams(args.set, registry),
    },
    registry,
  );
  return { source, config, checkers, packs };
}

/** The rule pack's version: the built-in catalogue's, and each loaded pack's after it (`0.1.0+acme@1.2.0`). */
const rulepackVersion = (packs: readonly LoadedPack[]): string =>
  [RULEPACK_VERSION, ...packs.filter((p) => p.version).map((p) => `${p.name}@${p.version}`)].join('+');

/** A policy file's text: a local file, or an s3:// object. */
async function readConfigText(file: string, effects: RunnerEffects): Promise<string> {
  const location = parseLocation(file);
  if (location.kind === 'local') return readFile(file, 'utf8');
  const slash = location.prefix.lastIndexOf('/');
  const store = await datasetStore(
    `s3://${location.bucket}/${location.prefix.slice(0, Math.max(0, slash))}`,
    effects,
  );
  const text = await store.getText(location.prefix.slice(slash + 1));
  if (text === undefined) throw Object.assign(new Error('no such object'), { code: 'ENOENT' });
  return text;
}

/** The arguments worth recording in a run manifest (no yargs internals). */
function recordedArguments(args: RunArgs): Record<string, unknown> {
  const keep = [
    'tenant',
    'workspace',
    'checker',
    'exclude-checker',
    'data',
    'finding-id-mode',
    'regions',
    'run-ts',
    'run-id',
    'set',
    'export',
    'accounts',
    'org',
    'role-name',
    'concurrency',
    'config',
  ];
  return Object.fromEntries(
    keep
      .filter((k) => (args as unknown as Record<string, unknown>)[k] !== undefined)
      .map((k) => [k, (args as unknown as Record<string, unknown>)[k]]),
  );
}

/** A dataset root as a store: a local folder, or S3 (with the SDK loaded only then). */
async function datasetStore(data: string, effects: RunnerEffects): Promise<ObjectStore> {
  let location;
  try {
    location = parseLocation(data);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage, { cause: error });
  }
  if (location.kind === 'local') return new LocalStore(location.path);
  await loadAws();
  const { S3Store } = await import('./cli/s3_store.ts');
  const home = defaultRegion();
  return S3Store.at(effects.awsServices(home), home, location);
}

/** Where the tenant state and the KPI gold tables are kept: for a run and for an export. */
function stateOptions<T>(cli: Argv<T>) {
  return cli
    .option('state-data', {
      type: 'string',
      describe:
        'Where the tenant state is kept: a directory or s3://… (default: finops_state beside the dataset)',
    })
    .option('gold-data', {
      type: 'string',
      describe:
        'Where the KPI gold tables are kept: a directory or s3://… (default: finops_kpi_gold beside the dataset)',
    });
}

/**
 * A flag that takes a whole number from `min` (to `max`), read from what the user typed: `--concurrency abc` and
 * `--page-size 1e9` are said as typed (yargs' own number parsing would say NaN, and 1000000000).
 */
function numberAsTyped(flag: string, min: number, max?: number) {
  const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const text = String(Array.isArray(value) ? value.at(-1) : value).trim();
    const number = Number(text);
    if (text === '' || !Number.isFinite(number))
      throw new CliError(`${flag} ${text}: a number was expected`, EXIT.usage);
    if (!Number.isInteger(number) || number < min || (max !== undefined && number > max))
      throw new CliError(`${flag} ${text}: a whole number ${range}`, EXIT.usage);
    return number;
  };
}

/**
 * What the policy file also says (see cli/config.ts), for a run and for `config print`: which checkers, where,
 * how many at once, their thresholds, and the file itself. Flags win over the file.
 */
function policyOptions<T>(cli: Argv<T>) {
  return cli
    .option('checker', {
      type: 'string',
      array: true,
      default: [],
      describe: 'Run only this checker id (repeatable)',
    })
    .option('exclude-checker', {
      type: 'string',
      array: true,
      default: [],
      describe: 'Skip this checker id (repeatable)',
    })
    .option('regions', {
      type: 'string',
      array: true,
      describe:
        "Regions to scan, comma-separated or repeated (default: the policy file's, else each account's enabled regions)",
    })
    .option('concurrency', {
      type: 'string',
      coerce: numberAsTyped('--concurrency', 1),
      describe: `Checks running at once, across accounts and regions (default: the policy file's, else ${DEFAULT_CONCURRENCY})`,
    })
    .option('finding-id-mode', {
      choices: FINDING_ID_MODES,
      describe:
        "finding_id salt: stable (same id every run), per_run (run id), per_day (run date); default: the policy file's, else stable",
    })
    .option('set', {
      type: 'string',
      array: true,
      default: [],
      describe:
        'Override a checker threshold: <checker-id>.<param>=<number> (repeatable; see docs/checks.md)',
    })
    .option('plugin', {
      type: 'string',
      array: true,
      default: [],
      describe:
        "Load this checker pack: an npm package installed here, or a path (repeatable; after the policy file's plugins)",
    })
    .option('config', {
      type: 'string',
      describe: `The policy file, YAML or JSON, local or s3://: checks enabled, params, severity, scope, and defaults for --regions, --concurrency, --finding-id-mode (default: ${CONFIG_FILES.join(' or ')} in the working directory)`,
    });
}

/** What a run scans, and as which run: shared by a run and plan-shards (whose shards are runs). */
function scanOptions<T>(cli: Argv<T>) {
  return cli
    .option('data', {
      alias: 'out',
      type: 'string',
      default: DEFAULT_OUT,
      describe: 'Dataset root: a directory, or s3://bucket/prefix (--out is the same)',
    })
    .option('accounts', {
      type: 'string',
      array: true,
      default: [],
      describe: 'Scan these accounts (comma-separated or repeated) through --role-name',
    })
    .option('org', {
      type: 'boolean',
      default: false,
      describe:
        'Scan every active account of the organization (Organizations ListAccounts) through --role-name',
    })
    .option('role-name', {
      type: 'string',
      describe:
        'Role to assume in each account of --accounts/--org (arn:<partition>:iam::<account>:role/<name>)',
    })
    .option('external-id', {
      type: 'string',
      describe: 'External id for --role-name, when the role requires one',
    })
    .option('run-id', {
      type: 'string',
      describe: "Run id (default: generated); a retry with the same id replaces that run's earlier files",
    })
    .option('run-ts', {
      type: 'string',
      describe: 'Run timestamp (ISO 8601) for backfills; sets the run_date partition',
    });
}

function commonOptions(cli: Argv): Argv {
  return cli
    .option('log-level', {
      choices: LOG_LEVELS,
      default: 'info',
      describe: 'Log verbosity (logs go to stderr)',
    })
    .option('debug', { type: 'boolean', default: false, describe: 'Show stack traces on errors' });
}

function buildCli(argv: string[], effects: RunnerEffects, exitCode: { value: number }): Argv {
  // The checkers and configuration a command that does not scan (config, docs, iam-policy) shows: a run's.
  const policyOf = async (args: Parameters<typeof runConfig>[0] & { readonly 'log-level'?: unknown }) => {
    const registry = await discoverCheckers();
    const logger = effects.logger(String(args['log-level'] ?? 'info'));
    return { registry, ...(await runConfig(args, registry, effects, logger)) };
  };
  const cli = yargs(argv)
    .scriptName('finops-findings')
    .usage(
      '$0 --tenant <id> [options]\n\nRuns the cost checkers against the current AWS account (or, with --accounts/--org\n' +
        'and --role-name, the accounts of an organisation) and appends typed findings to\n' +
        '<out>/tenant_id=<tenant>/run_date=<YYYY-MM-DD>/part-<uuid>.parquet (a directory or s3://bucket/prefix)',
    )
    .command(
      '$0',
      'Run the checkers (the default command)',
      (y) =>
        policyOptions(scanOptions(stateOptions(commonOptions(y))))
          .option('tenant', {
            type: 'string',
            describe:
              'Tenant id; names the dataset partition (letters, digits, - _ .), lower-cased: Acme is acme',
          })
          .option('workspace', {
            type: 'string',
            default: 'default',
            describe: 'Workspace id recorded on every finding',
          })
          .option('shard', {
            type: 'string',
            describe:
              "K/N: be shard K of a run split across N workers: with --org, scan slice K of the organisation's accounts; with --accounts, those (as plan-shards lists them). Needs --run-id and --run-ts, the same for every shard; then `run finalize`",
          })
          .option('progress', {
            type: 'boolean',
            describe:
              'Show progress on stderr: a live line on a terminal, else a JSON log line every few seconds (default: on, unless --log-level silent); --no-progress to hide it',
          })
          .option('billing-account-id', {
            type: 'string',
            describe: 'Billing (payer) account id recorded in every finding scope',
          })
          .option('page-size', {
            type: 'string',
            coerce: numberAsTyped('--page-size', 1, 1000),
            describe: "Page size for AWS listings (default: each API's own)",
          })
          .option('list-checkers', {
            type: 'boolean',
            default: false,
            describe: 'List the available checkers and exit',
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'With --list-checkers: machine-readable JSON',
          })
          .option('export', {
            type: 'boolean',
            default: false,
            describe: 'Export the dashboard JSON after the run',
          })
          .option('out-dir', {
            alias: 'export-dir',
            type: 'string',
            default: DEFAULT_EXPORT_DIR,
            describe:
              'Where --export writes the JSON: a directory, or s3://bucket/prefix (--export-dir is the same)',
          })
          .option('dashboard', {
            type: 'boolean',
            default: true,
            describe:
              'Copy the dashboard (index.html, app.js, app.css) next to the JSON; --no-dashboard to skip',
          })
          .option('suppressions', {
            type: 'string',
            describe:
              'Suppression file (YAML or JSON) for --export; default <out>/tenant_id=<t>/suppressions.yaml',
          })
          .option('drop-invalid', {
            type: 'boolean',
            default: false,
            describe: 'Drop invalid finding drafts and succeed (by default they fail the run)',
          }),
      async (args) => {
        exitCode.value = await runCommand(
          args as unknown as RunArgs,
          effects,
          effects.logger(String(args['log-level'])),
        );
      },
    )
    .command(
      'export',
      "Export one tenant's latest findings, with lifecycle and suppressions, as the dashboard JSON files",
      (y) =>
        stateOptions(commonOptions(y))
          .option('tenant', { type: 'string', demandOption: true, describe: 'Tenant to export' })
          .option('data', {
            type: 'string',
            default: DEFAULT_OUT,
            describe:
              "Dataset root: a directory, or s3://bucket/prefix (only the tenant's partitions are fetched)",
          })
          .option('out-dir', {
            type: 'string',
            default: DEFAULT_EXPORT_DIR,
            describe:
              'Where to write the JSON files: a directory, or s3://bucket/prefix (JSON content type, max-age=60)',
          })
          .option('dashboard', {
            type: 'boolean',
            default: true,
            describe:
              'Copy the dashboard (index.html, app.js, app.css) next to the JSON; --no-dashboard to skip',
          })
          .option('suppressions', {
            type: 'string',
            describe:
              'Suppression file (YAML or JSON); default <data>/tenant_id=<t>/suppressions.yaml when present',
          })
          .option('cost-data', {
            type: 'string',
            describe:
              'Cost facts from `cost import` (default: finops_cost_facts beside --data): billed cost beside each finding',
          })
          .option('cost-model', {
            choices: FACT_COST_MODELS,
            default: 'amortized' as CostModel,
            describe:
              'Which billed cost: amortized (Savings Plans and reservations spread), unblended or net',
          }),
      async (args) => {
        await loadAws();
        const { exportCommand } = await import('./cli/export_command.ts');
        exitCode.value = await exportCommand(args, effects);
      },
    )
    .command(
      'kpi <action>',
      'KPI gold tables: `kpi rebuild` recomputes the daily KPIs and the tenant state from its findings (idempotent; after a backfill), local or s3://',
      (y) =>
        stateOptions(commonOptions(y))
          .positional('action', { choices: ['rebuild'] as const, describe: 'What to do' })
          .option('tenant', { type: 'string', demandOption: true, describe: 'Tenant to rebuild' })
          .option('data', {
            type: 'string',
            default: DEFAULT_OUT,
            describe: 'Findings dataset root: a directory or s3://bucket/prefix',
          })
          .option('from', {
            type: 'string',
            describe: 'First day (YYYY-MM-DD); default the first day with runs',
          })
          .option('to', {
            type: 'string',
            describe: 'Last day (YYYY-MM-DD); default the last day with runs',
          }),
      async (args) => {
        await loadAws();
        const { kpiRebuildCommand } = await import('./cli/kpi_command.ts');
        exitCode.value = await kpiRebuildCommand(args, {
          ...effects,
          logger: effects.logger(String(args['log-level'])),
        });
      },
    )
    .command(
      'cost <action>',
      'Billed cost: `cost import` reads an AWS Data Exports folder (CUR 2.0, legacy CUR Parquet or FOCUS) into daily per-resource cost facts beside the findings dataset, each billing period replaced whole',
      (y) =>
        commonOptions(y)
          .positional('action', { choices: ['import'] as const, describe: 'What to do' })
          .option('tenant', { type: 'string', demandOption: true, describe: 'Tenant the costs belong to' })
          .option('source', {
            type: 'string',
            demandOption: true,
            describe:
              'The export folder: <export-name>/ holding data/BILLING_PERIOD=YYYY-MM/ (and metadata/ with its manifests)',
          })
          .option('format', {
            choices: ['auto', 'cur2', 'cur_legacy', 'focus'] as const,
            default: 'auto' as const,
            describe: "The export's table (default: what its columns say)",
          })
          .option('data', {
            type: 'string',
            default: DEFAULT_OUT,
            describe: 'The findings dataset root; the facts go beside it, in finops_cost_facts',
          })
          .option('cost-data', {
            type: 'string',
            describe: 'Where the cost facts are kept (default: finops_cost_facts beside --data)',
          }),
      async (args) => {
        if (isS3(args.source) || isS3(args.data) || (args['cost-data'] && isS3(args['cost-data'])))
          await loadAws();
        const { costImportCommand } = await import('./cli/cost_command.ts');
        exitCode.value = await costImportCommand(args, {
          ...effects,
          logger: effects.logger(String(args['log-level'])),
        });
      },
    )
    .command(
      ['runs <action>', 'run <action>'],
      "A tenant's runs: `runs list` shows them (a run still running after a day is abandoned); `runs delete --run-id ID` removes one run's parts and manifest; `run finalize --run-id ID` makes one run of the shards of a run split with --shard, and updates the tenant state",
      (y) =>
        stateOptions(commonOptions(y))
          .positional('action', { choices: ['list', 'delete', 'finalize'] as const, describe: 'What to do' })
          .option('tenant', {
            type: 'string',
            demandOption: true,
            describe: 'Tenant whose runs to show or delete',
          })
          .option('data', {
            type: 'string',
            default: DEFAULT_OUT,
            describe: 'Findings dataset root: a directory, or s3://bucket/prefix',
          })
          .option('run-id', { type: 'string', describe: 'The run to delete or finalize' }),
      async (args) => {
        if (args.action !== 'list' && !args['run-id'])
          throw new CliError(`runs ${args.action} needs --run-id (see runs list)`, EXIT.usage);
        const { runsDelete, runsFinalize, runsList } = await import('./cli/runs_command.ts');
        const store = await datasetStore(args.data, effects);
        if (args.action === 'list') exitCode.value = await runsList(store, args.tenant, effects);
        else if (args.action === 'delete')
          exitCode.value = await runsDelete(store, args.tenant, args['run-id']!, effects);
        else {
          await loadAws();
          const { keepTenantState } = await import('./cli/maintain.ts');
          const home = defaultRegion();
          const logger = effects.logger(String(args['log-level']));
          exitCode.value = await runsFinalize(store, args.tenant, args['run-id']!, {
            ...effects,
            keepState: () =>
              keepTenantState({
                data: args.data,
                tenant: normaliseTenant(args.tenant),
                stateData: args['state-data'],
                goldData: args['gold-data'],
                access: effects.awsServices(home),
                homeRegion: home,
                logger,
              }).catch((error: Error) => ({
                mode: 'failed',
                saveError: ioErrorMessage(error) ?? engineErrorMessage(error) ?? error.message,
              })),
          });
        }
      },
    )
    .command(
      'dataset <action>',
      "A tenant's dataset: `dataset check` names the files an export would skip (damaged parts, another schema, bad manifests); --quarantine moves them under _quarantine/",
      (y) =>
        commonOptions(y)
          .positional('action', { choices: ['check'] as const, describe: 'What to do' })
          .option('tenant', { type: 'string', demandOption: true, describe: 'Tenant to check' })
          .option('data', {
            type: 'string',
            default: DEFAULT_OUT,
            describe: 'Findings dataset root: a directory, or s3://bucket/prefix',
          })
          .option('quarantine', {
            type: 'boolean',
            default: false,
            describe: 'Move the files that cannot be read to <data>/_quarantine/<key>.quarantined',
          }),
      async (args) => {
        const { datasetCheck } = await import('./cli/dataset_command.ts');
        const store = await datasetStore(args.data, effects);
        exitCode.value = await datasetCheck(
          store,
          args.tenant,
          { quarantine: args.quarantine, ...(isS3(args.data) ? {} : { local: args.data }) },
          effects,
        );
      },
    )
    .command(
      'remediate <action>',
      'The execute step: `remediate plan` writes a reviewable plan of fixes for the open, unsuppressed failing findings of the checks that have one; `remediate apply --plan FILE` acts on it (a dry run unless --execute), each attempt recorded in finops_actions beside the dataset',
      (y) =>
        commonOptions(y)
          .positional('action', { choices: ['plan', 'apply'] as const, describe: 'What to do' })
          .option('tenant', { type: 'string', describe: 'plan: the tenant whose findings to fix' })
          .option('data', {
            type: 'string',
            describe: `The findings dataset (plan: default ${DEFAULT_OUT}; apply: the plan's); the audit goes beside it, in finops_actions`,
          })
          .option('checker', {
            type: 'string',
            array: true,
            default: [],
            describe: 'plan: only this check (repeatable)',
          })
          .option('finding', {
            type: 'string',
            array: true,
            default: [],
            describe: 'plan: only this finding id or fingerprint (repeatable)',
          })
          .option('account', {
            type: 'string',
            array: true,
            default: [],
            describe: 'plan: only this account (repeatable)',
          })
          .option('out', {
            type: 'string',
            default: 'remediation-plan.json',
            describe: 'plan: the plan file to write',
          })
          .option('retention-days', {
            type: 'string',
            default: '30',
            coerce: numberAsTyped('--retention-days', 1, 3653),
            describe: 'plan: the retention a log group without one is given',
          })
          .option('suppressions', {
            type: 'string',
            describe: 'plan: a suppression file, as export takes it',
          })
          .option('state-data', {
            type: 'string',
            describe: 'plan: where the tenant state is kept (as export)',
          })
          .option('gold-data', {
            type: 'string',
            describe: 'plan: where the KPI gold tables are kept (as export)',
          })
          .option('plan', { type: 'string', describe: 'apply: the plan file remediate plan wrote' })
          .option('execute', {
            type: 'boolean',
            default: false,
            describe:
              'apply: really do it (without it: a dry run, calling AWS with DryRun where the API has it)',
          })
          .option('allow-destructive', {
            type: 'boolean',
            default: false,
            describe:
              'apply: with --execute, also the destructive actions (terminating an instance after its backup)',
          })
          .option('max-actions', {
            type: 'string',
            default: '50',
            coerce: numberAsTyped('--max-actions', 1),
            describe: 'apply: refuse a plan with more actions than this',
          })
          .option('max-age', {
            type: 'string',
            default: '24h',
            describe: 'apply: refuse a plan older than this (90m, 24h, 2d)',
          })
          .option('role-name', {
            type: 'string',
            describe: "apply: role to assume in each account of the plan that is not the caller's",
          })
          .option('external-id', { type: 'string', describe: 'apply: external id for --role-name' }),
      async (args) => {
        const { remediatePlanCommand, remediateApplyCommand } = await import('./cli/remediate_command.ts');
        const remediateEffects = { ...effects, logger: effects.logger(String(args['log-level'])) };
        if (args.action === 'plan') {
          if (!args.tenant) throw new CliError('remediate plan needs --tenant', EXIT.usage);
          if (isS3(args.data ?? DEFAULT_OUT)) await loadAws();
          exitCode.value = await remediatePlanCommand(
            {
              ...args,
              tenant: args.tenant,
              data: args.data ?? DEFAULT_OUT,
              'retention-days': args['retention-days']!,
              engineVersion: ENGINE_VERSION,
            },
            remediateEffects,
          );
          return;
        }
        if (!args.plan)
          throw new CliError('remediate apply needs --plan FILE (see remediate plan)', EXIT.usage);
        await loadAws();
        exitCode.value = await remediateApplyCommand(
          { ...args, plan: args.plan, 'max-actions': args['max-actions']! },
          remediateEffects,
        );
      },
    )
    .command(
      'plan-shards',
      "Split one run over many workers: print the shards (run id, run time, each shard's accounts) as JSON, the input of a Step Functions Distributed Map; each item runs with --shard, then `run finalize`",
      (y) =>
        policyOptions(scanOptions(commonOptions(y)))
          .option('tenant', { type: 'string', demandOption: true, describe: 'Tenant of the run' })
          .option('accounts-per-shard', {
            type: 'string',
            coerce: numberAsTyped('--accounts-per-shard', 1),
            describe:
              'Accounts in each shard (default: as many as finish in 10 minutes, from the checkers, regions and --concurrency)',
          }),
      async (args) => {
        exitCode.value = await planShardsCommand(args, effects, effects.logger(String(args['log-level'])));
      },
    )
    .command(
      'config <action>',
      'The policy file: `config validate` checks it against the checkers without scanning; `config print` prints the configuration in force (the file and the flags, flags winning) as JSON, as a run manifest records it',
      (y) =>
        policyOptions(commonOptions(y)).positional('action', {
          choices: ['validate', 'print'] as const,
          describe: 'validate: check the file; print: the effective configuration',
        }),
      async (args) => {
        const { source, config, checkers, packs, registry } = await policyOf(args);
        if (args.action === 'print') {
          effects.print(JSON.stringify(configRecord(source, config, packs), null, 2));
        } else if (source === null) {
          effects.print(
            `No policy file: none of ${CONFIG_FILES.join(', ')} in ${process.cwd()}, and no --config. The defaults apply (${checkers.length} checkers).`,
          );
        } else {
          effects.print(
            `${source} is valid: ${checkers.length} of ${registry.ids().length} checkers would run.`,
          );
        }
        exitCode.value = EXIT.ok;
      },
    )
    .command(
      'docs',
      'Print the checks reference (Markdown, as docs/checks.md): the built-in checks and those of the packs the policy file or --plugin load',
      (y) =>
        policyOptions(commonOptions(y)).option('out-file', {
          type: 'string',
          describe: 'Write it to this file instead of printing it',
        }),
      async (args) => {
        const { checkers } = await policyOf(args);
        const { checksMarkdown } = await import('./cli/docs.ts');
        const markdown = checksMarkdown(checkers, (await discoverFixes()).list());
        if (args['out-file']) {
          const { writeFileAtomic } = await import('./pipeline/atomic.ts');
          await writeFileAtomic(args['out-file'], markdown);
          effects.print(`Wrote ${args['out-file']} (${checkers.length} checks)`);
        } else {
          effects.print(markdown);
        }
        exitCode.value = EXIT.ok;
      },
    )
    .command(
      'iam-policy',
      'Print the least-privilege IAM policy for the selected checkers (all by default)',
      (y) =>
        policyOptions(commonOptions(y)).option('remediation', {
          type: 'boolean',
          default: false,
          describe: 'Add a statement with what `remediate apply` calls to fix the findings of those checkers',
        }),
      async (args) => {
        // What a run with the same flags and policy file would use: its packs' checkers too.
        const { checkers } = await policyOf(args);
        const fixes = args.remediation ? (await discoverFixes()).list() : undefined;
        effects.print(JSON.stringify(iamPolicy(checkers, fixes), null, 2));
        exitCode.value = EXIT.ok;
      },
    )
    .example('$0 --tenant acme --export', 'scan the current account, write Parquet and the dashboard JSON')
    .example('$0 --tenant acme --checker aws.s3.governance.lifecycle.missing', 'run one checker')
    .example(
      '$0 --tenant acme --org --role-name FinOpsAudit --out s3://finops-lake/findings',
      'every active account of the organization, into S3',
    )
    .example(
      '$0 plan-shards --tenant acme --org --role-name FinOpsAudit --out s3://finops-lake/findings',
      'split a run of the organisation into shards (JSON), each run with --shard K/N, then `run finalize`',
    )
    .example('$0 run finalize --tenant acme --run-id nightly-2026-11-28', 'one run from its shards')
    .example('$0 export --tenant acme --data data/finops_findings', 'export JSON from an existing dataset')
    .example('$0 config validate --config finops.config.yaml', 'check a policy file without scanning')
    .example(
      '$0 cost import --tenant acme --source ./cur-export/acme-cur2',
      'daily per-resource costs from the bill',
    )
    .example('$0 kpi rebuild --tenant acme --from 2026-01-01', 'recompute the daily KPI gold tables')
    .example('$0 runs delete --tenant acme --run-id run-20261128T060000Z-1a2b3c4d', 'undo one run')
    .example('$0 dataset check --tenant acme --quarantine', 'move unreadable files of a tenant aside')
    .example(
      '$0 remediate plan --tenant acme --out plan.json',
      'a reviewable plan of fixes for the open findings',
    )
    .example(
      '$0 remediate apply --plan plan.json --execute',
      'do what the plan says (without --execute: a dry run)',
    )
    .epilogue(
      'Exit codes: 0 success; 1 failure (no account scanned, interrupted, invalid drafts); 2 bad usage;\n' +
        '3 finished with checker or account errors (what is valid is written; the run manifest says what failed).\n' +
        'AWS configuration: AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL are honoured.',
    )
    .version(ENGINE_VERSION)
    .strict()
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs reports a flag's coerce error (numberAsTyped) as its own error, with the message kept.
      if (error?.name === 'YError') throw new CliError(error.message, EXIT.usage, { cause: error });
      if (error) throw error;
      throw new CliError(`${message} (see --help)`, EXIT.usage);
    });
  return cli;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], effects: RunnerEffects = defaultEffects): Promise<number> {
  const exitCode = { value: EXIT.ok as number };
  try {
    await buildCli(argv, effects, exitCode).parseAsync();
    return exitCode.value;
  } catch (error) {
    const io = ioErrorMessage(error) ?? engineErrorMessage(error);
    if (io !== undefined) {
      process.stderr.write(`error: ${io}\n`);
      if (argv.includes('--debug')) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
      return EXIT.failure;
    }
    const known = error instanceof Error && KNOWN_ERRORS.has(error.name);
    const code =
      error instanceof CliError
        ? error.exitCode
        : error instanceof Error && error.name === 'UnsafeTenantError'
          ? EXIT.usage
          : EXIT.failure;
    process.stderr.write(
      `error: ${known ? (error as Error).message : String((error as Error)?.message ?? error)}\n`,
    );
    if (argv.includes('--debug')) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
    else if (!known) process.stderr.write('(run again with --debug for details)\n');
    return code;
  }
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  process.exitCode = await main(hideBin(process.argv));
}
