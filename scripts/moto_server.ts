/**
 * Starts moto's server mode on a free loopback port: a real AWS API endpoint for tests and the demo, with a
 * clock that can be set back (scripts/moto_clock.py) so that an estate can be created months old. Beside it,
 * a loopback Cost Optimization Hub (a service moto lacks), which the SDK reaches through its own endpoint
 * variable; `resetMoto` empties both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  HUB_ENDPOINT_VARIABLE,
  setHubState,
  startCostOptimizationHub,
  type HubServer,
} from './cost_optimization_hub_server.ts';

export interface MotoServer {
  readonly endpoint: string;
  /** The loopback Cost Optimization Hub started with it. */
  readonly hub: HubServer;
  /** Environment for SDK clients and child processes: endpoints, dummy credentials, a region. */
  readonly env: Record<string, string>;
  /** Sets moto's clock `offsetMs` from the real time (negative: the past); it keeps ticking. 0 sets it right. */
  setClock(offsetMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const CLOCK_SERVER = fileURLToPath(new URL('moto_clock.py', import.meta.url));

function motoCommand(): [string, string[]] {
  const ready = spawnSync('python3', ['-c', 'import moto.server, freezegun'], { stdio: 'ignore' });
  if (ready.status === 0) return ['python3', [CLOCK_SERVER]];
  throw new Error("moto server is not installed: run pip install 'moto[server]' freezegun");
}

export async function setMotoClock(endpoint: string, offsetMs: number): Promise<void> {
  const response = await fetch(`${endpoint}/_clock`, {
    method: 'POST',
    body: JSON.stringify({ offset_seconds: offsetMs / 1000 }),
  });
  if (!response.ok) throw new Error(`moto's clock was not set: ${response.status} ${await response.text()}`);
}

async function waitUntilUp(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto server did not answer at ${endpoint} within ${timeoutMs} ms`);
}

export async function startMoto(options: { timeoutMs?: number } = {}): Promise<MotoServer> {
  const port = await freePort();
  const [command, prefix] = motoCommand();
  const child = spawn(command, [...prefix, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // Moto's built-in public AMIs come with snapshots it reports as the caller's own: an empty account is truer.
    env: { ...process.env, MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(endpoint, child, options.timeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
  }
  const hub = await startCostOptimizationHub();
  return {
    endpoint,
    hub,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      [HUB_ENDPOINT_VARIABLE]: hub.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    },
    setClock: (offsetMs) => setMotoClock(endpoint, offsetMs),
    async stop() {
      await hub.stop();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Clears every resource moto holds, so each test starts from an empty account. */
export async function resetMoto(endpoint: string): Promise<void> {
  await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  await setMotoClock(endpoint, 0);
  const hub = process.env[HUB_ENDPOINT_VARIABLE];
  if (hub) await setHubState(hub, { enrolledAccounts: [], recommendations: [] });
}
