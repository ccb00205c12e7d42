#!/usr/bin/env node
// The kt command. Kernels are TypeScript files, so kt loads them (and itself) through tsx.
import { register } from 'tsx/esm/api';

register();
// Output piped into a command that stops reading (kt tune ... | head) ends kt quietly.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
