/**
 * Checker packs as a user writes and lists them: local modules named by the policy file's `plugins` or by
 * `--plugin`, loaded, validated and run like built-in checkers against the AWS emulator; every way a pack can
 * be wrong is one sentence with its exit code.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoEstate, type DemoIds } from '../../scripts/demo_estate.ts';
import { startMoto, type MotoServer } from '../../scripts/moto_server.ts';
import { findingRows } from '../helpers/duckdb.ts';
import { runRunner } from '../helpers/runner_process.ts';

let moto: MotoServer;
let dir: string;
let estate: DemoIds;

const runner = (args: string[]) => runRunner(args, { cwd: dir, env: { ...process.env, ...moto.env } });

const CHECK_ID = 'acmepack.ec2.instances.cost.tag.missing';

/** A pack module's text: one check (instances without a cost-center tag), with what `change` alters. */
const packModule = (meta: Record<string, string>, checkId = CHECK_ID, before = '') => `${before}
export default {
  meta: ${JSON.stringify(meta)},
  checkers: [{
    meta: {
      id: ${JSON.stringify(checkId)}, title: 'EC2 instance without a cost-center tag', cloud: 'aws',
      service: 'AmazonEC2', resource_type: 'ec2_instance', category: 'governance', severity: 'low',
      iam_actions: ['ec2:DescribeInstances', 'ec2:DescribeTags'], rule: 'Every instance carries a cost-center tag.',
      remediation: 'Tag it.', docs_url: 'https://example.com/tagging', pricing: 'none',
    },
    async *create(ctx, bootstrap) {
      for (const region of ctx.regions) {
        for (const instance of await ctx.inventory.instances(region)) {
          const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value ?? '']));
          const id = instance.InstanceId;
          yield {
            status: tags['cost-center'] ? 'pass' : 'fail',
            scope: { account_id: bootstrap.aws_account_id, region, resource_id: id,
                     resource_arn: 'arn:aws:ec2:' + region + ':' + bootstrap.aws_account_id + ':instance/' + id },
            issue_key: { rule: 'cost_tag_missing' },
            title: 'Instance ' + id + ' has no cost-center tag',
            tags,
          };
        }
      }
    },
  }],
};
`;

const GOOD = { name: 'acme-pack', version: '1.0.0', engine: '^0.1' };
const PRICES = {
  version: '2026-12-01',
  currency: 'USD',
  fallback_region: 'us-east-1',
  regions: { 'us-east-1': { workspace_month: 25 } },
};

