/**
 * A loopback AWS Cost Optimization Hub endpoint for the demo and the tests: the emulator (moto) lacks the
 * service, so this speaks its wire protocol (JSON 1.0: `POST /`, `X-Amz-Target:
 * CostOptimizationHubService.<Operation>`) to the real SDK client. It answers ListEnrollmentStatuses and
 * ListRecommendations (paged by `maxResults`/`nextToken`, filtered by account), from a state that the demo
 * estate sets with `PUT /_state` (JSON: enrolled account ids, recommendations, a page size, or a denial).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRecommendation {
  readonly recommendationId: string;
  readonly accountId: string;
  readonly region: string;
  readonly resourceId: string;
  readonly resourceArn?: string;
  readonly currentResourceType: string;
  readonly recommendedResourceType?: string;
  readonly actionType: string;
  readonly estimatedMonthlySavings: number;
  readonly estimatedMonthlyCost: number;
  readonly currencyCode?: string;
  readonly implementationEffort?: string;
  readonly restartNeeded?: boolean;
  readonly rollbackPossible?: boolean;
  readonly currentResourceSummary?: string;
  readonly recommendedResourceSummary?: string;
  readonly recommendationLookbackPeriodInDays?: number;
}

export interface HubState {
  readonly enrolledAccounts: readonly string[];
  readonly recommendations: readonly HubRecommendation[];
  /** Items per page when the caller asks for more (the real service pages at 1,000). */
  readonly pageSize?: number;
  /** Answer every call with AccessDeniedException. */
  readonly deny?: boolean;
}

export interface HubServer {
  readonly endpoint: string;
  /** Requests by operation, for tests. */
  readonly calls: Map<string, number>;
  setState(state: HubState): void;
  stop(): Promise<void>;
}

/** The SDK reads a service's own endpoint from this variable (service id "Cost Optimization Hub"). */
export const HUB_ENDPOINT_VARIABLE = 'AWS_ENDPOINT_URL_COST_OPTIMIZATION_HUB';

const body = async (request: IncomingMessage): Promise<string> => {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
};

function reply(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  response.end(JSON.stringify(payload));
}

/** One page of `items` from the offset in `nextToken`. */
function page<T>(items: readonly T[], input: { maxResults?: number; nextToken?: string }, size: number) {
  const start = Number(input.nextToken ?? 0);
  const count = Math.min(size, input.maxResults ?? size);
  const end = start + count;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

export async function startCostOptimizationHub(initial?: HubState): Promise<HubServer> {
  let state: HubState = initial ?? { enrolledAccounts: [], recommendations: [] };
  const calls = new Map<string, number>();
  const server = createServer(async (request, response) => {
    try {
      const text = await body(request);
      if (request.url === '/_state' && request.method === 'PUT') {
        state = JSON.parse(text) as HubState;
        return reply(response, 200, {});
      }
      const operation = String(request.headers['x-amz-target'] ?? '').replace(
        'CostOptimizationHubService.',
        '',
      );
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      if (state.deny) {
        return reply(response, 400, {
          __type: 'AccessDeniedException',
          message: 'User is not authorized to perform: cost-optimization-hub:' + operation,
        });
      }
      const input = JSON.parse(text || '{}');
      const size = state.pageSize ?? 1_000;
      if (operation === 'ListEnrollmentStatuses') {
        const accounts = input.accountId ? [input.accountId] : state.enrolledAccounts;
        const items = accounts.map((accountId: string) => ({
          accountId,
          status: state.enrolledAccounts.includes(accountId) ? 'Active' : 'Inactive',
          lastUpdatedTimestamp: 1_764_000_000,
        }));
        return reply(response, 200, page(items, input, size));
      }
      if (operation === 'ListRecommendations') {
        const accounts: string[] | undefined = input.filter?.accountIds;
        const items = state.recommendations.filter((r) => !accounts || accounts.includes(r.accountId));
        return reply(response, 200, page(items, input, size));
      }
      return reply(response, 400, {
        __type: 'UnknownOperationException',
        message: `no operation ${operation}`,
      });
    } catch (error) {
      return reply(response, 500, { __type: 'InternalServerException', message: (error as Error).message });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    setState(next) {
      state = next;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Sets the state of a running loopback hub from another process (the demo estate does this). */
export async function setHubState(endpoint: string, state: HubState): Promise<void> {
  const response = await fetch(`${endpoint}/_state`, { method: 'PUT', body: JSON.stringify(state) });
  if (!response.ok)
    throw new Error(`the loopback Cost Optimization Hub refused its state: ${response.status}`);
}
