import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { kt: path.resolve(import.meta.dirname, 'src/index.ts') } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One worker per core: vitest's default leaves one core to itself, which on CI's two cores runs the suite in
    // one worker, serially (its own process does little while the workers run).
    maxWorkers: os.availableParallelism(),
  },
});
