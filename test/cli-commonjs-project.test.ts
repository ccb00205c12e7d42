// A kernel file in a project that npm made CommonJS (`npm init` writes "type": "commonjs", and a directory with no
// package.json is CommonJS too): kt loads it as the ES module it is (bin/ts-modules.js), where Node used to
// refuse it ("Cannot require() ES Module ... in a cycle").
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { userProject } from './support/user-project.ts';

const root = path.resolve(import.meta.dirname, '..');

test.each([['"type": "commonjs"', '{ "name": "app", "type": "commonjs" }'], ['no package.json', undefined]])('kt run loads a kernel file in a CommonJS project (%s)', (_, packageJson) => {
  const dir = userProject('kt-cjs-project-', {}, packageJson ?? null);
  fs.writeFileSync(
    path.join(dir, 'double.ts'),
    `import { defineSpec, kernel, tl, empty, tensor, type Ptr, type i32, type constexpr } from 'kt';\n` +
      `export const double = kernel(function double(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {\n` +
      `  const offs = tl.arange(0, BLOCK);\n  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * 2, { mask: offs < n });\n});\n` +
      `export const spec = defineSpec({ name: 'double', kernels: [double], sizes: { N: 100 }, dtypes: ['f32'], config: { BLOCK: 128 },\n` +
      `  inputs: ({ N }) => ({ x: tensor(Array.from({ length: N! }, (_, i) => i)), out: empty([N!]) }),\n` +
      `  launch: ({ x, out }, { N }, c) => double([1], x, out, N, c),\n` +
      `  reference: ({ x }) => ({ out: x.toNumbers().map((v) => 2 * v) }) });\n`,
  );
  const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'run', 'double.ts', '--interpret'], { cwd: dir, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_CACHE_DIR: path.join(dir, 'cache') } });
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^PASS$/m);
  expect(r.status).toBe(0);
}, 60_000);
