// Every op of the language on the GPU, in small kernels of its own (op-kernels.ts), against the interpreter:
// each dtype the op takes, awkward sizes, and 1, 4 and 8 warps where layouts matter.
import { describe, expect, test } from 'vitest';
import { Random, empty, tensor, type Tensor, type Tolerance } from 'kt';
import { dtypes, type DTypeName } from '../../src/compiler/semantic/dtype.ts';
import { gpuMatchesInterpreter, gpuPresent } from './harness.ts';
import * as k from './op-kernels.ts';

const floats: DTypeName[] = ['f32', 'f16', 'bf16', 'f64'];
const ints: DTypeName[] = ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64'];
const N = 1000;
const rng = new Random(11);

/** Non-zero random values: normal floats (times scale), integers in [-100, 100) (their magnitudes if unsigned). */
function values(n: number, dtype: DTypeName, scale = 2): Tensor {
  const d = dtypes[dtype];
  const v = Array.from({ length: n }, () => (d.isFloat ? rng.normal() * scale : Math.floor(rng.next() * 200) - 100));
  return tensor(v.map((x) => (x === 0 ? 1 : d.isUnsigned ? Math.abs(x) : x)), { dtype });
}

// The GPU computes these with hardware approximations (ex2.approx, lg2.approx, sin.approx, ...): within a few
// ulps of f32, which the interpreter's exactly rounded results must match to this tolerance.
const approxF32: Tolerance = { atol: 2e-6, rtol: 2e-6 };
const approx = new Set(['exp', 'exp2', 'log', 'log2', 'rsqrt', 'sin', 'cos', 'tanh', 'erf', 'sigmoid']);

function tolFor(op: string, dtype: DTypeName): Tolerance | undefined {
  if (!approx.has(op)) return undefined;
  if (dtype === 'f32') return approxF32;
  return undefined;
}

/** Ops whose domain is the positive numbers, and what their inputs are shifted by after taking magnitudes. */
const positiveDomain: Readonly<Record<string, number>> = { log: 0.5, log2: 0.5, sqrt: 0, rsqrt: 0.25 };

/** Random values in the op's domain. */
function operands(n: number, dtype: DTypeName, op: string): Tensor {
  const shift = positiveDomain[op];
  if (shift === undefined) return values(n, dtype);
  return tensor(Array.from(values(n, dtype).toArray() as ArrayLike<number>, (v) => Math.abs(v) + shift), { dtype });
}

