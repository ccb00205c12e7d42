// Tiles as objects, Math.max/min on run-time values and the library functions (flip, cat, interleave, gather, sort,
// histogram, log1p, sqrtRn, divRn, swizzle2d, assume, debugBarrier) on the interpreter, against independent
// references (builtins-cases.ts; the GPU runs the same cases in test/gpu/builtins.test.ts); then what only the
// interpreter checks (broken promises, the sanitizer's view of barriers) and the compile errors, each at its line.
import { describe, expect, test } from 'vitest';
import { KernelRuntimeError, empty, kernel, tensor, tl, type Ptr, type constexpr } from 'kt';
import { interpreterLaunch } from '../conformance/suite.ts';
import { locatedErrors } from '../support/located-errors.ts';
import { assumeKernel, barrierSwap, builtinCases } from './builtins-cases.ts';

describe('on the interpreter', () => {
  for (const c of builtinCases()) test(c.name, () => c.run(interpreterLaunch));
});

const floats = (t: { toArray(): ArrayLike<number | bigint> }): number[] => Array.from(t.toArray(), Number);

describe('Math.max and Math.min on run-time values', () => {
  const minMax = kernel(function minMax(x: Ptr, y: Ptr, out: Ptr, B: constexpr) {
    const offs = tl.arange(0, B);
    const [a, b] = [tl.load(x + offs), tl.load(y + offs)];
    tl.store(out + offs, Math.max(a, b));
    tl.store(out + B + offs, Math.min(a, b, 0.5));
    tl.store(out + 2 * B + offs, tl.maximum(a, b));
    // On compile-time numbers, a compile-time number as before.
    tl.store(out + 3 * B + offs, Math.max(2, 3) + offs * 0);
  });

  test('are elementwise, with JavaScript\'s NaN rule (tl.maximum ignores NaN)', () => {
    const out = empty([16]);
    minMax([1], tensor([1, NaN, -3, 7]), tensor([2, 5, NaN, 6]), out, { B: 4 });
    const o = floats(out);
    expect(o.slice(0, 4)).toEqual([2, NaN, NaN, 7]);
    expect(o.slice(4, 8)).toEqual([0.5, NaN, NaN, 0.5]);
    expect(o.slice(8, 12)).toEqual([2, 5, -3, 7]);
    expect(o.slice(12, 16)).toEqual([3, 3, 3, 3]);
  });
});

describe('what the interpreter checks', () => {
  test('a broken tl.assume stops the launch at its line', () => {
    const ok = empty([8], 'i32');
    expect(() => assumeKernel([1], tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'i32' }), ok, 0, { BLOCK: 8 })).toThrow(/assumption does not hold in kernel 'assumeKernel' \(program \(0, 0, 0\)\): the condition of tl.assume is false/);
    const err = thrown(() => assumeKernel([1], tensor([1, 2, -3, 4, 5, 6, 7, 8], { dtype: 'i32' }), ok, 8, { BLOCK: 8 }));
    expect(err).toBeInstanceOf(KernelRuntimeError);
    expect(String((err as Error).message)).toMatch(/tile index \[2\] of 8/);
    expect(String((err as Error).message)).toMatch(/builtins-cases\.ts:\d+:\d+: error: assumption does not hold/);
  });

  test('the sanitizer reports lanes that exchange through memory without tl.debugBarrier, and not with it', () => {
    const run = (barrier: boolean): void => {
      barrierSwap([1], tensor(Array.from({ length: 64 }, (_, i) => i)), empty([64]), empty([64]), { BLOCK: 64, BARRIER: barrier, sanitize: true });
    };
    expect(() => run(false)).toThrow(/data race in kernel 'barrierSwap'.*a load by program \(0, 0, 0\), tile index \[0\] of 64 and a store by program \(0, 0, 0\), tile index \[63\] of 64/s);
    expect(() => run(false)).toThrow(/put a tl.debugBarrier\(\) between the accesses/);
    expect(() => run(true)).not.toThrow();
  });
});

// ---- compile errors, each at the line marked with its name ----


/** What `run` throws. */
function thrown(run: () => void): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}

const located = locatedErrors(import.meta.url);

/** Expects a CompileError whose reason matches, located at the line marked `// @marker`, on `snippet`. */
function expectLocated(run: () => void, marker: string, snippet: string, reason: RegExp, hint?: RegExp): void {
  const e = located(run, marker, snippet, reason);
  if (hint) expect(e.hint).toMatch(hint);
}

