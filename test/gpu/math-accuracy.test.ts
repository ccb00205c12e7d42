// How far the GPU's f32 math functions (and f64 rsqrt) lie from the exact values, against the bounds README's "Where
// the tiers differ" table states. The interpreter computes each function in double precision and rounds once (within
// half an ulp); the GPU uses the hardware's approximations (ex2.approx, lg2.approx, sin.approx, cos.approx,
// rsqrt.approx) and short sequences around them, as Triton does. Each op runs on a sweep of its domain on a real
// GPU; the error of every element must lie within ulps * ulp(exact) + abs, and within the dtype's tolerance that
// `kt run --check` and the GPU suite allow (f32: atol 1e-5, rtol 1e-4). The measured maxima are printed for the
// README.
import { describe, expect, test } from 'vitest';
import { defaultTolerance, empty, tensor } from 'kt';
import { elementwiseHelpers } from '../../src/compiler/ir/elementwise.ts';
import { roundToFloat } from '../../src/numerics.ts';
import { synchronize } from '../../src/runtime/gpu.ts';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { fileCheck } from '../support/filecheck.ts';
import { realGpu } from './harness.ts';
import { unary } from './op-kernels.ts';

/** A bound: |gpu - exact| <= ulps(x) * ulp(exact) + abs. */
interface Bound {
  readonly ulps: (x: number) => number;
  readonly abs: number;
}

interface MathCase {
  readonly op: string;
  readonly exact: (x: number) => number;
  /** The domain swept: [lo, hi], linearly or (log) by exponent. */
  readonly domain: readonly [number, number];
  readonly log?: boolean;
  readonly bound: Bound;
  /** The dtype computed in (f32 unless given). */
  readonly dtype?: 'f64';
}

const constant = (n: number) => (): number => n;
const cases: MathCase[] = [
  // ex2.approx: about 2 ulps. exp and sigmoid multiply by log2(e) first: that product's rounding moves the result
  // by up to |x| ulps (the error of t = x log2(e) is |t| 2^-24, which 2^t turns into a relative error |x| 2^-24).
  { op: 'exp2', exact: (x) => 2 ** x, domain: [-125, 127], bound: { ulps: constant(3), abs: 0 } },
  { op: 'exp', exact: Math.exp, domain: [-87, 88], bound: { ulps: (x) => 3 + 1.2 * Math.abs(x), abs: 0 } },
  { op: 'sigmoid', exact: (x) => 1 / (1 + Math.exp(-x)), domain: [-80, 80], bound: { ulps: (x) => 4 + 1.2 * Math.abs(x), abs: 0 } },
  // lg2.approx: an absolute error near 1 (where the result passes through 0), a few ulps elsewhere.
  { op: 'log2', exact: Math.log2, domain: [1e-30, 1e30], log: true, bound: { ulps: constant(3), abs: 2 ** -21 } },
  { op: 'log', exact: Math.log, domain: [1e-30, 1e30], log: true, bound: { ulps: constant(4), abs: 2 ** -21 } },
  // kt's own sequence around a series: a few ulps everywhere, near 0 too.
  { op: 'log1p', exact: Math.log1p, domain: [-0.999, 1e6], bound: { ulps: constant(4), abs: 0 } },
  // sin.approx / cos.approx after reducing by 2 pi: an absolute error (2^-20.9 on [-pi, pi]).
  { op: 'sin', exact: Math.sin, domain: [-100, 100], bound: { ulps: constant(0), abs: 2 ** -20 } },
  { op: 'cos', exact: Math.cos, domain: [-100, 100], bound: { ulps: constant(0), abs: 2 ** -20 } },
  // A series below |x| = 0.25, 1 - 2 / (exp(2|x|) + 1) above.
  { op: 'tanh', exact: Math.tanh, domain: [-10, 10], bound: { ulps: constant(8), abs: 2 ** -26 } },
  // Abramowitz-Stegun 7.1.26 (absolute error 1.5e-7) above |x| = 0.5, a series below.
  { op: 'erf', exact: elementwiseHelpers.erf, domain: [-5, 5], bound: { ulps: constant(0), abs: 1e-6 } },
  // rsqrt.approx: relative error 2^-22.9.
  { op: 'rsqrt', exact: (x) => 1 / Math.sqrt(x), domain: [1e-30, 1e30], log: true, bound: { ulps: constant(3), abs: 0 } },
  // Correctly rounded (sqrt.rn, div.rn): as the interpreter.
  { op: 'sqrt', exact: Math.sqrt, domain: [1e-30, 1e30], log: true, bound: { ulps: constant(0.5), abs: 0 } },
  { op: 'recip', exact: (x) => 1 / x, domain: [1e-30, 1e30], log: true, bound: { ulps: constant(0.5), abs: 0 } },
  // f64 rsqrt is rsqrt.approx.f64 (whose error PTX does not state) and one Newton step; `exact` is 1 / sqrt(x) in
  // doubles, itself within about an ulp.
  { op: 'rsqrt', dtype: 'f64', exact: (x) => 1 / Math.sqrt(x), domain: [1e-300, 1e300], log: true, bound: { ulps: constant(4), abs: 0 } },
];

