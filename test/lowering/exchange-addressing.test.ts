// The addresses of a shared-memory exchange (reshape, trans, split, join, convert_layout and chains of them) are
// a linear function of the thread: linearForm finds it by evaluating the addressing at every register, lane and
// warp, and the lowering then computes the thread's part once and adds a constant per register. Before, each
// register walked the chain with multiplies, shifts and masks (8 batched 32x32x32 f16 dots on one warp: a PTX of
// 117,692 lines, 46 s of ptxas; now under 35,000 lines).
import { describe, expect, test } from 'vitest';
import { empty, kernel, randint, tl, type Ptr, type Tensor, type constexpr } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { linearForm, numberArith, rowMajor } from '../../src/compiler/gpu/lowering/index-arith.ts';
import { tileMapOf } from '../../src/compiler/gpu/tile-map.ts';
import type { Operation, Value } from '../../src/compiler/ir/core.ts';
import { BlockedLayout } from '../../src/compiler/ir/layouts.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { simulateLaunch } from '../support/simulate-launch.ts';

// The batched dot's split of its operands (semantic/dot.ts), in small: a [4, M, N] tile transposed, reshaped and
// split twice, then each half used.
const chain = kernel(function chain(x: Ptr, lo: Ptr, hi: Ptr, B: constexpr, M: constexpr, N: constexpr) {
  const b = tl.arange(0, B);
  const m = tl.arange(0, M);
  const n = tl.arange(0, N);
  const outOffs = tl.expandDims(m, 1) * N + tl.expandDims(n, 0);
  const t = tl.load(x + tl.expandDims(b, [1, 2]) * (M * N) + tl.expandDims(tl.expandDims(m, 0), 2) * N + tl.expandDims(n, [0, 1]));
  const [p, q] = tl.split(tl.reshape(tl.trans(t, [1, 2, 0]), [M, N, B / 2, 2]));
  const [p0, p1] = tl.split(p);
  tl.store(lo + outOffs, p0 - p1);
  const [q0, q1] = tl.split(q);
  tl.store(hi + outOffs, q0 + q1 + q1);
});

// The same chain on a mask (shared memory holds booleans as bytes: vectors of up to 16).
const maskChain = kernel(function maskChain(x: Ptr, lo: Ptr, hi: Ptr, B: constexpr, M: constexpr, N: constexpr) {
  const b = tl.arange(0, B);
  const m = tl.arange(0, M);
  const n = tl.arange(0, N);
  const outOffs = tl.expandDims(m, 1) * N + tl.expandDims(n, 0);
  const t = tl.load(x + tl.expandDims(b, [1, 2]) * (M * N) + tl.expandDims(tl.expandDims(m, 0), 2) * N + tl.expandDims(n, [0, 1])) > 0;
  const [p, q] = tl.split(tl.reshape(tl.trans(t, [1, 2, 0]), [M, N, B / 2, 2]));
  const [p0, p1] = tl.split(p);
  tl.store(lo + outOffs, tl.where(p0, 1, 2) + tl.where(p1, 4, 8));
  const [q0, q1] = tl.split(q);
  tl.store(hi + outOffs, tl.where(q0, 1, 2) + tl.where(q1, 4, 8));
});

const ints = (shape: number[], seed: number, dtype: string): Tensor => randint(-100, 100, shape, { seed, dtype });

describe('linearForm', () => {
  const map = tileMapOf(new BlockedLayout([1, 4], [8, 4], [2, 1], [1, 0]), [16, 16]);

  test('a row-major index over a blocked layout: a constant per register and a basis per lane and warp bit', () => {
    expect(linearForm(map, (c) => rowMajor(numberArith, c, [16, 16]))).toEqual({
      constants: [0, 1, 2, 3],
      // Lane bits 0-1 step along columns by 4 elements, bits 2-4 along rows; the warp bit by 8 rows.
      laneBases: [4, 8, 16, 32, 64],
      warpBases: [128],
    });
  });

  test('an index with carries between the parts is not linear: the lowering then addresses register by register', () => {
    expect(linearForm(map, (c) => rowMajor(numberArith, c, [16, 16]) + 3)).toBeUndefined();
  });
});

describe('exchanges address with a thread part and constants', () => {
  const shapes = [
    { dtype: 'i32', M: 8, N: 16, numWarps: 2 },
    { dtype: 'i32', M: 32, N: 32, numWarps: 1 },
    { dtype: 'i32', M: 16, N: 64, numWarps: 4 },
    { dtype: 'i8', M: 32, N: 32, numWarps: 1 },
    { dtype: 'f64', M: 16, N: 32, numWarps: 2 },
    { dtype: 'mask', M: 32, N: 64, numWarps: 2 },
  ] as const;

  for (const { dtype, M, N, numWarps } of shapes) {
    const s = { B: 4, M, N, numWarps };
    const k = dtype === 'mask' ? maskChain : chain;
    const [inType, outType] = dtype === 'mask' ? (['i32', 'i32'] as const) : ([dtype, dtype] as const);
    const label = `${dtype} [4, ${M}, ${N}] on ${numWarps} warp${numWarps > 1 ? 's' : ''}`;
    const args = (): [Tensor, Tensor, Tensor] => [ints([4, M, N], M + N, inType), empty([M, N], outType), empty([M, N], outType)];

    test(`${label}: every shared access after the first barrier is at a prologue address plus a constant`, () => {
      const bound = k.definition.bind([...args(), s]);
      const spec = k.definition.specialize(bound.bindings);
      const compiled = compileToPtx(spec.ir.module, { numWarps, argFacts: argumentFacts(bound.runtime) });
      const ops = (compiled.threadIr.regions[0]!.entry.ops[0]! as Operation).regions[0]!.entry.ops;
      const firstBarrier = ops.findIndex((op) => op.name === 'gpu.barrier');
      expect(firstBarrier).toBeGreaterThan(0);
      const prologue = new Set(ops.slice(0, firstBarrier));
      const inPrologue = (v: Value): boolean => prologue.has(v.definingOp!);
      const accesses = ops.slice(firstBarrier).filter((op) => op.name === 'gpu.shared_load' || op.name === 'gpu.shared_store');
      expect(accesses.length).toBeGreaterThan(0);
      for (const access of accesses) {
        const address = access.operands[0]!;
        const def = address.definingOp!;
        const folded = def.name === 'arith.addi' && def.operands.some(inPrologue) && def.operands.some((v) => v.definingOp?.name === 'arith.constant');
        expect(inPrologue(address) || folded, `the address of ${access.name} comes from ${def.name}`).toBe(true);
      }
    });

    test(`${label}: the simulator's results are the interpreter's`, () => {
      const [x, lo, hi] = args();
      k([1], x, lo, hi, s);
      const [lo2, hi2] = [empty([M, N], outType), empty([M, N], outType)];
      simulateLaunch(k, [1], [x, lo2, hi2, s]);
      expect(lo2.toArray()).toEqual(lo.toArray());
      expect(hi2.toArray()).toEqual(hi.toArray());
    });
  }
});
