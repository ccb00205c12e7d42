// The addresses of a shared-memory exchange (reshape, trans, split, join, convert_layout and chains of them), and
// of a local_alloc into a row-major buffer (the FMA dot's operands), are a linear function of the thread:
// linearForm finds it by evaluating the addressing at every register, lane and warp, and the lowering then
// computes the thread's part once and adds a constant per register. Before, each register walked the chain with
// multiplies, shifts and masks (8 batched 32x32x32 f16 dots on one warp: a PTX of 117,692 lines, 46 s of ptxas;
// now about 30,000 lines).
import { describe, expect, test } from 'vitest';
import { empty, kernel, randint, tl, type Kernel, type Ptr, type Tensor, type constexpr } from 'kt';
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

// Sources of different sizes in one exchange: a tile and a half of a split one twice its size.
const mixedSizes = kernel(function mixedSizes(a: Ptr, c: Ptr, out: Ptr, M: constexpr, N: constexpr) {
  const offs = tl.expandDims(tl.arange(0, M), 1) * N + tl.expandDims(tl.arange(0, N), 0);
  const pairs = tl.expandDims(offs, 2) * 2 + tl.expandDims(tl.expandDims(tl.arange(0, 2), 0), 0);
  const [c0] = tl.split(tl.load(c + pairs));
  tl.store(out + pairs, tl.join(tl.load(a + offs), c0) + 1);
});

// A join of a tile and a transposed one.
const permutedJoin = kernel(function permutedJoin(a: Ptr, b: Ptr, out: Ptr, M: constexpr) {
  const offs = tl.expandDims(tl.arange(0, M), 1) * M + tl.expandDims(tl.arange(0, M), 0);
  const pairs = tl.expandDims(offs, 2) * 2 + tl.expandDims(tl.expandDims(tl.arange(0, 2), 0), 0);
  tl.store(out + pairs, tl.join(tl.load(a + offs), tl.trans(tl.load(b + offs))));
});

const ints = (shape: number[], seed: number, dtype: string): Tensor => randint(-100, 100, shape, { seed, dtype });

/**
 * The shared-memory accesses after a kernel's first barrier (the exchanges'; or after the first op named `after`),
 * and whether each one's address is computed before it (in the prologue), or is such a value plus a constant.
 */
function exchangeAddresses(k: Kernel, args: unknown[], numWarps: number, after = 'gpu.barrier', accesses = ['gpu.shared_load', 'gpu.shared_store']): { access: string; from: string; folded: boolean }[] {
  const bound = k.definition.bind(args);
  const spec = k.definition.specialize(bound.bindings);
  const compiled = compileToPtx(spec.ir.module, { numWarps, argFacts: argumentFacts(bound.runtime) });
  const ops = (compiled.threadIr.regions[0]!.entry.ops[0]! as Operation).regions[0]!.entry.ops;
  const end = ops.findIndex((op) => op.name === after);
  expect(end).toBeGreaterThan(0);
  const prologue = new Set(ops.slice(0, end));
  const inPrologue = (v: Value): boolean => prologue.has(v.definingOp!);
  return ops
    .slice(end)
    .filter((op) => accesses.includes(op.name))
    .map((access) => {
      const address = access.operands[0]!;
      const def = address.definingOp!;
      const plusConstant = def.name === 'arith.addi' && def.operands.some(inPrologue) && def.operands.some((v) => v.definingOp?.name === 'arith.constant');
      return { access: access.name, from: def.name, folded: inPrologue(address) || plusConstant };
    });
}

/** The simulator's outputs (arguments 2 and 3 on) against the interpreter's, from the same inputs. */
function expectSimulatorAgrees(k: Kernel, inputs: Tensor[], outputs: () => Tensor[], meta: Record<string, unknown>): void {
  const want = outputs();
  k([1], ...inputs, ...want, meta);
  const got = outputs();
  simulateLaunch(k, [1], [...inputs, ...got, meta]);
  got.forEach((g, i) => expect(g.toArray()).toEqual(want[i]!.toArray()));
}

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
      const addresses = exchangeAddresses(k, [...args(), s], numWarps);
      expect(addresses.length).toBeGreaterThan(0);
      for (const a of addresses) expect(a.folded, `the address of ${a.access} comes from ${a.from}`).toBe(true);
    });

    test(`${label}: the simulator's results are the interpreter's`, () => {
      const [x] = args();
      expectSimulatorAgrees(k, [x], () => [empty([M, N], outType), empty([M, N], outType)], s);
    });
  }
});

