// Kernels written in plain JavaScript declare their parameters' types in JSDoc, as TypeScript reads them with
// checkJs: `@param {constexpr} BLOCK`, `@param {Ptr<f16>} x`, `@param {i32} n`, with kt's names imported by
// `@import` or written `import('kt').constexpr`. In a .ts file only the annotations count.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { userProject } from '../support/user-project.ts';
import { loadSource } from '../../src/compiler/frontend/source.ts';
import { readSignature } from '../../src/compiler/frontend/signature.ts';

let base: string;

const jsKernels = `import { kernel, tl } from 'kt';
/** @import { Ptr, i32, f16, constexpr } from 'kt' */

/**
 * out = x * factor
 * @param {Ptr<f16>} x
 * @param {Ptr} out
 * @param {i32} n
 * @param {number} factor
 * @param {constexpr} BLOCK
 */
function scaleKernel(x, out, n, factor, BLOCK) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * factor, { mask: offs < n });
}
export const scale = kernel(scaleKernel);

export const double = kernel(
  /**
   * @param {import('kt').Ptr} x
   * @param {import('kt').Ptr} out
   * @param {import('kt').i32} n
   * @param {import('kt').constexpr} BLOCK
   */
  function double(x, out, n, BLOCK, SHIFT = 0) {
    const offs = tl.arange(0, BLOCK);
    tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * 2 + SHIFT, { mask: offs < n });
  },
);
`;

/** The parameters of the kernel declared as `export const <name> = kernel(...)` in `file`: kind and dtype. */
function signatureIn(file: string, name: string): Record<string, string> {
  const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith(`export const ${name} = kernel(`)) + 1;
  const fn = line ? loadSource(file).findKernelFunction(line, '') : undefined;
  if (!fn) throw new Error(`no kernel ${name} in ${file}`);
  return Object.fromEntries(readSignature(fn).params.map((p) => [p.name, p.dtype ? `${p.kind} ${p.dtype.name}` : p.kind]));
}

beforeAll(() => {
  base = userProject('kt-jsdoc-', { 'kernels.js': jsKernels, 'kernels.mjs': jsKernels });
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('JSDoc parameter types in JavaScript kernels', () => {
  test.each(['kernels.js', 'kernels.mjs'])('are read from %s', (file) => {
    expect(signatureIn(path.join(base, file), 'scale')).toEqual({ x: 'pointer f16', out: 'pointer', n: 'scalar i32', factor: 'inferred', BLOCK: 'constexpr' });
    expect(signatureIn(path.join(base, file), 'double')).toEqual({ x: 'pointer', out: 'pointer', n: 'scalar i32', BLOCK: 'constexpr', SHIFT: 'constexpr' });
  });

  test('count only in JavaScript: a .ts parameter without an annotation stays inferred', () => {
    const file = path.join(base, 'kernels.ts');
    fs.writeFileSync(file, `import { kernel } from 'kt';\n/** @param {constexpr} BLOCK */\nexport const k = kernel(function k(BLOCK) {});\n`);
    expect(signatureIn(file, 'k')).toEqual({ BLOCK: 'inferred' });
  });

  test('launch: constexprs specialise the kernel, as annotations do in TypeScript', () => {
    fs.writeFileSync(
      path.join(base, 'app.mjs'),
      `import { tensor, empty } from 'kt';
import { scale, double } from './kernels.js';
const x = tensor([1, 2, 3, 4, 5], { dtype: 'f16' });
const out = empty([5]);
scale([1], x, out, 5, 3, { BLOCK: 8 });
const scaled = out.toArray().join(',');
double([1], tensor([1, 2, 3]), out, 3, { BLOCK: 4 });
console.log(scaled, out.toArray().slice(0, 3).join(','));
`,
    );
    const r = spawnSync(process.execPath, ['app.mjs'], { cwd: base, encoding: 'utf8', env: { ...process.env, KT_INTERPRET: '1', NODE_OPTIONS: '--import kt/register' } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('3,6,9,12,15 2,4,6');
  });

  test('without them a JavaScript kernel has no constexprs', () => {
    const file = path.join(base, 'bare.js');
    fs.writeFileSync(file, jsKernels.replace(/\/\*\*[\s\S]*?\*\//g, ''));
    expect(signatureIn(file, 'scale')['BLOCK']).toBe('inferred');
  });
});
