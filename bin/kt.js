#!/usr/bin/env node
// The kt command. Kernel files are TypeScript, so kt loads them through tsx (see loaders.js).
import { inCheckout, ktModule, registerLoaders } from './loaders.js';

const argv = process.argv.slice(2);
if (argv[0] === 'tune' && !process.env.KT_TUNE_STATUS) {
  // `kt tune` supervises its sweep, run in a child process (src/cli/tune.ts; KT_TUNE_STATUS marks the child). The
  // supervisor starts it before loading the rest of kt, or, installed, the TypeScript loader: the child loads and
  // checks everything itself, so the supervisor's start-up does not delay the sweep's.
  if (inCheckout) registerLoaders();
  const { superviseTune } = await import(ktModule('cli/tune'));
  process.exitCode = await superviseTune(argv);
} else {
  registerLoaders();
  // Output piped into a command that stops reading (kt tune ... | head) ends kt quietly.
  process.stdout.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const { main } = await import(ktModule('cli/main'));
  process.exitCode = await main(argv);
}
