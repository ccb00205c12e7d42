// What a user sees when things go wrong on the GPU: a module the driver rejects (with its log), a kernel that
// needs more shared memory than the GPU has, device-side prints and assertions, and an illegal address.
// Faults run in a child process, since they leave the CUDA context unusable.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { empty, tensor } from 'kt';
import { add } from '../../kernels/add.ts';
import { LoadedKernel } from '../../src/runtime/launcher.ts';
import { realGpu } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../..');

function fault(which: string): { code: number | null; output: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/run-ts.js'), path.join(root, 'test/gpu/scripts/faults.ts'), which], { encoding: 'utf8', cwd: root });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const emptyKernel = (name: string): string => `.version 8.0\n.target sm_90\n.address_size 64\n.visible .entry ${name}()\n{\n\tret;\n}\n`;

describe.skipIf(!realGpu)('errors on the GPU', () => {
  test('PTX the driver rejects comes back with the driver log', () => {
    const ptx = emptyKernel('broken').replace('ret;', 'bogus.instruction %r1;');
    expect(() => new LoadedKernel({ name: 'broken', ptx, sharedBytes: 0, numThreads: 32 }, [], [])).toThrow(/rejected the PTX of kernel 'broken': CUDA_ERROR_INVALID_PTX[\s\S]*bogus/);
  });

  test('a kernel that needs more shared memory than the GPU has is refused before launch', () => {
    expect(() => new LoadedKernel({ name: 'greedy', ptx: emptyKernel('greedy'), sharedBytes: 1 << 22, numThreads: 32 }, [], [])).toThrow(/needs 4194304 bytes of shared memory per program[\s\S]*smaller blocks/);
  });

  test('a disposed tensor cannot be used again', () => {
    const t = tensor([1, 2, 3]).cuda();
    const out = empty([3], 'f32', 'cuda');
    // Three launches: the last takes the fast path of a repeated launch, which must notice the freed memory too.
    for (let i = 0; i < 3; i++) add([1], t, t, out, 3, { BLOCK: 4 });
    expect(out.toNumbers()).toEqual([2, 4, 6]);
    t.dispose();
    expect(() => add([1], t, t, out, 3, { BLOCK: 4 })).toThrow(/kernel 'add': argument 'x': the tensor's GPU memory was freed by dispose\(\)/);
    expect(() => t.toArray()).toThrow(/freed by dispose/);
    out.dispose();
  });

  test('devicePrint prints each element with its program and index', () => {
    const r = fault('print');
    expect(r.output).toContain('done');
    for (let i = 0; i < 4; i++) expect(r.output).toContain(`pid (0, 0, 0) idx (${i}) x: ${i}.000000`);
  });

  test('a failed deviceAssert names the kernel and says where the message went', () => {
    const r = fault('assert');
    expect(r.code).toBe(1);
    expect(r.output).toContain('values must be positive');
    expect(r.output).toMatch(/kernel 'positive' on grid \[1, 1, 1\].*failed: CUDA_ERROR_ASSERT/);
  });

  test('an illegal address names the kernel and points to the interpreter', () => {
    const r = fault('wild');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/kernel 'wild' on grid \[1, 1, 1\].*failed: CUDA_ERROR_(ILLEGAL_ADDRESS|INVALID_ADDRESS_SPACE)/);
    expect(r.output).toContain('kt run --interpret');
  });
});
