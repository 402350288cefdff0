import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CheckerRegistry,
  defineChecker,
  RegistryError,
  type CheckerDefinition,
} from '../../checks/_lib/registry.ts';
import { checkerModules, discoverCheckers } from '../../cli/discover.ts';
import { META } from '../helpers/records.ts';

const definition = (id = META.id): CheckerDefinition =>
  defineChecker({ meta: { ...META, id }, create: async function* () {} });

describe('checker registry', () => {
  it('throws on a duplicate id, naming both modules', () => {
    const registry = new CheckerRegistry();
    registry.register(definition(), 'file:///checks/a.ts');
    expect(() => registry.register(definition(), 'file:///checks/b.ts')).toThrow(
      'checker id aws.test.example.check is registered twice: by file:///checks/a.ts and by file:///checks/b.ts',
    );
  });

  it('fails on an unknown id with the list of known ids', () => {
    const registry = new CheckerRegistry();
    registry.register(definition('aws.b.check'), 'b');
    registry.register(definition('aws.a.check'), 'a');
    expect(() => registry.get('aws.nope')).toThrow(
      'unknown checker aws.nope; known checkers: aws.a.check, aws.b.check',
    );
  });

  it('validates metadata when a checker is declared', () => {
    expect(() =>
      defineChecker({ meta: { ...META, id: 'Not An Id', iam_actions: [] }, create: async function* () {} }),
    ).toThrow(RegistryError);
    try {
      defineChecker({ meta: { ...META, id: 'Not An Id', iam_actions: [] }, create: async function* () {} });
    } catch (error) {
      expect((error as Error).message).toMatch(/^id: must be dotted lower-case words/m);
      expect((error as Error).message).toMatch(/^iam_actions: /m);
    }
  });
});

describe('checker discovery', () => {
  it('finds checker modules in sorted order and skips helpers', async () => {
    const modules = await checkerModules();
    expect(modules.length).toBeGreaterThan(0);
    expect(modules).toEqual([...modules].sort());
    expect(modules.some((m) => m.includes('/_'))).toBe(false);
  });

  it('registers every module under checks/ under its file name, and the id in its metadata agrees', async () => {
    const registry = await discoverCheckers();
    const modules = await checkerModules();
    const fileIds = modules.map((m) => basename(m, extname(m)));
    for (const id of fileIds) {
      const checker = registry.get(id);
      expect(checker.meta.id).toBe(id);
      expect(basename(fileURLToPath(checker.module), extname(checker.module))).toBe(id);
    }
    // Nothing registered that is not a file (test-only checkers aside).
    expect(registry.ids().filter((id) => !id.startsWith('test.'))).toEqual([...fileIds].sort());
  });
});

describe('checker discovery failures', () => {
  it('fails with the module path and the error when a checker module does not load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'checks-'));
    try {
      await mkdir(join(dir, 'aws'));
      await mkdir(join(dir, '_lib'));
      await writeFile(join(dir, '_lib', 'helper.ts'), 'throw new Error("helpers are never imported");\n');
      await writeFile(
        join(dir, 'aws', 'aws.broken.check.ts'),
        'throw new Error("syntax or import failure");\n',
      );
      await expect(discoverCheckers(dir)).rejects.toThrow(
        /checker module .*aws\/aws\.broken\.check\.ts failed to load: syntax or import failure/,
      );
      expect(await checkerModules(dir)).toEqual([join(dir, 'aws', 'aws.broken.check.ts')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