describe.skipIf(!gpuPresent)('ops on the GPU against the interpreter', () => {
  describe('unary', () => {
    const floatOps = ['exp', 'exp2', 'log', 'log2', 'sqrt', 'rsqrt', 'abs', 'sin', 'cos', 'tanh', 'floor', 'ceil', 'erf', 'sigmoid', 'neg', 'square'];
    for (const dtype of floats) {
      for (const op of floatOps) {
        test(`${op} ${dtype}`, () => {
          gpuMatchesInterpreter(k.unary, [Math.ceil(N / 256)], [operands(N, dtype, op), empty([N], dtype), N, { OP: op, BLOCK: 256 }], { tol: tolFor(op, dtype) });
        });
      }
    }
    for (const dtype of ints) {
      for (const op of ['abs', 'neg', 'not', 'square']) {
        if (op === 'abs' && dtypes[dtype].isUnsigned) continue;
        test(`${op} ${dtype}`, () => {
          gpuMatchesInterpreter(k.unary, [Math.ceil(N / 256)], [values(N, dtype, 1), empty([N], dtype), N, { OP: op, BLOCK: 256 }]);
        });
      }
    }
  });

  describe('binary', () => {
    for (const dtype of floats) {
      for (const op of ['add', 'sub', 'mul', 'div', 'mod', 'fdiv', 'maximum', 'minimum', 'lt', 'le', 'eq', 'ne', 'gt', 'ge']) {
        test(`${op} ${dtype}`, () => {
          const out = ['lt', 'le', 'eq', 'ne', 'gt', 'ge'].includes(op) ? 'i32' : dtype;
          gpuMatchesInterpreter(k.binary, [Math.ceil(N / 128)], [values(N, dtype), values(N, dtype), empty([N], out), N, { OP: op, BLOCK: 128 }]);
        });
      }
    }
    for (const dtype of ints) {
      const ops = ['add', 'sub', 'mul', 'div', 'mod', 'floordiv', 'maximum', 'minimum', 'and', 'or', 'xor', 'shl', 'shr', 'lt', 'le', 'eq', 'ne', 'gt', 'ge'];
      if (dtype === 'i32' || dtype === 'u32' || dtype === 'i64' || dtype === 'u64') ops.push('umulhi');
      for (const op of ops) {
        test(`${op} ${dtype}`, () => {
          gpuMatchesInterpreter(k.binary, [Math.ceil(N / 512)], [values(N, dtype, 1), values(N, dtype, 1), empty([N], dtype), N, { OP: op, BLOCK: 512 }]);
        });
      }
    }
  });

  describe('ternary', () => {
    for (const dtype of [...floats, 'i32', 'i64'] as DTypeName[]) {
      for (const op of ['fma', 'where', 'clamp']) {
        if (op === 'fma' && !dtypes[dtype].isFloat) continue;
        test(`${op} ${dtype}`, () => {
          gpuMatchesInterpreter(k.ternary, [Math.ceil(N / 256)], [values(N, dtype), values(N, dtype), values(N, dtype), empty([N], dtype), N, { OP: op, BLOCK: 256 }]);
        });
      }
    }
  });

  describe('conversions', () => {
    const all: DTypeName[] = ['i1', 'i8', 'i16', 'i32', 'i64', 'u8', 'u32', 'f16', 'bf16', 'f32', 'f64'];
    for (const from of all) {
      for (const to of all) {
        if (from === to) continue;
        test(`${from} to ${to}`, () => {
          const src = from === 'i1' ? tensor(Array.from({ length: N }, (_, i) => i % 3 === 0), { dtype: 'i1' }) : values(N, from, 40);
          gpuMatchesInterpreter(k.convert, [Math.ceil(N / 256)], [src, empty([N], to), N, { BITCAST: false, DST: dtypes[to], BLOCK: 256 }]);
        });
      }
    }
    for (const [from, to] of [['f32', 'i32'], ['i32', 'f32'], ['f16', 'i16'], ['bf16', 'u16'], ['f64', 'i64']] as [DTypeName, DTypeName][]) {
      test(`bitcast ${from} to ${to}`, () => {
        gpuMatchesInterpreter(k.convert, [Math.ceil(N / 256)], [values(N, from), empty([N], to), N, { BITCAST: true, DST: dtypes[to], BLOCK: 256 }]);
      });
    }
  });

  describe('reductions', () => {
    const cases: [DTypeName, string[]][] = [
      ['f32', ['sum', 'max', 'min', 'argmax', 'argmin', 'custom']],
      ['f16', ['sum', 'max', 'argmin']],
      ['i32', ['sum', 'max', 'min', 'xor', 'argmax']],
      ['i64', ['sum', 'min']],
      ['f64', ['sum', 'max']],
    ];
    for (const numWarps of [1, 4, 8]) {
      for (const [dtype, ops] of cases) {
        for (const op of ops) {
          for (const axis of [0, 1]) {
            for (const [M, Nc, BM, BN] of [[30, 50, 32, 64], [3, 130, 4, 256], [70, 5, 128, 8]] as const) {
              test(`${op} ${dtype} axis ${axis} ${M}x${Nc} in ${BM}x${BN} numWarps=${numWarps}`, () => {
                const outLen = axis === 0 ? Nc : M;
                const outType = op.startsWith('arg') ? 'i32' : dtype;
                const tol = dtype === 'f16' ? { atol: 5e-2, rtol: 1e-2 } : dtype === 'f32' ? { atol: 1e-4, rtol: 1e-5 } : undefined;
                gpuMatchesInterpreter(k.reduce2d, [1], [values(M * Nc, dtype), empty([outLen], outType), M, Nc, { OP: op, AXIS: axis, BM, BN, numWarps }], { tol });
              });
            }
          }
        }
      }
      test(`whole-tile reduction numWarps=${numWarps}`, () => {
        gpuMatchesInterpreter(k.reduceAll, [1], [values(700, 'f32'), empty([2], 'f32'), 700, { BLOCK: 1024, numWarps }], { tol: { atol: 1e-4, rtol: 1e-5 } });
      });
    }
  });

  describe('scans', () => {
    for (const numWarps of [1, 4, 8]) {
      for (const [dtype, op] of [['f32', 'cumsum'], ['i32', 'cumsum'], ['i64', 'cumsum'], ['f32', 'cumprod'], ['f32', 'max'], ['f64', 'cumsum']] as [DTypeName, string][]) {
        for (const axis of [0, 1]) {
          for (const reverse of [false, true]) {
            for (const [M, Nc, BM, BN] of [[20, 45, 32, 64], [3, 300, 4, 512], [130, 3, 256, 4]] as const) {
              test(`${op} ${dtype} axis ${axis}${reverse ? ' reverse' : ''} ${M}x${Nc} numWarps=${numWarps}`, () => {
                const x = op === 'cumprod' ? tensor(Array.from({ length: M * Nc }, () => 0.9 + rng.next() * 0.2), { dtype }) : values(M * Nc, dtype, 1);
                gpuMatchesInterpreter(k.scan2d, [1], [x, empty([M * Nc], dtype), M, Nc, { OP: op, AXIS: axis, REVERSE: reverse, BM, BN, numWarps }], { tol: { atol: 1e-4, rtol: 1e-5 } });
              });
            }
          }
        }
      }
    }
  });

  describe('dot', () => {
    const cases: [DTypeName, DTypeName, string][] = [
      ['f32', 'f32', 'ieee'],
      ['f32', 'f32', 'tf32'],
      ['f16', 'f32', 'ieee'],
      ['bf16', 'f32', 'ieee'],
      ['i8', 'i32', 'ieee'],
      ['f64', 'f64', 'ieee'],
    ];
    for (const numWarps of [1, 4, 8]) {
      for (const [dtype, acc, precision] of cases) {
        for (const [M, Nc, K, BM, BN, BK] of [[16, 16, 16, 16, 16, 16], [30, 20, 50, 32, 32, 64], [64, 33, 17, 64, 64, 32]] as const) {
          test(`${dtype} ${precision} ${M}x${Nc}x${K} numWarps=${numWarps}`, () => {
            const a = values(M * K, dtype, 1);
            const b = values(K * Nc, dtype, 1);
            const c = values(M * Nc, acc, 1);
            const tol = dtype === 'f32' && precision === 'ieee' ? { atol: 1e-4, rtol: 1e-5 } : { atol: 1e-2, rtol: 1e-3 };
            gpuMatchesInterpreter(k.dot, [1], [a, b, c, M, Nc, K, { ACC: true, PRECISION: precision, BM, BN, BK, numWarps }], { tol });
          });
        }
      }
    }
  });

  describe('shapes', () => {
    for (const numWarps of [1, 4]) {
      for (const op of ['trans', 'permute', 'reshape', 'ravel', 'join', 'split', 'broadcast']) {
        for (const [BM, BN] of [[8, 16], [32, 4], [64, 64]] as const) {
          test(`${op} ${BM}x${BN} numWarps=${numWarps}`, () => {
            const outLen = op === 'join' ? 2 * BM * BN : BM * BN;
            gpuMatchesInterpreter(k.shapes, [1], [values(BM * BN, 'f32'), empty([outLen], 'f32'), { OP: op, BM, BN, numWarps }]);
          });
        }
      }
    }
  });

  describe('atomics', () => {
    const cases: [DTypeName, string][] = [
      ['i32', 'add'],
      ['u32', 'add'],
      ['i64', 'add'],
      ['i32', 'max'],
      ['i32', 'min'],
      ['u32', 'max'],
      ['u32', 'min'],
      ['i32', 'and'],
      ['i32', 'or'],
      ['i32', 'xor'],
      ['f32', 'add'],
    ];
    for (const [dtype, op] of cases) {
      for (const slots of [N, 7]) {
        // With collisions (7 slots) the order of updates is unspecified: compare only the final targets.
        test(`${op} ${dtype} ${slots === N ? 'distinct elements' : 'colliding elements'}`, () => {
          const tol = dtype === 'f32' ? { atol: 1e-3, rtol: 1e-5 } : undefined;
          gpuMatchesInterpreter(k.atomics, [Math.ceil(N / 256)], [values(slots, dtype, 1), values(N, dtype, 1), empty([N], dtype), N, { SLOTS: slots, OP: op, BLOCK: 256 }], { tol, skip: slots === N ? [] : [2] });
        });
      }
    }
    test('xchg on distinct elements', () => {
      gpuMatchesInterpreter(k.atomics, [Math.ceil(N / 256)], [values(N, 'i32'), values(N, 'i32'), empty([N], 'i32'), N, { SLOTS: N, OP: 'xchg', BLOCK: 256 }]);
    });
    test('a tile smaller than the program (threads hold copies): each element is updated once', () => {
      // Programs run in any order, so the old values they see differ from the interpreter's: compare the targets.
      const [target] = gpuMatchesInterpreter(k.atomics, [4], [tensor(new Array(16).fill(0), { dtype: 'i32' }), tensor(new Array(64).fill(1), { dtype: 'i32' }), empty([64], 'i32'), 64, { SLOTS: 16, OP: 'add', BLOCK: 16, numWarps: 4 }], { skip: [2] });
      expect(target!.toNumbers()).toEqual(new Array(16).fill(4));
    });
    test('compare-and-swap', () => {
      const cmp = tensor(Array.from({ length: 128 }, (_, i) => (i % 2 ? i : -1)), { dtype: 'i32' });
      gpuMatchesInterpreter(k.cas, [1], [tensor(Array.from({ length: 128 }, (_, i) => i), { dtype: 'i32' }), cmp, values(128, 'i32'), empty([128], 'i32'), { BLOCK: 128 }]);
    });
    test('a scalar atomic from every program', () => {
      const [c] = gpuMatchesInterpreter(k.counter, [1000], [tensor([0], { dtype: 'i32' })]);
      expect(c!.toNumbers()).toEqual([500500]);
    });
  });

  describe('random numbers', () => {
    for (const op of ['rand', 'randn', 'randint', 'randint4x']) {
      test(op, () => {
        const out = empty([N], op.startsWith('randint') ? 'u32' : 'f32');
        gpuMatchesInterpreter(k.random, [Math.ceil(N / 256)], [out, N, 1234, { OP: op, BLOCK: 256 }], { tol: { atol: 1e-5, rtol: 1e-5 } });
      });
    }
  });

  describe('programs and control flow', () => {
    test('loops carrying tiles, while, if/else and early return on run-time values', () => {
      gpuMatchesInterpreter(k.control, [9], [values(N, 'f32'), empty([N], 'f32'), N, 5, { BLOCK: 128 }], { tol: { atol: 1e-5, rtol: 1e-5 } });
    });
    test('scalar loads and stores, programId and numPrograms', () => {
      gpuMatchesInterpreter(k.scalars, [37], [tensor([5], { dtype: 'i32' }), empty([37], 'i32')]);
    });
    test('a 2-D grid', () => {
      gpuMatchesInterpreter(k.grid2d, [13, 7], [empty([13 * 7], 'i32'), 7]);
    });
    for (const [M, Nc, sx, BM, BN] of [[33, 70, 80, 16, 64], [5, 16, 16, 8, 16], [40, 100, 101, 32, 32]] as const) {
      test(`a strided 2-D copy ${M}x${Nc}, row stride ${sx}`, () => {
        gpuMatchesInterpreter(k.copy2d, [Math.ceil(M / BM)], [values(M * sx, 'f32'), empty([M * sx], 'f32').fill(0), M, Nc, sx, sx, { BM, BN }]);
      });
    }
  });
});
