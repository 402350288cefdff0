/**
 * npm run bench [-- --findings N --json]: measures the pipeline stage by stage and end to end, DuckDB alone
 * on the same findings, peak RSS at two run sizes, exporting one tenant among 1 and 50, and start-up.
 * Prints one JSON line per measurement, then (without --json) a table for people.
 */
import { cpus, totalmem } from 'node:os';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { benchFindings } from './findings.ts';
import { duckdbOnly, endToEnd, exportTimes, peakRss, stages, startup, type Measurement } from './stages.ts';

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run bench --')
  .option('findings', {
    type: 'number',
    default: 100_000,
    describe: 'Findings for the stage and DuckDB measurements',
  })
  .option('rss', {
    type: 'string',
    default: '100000,1000000',
    describe: 'Run sizes for peak RSS, comma-separated ("" to skip)',
  })
  .option('tenants', {
    type: 'string',
    default: '1,50',
    describe: 'Tenant counts for the export measurement ("" to skip)',
  })
  .option('days', {
    type: 'number',
    default: 7,
    describe: 'Days of partitions per tenant for the export measurement',
  })
  .option('export-rows', { type: 'number', default: 2_000, describe: 'Findings per tenant-day partition' })
  .option('repeat', {
    type: 'number',
    default: 3,
    describe: 'Runs of the end-to-end and DuckDB measurements, taken in turn; the fastest of each counts',
  })
  .option('history', {
    type: 'boolean',
    default: false,
    describe:
      'Only the history measurements: export over --history-days daily runs (and over 2) beside DuckDB',
  })
  .option('history-days', { type: 'number', default: 90, describe: 'Daily runs of the long history' })
  .option('history-findings', { type: 'number', default: 20_000, describe: 'Findings per daily run' })
  .option('history-daily', {
    type: 'boolean',
    default: false,
    describe: 'Keep the state as daily runs do (each run folds itself) instead of rebuilding it once',
  })
  .option('dashboard', {
    type: 'boolean',
    default: false,
    describe: 'Only the dashboard measurements: export --dashboard-findings, open and re-filter in Chromium',
  })
  .option('dashboard-findings', { type: 'number', default: 500_000, describe: 'Findings in the dashboard' })
  .option('sizing', {
    type: 'boolean',
    default: false,
    describe:
      'Only the sizing measurements: the runner over an organisation in moto behind a fixed latency, at several --concurrency',
  })
  .option('sizing-latency-ms', { type: 'number', default: 100, describe: 'Latency added to every AWS call' })
  .option('sizing-accounts', { type: 'number', default: 6, describe: 'Accounts of the organisation' })
  .option('sizing-concurrency', {
    type: 'string',
    default: '1,4,8,16',
    describe: 'The --concurrency values, comma-separated',
  })
  .option('cost', {
    type: 'boolean',
    default: false,
    describe:
      'Only the cost import measurement: --cost-rows CUR 2.0 lines imported and attributed, beside DuckDB alone',
  })
  .option('cost-rows', { type: 'number', default: 10_000_000, describe: 'CUR lines of the cost import' })
  .option('json', { type: 'boolean', default: false, describe: 'JSON lines only' })
  .strict()
  .help()
  .parseAsync();

const results: Measurement[] = [];
const emit = (m: Measurement) => {
  results.push(m);
  process.stdout.write(`${JSON.stringify(m)}\n`);
};
const note = (text: string) => {
  if (!args.json) process.stderr.write(`${text}\n`);
};

