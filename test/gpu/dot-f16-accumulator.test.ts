// Dots with an f16 accumulator (outDtype f16, with or without an f16 `acc`) round as the tensor cores' f16 dots do: the products
// of each step of 16 along k (one mma.sync m16n8k16 or wgmma k16) summed in f32 in k order, then the accumulator
// rounded to f16 once per step (src/numerics.ts, F16_DOT_K_STEP). On the interpreter against a reference written
// here; on the GPU (the FMA dot, src/compiler/gpu/lowering/dot-fma.ts: unrolled up to K = 64, a loop of steps above)
// bit for bit against the interpreter. Inputs are chosen so that rounding after every product, as kt did before,
// gives other answers.
import { describe, expect, test } from 'vitest';
import { Random, empty, kernel, tensor, tl, type Ptr, type constexpr } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { roundF16 } from '../../src/numerics.ts';
import { gpuMatchesInterpreter, gpuPresent } from './harness.ts';

const f16Dot = kernel(function f16Dot(a: Ptr, b: Ptr, c: Ptr, M: constexpr, N: constexpr, K: constexpr, WITH_ACC: constexpr<boolean>) {
  const rm = tl.arange(0, M);
  const rn = tl.arange(0, N);
  const rk = tl.arange(0, K);
  const x = tl.load(a + tl.expandDims(rm, 1) * K + tl.expandDims(rk, 0));
  const y = tl.load(b + tl.expandDims(rk, 1) * N + tl.expandDims(rn, 0));
  const offs = tl.expandDims(rm, 1) * N + tl.expandDims(rn, 0);
  if (WITH_ACC) tl.store(c + offs, tl.dot(x, y, tl.load(c + offs), { outDtype: tl.float16 }));
  else tl.store(c + offs, tl.dot(x, y, null, { outDtype: tl.float16 }));
});

const f32 = (x: number): number => Math.fround(x);

/** The f16-accumulated product, step by step: f32 sums of 16 products in k order, rounded to f16 after each step. */
function reference(a: number[], b: number[], c: number[], M: number, N: number, K: number): number[] {
  return c.map((c0, i) => {
    const [m, n] = [Math.floor(i / N), i % N];
    let acc = c0;
    for (let k0 = 0; k0 < K; k0 += 16) {
      let s = acc;
      for (let k = k0; k < Math.min(k0 + 16, K); k++) s = f32(s + a[m * K + k]! * b[k * N + n]!);
      acc = roundF16(s);
    }
    return acc;
  });
}

/** What rounding after every product gives (kt's f16 dots before): to show the inputs tell the two apart. */
function roundedEveryProduct(a: number[], b: number[], c: number[], M: number, N: number, K: number): number[] {
  return c.map((c0, i) => {
    const [m, n] = [Math.floor(i / N), i % N];
    let acc = c0;
    for (let k = 0; k < K; k++) acc = roundF16(acc + a[m * K + k]! * b[k * N + n]!);
    return acc;
  });
}

/** Unscaled normal inputs (test_dot3d's), whose partial sums lose low bits in f16. */
function inputs(M: number, N: number, K: number, seed: number, withAcc: boolean) {
  const rng = new Random(seed);
  const draw = (n: number): number[] => Array.from({ length: n }, () => roundF16(rng.normal()));
  const [a, b] = [draw(M * K), draw(K * N)];
  const c = withAcc ? draw(M * N).map((v) => roundF16(v * 8)) : Array<number>(M * N).fill(0);
  return { a, b, c, args: [tensor(a, { dtype: 'f16', shape: [M, K] }), tensor(b, { dtype: 'f16', shape: [K, N] }), withAcc ? tensor(c, { dtype: 'f16', shape: [M, N] }) : empty([M, N], 'f16')] };
}

const shapes: [number, number, number, boolean][] = [
  [16, 16, 16, false],
  [32, 32, 64, false],
  [16, 32, 64, true],
  [32, 16, 128, false], // past the unrolled K: the loop, one step of 16 per iteration
  [16, 16, 256, true],
];

describe('f16-accumulated dots on the interpreter', () => {
  for (const [M, N, K, withAcc] of shapes) {
    test(`${M}x${N}x${K}${withAcc ? ' with an f16 acc' : ''}`, () => {
      const { a, b, c, args } = inputs(M, N, K, M + N + K, withAcc);
      f16Dot([1], ...args, { M, N, K, WITH_ACC: withAcc });
      const got = Array.from(args[2]!.toArray() as ArrayLike<number>);
      expect(got).toEqual(reference(a, b, c, M, N, K));
      if (K > 16) expect(got).not.toEqual(roundedEveryProduct(a, b, c, M, N, K));
    });
  }
});

describe.skipIf(!gpuPresent)('f16-accumulated dots on the GPU against the interpreter', () => {
  for (const [M, N, K, withAcc] of shapes) {
    for (const numWarps of [1, 4]) {
      test(`${M}x${N}x${K}${withAcc ? ' with an f16 acc' : ''}, ${numWarps} warps`, () => {
        const { args } = inputs(M, N, K, M + N + K, withAcc);
        gpuMatchesInterpreter(f16Dot, [1], [...args, { M, N, K, WITH_ACC: withAcc, numWarps }], { tol: { atol: 0, rtol: 0 } });
      });
    }
  }
});

const ptxas = findPtxas();

describe.skipIf(!ptxas)('f16-accumulated dot PTX', () => {
  for (const target of ['sm_80', 'sm_90']) {
    test(`assembles for ${target}, rounding to f16 once per step`, () => {
      for (const [M, N, K, withAcc] of shapes) {
        const args = [...inputs(M, N, K, 1, withAcc).args, { M, N, K, WITH_ACC: withAcc, numWarps: 4 }];
        const bound = f16Dot.definition.bind(args);
        const module = f16Dot.definition.specialize(bound.bindings).ir.module;
        const { ptx, kernelName } = compileToPtx(module, { numWarps: 4, target, argFacts: argumentFacts(bound.runtime) });
        // f32 fmas, no f16 ones; unrolled (K <= 64), one rounding of each accumulator per 16 steps along k.
        expect(ptx).toMatch(/fma\.rn\.f32/);
        expect(ptx).not.toMatch(/fma\.rn\.f16/);
        if (K <= 64) expect((ptx.match(/cvt\.rn\.f16\.f32/g) ?? []).length).toBe(((M * N) / 128) * (K / 16));
        expect(assemble(ptx, target, kernelName, ptxas!).cubin.length).toBeGreaterThan(0);
      }
    });
  }
});
