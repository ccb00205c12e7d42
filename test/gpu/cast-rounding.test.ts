// fpDowncastRounding 'rtz' on the GPU against the interpreter: every float narrowing, on the inputs of
// test/support/cast-rounding.ts (values at the edges of rounding toward zero and random ones), bit for bit. f64, f32
// to f32, f16 and bf16 are PTX's cvt.rz; to fp8, which PTX converts only to nearest, the lowering writes the
// conversion out in integer arithmetic (src/compiler/gpu/fp8-rtz.ts), which the simulator runs op by op. Without a
// GPU, the PTX of every kernel is assembled by ptxas for sm_80, sm_89 and sm_90 (the fp8 expansion needs no fp8
// instruction, so sm_80 takes it too). And f64 to bf16 to nearest on sm_80, which has no cvt.bf16.f64, goes through an
// f32 rounded to odd (checked in the PTX: the simulator runs the IR, not the PTX), and so do integers (before sm_90,
// bf16 comes only from f32); integer to float conversions at the ties of f32 and bf16 agree with the interpreter.
import { describe, expect, test } from 'vitest';
import { dtypes, empty, kernel, tensor, tl, type DType, type Kernel, type Ptr, type constexpr, type i32 } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { rtzInputs, rtzPairs, sameResult, towardZeroReference } from '../support/cast-rounding.ts';
import { fileCheck } from '../support/filecheck.ts';
import { convert, nearTieBlock } from '../support/int-to-float.ts';
import { gpuMatchesInterpreter, gpuPresent, targetRuns } from './harness.ts';

const truncate = kernel(function truncate(x: Ptr, y: Ptr, n: i32, TO: constexpr<DType>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(y + offs, tl.load(x + offs, { mask }).to(TO, { fpDowncastRounding: 'rtz' }), { mask });
});

function launches(): [string, Kernel, number[], unknown[]][] {
  return rtzPairs.map(([from, to]) => {
    const values = rtzInputs(from, to, 7);
    const x = tensor(values, { dtype: from });
    return [`${from} to ${to}`, truncate, [Math.ceil(values.length / 512)], [x, empty([values.length], to), values.length, { TO: dtypes[to], BLOCK: 512, numWarps: 4 }]];
  });
}

describe.skipIf(!gpuPresent)('rounding toward zero on the GPU against the interpreter', () => {
  for (const [name, k, grid, args] of launches()) {
    test(name, () => {
      const [x, y] = gpuMatchesInterpreter(k, grid, args, { tol: { atol: 0, rtol: 0 } });
      // Equal values can still differ in the sign of a zero; and both sides must be the reference.
      const to = y!.dtype.name;
      const [xs, ys] = [Array.from(x!.toArray() as ArrayLike<number>), Array.from(y!.toArray() as ArrayLike<number>)];
      const wrong = xs.flatMap((v, i) => (sameResult(ys[i]!, towardZeroReference(v, to)) ? [] : [`${v} gave ${ys[i]}`]));
      expect(wrong.slice(0, 5), `${wrong.length} wrong`).toEqual([]);
    });
  }
});

/** Integer to float conversions of values at and around f32 and bf16 ties (test/support/int-to-float.ts). */
function intToFloatLaunches(): [string, number[], unknown[]][] {
  const out: [string, number[], unknown[]][] = [];
  for (const from of ['i32', 'u32', 'i64', 'u64'] as const) {
    const wide = from.endsWith('64');
    const values = nearTieBlock(wide ? 64 : 32, from.startsWith('i'));
    for (const to of ['f64', 'f32', 'f16', 'bf16'] as const) {
      const x = tensor(wide ? values : values.map(Number), { dtype: from });
      out.push([`${from} to ${to}`, [1], [x, empty([values.length], to), { TO: dtypes[to], BLOCK: values.length, numWarps: 4 }]]);
    }
  }
  return out;
}

describe.skipIf(!gpuPresent)('integer to float on the GPU against the interpreter, at the ties', () => {
  for (const [name, grid, args] of intToFloatLaunches()) test(name, () => void gpuMatchesInterpreter(convert, grid, args, { tol: { atol: 0, rtol: 0 } }));
});