emit({
  measure: 'machine',
  seconds: 0,
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? '',
  memory_gb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
});
if (args.dashboard) {
  const { dashboardBench } = await import('./dashboard.ts');
  note(`dashboard: ${args['dashboard-findings']} findings…`);
  for (const m of await dashboardBench(args['dashboard-findings'])) emit(m);
  process.exit(0);
}
if (args.cost) {
  const { costImportBench } = await import('./cost.ts');
  note(`cost import: ${args['cost-rows']} CUR lines…`);
  for (const m of await costImportBench(args['cost-rows'], note)) emit(m);
  process.exit(0);
}
if (args.sizing) {
  const { sizingBench } = await import('./sizing.ts');
  for (const m of await sizingBench({
    latencyMs: args['sizing-latency-ms'],
    accounts: args['sizing-accounts'],
    regions: ['us-east-1', 'eu-west-1'],
    concurrencies: args['sizing-concurrency'].split(',').map(Number),
    note,
  }))
    emit(m);
  process.exit(0);
}
if (args.history) {
  const { historyExport } = await import('./history.ts');
  const runs: Measurement[] = [];
  for (const days of [2, args['history-days']]) {
    note(`history: ${days} daily runs × ${args['history-findings']} findings…`);
    for (const m of await historyExport(days, args['history-findings'], note, args['history-daily'])) {
      runs.push(m);
      emit(m);
    }
  }
  const exports = runs.filter((m) => m.measure === 'history_export');
  const folds = runs.filter((m) => m.measure === 'history_run_maintenance');
  emit({
    measure: 'history_ratios',
    seconds: 0,
    export_rss_long_vs_short: Number(
      ((exports[1]!['max_rss_mb'] as number) / (exports[0]!['max_rss_mb'] as number)).toFixed(3),
    ),
    run_maintenance_long_vs_short: Number((folds[1]!.seconds / folds[0]!.seconds).toFixed(3)),
  });
  process.exit(0);
}
note(`generating ${args.findings} findings…`);
const findings = [...benchFindings(args.findings)];
note('stages…');
const { measurements, records } = await stages(findings);
for (const m of measurements) emit(m);
note('end to end and DuckDB alone…');
// In turn, so both see the same moments of a shared machine; the fastest run of each is the one least disturbed.
const pipelines: Measurement[] = [];
const ducks: Measurement[] = [];
for (let i = 0; i < Math.max(1, args.repeat); i += 1) {
  pipelines.push(await endToEnd(findings));
  ducks.push(await duckdbOnly(records));
}
const fastest = (runs: readonly Measurement[]): Measurement => ({
  ...runs.reduce((best, run) => (run.seconds < best.seconds ? run : best)),
  runs_findings_per_s: runs.map((run) => run.findings_per_s),
});
const pipeline = fastest(pipelines);
const duck = fastest(ducks);
emit(duck);
emit({
  ...pipeline,
  duckdb_findings_per_s: duck.findings_per_s,
  ratio_vs_duckdb: Number(((pipeline.findings_per_s ?? 0) / (duck.findings_per_s ?? 1)).toFixed(3)),
});
const sizes = args.rss.split(',').filter(Boolean).map(Number);
for (const size of sizes) {
  note(`peak RSS at ${size}…`);
  emit(await peakRss(size));
}
const rss = results.filter((m) => m.measure === 'peak_rss');
if (rss.length >= 2) {
  const [small, large] = [rss[0]!, rss[rss.length - 1]!];
  emit({
    measure: 'rss_ratio',
    seconds: 0,
    small: small.findings,
    large: large.findings,
    ratio: Number(((large['max_rss_mb'] as number) / (small['max_rss_mb'] as number)).toFixed(3)),
  });
}
const tenants = args.tenants.split(',').filter(Boolean).map(Number);
if (tenants.length > 0) {
  note(`export with ${tenants.join(' and ')} tenants…`);
  const exports = await exportTimes(findings.slice(0, args['export-rows']), tenants, args.days);
  for (const m of exports) emit(m);
  if (exports.length >= 2) {
    emit({
      measure: 'export_ratio',
      seconds: 0,
      ratio: Number((exports[exports.length - 1]!.seconds / exports[0]!.seconds).toFixed(3)),
    });
  }
}
note('start-up…');
for (const m of await startup()) emit(m);

if (!args.json) {
  const rows = results
    .filter((m) => m.measure !== 'machine')
    .map((m) => [
      m.measure + (m['how'] ? ` (${m['how']})` : m['tenants'] ? ` (${m['tenants']} tenants)` : ''),
      m.findings === undefined ? '' : String(m.findings),
      m.seconds ? m.seconds.toFixed(3) : '',
      m.findings_per_s === undefined ? '' : m.findings_per_s.toLocaleString('en-US'),
      m['max_rss_mb'] !== undefined
        ? `${m['max_rss_mb']} MB`
        : m['ratio'] !== undefined
          ? `ratio ${m['ratio']}`
          : m['ratio_vs_duckdb'] !== undefined
            ? `${m['ratio_vs_duckdb']}× DuckDB`
            : '',
    ]);
  const header = ['measure', 'findings', 'seconds', 'findings/s', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stderr.write(
    `\n${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`,
  );
}
