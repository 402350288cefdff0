import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
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

/** Every file a clone holds that code or tests could read paths from. */
const CODE_ROOTS = [
  'runner.ts',
  'checks',
  'contracts',
  'pipeline',
  'cli',
  'lambda',
  'tests',
  'scripts',
  'bench',
];
const CODE_FILE = /\.(ts|mts|mjs|js|py|sh)$/;
/** Sources also compiled to dist/ (tsconfig.build.json): a path there is relative to dist/<file>. */
const BUILT = ['runner.ts', 'checks/', 'contracts/', 'pipeline/', 'cli/', 'lambda/'];

async function codeFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const root of [...CODE_ROOTS, 'bin', 'dashboard/src', '.ci']) {
    const path = join(ROOT, root);
    const entries = await readdir(path, { withFileTypes: true, recursive: true }).catch(() => null);
    if (entries === null) files.push(path);
    else for (const e of entries) if (e.isFile()) files.push(join(e.parentPath, e.name));
  }
  return files.filter((f) => CODE_FILE.test(f) || f.endsWith('/.ci/run'));
}

/** The places a file reaches outside the repository: module-relative URLs that resolve outside, or the sibling shared/. */
function outsideReads(file: string, text: string): string[] {
  const rel = relative(ROOT, file);
  const bases = [dirname(file)];
  if (BUILT.some((b) => rel === b || rel.startsWith(b))) bases.push(dirname(join(ROOT, 'dist', rel)));
  const inside = (base: string, path: string) => !relative(ROOT, resolve(base, path)).startsWith('..');
  const found: string[] = [];
  for (const m of text.matchAll(/new URL\(\s*(['"`])([^'"`]+)\1\s*,\s*import\.meta\.url/g)) {
    if (!bases.some((base) => inside(base, m[2]!.split('${')[0]!))) found.push(`${rel}: ${m[2]}`);
  }
  for (const m of text.matchAll(/\.\.\/shared\b|['"`/]shared\/fixtures/g)) found.push(`${rel}: ${m[0]}`);
  return found;
}

describe('the repository stands alone', () => {
  it('the scanner sees reads outside the repository (so the check below can fail)', () => {
    const file = join(ROOT, 'tests', 'contracts', 'x.test.ts');
    // The examples are assembled here, so this file itself holds no read outside the repository.
    const url = (path: string, quote = "'") => `new URL(${quote}${path}${quote}, import.meta.url)`;
    const up = '../'.repeat(3);
    const sibling = ['shared', 'fixtures', 'identity_vectors.json'].join('/');
    expect(outsideReads(file, `readFileSync(${url(up + sibling)})`)).toHaveLength(2);
    expect(outsideReads(file, url(`${up}elsewhere/\${name}`, '`'))).toHaveLength(1);
    expect(outsideReads(file, url('../fixtures/reference_engine/a.json'))).toEqual([]);
  });

  it('no source, script or test reads a path outside the repository', async () => {
    const files = await codeFiles();
    expect(files.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const file of files) found.push(...outsideReads(file, await readFile(file, 'utf8')));
    expect(found).toEqual([]);
  });
});
