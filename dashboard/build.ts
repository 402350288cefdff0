/**
 * Builds the dashboard into its three static files — index.html, app.js (TypeScript and Chart.js bundled
 * by esbuild) and app.css — in memory, so the export can write them next to the JSON and the local server
 * can serve them without a build step in between.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeFileAtomic } from '../pipeline/atomic.ts';

export const DASHBOARD_FILES = ['index.html', 'app.js', 'app.css'] as const;
export type DashboardFile = (typeof DASHBOARD_FILES)[number];

/** This folder when run from source; `<package>/dashboard` when run from the compiled `dist/dashboard`. */
function sourceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, join(here, '..', '..', 'dashboard')];
  const found = candidates.find((dir) => existsSync(join(dir, 'src', 'main.ts')));
  if (!found) throw new Error(`the dashboard sources are missing (looked in ${candidates.join(', ')})`);
  return found;
}

let cached: Promise<ReadonlyMap<DashboardFile, string>> | undefined;

/** The built files, built once per process. */
export function buildDashboard(): Promise<ReadonlyMap<DashboardFile, string>> {
  cached ??= buildOnce();
  return cached;
}

async function buildOnce(): Promise<ReadonlyMap<DashboardFile, string>> {
  const dir = sourceDir();
  const result = await build({
    entryPoints: [join(dir, 'src', 'main.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outfile: 'app.js',
    logLevel: 'silent',
  });
  const script = result.outputFiles.find((file) => file.path.endsWith('app.js'));
  if (!script) throw new Error('esbuild produced no app.js');
  return new Map<DashboardFile, string>([
    ['index.html', await readFile(join(dir, 'index.html'), 'utf8')],
    ['app.js', script.text],
    ['app.css', await readFile(join(dir, 'style.css'), 'utf8')],
  ]);
}

/** Writes the dashboard into a folder (atomically, file by file); returns the paths written. */
export async function writeDashboard(outDir: string): Promise<string[]> {
  const files = await buildDashboard();
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of files) {
    const target = join(outDir, name);
    await writeFileAtomic(target, content);
    written.push(target);
  }
  return written;
}
