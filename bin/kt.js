#!/usr/bin/env node
// The kt command. Kernel files are TypeScript, so kt loads them through tsx (see loaders.js).
import { ktModule, registerLoaders } from './loaders.js';

registerLoaders();
// Output piped into a command that stops reading (kt tune ... | head) ends kt quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import(ktModule('cli/main'));
process.exitCode = await main(process.argv.slice(2));
