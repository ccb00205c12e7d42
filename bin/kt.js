#!/usr/bin/env node
// The kt command. Kernels are TypeScript files, so kt loads them (and itself) through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
