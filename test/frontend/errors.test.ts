// Every class of compile error points at the user's file, line and column, with the source line and a caret.
// Each offending line below carries a marker comment; the expected column is where the given snippet starts.
import { describe, expect, test } from 'vitest';
import { empty, kernel, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { locatedErrors } from '../support/located-errors.ts';

const expectError = locatedErrors(import.meta.url);

const x8 = () => empty([8]);

describe('unsupported syntax', () => {
  test('closures', () => {
    const k = kernel(function closure(x: Ptr) {
      const f = (v: number) => v + 1; // @closure
      tl.store(x, f(1));
    });
    expectError(() => k([1], x8()), 'closure', '(v: number)', /closures are not supported/);
  });

  test('try statements', () => {
    const k = kernel(function withTry(x: Ptr) {
      try { // @try
        tl.store(x, 1);
      } finally {
        tl.store(x, 2);
      }
    });
    expectError(() => k([1], x8()), 'try', 'try', /unsupported statement: TryStatement/);
  });

  test('object literals outside tl options', () => {
    const k = kernel(function objectLiteral(x: Ptr) {
      const o = { a: 1 }; // @object
      tl.store(x, o.a);
    });
    expectError(() => k([1], x8()), 'object', '{ a: 1 }', /object literals are only allowed as the options argument/);
  });

  test('break', () => {
    const k = kernel(function withBreak(x: Ptr, n: i32) {
      for (let i = 0; i < n; i++) {
        break; // @break
      }
      tl.store(x, 1);
    });
    expectError(() => k([1], x8(), 4), 'break', 'break', /'break' is not supported/);
  });

  test('var', () => {
    const k = kernel(function withVar(x: Ptr) {
      var v = 1; // @var
      tl.store(x, v);
    });
    expectError(() => k([1], x8()), 'var', 'var v = 1', /`var` is not supported/);
  });

  test('return inside a loop', () => {
    const k = kernel(function loopReturn(x: Ptr, n: i32) {
      for (let i = 0; i < n; i++) {
        if (i > 2) return; // @loopreturn
      }
      tl.store(x, 1);
    });
    expectError(() => k([1], x8(), 4), 'loopreturn', 'return', /return inside a loop is not supported/);
  });
});

describe('names', () => {
  test('unknown identifiers, with a suggestion', () => {
    const k = kernel(function unknownName(x: Ptr, BLOCK: constexpr) {
      // @ts-expect-error: the misspelling is the point
      const offs = tl.arange(0, BLOK); // @unknown
      tl.store(x + offs, 1);
    });
    const e = expectError(() => k([1], x8(), { BLOCK: 8 }), 'unknown', 'BLOK', /unknown name 'BLOK'/);
    expect(e.hint).toMatch(/did you mean 'BLOCK'/);
  });

  test('unknown tl members', () => {
    const k = kernel(function unknownMember(x: Ptr) {
      tl.store(x, (tl as unknown as { lod: () => number }).lod()); // @member
    });
    expectError(() => k([1], x8()), 'member', 'lod()', /tl has no member 'lod'/);
  });

  test('builtins used without tl.', () => {
    const k = kernel(function bareBuiltin(x: Ptr) {
      // @ts-expect-error: `arange` is deliberately not imported
      const r = arange(0, 8); // @bare
      tl.store(x + r, 1);
    });
    const e = expectError(() => k([1], x8()), 'bare', 'arange', /unknown name 'arange'/);
    expect(e.hint).toMatch(/tl\.arange/);
  });
});

describe('shapes and dtypes', () => {
  test('broadcasting mismatch', () => {
    const k = kernel(function badBroadcast(x: Ptr) {
      const a = tl.arange(0, 8);
      const b = tl.arange(0, 4);
      tl.store(x + a, a + b); // @broadcast
    });
    expectError(() => k([1], x8()), 'broadcast', 'a + b', /shapes \[8\] and \[4\] do not broadcast/);
  });

  test('dot with mismatched inner dimensions', () => {
    const k = kernel(function badDot(x: Ptr) {
      const a = tl.zeros([16, 32], tl.float32);
      const b = tl.zeros([16, 16], tl.float32);
      const c = tl.dot(a, b); // @dot
      tl.store(x + tl.arange(0, 16), tl.sum(c, 1));
    });
    const e = expectError(() => k([1], empty([16])), 'dot', 'tl.dot(a, b)', /inner dimensions differ: a is \[16, 32\] and b is \[16, 16\]/);
    expect(e.hint).toMatch(/tl\.trans/);
  });

  test('math on integers', () => {
    const k = kernel(function intExp(x: Ptr) {
      const v = tl.exp(tl.arange(0, 8)); // @intexp
      tl.store(x + tl.arange(0, 8), v);
    });
    expectError(() => k([1], x8()), 'intexp', 'tl.exp(', /exp needs a floating-point operand, got tensor<8xi32>/);
  });

  test('bitwise operators on floats', () => {
    const k = kernel(function floatAnd(x: Ptr) {
      const v = tl.load(x) & 1; // @floatand
      tl.store(x, v);
    });
    expectError(() => k([1], x8()), 'floatand', 'tl.load(x) & 1', /& needs integer or boolean operands/);
  });

  test('pointer plus float', () => {
    const k = kernel(function ptrFloat(x: Ptr) {
      tl.store(x + 1.5, 1); // @ptrfloat
    });
    expectError(() => k([1], x8()), 'ptrfloat', 'x + 1.5', /cannot combine a pointer with a float/);
  });

  test('load of a non-pointer', () => {
    const k = kernel(function loadNumber(x: Ptr) {
      tl.store(x, tl.load(3)); // @loadnum
    });
    expectError(() => k([1], x8()), 'loadnum', 'tl.load(3)', /load needs a pointer or a tile of pointers, got constexpr 3/);
  });

  test('a loop-carried variable that changes type', () => {
    const k = kernel(function typeChange(x: Ptr, n: i32) {
      let acc = tl.zeros([8], tl.float32);
      for (let i = 0; i < n; i++) { // @typechange
        acc = tl.arange(0, 8);
      }
      tl.store(x + tl.arange(0, 8), acc);
    });
    expectError(() => k([1], x8(), 3), 'typechange', 'for', /changes type from tensor<8xf32> to tensor<8xi32>/);
  });

  test('an if on a tile', () => {
    const k = kernel(function tileIf(x: Ptr) {
      const v = tl.load(x + tl.arange(0, 8));
      if (v > 0) { // @tileif
        tl.store(x, 1);
      }
    });
    expectError(() => k([1], x8()), 'tileif', 'v > 0', /an if condition must be a scalar, got tensor<8xi1>/);
  });
});

describe('compile-time values', () => {
  test('arange of a non-power-of-two', () => {
    const k = kernel(function npot(x: Ptr) {
      const r = tl.arange(0, 10); // @npot
      tl.store(x + r, 1);
    });
    expectError(() => k([1], empty([16])), 'npot', 'tl.arange(0, 10)', /arange's range \(end - start = 10\) must be a power of two/);
  });

  test('a run-time value where a compile-time one is needed', () => {
    const k = kernel(function runtimeShape(x: Ptr, n: i32) {
      const r = tl.arange(0, n); // @runtimeshape
      tl.store(x + r, 1);
    });
    expectError(() => k([1], x8(), 8), 'runtimeshape', 'n)', /'end' must be a compile-time value, got i32/);
  });

  test('assigning to a constexpr parameter', () => {
    const k = kernel(function assignConstexpr(x: Ptr, BLOCK: constexpr) {
      BLOCK = 4; // @assignconst
      tl.store(x + tl.arange(0, BLOCK), 1);
    });
    expectError(() => k([1], x8(), { BLOCK: 8 }), 'assignconst', 'BLOCK = 4', /cannot assign to constexpr parameter 'BLOCK'/);
  });

  test('a tensor passed for a constexpr parameter, pointing at the parameter', () => {
    const k = kernel(function tensorForConstexpr(x: Ptr, BLOCK: constexpr) { // @paramdecl
      tl.store(x + tl.arange(0, BLOCK), 1);
    });
    expectError(() => k([1], x8(), x8()), 'paramdecl', 'BLOCK: constexpr', /'BLOCK' is constexpr and needs a compile-time value/);
  });

  test('staticAssert failures', () => {
    const k = kernel(function assertion(x: Ptr, BLOCK: constexpr) {
      tl.staticAssert(BLOCK >= 16, 'BLOCK must be at least 16'); // @staticassert
      tl.store(x + tl.arange(0, BLOCK), 1);
    });
    expectError(() => k([1], x8(), { BLOCK: 8 }), 'staticassert', 'tl.staticAssert', /static assertion failed: BLOCK must be at least 16/);
    expect(() => k([1], empty([16]), { BLOCK: 16 })).not.toThrow();
  });

  test('staticAssert on a run-time value', () => {
    const k = kernel(function runtimeAssert(x: Ptr, n: i32) {
      tl.staticAssert(n > 0); // @rtassert
      tl.store(x, 1);
    });
    expectError(() => k([1], x8(), 3), 'rtassert', 'n > 0', /needs a compile-time condition, got i1/);
  });
});

describe('helpers and options', () => {
  test('errors inside a helper point into the helper and name the caller', () => {
    const k = kernel(function callsBadHelper(x: Ptr) {
      tl.store(x, badHelper(tl.arange(0, 8))); // @caller
    });
    const e = expectError(() => k([1], x8()), 'inhelper', 'v + tl.arange(0, 4)', /shapes \[8\] and \[4\] do not broadcast/);
    expect(e.notes.join()).toMatch(/in badHelper, called from/);
  });

  test('unknown options of tl calls', () => {
    const k = kernel(function badOption(x: Ptr) {
      const v = tl.load(x, { maks: true } as never); // @option
      tl.store(x, v);
    });
    const e = expectError(() => k([1], x8()), 'option', 'maks: true', /tl\.load has no option 'maks'/);
    expect(e.hint).toMatch(/mask, other/);
  });

  test('missing launch arguments', () => {
    const k = kernel(function needsN(x: Ptr, n: i32) { // @needsn
      tl.store(x, n);
    });
    expectError(() => k([1], x8()), 'needsn', 'n: i32', /missing argument 'n'/);
  });
});

describe('arguments Triton refuses, which must not compute something else', () => {
  test('expandDims with an axis out of range', () => {
    const k = kernel(function expandFar(x: Ptr) {
      const v = tl.expandDims(tl.arange(0, 8), -3); // @expandfar
      tl.store(x + tl.arange(0, 8), tl.reshape(v, [8]));
    });
    expectError(() => k([1], x8()), 'expandfar', '-3', /axis -3 is out of range: expandDims of a rank-1 value to rank 2 takes axes from -2 to 1/);
  });

  test('expandDims with one axis twice', () => {
    const k = kernel(function expandTwice(x: Ptr) {
      const v = tl.expandDims(tl.arange(0, 8), [0, 0]); // @expandtwice
      tl.store(x + tl.arange(0, 8), tl.reshape(v, [8]));
    });
    expectError(() => k([1], x8()), 'expandtwice', '[0, 0]', /expandDims got the same axis twice/);
  });

  test('a float as a random seed', () => {
    const k = kernel(function floatSeed(x: Ptr, seed: number) {
      tl.store(x + tl.arange(0, 8), tl.rand(seed, tl.arange(0, 8))); // @floatseed
    });
    expectError(() => k([1], x8(), 2.3), 'floatseed', 'tl.rand(seed', /the seed must be an integer, got f32/);
  });

  test('a tensor as a random seed', () => {
    const k = kernel(function tensorSeed(x: Ptr, seed: Ptr) {
      tl.store(x + tl.arange(0, 8), tl.randint(seed, tl.arange(0, 8))); // @tensorseed
    });
    expectError(() => k([1], x8(), x8()), 'tensorseed', 'tl.randint(seed', /the seed must be an integer, got .*ptr/);
  });

  test('a tl.range step of 0', () => {
    const k = kernel(function stepZero(x: Ptr) {
      let s = 0;
      for (const i of tl.range(0, 8, 0)) s += i; // @stepzero
      tl.store(x, s);
    });
    expectError(() => k([1], x8()), 'stepzero', '0)) s', /tl\.range's step is 0/);
  });

  test('a fractional constant for an integer tile', () => {
    const k = kernel(function fractionalInt(x: Ptr) {
      tl.store(x + tl.arange(0, 8), tl.full([8], 2.7, tl.int32)); // @fracint
    });
    expectError(() => k([1], x8()), 'fracint', 'tl.full(', /2\.7 is not an integer, so it cannot be a i32 constant/);
  });
});

function badHelper(v: number) {
  return v + tl.arange(0, 4); // @inhelper
}
