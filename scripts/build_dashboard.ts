/** npm run build:dashboard [-- OUT_DIR]: writes the static dashboard (index.html, app.js, app.css), default dashboard/dist. */
import { resolve } from 'node:path';
import { writeDashboard } from '../dashboard/build.ts';

const outDir = resolve(process.argv[2] ?? 'dashboard/dist');
const files = await writeDashboard(outDir);
console.log(`Dashboard built: ${files.join(', ')}`);
