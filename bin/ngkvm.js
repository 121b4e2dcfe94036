#!/usr/bin/env node
// Entry point of the `ngkvm` command. The TypeScript sources are compiled to dist/ by
// `npm run build` (which `npm start` and `npm test` run for you).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/tools/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('ngkvm: not built yet; run "npm run build" (or "npm start") in the repository first\n');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
