/**
 * Builds the dashboard into its three static files — index.html, app.js (TypeScript and Chart.js bundled
 * by esbuild) and app.css — in memory, so the export can write them next to the JSON and the local server
 * can serve them without a build step in between.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../pipeline/atomic.ts';

export const DASHBOARD_FILES = ['index.html', 'app.js', 'app.css'] as const;
export type DashboardFile = (typeof DASHBOARD_FILES)[number];

/** How each file is served (by the local server, and when an export goes up to S3). */
export const DASHBOARD_CONTENT_TYPES: Readonly<Record<DashboardFile, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

const HERE = dirname(fileURLToPath(import.meta.url));

/** The sources: this folder when run from source, `<package>/dashboard` when run from `dist/dashboard`. */
function sourceDir(): string | undefined {
  return [HERE, join(HERE, '..', '..', 'dashboard')].find((dir) => existsSync(join(dir, 'src', 'main.ts')));
}

/** Prebuilt files, for a package shipped without the sources (the Lambda zip puts them in `static/`). */
function prebuiltDir(): string | undefined {
  return [join(HERE, 'static'), join(HERE, 'dist')].find((dir) => existsSync(join(dir, 'app.js')));
}

let cached: Promise<ReadonlyMap<DashboardFile, string>> | undefined;

/** The built files, built once per process. */
export function buildDashboard(): Promise<ReadonlyMap<DashboardFile, string>> {
  cached ??= buildOnce();
  return cached;
}

async function buildOnce(): Promise<ReadonlyMap<DashboardFile, string>> {
  const dir = sourceDir();
  if (!dir) {
    const prebuilt = prebuiltDir();
    if (!prebuilt) throw new Error(`the dashboard is missing: no sources or prebuilt files near ${HERE}`);
    const entries = await Promise.all(
      DASHBOARD_FILES.map(async (name) => [name, await readFile(join(prebuilt, name), 'utf8')] as const),
    );
    return new Map(entries);
  }
  const { build } = await import('esbuild');
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
  const written: string[] = [];
  for (const [name, content] of files) {
    const target = join(outDir, name);
    await writeFileAtomic(target, content);
    written.push(target);
  }
  return written;
}
