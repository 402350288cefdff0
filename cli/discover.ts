/**
 * Checker discovery: import every module under checks/ (recursively, in sorted order) so each one
 * registers itself. Helpers (`_`-prefixed files and folders), declarations, tests and maps are skipped.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fixRegistry, type FixRegistry } from '../checks/_lib/fixes.ts';
import { registry, type CheckerRegistry } from '../checks/_lib/registry.ts';
import { CliError } from './errors.ts';

/** The checks/ folder beside the running runner (the sources under tsx, dist/ when compiled). */
export const CHECKS_DIR = fileURLToPath(new URL('../checks/', import.meta.url));
const MODULE_EXTENSION = extname(fileURLToPath(import.meta.url)) === '.ts' ? '.ts' : '.js';

function isModule(name: string): boolean {
  return (
    !name.startsWith('_') &&
    !name.startsWith('.') &&
    name.endsWith(MODULE_EXTENSION) &&
    !name.endsWith(`.d${MODULE_EXTENSION}`) &&
    !/\.(test|spec)\.[cm]?[jt]s$/.test(name)
  );
}

/** A check's fix lies beside it as `<check-id>.fix.ts`: a module of its own kind. */
const isFixModule = (name: string): boolean => isModule(name) && name.endsWith(`.fix${MODULE_EXTENSION}`);
const isCheckerModule = (name: string): boolean => isModule(name) && !isFixModule(name);

/** Every checker module path under `dir`, sorted so discovery is the same on every machine. */
export async function checkerModules(dir: string = CHECKS_DIR): Promise<string[]> {
  return modulesUnder(dir, isCheckerModule);
}

/** Every fix module path under `dir` (`<check-id>.fix.ts`), sorted. */
export async function fixModules(dir: string = CHECKS_DIR): Promise<string[]> {
  return modulesUnder(dir, isFixModule);
}

async function modulesUnder(dir: string, wanted: (name: string) => boolean): Promise<string[]> {
  const found: string[] = [];
  async function walk(folder: string): Promise<void> {
    const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith('_') && !entry.name.startsWith('.')) {
        await walk(join(folder, entry.name));
      } else if (entry.isFile() && wanted(entry.name)) {
        found.push(join(folder, entry.name));
      }
    }
  }
  await walk(dir);
  return found;
}

/** Imports every checker module; a module that fails to import fails discovery with its path. */
export async function discoverCheckers(dir: string = CHECKS_DIR): Promise<CheckerRegistry> {
  await importAll(await checkerModules(dir), 'checker');
  return registry;
}

/** Imports every fix module (each registers the fix of its check). */
export async function discoverFixes(dir: string = CHECKS_DIR): Promise<FixRegistry> {
  await importAll(await fixModules(dir), 'fix');
  return fixRegistry;
}

async function importAll(paths: readonly string[], kind: string): Promise<void> {
  for (const path of paths) {
    try {
      await import(pathToFileURL(path).href);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new CliError(`${kind} module ${relative(process.cwd(), path)} failed to load: ${reason}`, 1, {
        cause: error,
      });
    }
  }
}
