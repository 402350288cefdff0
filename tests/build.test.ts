/** The compiled JavaScript discovers and runs the same checkers as the TypeScript sources. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

const listed = async (command: string, args: string[]) =>
  (
    JSON.parse((await run(command, [...args, '--list-checkers', '--json'], { cwd: ROOT })).stdout) as {
      id: string;
    }[]
  ).map((c) => c.id);

describe('compiled build', () => {
  beforeAll(async () => {
    await run(bin('tsc'), ['-p', 'tsconfig.build.json'], { cwd: ROOT });
  }, 120_000);

  it('lists the same checkers under node dist/runner.js, tsx runner.ts and the bin entry', async () => {
    const fromSources = await listed(bin('tsx'), [join(ROOT, 'runner.ts')]);
    expect(fromSources.length).toBeGreaterThan(0);
    expect(await listed(process.execPath, [join(ROOT, 'dist', 'runner.js')])).toEqual(fromSources);
    expect(await listed(process.execPath, [join(ROOT, 'bin', 'finops-findings.mjs')])).toEqual(fromSources);
  });

  it('prints the package version', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'dist', 'runner.js'), '--version'], {
      cwd: ROOT,
    });
    const pkg = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(join(ROOT, 'package.json'), 'utf8')),
    );
    expect(stdout.trim()).toBe(pkg.version);
  });
});
