/** Tenants and folders of the findings dataset. */
import { readdir, stat } from 'node:fs/promises';

export const isDirectory = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

export const isFile = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/** Tenants that have a partition directory under the dataset root. */
export async function listTenants(dataRoot: string): Promise<string[]> {
  const entries = await readdir(dataRoot, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && e.name.startsWith('tenant_id='))
    .map((e) => e.name.slice('tenant_id='.length))
    .sort();
}
