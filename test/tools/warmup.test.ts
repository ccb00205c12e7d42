// kernel.warmup(): compiles the specialisation a launch would run without launching it, and gives its stages: the
// IR, the interpreter's program, and for a GPU target the GPU IR, the PTX and (with ptxas) the cubin, registers,
// spills and shared memory. Without a GPU, a named target compiles for it all the same.
import { describe, expect, test } from 'vitest';
import { addLaunchHook, empty, gpuAvailable, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { findPtxas } from '../../src/compiler/gpu/ptxas.ts';

const scaleBy = kernel(function scaleBy(x: Ptr, out: Ptr, n: i32, FACTOR: constexpr, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * FACTOR, { mask: offs < n });
});

const rowSum = kernel(function rowSum(x: Ptr, out: Ptr, N: constexpr) {
  const row = tl.programId(0);
  tl.store(out + row, tl.sum(tl.load(x + row * N + tl.arange(0, N)), 0));
});

const n = 64;
const x = tensor(Float32Array.from({ length: n }, (_, i) => i));

describe('warmup', () => {
  test('compiles without launching: nothing is written, no launch hook is called, and the launch that follows compiles nothing', () => {
    const out = empty([n]).fill(-1);
    const launches: string[] = [];
    const remove = addLaunchHook({ before: (l) => void launches.push(l.kernel) });
    try {
      const before = scaleBy.definition.compileMs;
      const compiled = scaleBy.warmup(x, out, n, { FACTOR: 3, BLOCK: 64 });
      expect(scaleBy.definition.compileMs).toBeGreaterThan(before);
      expect(launches).toEqual([]);
      expect(out.toNumbers()).toEqual(new Array(n).fill(-1));
      expect(compiled.name).toBe('scaleBy');
      expect(compiled.gpu).toBeUndefined();
      const compiledMs = scaleBy.definition.compileMs;
      scaleBy([1], x, out, n, { FACTOR: 3, BLOCK: 64 });
      expect(scaleBy.definition.compileMs).toBe(compiledMs);
      expect(launches).toEqual(['scaleBy']);
      expect(out.toNumbers().slice(0, 3)).toEqual([0, 3, 6]);
    } finally {
      remove();
    }
  });

  test("gives the IR after the passes and the interpreter's program for the specialisation", () => {
    const compiled = scaleBy.warmup(x, empty([n]), n, { FACTOR: 5, BLOCK: 32 });
    expect(compiled.ir).toMatch(/^module \{\n {2}tt\.func public @scaleBy\(%x: !tt\.ptr<f32>, %out: !tt\.ptr<f32>, %n: i32\)/);
    expect(compiled.ir).toContain('tt.make_range {start = 0, end = 32}');
    expect(compiled.ir).toContain('arith.constant {value = dense<5.0> : tensor<32xf32>}');
    // The program the interpreter runs for each program of the grid, over the 32 lanes of the tile.
    expect(compiled.interpreterSource).toContain('function program(mem, pid0, pid1, pid2');
    expect(compiled.interpreterSource).toMatch(/< 32;/);
  });

  test('checks its arguments as a launch does, and the target it is given', () => {
    expect(() => scaleBy.warmup(x, empty([n]), n, { BLOCK: 32 })).toThrow(/missing argument 'FACTOR'/);
    expect(() => scaleBy.warmup(x, empty([n]), n, { FACTOR: 2, BLOCK: 32, target: 'sm_5' })).toThrow(/kernel 'scaleBy': target 'sm_5': not an NVIDIA GPU architecture/);
    expect(() => scaleBy.warmup(x, empty([n]), n, { FACTOR: 2, BLOCK: 32, target: 90 })).toThrow(/target number 90: not a GPU architecture/);
  });
});

describe('the stages for a GPU target (no GPU needed)', () => {
  test('the GPU IR, the PTX for the target, warps and stages, and shared memory', () => {
    const compiled = rowSum.warmup(tensor(new Float32Array(4 * 128)), empty([4]), { N: 128, numWarps: 2, target: 'sm_80' });
    const g = compiled.gpu!;
    expect(g).toBeDefined();
    expect([g.target, g.numWarps, g.numStages, g.numThreads]).toEqual(['sm_80', 2, 3, 64]);
    expect(g.gpuIr).toMatch(/^#blocked\d* = #ttg\.blocked<\{sizePerThread/m);
    expect(g.gpuIr).toContain('ttg.num-warps = 2');
    expect(g.ptx).toContain('.target sm_80');
    expect(g.ptx).toContain('.maxntid 64, 1, 1');
    // A sum across two warps meets in shared memory.
    expect(g.sharedBytes).toBeGreaterThan(0);
  });

  test.skipIf(!findPtxas())('with ptxas: the cubin, registers and spills', () => {
    const g = scaleBy.warmup(x, empty([n]), n, { FACTOR: 2, BLOCK: 64, target: 'sm_90' }).gpu!;
    expect(g.cubin!.length).toBeGreaterThan(1000);
    // An ELF file.
    expect(Array.from(g.cubin!.slice(0, 4))).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(g.registers).toBeGreaterThan(0);
    expect([g.spillStores, g.spillLoads]).toEqual([0, 0]);
  });

  test.skipIf(findPtxas() !== undefined)('without ptxas: the PTX, and no cubin or registers', () => {
    const g = scaleBy.warmup(x, empty([n]), n, { FACTOR: 2, BLOCK: 64, target: 'sm_90' }).gpu!;
    expect(g.ptx).toContain('.target sm_90');
    expect([g.cubin, g.registers, g.spillStores]).toEqual([undefined, undefined, undefined]);
  });
});

describe.skipIf(!gpuAvailable())('on a GPU', () => {
  test('GPU tensors compile and load for this GPU; the launch that follows compiles nothing', () => {
    const [gx, gout] = [x.cuda(), empty([n], 'f32', 'cuda')];
    const g = scaleBy.warmup(gx, gout, n, { FACTOR: 7, BLOCK: 64 }).gpu!;
    expect(g.ptx).toContain('.entry scaleBy');
    const compiledMs = scaleBy.definition.compileMs;
    scaleBy([1], gx, gout, n, { FACTOR: 7, BLOCK: 64 });
    expect(scaleBy.definition.compileMs).toBe(compiledMs);
    expect(gout.toNumbers().slice(0, 3)).toEqual([0, 7, 14]);
  });
});