const N = 1 << 16;

/** N inputs of the case's dtype spread over the domain (by exponent for `log`), the first and last the domain's ends. */
function inputs(c: MathCase): Float32Array | Float64Array {
  const [lo, hi] = c.domain;
  const xs = c.dtype === 'f64' ? new Float64Array(N) : new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const t = i / (N - 1);
    xs[i] = c.log ? Math.exp(Math.log(lo) + t * (Math.log(hi) - Math.log(lo))) : lo + t * (hi - lo);
  }
  return xs;
}

/** The spacing of f32 (or f64) values at |v| (subnormals: 2^-149, 2^-1074). */
function ulpOf(v: number, dtype: 'f32' | 'f64'): number {
  const [minNormalExp, fraction] = dtype === 'f64' ? [-1022, 52] : [-126, 23];
  const a = Math.abs(v);
  if (a < 2 ** minNormalExp) return 2 ** (minNormalExp - fraction);
  return 2 ** (Math.floor(Math.log2(a)) - fraction);
}

const ptxas = findPtxas();

describe.skipIf(!ptxas)('f64 rsqrt PTX', () => {
  test('rsqrt.approx.f64, then one Newton step where the approximation is a normal number', () => {
    const args = [empty([256], 'f64'), empty([256], 'f64'), 256, { OP: 'rsqrt', BLOCK: 256 }];
    const bound = unary.definition.bind(args);
    const module = unary.definition.specialize(bound.bindings).ir.module;
    const { ptx, kernelName, target } = compileToPtx(module, { numWarps: 4, target: 'sm_90', argFacts: argumentFacts(bound.runtime) });
    fileCheck(
      ptx,
      `
      CHECK: rsqrt.approx.f64 %[[Y:fd[0-9]+]], %[[X:fd[0-9]+]];
      CHECK-NEXT: mul.rn.f64 %[[XY:fd[0-9]+]], %[[X]], %[[Y]];
      CHECK-NEXT: neg.f64 %[[XY]], %[[XY]];
      CHECK-NEXT: fma.rn.f64 %[[R:fd[0-9]+]], %[[XY]], %[[Y]], 0d3FF0000000000000;
      CHECK-NEXT: mul.rn.f64 %[[H:fd[0-9]+]], %[[Y]], 0d3FE0000000000000;
      CHECK-NEXT: fma.rn.f64 %[[REFINED:fd[0-9]+]], %[[H]], %[[R]], %[[Y]];
      CHECK-NEXT: testp.normal.f64 %[[P:p[0-9]+]], %[[Y]];
      CHECK-NEXT: selp.f64 %{{fd[0-9]+}}, %[[REFINED]], %[[Y]], %[[P]];
      `,
    );
    expect(assemble(ptx, target, kernelName, ptxas!).cubin.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!realGpu)('GPU math against the exact values', () => {
  const measured: string[] = [];

  test.each(cases.map((c) => [`${c.op}${c.dtype ? ` ${c.dtype}` : ''}`, c] as const))("%s stays within its documented bound and its dtype's tolerance", (name, c) => {
    const dtype = c.dtype ?? 'f32';
    const xs = inputs(c);
    const x = tensor(Array.from(xs), { dtype }).cuda();
    const y = empty([N], dtype, 'cuda');
    unary([N / 1024], x, y, N, { OP: c.op, BLOCK: 1024 });
    synchronize();
    const got = y.toArray() as Float32Array | Float64Array;
    const tol = defaultTolerance(dtype);
    let worstUlps = 0;
    let worstAbs = 0;
    const outside: string[] = [];
    for (let i = 0; i < N; i++) {
      const exact = c.exact(xs[i]!);
      const err = Math.abs(got[i]! - exact);
      const ulps = err / ulpOf(exact, dtype);
      worstAbs = Math.max(worstAbs, err);
      if (Math.abs(exact) >= 2 ** -20) worstUlps = Math.max(worstUlps, ulps);
      const allowed = c.bound.ulps(xs[i]!) * ulpOf(exact, dtype) + c.bound.abs;
      const checkTol = tol.atol + tol.rtol * Math.abs(roundToFloat(exact, dtype));
      if (!(err <= allowed && err <= checkTol) && outside.length < 5) outside.push(`x = ${xs[i]}: got ${got[i]}, exact ${exact} (${ulps.toFixed(1)} ulps, ${err.toExponential(2)} absolute)`);
    }
    measured.push(`${name.padEnd(11)} max ${worstUlps.toFixed(2)} ulps (where |exact| >= 2^-20), max ${worstAbs.toExponential(2)} absolute`);
    console.log(`math accuracy on the GPU: ${measured[measured.length - 1]}`);
    expect(outside, `${name}: elements outside the bound`).toEqual([]);
    [x, y].forEach((t) => t.dispose());
  });
});
