import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logStep } from '../../cli/log.ts';

/** A stream that says it is a terminal, and what was written to it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  stream.isTTY = true;
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('logging on a terminal', () => {
  it('leaves out the steps the printed summary repeats, and keeps the others to one line each', async () => {
    const terminal = fakeTerminal();
    const logger = createLogger('info', terminal.stream);
    const run = logger.child({ run_id: 'run-1' });
    logStep(run, { accounts: ['123456789012'], regions: ['us-east-1', 'eu-west-1'] }, 'run started');
    logStep(logger, { tenant: 'acme' }, 'importing costs');
    run.warn(
      { account: '123456789012', regions: ['us-east-1', 'eu-west-1'] },
      'an account could not be read',
    );
    await settle();
    const lines = terminal
      .text()
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('an account could not be read');
    expect(lines[0]).toContain('"regions":["us-east-1","eu-west-1"]');
  });

  it('shows the steps at debug level', async () => {
    const terminal = fakeTerminal();
    logStep(
      createLogger('debug', terminal.stream).child({ run_id: 'run-1' }),
      { checkers: 23 },
      'run started',
    );
    await settle();
    expect(terminal.text()).toContain('run started');
  });
});
