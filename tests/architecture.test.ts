import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

async function sources(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(join(ROOT, folder), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** Every module specifier a file imports (static, dynamic and re-exports). */
function imports(text: string): string[] {
  const found = [
    ...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ];
  return found.map((m) => m[1] ?? m[2]!);
}

async function violations(
  folder: string,
  forbidden: (specifier: string, file: string) => boolean,
): Promise<string[]> {
  const bad: string[] = [];
  for (const file of await sources(folder)) {
    for (const specifier of imports(await readFile(file, 'utf8'))) {
      if (forbidden(specifier, file)) bad.push(`${relative(ROOT, file)} imports ${specifier}`);
    }
  }
  return bad;
}

const STORAGE_LIBS = ['apache-arrow', 'parquet-wasm', '@duckdb/node-api'];
const isStorageLib = (s: string) => STORAGE_LIBS.some((lib) => s === lib || s.startsWith(`${lib}/`));

describe('dependency boundaries', () => {
  it('the import scanner sees imports (so the checks below can fail)', () => {
    expect(imports("import { x } from 'apache-arrow';\nconst m = await import('../pipeline/a.ts');")).toEqual(
      ['apache-arrow', '../pipeline/a.ts'],
    );
  });

  it('checks/ never imports pipeline/, Arrow, parquet-wasm or DuckDB', async () => {
    expect(
      await violations('checks', (s) => isStorageLib(s) || s.includes('/pipeline/') || s.includes('/cli/')),
    ).toEqual([]);
  });

  it('checks/ imports from contracts/ only the draft, metadata and identity types, never the storage schema', async () => {
    expect(await violations('checks', (s) => /contracts\/(schema|storage_cast)/.test(s))).toEqual([]);
  });

  it('checks/ never creates SDK clients or reads credentials', async () => {
    const bad: string[] = [];
    for (const file of await sources('checks')) {
      const text = await readFile(file, 'utf8');
      if (/new\s+\w+Client\s*\(/.test(text)) bad.push(`${relative(ROOT, file)} creates an SDK client`);
      if (/process\.env|credential-provider|fromIni|fromEnv/.test(text))
        bad.push(`${relative(ROOT, file)} reads credentials or environment`);
    }
    expect(bad).toEqual([]);
  });

  it('contracts/ never imports the AWS SDK, pipeline/ or the checkers', async () => {
    expect(
      await violations(
        'contracts',
        (s) => s.startsWith('@aws-sdk/') || s.includes('/pipeline/') || s.includes('/checks/'),
      ),
    ).toEqual([]);
  });

  it('pipeline/ never imports the AWS SDK or the checkers', async () => {
    expect(await violations('pipeline', (s) => s.startsWith('@aws-sdk/') || s.includes('/checks/'))).toEqual(
      [],
    );
  });

  it('only cli/aws.ts builds SDK clients', async () => {
    const builders: string[] = [];
    if (/new\s+\w+Client\s*\(/.test(await readFile(join(ROOT, 'runner.ts'), 'utf8')))
      builders.push('runner.ts');
    for (const folder of ['checks', 'contracts', 'pipeline', 'cli', 'dashboard']) {
      for (const file of await sources(folder)) {
        if (/new\s+(S3|STS|EC2|\w+)Client\s*\(/.test(await readFile(file, 'utf8')))
          builders.push(relative(ROOT, file));
      }
    }
    expect(builders).toEqual(['cli/aws.ts']);
  });
});
