/**
 * npm run dashboard [-- --dir webapp_data --port 8787]: serves the latest export with the dashboard on
 * 127.0.0.1 and prints the URL. Ctrl-C stops it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { serveDashboard } from '../dashboard/serve.ts';

const DEFAULT_PORT = 8787;

const args = await yargs(hideBin(process.argv))
  .scriptName('npm run dashboard --')
  .usage(
    '$0 [--dir DIR] [--port N]\n\nServes an export folder (findings.json, summary.json, ...) with the dashboard.',
  )
  .option('dir', { type: 'string', default: 'webapp_data', describe: 'The export folder to show' })
  .option('port', { type: 'number', default: DEFAULT_PORT, describe: 'Port on 127.0.0.1 (0: any free port)' })
  .strict()
  .help()
  .parseAsync();

const dir = resolve(args.dir);
if (!existsSync(join(dir, 'findings.json'))) {
  console.error(
    `No export in ${dir} yet (findings.json is missing): run \`npm run demo\`, or \`npx tsx runner.ts export --tenant T --out-dir ${args.dir}\`.\n` +
      'Serving anyway: the page will say what is missing.',
  );
}
let server;
try {
  server = await serveDashboard({ dir, port: args.port });
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || args.port === 0) throw error;
  console.error(`Port ${args.port} is in use; picking a free one.`);
  server = await serveDashboard({ dir, port: 0 });
}
console.log(`Dashboard for ${dir}:\n  ${server.url}\nCtrl-C to stop.`);
const stop = () => void server.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
