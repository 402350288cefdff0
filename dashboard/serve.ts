/**
 * Serves an export folder on 127.0.0.1 with the freshly built dashboard in front of it: the JSON comes from
 * the folder (read on every request, so a new export shows on reload), the page from memory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';
import { buildDashboard, DASHBOARD_CONTENT_TYPES, type DashboardFile } from './build.ts';

export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveDashboard(options: {
  dir: string;
  port?: number;
  host?: string;
}): Promise<DashboardServer> {
  const assets = await buildDashboard();
  const files = sirv(options.dir, { dev: true, dotfiles: false });
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const name = (path === '/' ? 'index.html' : path.slice(1)) as DashboardFile;
    const asset = assets.get(name);
    if (asset !== undefined) {
      response.writeHead(200, { 'content-type': DASHBOARD_CONTENT_TYPES[name], 'cache-control': 'no-store' });
      response.end(asset);
      return;
    }
    files(request, response, () => {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${path} is not in ${options.dir}\n`);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
