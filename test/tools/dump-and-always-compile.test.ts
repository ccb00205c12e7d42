// KT_DUMP_DIR writes every stage of every compilation, in files named by kernel, specialisation and stage;
// KT_ALWAYS_COMPILE=1 compiles afresh without reading the disk caches (damaged entries there go unread, so
// unreported, where without it they are reported: the control that shows the caches are otherwise read).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import { KernelDefinition, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { cacheDir } from '../../src/compiler/cache.ts';
import { findPtxas } from '../../src/compiler/gpu/ptxas.ts';

const axpy = kernel(function axpy(x: Ptr, y: Ptr, n: i32, A: constexpr, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(y + offs, tl.load(x + offs, { mask }) * A + tl.load(y + offs, { mask }), { mask });
});

const n = 40;
const x = tensor(Float32Array.from({ length: n }, (_, i) => i));

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-tools-cache-'));
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  warn.mockRestore();
  delete process.env['KT_DUMP_DIR'];
  delete process.env['KT_ALWAYS_COMPILE'];
});

describe('KT_DUMP_DIR', () => {
  test('every stage of every compilation is written, named by kernel, specialisation and stage', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-dump-'));
    process.env['KT_DUMP_DIR'] = dir;
    const y = tensor(new Float32Array(n).fill(1));
    axpy([1], x, y, n, { A: 2, BLOCK: 64 });
    axpy.warmup(x, y, n, { A: 2, BLOCK: 64, target: 'sm_90', numWarps: 2 });
    const base = 'axpy.A=2,BLOCK=64.f32ptr,f32ptr,i32';
    const gpu = `${base}.sm_90.w2.s3.dd-`;
    const expected = [`${base}.interp.js`, `${base}.ir.mlir`, `${gpu}.gpu-ir.mlir`, `${gpu}.ptx`, ...(findPtxas() ? [`${gpu}.cubin`, `${gpu}.ptxas.txt`] : [])];
    expect(fs.readdirSync(dir).sort()).toEqual(expected.sort());
    const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
    expect(read(`${base}.ir.mlir`)).toMatch(/tt\.func public @axpy\(.*\n[^]*loc\(/);
    expect(read(`${base}.interp.js`)).toContain('function program(mem');
    expect(read(`${gpu}.gpu-ir.mlir`)).toContain('ttg.num-warps = 2');
    expect(read(`${gpu}.ptx`)).toContain('.target sm_90');
    if (findPtxas()) expect(read(`${gpu}.ptxas.txt`)).toMatch(/^registers \d+, spill stores 0 bytes, spill loads 0 bytes, stack frame 0 bytes, shared memory 0 bytes\n\n[^]*Compiling entry function 'axpy' for 'sm_90'/);
    expect(y.toNumbers().slice(0, 3)).toEqual([1, 3, 5]);
    expect(warn).not.toHaveBeenCalled();
  });

  test('a directory that cannot be written is reported once, and kernels still compile and run', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kt-dump-')), 'a-file');
    fs.writeFileSync(file, '');
    process.env['KT_DUMP_DIR'] = file;
    const y = tensor(new Float32Array(n));
    axpy([1], x, y, n, { A: 3, BLOCK: 64 });
    expect(y.toNumbers().slice(0, 3)).toEqual([0, 3, 6]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^kt: cannot write compilation stages into KT_DUMP_DIR=.*a-file \(.*\); set it to a writable directory$/);
  });
});

describe('KT_ALWAYS_COMPILE', () => {
  /** A definition of the same kernel with nothing in memory, as in a new process: it reads the disk cache. */
  const fresh = (): KernelDefinition => new KernelDefinition(axpy.definition.functionName, axpy.definition.site);

  /** Overwrites every entry of the disk cache with garbage. */
  function damageCache(): number {
    let damaged = 0;
    for (const kind of ['signatures', 'ir', 'gpu']) {
      const dir = path.join(cacheDir(), kind);
      for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        fs.writeFileSync(path.join(dir, f), 'damaged');
        damaged++;
      }
    }
    return damaged;
  }

  /** Compiles the IR and a GPU binary (for sm_90, no GPU needed) with a definition; returns the IR. */
  const compileWith = (def: KernelDefinition): string => def.warmup([x, tensor(new Float32Array(n)), n, { A: 4, BLOCK: 32, target: 'sm_90' }]).ir;

  test('the disk caches are not read: damaged entries go unnoticed and the kernel compiles afresh', () => {
    const ir = compileWith(fresh());
    expect(damageCache()).toBe(3);
    process.env['KT_ALWAYS_COMPILE'] = '1';
    expect(compileWith(fresh())).toBe(ir);
    expect(warn).not.toHaveBeenCalled();
    // Without it the damaged entries are read, and reported: the caches are otherwise consulted. (Compiling
    // afresh wrote the signature and IR entries anew: they are damaged again.)
    expect(damageCache()).toBe(3);
    delete process.env['KT_ALWAYS_COMPILE'];
    expect(compileWith(fresh())).toBe(ir);
    const reported = warn.mock.calls.map((c) => String(c[0]));
    for (const kind of ['kernel-signature', 'compiled-IR', 'GPU-binary']) expect(reported.filter((w) => w.startsWith(`kt: ignoring the damaged ${kind}`))).toHaveLength(1);
  });

  test('a kernel compiled afresh runs as from the cache', () => {
    process.env['KT_ALWAYS_COMPILE'] = '1';
    const y = empty([n]).fill(1);
    fresh().launch([2], [x, y, n, { A: 0.5, BLOCK: 32 }]);
    expect(y.toNumbers().slice(0, 4)).toEqual([1, 1.5, 2, 2.5]);
  });
});