beforeAll(async () => {
  moto = await startMoto();
  estate = await seedDemoEstate(moto);
  dir = await mkdtemp(join(tmpdir(), 'packs-'));
  await mkdir(join(dir, 'packs'));
  const packs: Record<string, string> = {
    'acme.mjs': packModule(GOOD),
    'newer.mjs': packModule({ ...GOOD, name: 'newer-pack', engine: '^2.0.0' }, 'newerpack.x.y'),
    'throws.mjs': packModule(GOOD, CHECK_ID, "throw new Error('the pack could not reach its config');"),
    'outside.mjs': packModule({ ...GOOD, name: 'outside-pack' }, 'aws.ec2.instances.cost.tag.missing'),
    'twin.mjs': packModule({ ...GOOD, name: '@other/acme-pack', version: '2.0.0' }),
    'empty.mjs':
      'export default { meta: { name: "empty", version: "1.0.0", engine: "^0.1" }, checkers: [] };',
    'priced.mjs': packModule({ ...GOOD, name: 'priced-pack' }, 'pricedpack.ec2.x').replace(
      'export default {',
      `export default {\n  prices: ${JSON.stringify(PRICES)},`,
    ),
    'badprices.mjs': packModule({ ...GOOD, name: 'badprices-pack' }, 'badpricespack.ec2.x').replace(
      'export default {',
      `export default {\n  prices: ${JSON.stringify({ ...PRICES, fallback_region: 'mars-east-1' })},`,
    ),
  };
  for (const [name, text] of Object.entries(packs)) await writeFile(join(dir, 'packs', name), text);
});
afterAll(async () => {
  await moto?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a checker pack', () => {
  it('is listed, priced in IAM and run like a built-in check, and recorded in the manifest and rulepack_version', async () => {
    // Listed by the policy file, which also configures the pack's check.
    await writeFile(
      join(dir, 'finops.config.yaml'),
      `plugins: [./packs/acme.mjs]\nchecks:\n  ${CHECK_ID}:\n    severity: high\n`,
    );
    try {
      const list = await runner(['--list-checkers', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const listed = JSON.parse(list.stdout) as { id: string }[];
      expect(listed.map((c) => c.id)).toContain(CHECK_ID);
      // The same packs, the same checkers in the same order.
      expect((await runner(['--list-checkers', '--json'])).stdout).toBe(list.stdout);
      const docs = await runner(['docs']);
      expect(docs.code, docs.stderr).toBe(0);
      expect(docs.stdout).toContain(`## ${CHECK_ID}\n\n**EC2 instance without a cost-center tag**`);
      const policy = await runner(['iam-policy', '--checker', CHECK_ID]);
      expect(JSON.parse(policy.stdout).Statement[0].Action).toEqual(
        expect.arrayContaining(['ec2:DescribeInstances', 'ec2:DescribeTags']),
      );

      const data = join(dir, 'data', 'finops_findings');
      const run = await runner([
        ...['--tenant', 'acme', '--out', data, '--checker', CHECK_ID],
        ...['--run-ts', estate.runTs.toISOString()],
      ]);
      expect(run.code, run.stderr).toBe(0);
      const rows = await findingRows(
        data,
        'scope.resource_id AS resource, status, severity.level AS level, rulepack_version',
      );
      expect(rows.map((r) => r.resource)).toEqual(Object.values(estate.instances).sort());
      for (const row of rows)
        expect(row).toMatchObject({
          status: 'fail',
          level: 'high',
          rulepack_version: '0.1.0+acme-pack@1.0.0',
        });
      const manifests = join(data, '_runs', 'tenant_id=acme');
      const [day] = await readdir(manifests);
      const [file] = await readdir(join(manifests, day!));
      const manifest = JSON.parse(await readFile(join(manifests, day!, file!), 'utf8'));
      expect(manifest.rulepack_version).toBe('0.1.0+acme-pack@1.0.0');
      expect(manifest.config.packs).toEqual([{ name: 'acme-pack', version: '1.0.0', checkers: [CHECK_ID] }]);
    } finally {
      await rm(join(dir, 'finops.config.yaml'));
    }
  });

  it('says what is wrong with a pack in one sentence, with its exit code', async () => {
    const cases: [string[], number, string][] = [
      [
        ['--plugin', '@acme/not-there'],
        2,
        'plugin "@acme/not-there" is not installed: npm install @acme/not-there',
      ],
      [['--plugin', './packs/missing.mjs'], 2, 'plugin "./packs/missing.mjs" is not installed: no module at'],
      [
        ['--plugin', './packs/newer.mjs'],
        2,
        'plugin "./packs/newer.mjs" 1.0.0 needs engine ^2.0.0; this engine is 0.1.0',
      ],
      [
        ['--plugin', './packs/throws.mjs'],
        1,
        'plugin "./packs/throws.mjs" failed to load: the pack could not reach its config',
      ],
      [
        ['--plugin', './packs/outside.mjs'],
        1,
        'checker aws.ec2.instances.cost.tag.missing is outside the pack\'s namespace: its id must start with "outsidepack."',
      ],
      [
        ['--plugin', './packs/acme.mjs', '--plugin', './packs/twin.mjs'],
        1,
        `checker id ${CHECK_ID} is registered twice: by pack:acme-pack@1.0.0 and by pack:@other/acme-pack@2.0.0`,
      ],
      [['--plugin', './packs/empty.mjs'], 1, 'plugin "./packs/empty.mjs" is not a checker pack'],
      [
        ['--plugin', './packs/badprices.mjs'],
        1,
        'prices.fallback_region: fallback_region must be one of its regions',
      ],
    ];
    for (const [args, code, message] of cases) {
      const result = await runner([...args, '--list-checkers']);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('is only a warning when listed as optional and not installed, and the configuration says so', async () => {
    await writeFile(
      join(dir, 'optional.yaml'),
      'plugins:\n  - { name: "@acme/maybe", optional: true }\n  - ./packs/acme.mjs\n  - ./packs/priced.mjs\n',
    );
    const printed = await runner(['config', 'print', '--config', 'optional.yaml']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toContain('plugin \\"@acme/maybe\\" is not installed');
    expect(JSON.parse(printed.stdout).packs).toEqual([
      { name: '@acme/maybe', version: null, checkers: [], missing: 'not installed' },
      { name: 'acme-pack', version: '1.0.0', checkers: [CHECK_ID] },
      // A pack's own price table: its version is recorded beside the pack's.
      { name: 'priced-pack', version: '1.0.0', checkers: ['pricedpack.ec2.x'], prices_version: '2026-12-01' },
    ]);
  });
});
