/**
 * deploy/: the SAM template passes cfn-lint, the state machine passes an Amazon States Language validator, and
 * every Lambda input the state machine builds is one the handler accepts, field by field.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { parse, type Tags } from 'yaml';
import { planShards } from '../cli/plan_shards.ts';
import { ScheduledRunSchema } from '../lambda/handler.ts';

const DEPLOY = fileURLToPath(new URL('../deploy/', import.meta.url));
const read = (name: string) => readFile(`${DEPLOY}${name}`, 'utf8');

/** CloudFormation's short tags, read as plain values: `!Sub text` is the text. */
const CFN_TAGS: Tags = ['!Sub', '!Ref', '!GetAtt'].flatMap((tag) => [
  { tag, resolve: (value: unknown) => value },
  { tag, collection: 'seq' as const, resolve: (value: unknown) => value },
]) as unknown as Tags;

type Json = Record<string, unknown>;

/** Every Task state that invokes the function, with its Parameters, at any depth of the definition. */
function lambdaTasks(states: Record<string, Json>): [string, Json][] {
  return Object.entries(states).flatMap(([name, state]) => {
    const inner = (state['ItemProcessor'] as { States: Record<string, Json> } | undefined)?.States;
    const own: [string, Json][] =
      state['Resource'] === 'arn:aws:states:::lambda:invoke' ? [[name, state['Parameters'] as Json]] : [];
    return [...own, ...(inner ? lambdaTasks(inner) : [])];
  });
}

const fieldsOf = (payload: Json) => Object.keys(payload).map((key) => key.replace(/\.\$$/, ''));

describe('the deployment', () => {
  it('is a template cfn-lint passes', async () => {
    // The module, not the console script: python3 finds it wherever pip put the script.
    const { stdout, stderr } = await promisify(execFile)('python3', [
      '-c',
      "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())",
      '--format',
      'parseable',
      `${DEPLOY}template.yaml`,
    ]).catch((error: { code: number; stdout: string; stderr: string }) => {
      throw new Error(`cfn-lint failed (${error.code}):\n${error.stdout}${error.stderr}`);
    });
    expect(stdout + stderr).toBe('');
  }, 120_000);

  it('has a state machine definition the States Language validator passes', async () => {
    const definition = JSON.parse(await read('statemachine.asl.json')) as Json;
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, errorsText('\n')).toBe(true);
  });

  it('gives the Lambda handler only inputs it accepts, at every step', async () => {
    const definition = JSON.parse(await read('statemachine.asl.json')) as { States: Record<string, Json> };
    const template = parse(await read('template.yaml'), { customTags: CFN_TAGS }) as {
      Resources: Record<
        string,
        { Properties: { Events?: Record<string, { Properties: { Input: string } }> } }
      >;
    };
    const input = JSON.parse(
      template.Resources['ShardedRunStateMachine']!.Properties.Events!['Nightly']!.Properties.Input,
    ) as { scan: Json; export_dir: string };
    const accepted = new Set(Object.keys(ScheduledRunSchema.shape));
    const tasks = lambdaTasks(definition.States);
    expect(tasks.map(([name]) => name)).toEqual(['Plan shards', 'Scan shard', 'Finalize run', 'Export']);

    // Plan: the schedule's scan settings merged with the run's id and time (the "Name the run" state).
    const naming = fieldsOf(definition.States['Name the run']!['Parameters'] as Json);
    const plan = { ...input.scan, action: 'plan', run_id: 'nightly', run_ts: '2026-11-28T02:00:00.000Z' };
    expect(tasks[0]![1]['Payload.$']).toBe('States.JsonMerge($.scan, $.run, false)');
    expect(new Set([...Object.keys(input.scan), ...naming]).size).toBeGreaterThan(5);
    for (const field of [...Object.keys(input.scan), ...naming]) expect(accepted).toContain(field);
    expect(ScheduledRunSchema.safeParse(plan).success).toBe(true);

    // Scan: each item as plan returns it, with every optional setting it can carry.
    expect(tasks[1]![1]['Payload.$']).toBe('$');
    const shards = planShards({
      tenant: 'acme',
      out: 's3://lake/finops_findings',
      runId: 'nightly',
      runTs: '2026-11-28T02:00:00.000Z',
      accounts: ['111111111111', '222222222222', '333333333333'],
      regions: ['us-east-1', 'eu-west-1'],
      checkers: [{ id: 'aws.a', regional: true }],
      concurrency: 8,
      accountsPerShard: 2,
      shared: {
        role_name: 'FinOpsAudit',
        external_id: 'x',
        regions: ['us-east-1', 'eu-west-1'],
        checkers: ['aws.a'],
        exclude_checkers: ['aws.b'],
        concurrency: 8,
      },
    }).shards;
    expect(shards).toHaveLength(2);
    for (const item of shards) {
      for (const field of Object.keys(item)) expect(accepted).toContain(field);
      const parsed = ScheduledRunSchema.safeParse(item);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    }

    // Finalize and export: their fixed payloads, with the values the paths name.
    const values: Record<string, unknown> = {
      '$.scan.tenant': input.scan['tenant'],
      '$.scan.out': input.scan['out'],
      '$.run.run_id': 'nightly',
      '$.export_dir': input.export_dir,
    };
    for (const [name, parameters] of tasks.slice(2)) {
      const payload = parameters['Payload'] as Json;
      const concrete = Object.fromEntries(
        Object.entries(payload).map(([key, value]) =>
          key.endsWith('.$') ? [key.slice(0, -2), values[String(value)]] : [key, value],
        ),
      );
      for (const value of Object.values(concrete)) expect(value, name).toBeDefined();
      const parsed = ScheduledRunSchema.safeParse(concrete);
      expect(parsed.success, `${name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
    }
  });
});
