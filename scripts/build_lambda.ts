/**
 * npm run build:lambda: the deployable zip for the scheduled Lambda (handler `lambda/handler.handler`,
 * Node.js 20+, x86_64 when built on x86_64 Linux: DuckDB's native binding is the build machine's).
 * Compiled JavaScript, the prebuilt dashboard, and production dependencies only.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { cp, readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZipFile } from 'yazl';
import { writeDashboard } from '../dashboard/build.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'dist-lambda');
const STAGE = join(OUT, 'package');
const ZIP = join(OUT, 'finops-findings-lambda.zip');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

await rm(OUT, { recursive: true, force: true });
console.log('compiling (tsc -p tsconfig.build.json)');
execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
await cp(join(ROOT, 'dist'), STAGE, { recursive: true });
for (const file of ['package.json', 'package-lock.json']) await cp(join(ROOT, file), join(STAGE, file));
await writeDashboard(join(STAGE, 'dashboard', 'static'));
console.log('installing production dependencies (npm ci --omit=dev)');
execFileSync(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
  cwd: STAGE,
  stdio: 'inherit',
});

const zip = new ZipFile();
let files = 0;
for (const entry of await readdir(STAGE, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const path = join(entry.parentPath, entry.name);
  zip.addFile(path, relative(STAGE, path).split(sep).join('/'), { mode: (await stat(path)).mode });
  files += 1;
}
zip.end();
await new Promise<void>((resolve, reject) => {
  zip.outputStream.pipe(createWriteStream(ZIP)).on('close', resolve).on('error', reject);
});
const size = (await stat(ZIP)).size;
console.log(
  `${ZIP}: ${files} files, ${(size / 1024 / 1024).toFixed(1)} MiB. Handler: lambda/handler.handler`,
);
