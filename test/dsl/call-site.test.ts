// kernel() finds its source file exactly, whatever the path: spaces, parentheses, non-ASCII, symlinks, a
// package under node_modules. A path read wrongly must never lead to another file that happens to exist: here
// the decoy next to each kernel computes a * b where the kernel computes a + b, so a wrong file shows as 12.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
let base: string;

const kernelFile = (op: '+' | '*'): string => `import { kernel, tl, type Ptr } from 'kt';
export const k = kernel(function k(x: Ptr, y: Ptr, out: Ptr) {
  tl.store(out, tl.load(x) ${op} tl.load(y));
});
`;

const app = (kernelPath: string): string => `import { tensor, empty } from 'kt';
import { k } from ${JSON.stringify(kernelPath)};
const out = empty([1]);
k([1], tensor([3]), tensor([4]), out);
console.log(out.toArray()[0]);
`;

/** Writes a kernel at `dir/k.ts` (a + b) and runs it from an app in `base`; returns what it printed. */
function runKernelIn(dir: string, importPath = pathToFileURL(path.join(dir, 'k.ts')).href): { stdout: string; stderr: string; status: number | null } {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'k.ts'), kernelFile('+'));
  const appFile = path.join(base, `app-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(appFile, app(importPath));
  const r = spawnSync(process.execPath, ['--import', 'kt/register', appFile], { cwd: base, encoding: 'utf8', env: { ...process.env, KT_INTERPRET: '1' } });
  return { stdout: r.stdout.trim(), stderr: r.stderr, status: r.status };
}

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-paths-'));
  fs.mkdirSync(path.join(base, 'node_modules'));
  fs.symlinkSync(root, path.join(base, 'node_modules', 'kt'));
  fs.writeFileSync(path.join(base, 'package.json'), '{ "type": "module" }');
  // Decoys: where a parser that stops at spaces or parentheses would look.
  for (const decoy of ['space', 'copy)', 'copy', 'b']) {
    fs.mkdirSync(path.join(base, decoy), { recursive: true });
    fs.writeFileSync(path.join(base, decoy, 'k.ts'), kernelFile('*'));
  }
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('kernel() reads the file it was declared in', () => {
  test.each([
    ['a space', 'with space'],
    ['parentheses', 'dir (copy)'],
    ['non-ASCII characters', 'naïve/ядро/カーネル'],
    ['a percent sign and a hash', 'a%20b#c'],
    ['parentheses and a colon', 'x:1:2 (b)'],
  ])('in a directory with %s', (_what, dir) => {
    const r = runKernelIn(path.join(base, dir));
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('7');
  });

  test('through a symlinked directory', () => {
    const real = path.join(base, 'real dir');
    fs.mkdirSync(real, { recursive: true });
    fs.symlinkSync(real, path.join(base, 'link (to real)'));
    fs.writeFileSync(path.join(real, 'k.ts'), kernelFile('+'));
    const appFile = path.join(base, 'app-link.mjs');
    fs.writeFileSync(appFile, app('./link (to real)/k.ts'));
    const r = spawnSync(process.execPath, ['--import', 'kt/register', appFile], { cwd: base, encoding: 'utf8', env: { ...process.env, KT_INTERPRET: '1' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('7');
  });

  test('in a package under node_modules', () => {
    const pkg = path.join(base, 'node_modules', 'my-kernels');
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{ "name": "my-kernels", "type": "module", "exports": "./k.ts" }');
    const r = runKernelIn(pkg, 'my-kernels');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('7');
  });

  test('a kernel declared where there is no file says so instead of guessing', () => {
    const appFile = path.join(base, 'app-eval.mjs');
    fs.writeFileSync(
      appFile,
      `import { kernel, tensor, empty } from 'kt';
const k = eval("kernel(function k(x, out) {})");
try { k([1], tensor([1]), empty([1])); } catch (e) { console.log(e.message); }
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'kt/register', appFile], { cwd: base, encoding: 'utf8', env: { ...process.env, KT_INTERPRET: '1' } });
    expect(r.stdout).toContain("kt could not find where kernel 'k' was declared");
  });
});
