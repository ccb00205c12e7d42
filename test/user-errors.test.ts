// What a user sees when a kt error goes uncaught in their own program: the located report and their own call,
// not kt's internal frames or the error's fields (KT_STACK=1 keeps the full stack); a wrong argument is named
// briefly, whatever its size.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { userProject } from './support/user-project.ts';

function runApp(source: string, env: Record<string, string> = {}): string {
  const dir = userProject('kt-user-errors-', { 'app.ts': source });
  const r = spawnSync(process.execPath, ['--import', 'kt/register', 'app.ts'], { cwd: dir, encoding: 'utf8', env: { ...process.env, KT_CACHE_DIR: path.join(dir, 'cache'), ...env } });
  expect(r.status).not.toBe(0);
  return r.stderr;
}

const kernelSource = (body: string, call: string): string =>
  `import { kernel, tl, empty, type Ptr, type i32, type constexpr } from 'kt';\n` +
  `const k = kernel(function k(x: Ptr, n: i32, BLOCK: constexpr) {\n  const offs = tl.arange(0, BLOCK);\n  ${body}\n});\n${call}\n`;

test('an uncaught compile error prints its report and the user\'s call, not kt\'s frames or fields', () => {
  const source = kernelSource('tl.store(x + offs, tl.load(x + offs) + tl.arange(0, 3), { mask: offs < n });', 'k([1], empty([16]), 16, { BLOCK: 16 });');
  const out = runApp(source);
  expect(out).toContain("app.ts:4:42: error: arange's range (end - start = 3) must be a power of two");
  expect(out).toContain('= hint: round it up to a power of two');
  expect(out).toMatch(/^ {4}at .*app\.ts:6:1\)?$/m);
  expect(out).not.toMatch(/src\/compiler|reason:|span:/);
  expect(out.trim().split('\n').length).toBeLessThanOrEqual(14);
  // KT_STACK=1: the whole stack, for kt's developers.
  expect(runApp(source, { KT_STACK: '1' })).toMatch(/src\/compiler\/frontend/);
});

test('a typed array passed for a tensor is named by its type and length, with what to do', () => {
  const out = runApp(kernelSource('tl.store(x + offs, tl.load(x + offs), { mask: offs < n });', 'k([1], new Float32Array(1 << 20), 16, { BLOCK: 16 });'));
  expect(out).toContain("'x' is a pointer and needs a Tensor, got a Float32Array of 1048576");
  expect(out).toContain('= hint: make a Tensor of it: tensor(values)');
  expect(out.length).toBeLessThan(1500);
});