describe('errors', () => {
  const x8 = (): ReturnType<typeof empty> => empty([8]);

  test('elementTy of a dtype that is not a pointer', () => {
    const k = kernel(function notPointer(x: Ptr) {
      const v = tl.load(x + tl.arange(0, 8));
      tl.store(x + tl.arange(0, 8), v.to(v.dtype.elementTy)); // @elementTy
    });
    expectLocated(() => k([1], x8()), 'elementTy', 'elementTy', /f32 is not a pointer dtype, so it has no elementTy/, /x_ptr\.dtype\.elementTy/);
  });

  test('an unknown member of a tile, with the closest one', () => {
    const k = kernel(function unknownMember(x: Ptr) {
      const v = tl.load(x + tl.arange(0, 8));
      // @ts-expect-error: tiles have no summ
      tl.store(x, v.summ(0)); // @summ
    });
    expectLocated(() => k([1], x8()), 'summ', 'summ', /a tile has no member 'summ'/, /did you mean 'sum'/);
  });

  test('the members of a compile-time number', () => {
    const k = kernel(function numberDtype(x: Ptr) {
      tl.store(x, (3).dtype.bits); // @numberDtype
    });
    expectLocated(() => k([1], x8()), 'numberDtype', 'dtype', /a compile-time number has no dtype/, /tl\.full/);
  });

  test('.T of a tile that is not 2-D', () => {
    const k = kernel(function transposed(x: Ptr) {
      tl.store(x + tl.arange(0, 8), tl.load(x + tl.arange(0, 8)).T); // @T
    });
    expectLocated(() => k([1], x8()), 'T', 'T)', /\.T transposes a 2-D tile; this is tensor<8xf32>/);
  });

  test('Math functions other than max and min on run-time values', () => {
    const k = kernel(function mathExp(x: Ptr) {
      tl.store(x, Math.exp(tl.load(x))); // @mathExp
    });
    expectLocated(() => k([1], x8()), 'mathExp', 'tl.load(x)', /Math\.exp applies to compile-time numbers, and this argument is a run-time f32/, /use tl\.exp\(\.\.\.\)/);
    const s = kernel(function mathSin(x: Ptr) {
      tl.store(x, Math.sin(tl.load(x))); // @mathSin
    });
    expectLocated(() => s([1], x8()), 'mathSin', 'sin', /Math\.sin is not available in kernels/, /use tl\.sin\(\.\.\.\)/);
  });

  test('an assumption false at compile time', () => {
    const k = kernel(function falseAssumption(x: Ptr, N: constexpr) {
      tl.assume(N > 4); // @assume
      tl.store(x, 1);
    });
    expectLocated(() => k([1], x8(), { N: 2 }), 'assume', 'N > 4', /tl\.assume: the assumption is false at compile time/);
  });

  test('shapes and dtypes the library functions refuse', () => {
    const gatherRank = kernel(function gatherRank(x: Ptr) {
      const v = tl.load(x + tl.arange(0, 8));
      tl.store(x + tl.arange(0, 8), tl.gather(v, tl.zeros([8, 1], tl.int32), 0)); // @gatherRank
    });
    expectLocated(() => gatherRank([1], x8()), 'gatherRank', 'tl.gather', /gather's index has rank 2 and the source 1/);
    const histFloat = kernel(function histFloat(x: Ptr) {
      tl.store(x + tl.arange(0, 4), tl.histogram(tl.load(x + tl.arange(0, 8)), 4)); // @histFloat
    });
    expectLocated(() => histFloat([1], x8()), 'histFloat', 'tl.histogram', /histogram needs a 1-D tile of integers, got tensor<8xf32>/);
    const catRanks = kernel(function catRanks(x: Ptr) {
      tl.store(x + tl.arange(0, 8), tl.cat(tl.load(x + tl.arange(0, 4)), tl.load(x + tl.arange(0, 8)))); // @catRanks
    });
    expectLocated(() => catRanks([1], x8()), 'catRanks', 'tl.cat', /cat needs tiles of one shape, got tensor<4xf32> and tensor<8xf32>/);
    const sqrtInt = kernel(function sqrtInt(x: Ptr) {
      tl.store(x, tl.sqrtRn(tl.programId(0))); // @sqrtInt
    });
    expectLocated(() => sqrtInt([1], x8()), 'sqrtInt', 'tl.sqrtRn', /sqrtRn needs a floating-point operand, got i32/);
    const divInt = kernel(function divInt(x: Ptr) {
      tl.store(x, tl.divRn(tl.programId(0), 2)); // @divInt
    });
    expectLocated(() => divInt([1], x8()), 'divInt', 'tl.divRn', /divRn needs floating-point operands, got i32 and i32/);
    const sortPointers = kernel(function sortPointers(x: Ptr) {
      tl.store(x + tl.arange(0, 8), tl.load(tl.sort(x + tl.arange(0, 8)))); // @sortPointers
    });
    expectLocated(() => sortPointers([1], x8()), 'sortPointers', 'tl.sort', /sort cannot order pointers/);
  });
});
