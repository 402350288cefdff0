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
import { checkerModules, discoverCheckers, discoverFixes, fixModules } from '../../cli/discover.ts';
import { defineFix, FixRegistry } from '../../checks/_lib/fixes.ts';
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

describe('fix discovery', () => {
  it('registers each fix module beside its check, named <check-id>.fix.ts, for a check that exists', async () => {
    const checkers = await discoverCheckers();
    const fixes = await discoverFixes();
    const modules = await fixModules();
    expect(modules.length).toBeGreaterThanOrEqual(8);
    const fileIds = modules.map((m) => basename(m).replace(/\.fix\.[jt]s$/, ''));
    expect(fixes.list().map((fix) => fix.meta.check_id)).toEqual([...fileIds].sort());
    for (const id of fileIds) {
      expect(checkers.has(id), id).toBe(true);
      expect(fixes.forCheck(id)!.meta.iam_actions.length, id).toBeGreaterThan(0);
    }
    // A fix module is not taken for a checker.
    expect((await checkerModules()).some((m) => m.includes('.fix.'))).toBe(false);
  });

  it('refuses a second fix for the same check, naming both modules', () => {
    const registry = new FixRegistry();
    const fix = defineFix({
      meta: { check_id: 'aws.x', action: 'x', summary: 'x', iam_actions: ['ec2:X'] },
      parameters: () => ({}),
      apply: async () => ({ status: 'succeeded', before: {} }),
    });
    registry.register(fix, 'file:///a.fix.ts');
    expect(() => registry.register(fix, 'file:///b.fix.ts')).toThrow(
      'a fix for aws.x is registered twice: by file:///a.fix.ts and by file:///b.fix.ts',
    );
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
