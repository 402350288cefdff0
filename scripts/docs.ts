/** npm run docs: regenerates docs/checks.md from the checkers' metadata. */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { discoverCheckers, discoverFixes } from '../cli/discover.ts';
import { checksMarkdown } from '../cli/docs.ts';

const target = fileURLToPath(new URL('../docs/checks.md', import.meta.url));
const registry = await discoverCheckers();
await mkdir(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
await writeFile(target, checksMarkdown(registry.list(), (await discoverFixes()).list()));
console.log(`wrote ${target} (${registry.list().length} checks)`);