describe('joins whose addresses are not linear', () => {
  // Which operand an element comes from depends on one coordinate bit, and where in it on the others.
  const cases = [
    { name: 'a join of a tile and a transposed one', k: permutedJoin as unknown as Kernel, inputs: () => [ints([16, 16], 5, 'i32'), ints([16, 16], 6, 'i32')], out: [16, 16, 2], meta: { M: 16, numWarps: 2 } },
    { name: 'a join of a tile and a half of a split one twice its size', k: mixedSizes as unknown as Kernel, inputs: () => [ints([8, 16], 3, 'i32'), ints([8, 16, 2], 4, 'i32')], out: [8, 16, 2], meta: { M: 8, N: 16, numWarps: 2 } },
  ];
  for (const c of cases) {
    test(`${c.name}: addressed register by register, and right`, () => {
      const inputs = c.inputs();
      const addresses = exchangeAddresses(c.k, [...inputs, empty(c.out, 'i32'), c.meta], c.meta.numWarps);
      expect(addresses.some((a) => !a.folded)).toBe(true);
      expectSimulatorAgrees(c.k, inputs, () => [empty(c.out, 'i32')], c.meta);
    });
  }
});

describe('vector loads from shared memory', () => {
  // Narrow types travel packed in 32-bit words; a load that is not masked must not pack its (unwritten) registers first.
  const narrow = kernel(function narrow(x: Ptr, out: Ptr, M: constexpr, N: constexpr) {
    const a = tl.load(x + tl.expandDims(tl.arange(0, M), 1) * N + tl.expandDims(tl.arange(0, N), 0));
    tl.store(out + tl.expandDims(tl.arange(0, N), 1) * M + tl.expandDims(tl.arange(0, M), 0), tl.reshape(a, [N, M]));
  });

  for (const dtype of ['i8', 'f16', 'bf16', 'f8e4m3']) {
    test(`${dtype}: the words an ld.shared vector writes are not read or written before it`, () => {
      const [M, N] = [16, 128];
      const c = narrow.warmup(empty([M, N], dtype), empty([N, M], dtype), { M, N, numWarps: 1, target: 'sm_90' });
      const lines = c.gpu!.ptx.split('\n');
      const loads = lines.map((l, i) => ({ l, i })).filter(({ l }) => /ld\.shared\.v\d\.b32/.test(l));
      expect(loads.length).toBeGreaterThan(0);
      for (const { l, i } of loads) {
        const words = /\{([^}]*)\}/.exec(l)![1]!.split(',').map((w) => w.trim());
        const before = lines.slice(0, i).join('\n');
        for (const w of words) expect(new RegExp(`${w.replace('%', '%')}\\b`).test(before), `${w} of \`${l.trim()}\``).toBe(false);
      }
      expectSimulatorAgrees(narrow as unknown as Kernel, [ints([M, N], 7, dtype)], () => [empty([N, M], dtype)], { M, N, numWarps: 1 });
    });
  }
});

describe('operands of the FMA dot', () => {
  // Written to shared memory by local_alloc, each register at the thread's part of the address plus a constant.
  const fmaDot = kernel(function fmaDot(a: Ptr, b: Ptr, c: Ptr, M: constexpr, N: constexpr, K: constexpr) {
    const m = tl.arange(0, M);
    const n = tl.arange(0, N);
    const k = tl.arange(0, K);
    const x = tl.load(a + tl.expandDims(m, 1) * K + tl.expandDims(k, 0));
    const y = tl.load(b + tl.expandDims(k, 1) * N + tl.expandDims(n, 0));
    tl.store(c + tl.expandDims(m, 1) * N + tl.expandDims(n, 0), tl.dot(x, y, null, { inputPrecision: 'ieee' }));
  });

  for (const numWarps of [1, 4]) {
    test(`f32, ${numWarps} warp${numWarps > 1 ? 's' : ''}: local_alloc stores at prologue addresses plus constants, and the product is right`, () => {
      const [M, N, K] = [32, 64, 16];
      const inputs = [ints([M, K], 8, 'f32'), ints([K, N], 9, 'f32')];
      const addresses = exchangeAddresses(fmaDot as unknown as Kernel, [...inputs, empty([M, N]), { M, N, K, numWarps }], numWarps, 'gpu.load', ['gpu.shared_store']);
      expect(addresses.length).toBeGreaterThan(0);
      expect(addresses.filter((a) => !a.folded)).toEqual([]);
      expectSimulatorAgrees(fmaDot as unknown as Kernel, inputs, () => [empty([M, N])], { M, N, K, numWarps });
    });
  }
});
