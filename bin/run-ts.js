#!/usr/bin/env node
// Runs a TypeScript file through tsx: `node bin/run-ts.js bench/interp.ts args...` (used by npm scripts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerLoaders } from './loaders.js';

registerLoaders();
const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: run-ts <file.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...args];
await import(pathToFileURL(path.resolve(file)).href);
