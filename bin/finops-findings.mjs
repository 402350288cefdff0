#!/usr/bin/env node
// The installed command: the compiled runner when built (npm run build), else the sources through tsx.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/runner.js', import.meta.url);
let runner;
if (existsSync(compiled)) {
  runner = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  runner = await import(new URL('../runner.ts', import.meta.url).href);
}
process.exitCode = await runner.main(process.argv.slice(2));