// Compiled for sm_80, where bf16 comes from an f32 rounded to odd: on a Hopper the driver compiles that PTX, so the
// sequence runs on the hardware (the simulator runs the IR, not the PTX).
describe.skipIf(!targetRuns('sm_80'))('integer to float compiled for sm_80, at the ties', () => {
  for (const [name, grid, args] of intToFloatLaunches()) test(name, () => void gpuMatchesInterpreter(convert, grid, args, { tol: { atol: 0, rtol: 0 }, target: 'sm_80' }));
});

const ptxas = findPtxas();

const nearest = kernel(function nearest(x: Ptr, y: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(y + offs, tl.load(x + offs).to(tl.bfloat16));
});

describe.skipIf(!ptxas)('rtz PTX', () => {
  test('f64 to bf16 to nearest on sm_80 goes through an f32 rounded to odd, not rounded to nearest twice', () => {
    const bound = nearest.definition.bind([empty([128], 'f64'), empty([128], 'bf16'), { BLOCK: 128 }]);
    const module = nearest.definition.specialize(bound.bindings).ir.module;
    const { ptx, kernelName } = compileToPtx(module, { numWarps: 4, target: 'sm_80', argFacts: argumentFacts(bound.runtime) });
    expect(ptx).toMatch(/cvt\.rz\.f32\.f64/);
    expect(ptx).not.toMatch(/cvt\.rn\.f32\.f64/);
    expect(assemble(ptx, 'sm_80', kernelName, ptxas!).cubin.length).toBeGreaterThan(0);
  });

  test('integers to bf16 on sm_80 go through an f32 rounded to odd, not rounded to nearest twice', () => {
    for (const [name, , args] of intToFloatLaunches().filter(([n]) => n.endsWith('bf16'))) {
      const bound = convert.definition.bind(args);
      const module = convert.definition.specialize(bound.bindings).ir.module;
      const { ptx, kernelName } = compileToPtx(module, { numWarps: 4, target: 'sm_80', argFacts: argumentFacts(bound.runtime) });
      const it = { 'i32 to bf16': 's32', 'u32 to bf16': 'u32', 'i64 to bf16': 's64', 'u64 to bf16': 'u64' }[name]!;
      fileCheck(
        ptx,
        `
        CHECK-NOT: cvt.rn.f32.${it}
        CHECK: cvt.rz.f32.${it} %[[F:f[0-9]+]], %[[X:r[d]?[0-9]+]];
        CHECK-NEXT: cvt.rzi.${it}.f32 %[[BACK:r[d]?[0-9]+]], %[[F]];
        CHECK-NEXT: setp.ne.${it} %[[INEXACT:p[0-9]+]], %[[BACK]], %[[X]];
        CHECK-NEXT: mov.b32 %[[BITS:r[0-9]+]], %[[F]];
        CHECK-NEXT: @%[[INEXACT]] or.b32 %[[BITS]], %[[BITS]], 1;
        CHECK-NEXT: mov.b32 %[[ODD:f[0-9]+]], %[[BITS]];
        CHECK-NEXT: cvt.rn.bf16.f32 %{{h[0-9]+}}, %[[ODD]];
        CHECK-NOT: cvt.rn.f32.${it}
        `,
      );
      expect(assemble(ptx, 'sm_80', kernelName, ptxas!).cubin.length, name).toBeGreaterThan(0);
    }
  });

  for (const target of ['sm_80', 'sm_89', 'sm_90']) {
    test(`every narrowing assembles for ${target}`, () => {
      for (const [name, k, , args] of launches()) {
        const bound = k.definition.bind(args);
        const module = k.definition.specialize(bound.bindings).ir.module;
        const { ptx, kernelName } = compileToPtx(module, { numWarps: 4, target, argFacts: argumentFacts(bound.runtime) });
        if (name.endsWith('f16') || name.endsWith('bf16') || name.endsWith('f32')) expect(ptx, name).toMatch(/cvt\.rz\.(f32|f16|bf16)\.f(32|64)/);
        // To fp8, no rounding conversion to fp8 at all: the byte is computed.
        else expect(ptx, name).not.toMatch(/cvt\.rn\.satfinite/);
        expect(assemble(ptx, target, kernelName, ptxas!).cubin.length, name).toBeGreaterThan(0);
      }
    });
  }
});
