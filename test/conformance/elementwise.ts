// Triton's elementwise language tests (test_core.py: test_bin_op, test_floordiv, test_bitwise_op, test_shift_op,
// test_compare_op, test_where, test_where_broadcast, test_unary_op, test_math_op, test_abs, test_cast,
// test_umulhi), ported: one kt kernel per Triton kernel, the same parametrisations, inputs from the same
// distributions, and references computed as NumPy 2 computes Triton's `numpy_expr`s.
import { Random, empty, kernel, tl, type DType, type Ptr, type constexpr, type i32 } from 'kt';
import { dtypes as ktDTypes } from '../../src/compiler/semantic/dtype.ts';
import * as np from './numpy.ts';
import { dtypes, dtypesWithBfloat16, floatDTypes, intDTypes, integralDTypes, uintDTypes, type NdArray, type NpDType, type Operand, type TritonDType } from './numpy.ts';
import { expectCompileError, sampled, type Case, type Launch } from './suite.ts';

// ---- kernels ---------------------------------------------------------------------------------------------------

/** Triton's GENERATE_TEST_HERE for binary tests: `x OP y`. */
function binaryExpr(x: number, y: number, OP: string) {
  let z: number | boolean = x;
  if (OP === '+') z = x + y;
  else if (OP === '-') z = x - y;
  else if (OP === '*') z = x * y;
  else if (OP === '/') z = x / y;
  else if (OP === '%') z = x % y;
  else if (OP === '//') z = tl.floordiv(x, y);
  else if (OP === '&') z = x & y;
  else if (OP === '|') z = x | y;
  else if (OP === '^') z = x ^ y;
  else if (OP === '<<') z = x << y;
  else if (OP === '>>') z = x >> y;
  else if (OP === '==') z = x === y;
  else if (OP === '!=') z = x !== y;
  else if (OP === '<') z = x < y;
  else if (OP === '<=') z = x <= y;
  else if (OP === '>') z = x > y;
  else if (OP === '>=') z = x >= y;
  else tl.staticAssert(false, `unknown OP ${OP}`);
  return z;
}

export const binary = kernel(function binary(Z: Ptr, X: Ptr, Y: Ptr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  const x = tl.load(X + off);
  const y = tl.load(Y + off);
  tl.store(Z + off, binaryExpr(x, y, OP));
});

export const binaryBroadcastLhs = kernel(function binaryBroadcastLhs(Z: Ptr, X: Ptr, Y: Ptr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  const x = tl.load(X);
  const y = tl.load(Y + off);
  tl.store(Z + off, binaryExpr(x, y, OP));
});

export const binaryBroadcastRhs = kernel(function binaryBroadcastRhs(Z: Ptr, X: Ptr, Y: Ptr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  const x = tl.load(X + off);
  const y = tl.load(Y);
  tl.store(Z + off, binaryExpr(x, y, OP));
});

export const binaryScalarRhs = kernel(function binaryScalarRhs(Z: Ptr, X: Ptr, y: constexpr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  const x = tl.load(X + off);
  tl.store(Z + off, binaryExpr(x, y, OP));
});

/** Triton's _test_unary kernel: z = EXPR(x). */
export const unary = kernel(function unary(Z: Ptr, X: Ptr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  const x = tl.load(X + off);
  let z = x;
  if (OP === '-x') z = -x;
  else if (OP === '~x') z = ~x;
  else if (OP === 'abs') z = tl.abs(x);
  else if (OP === 'exp') z = tl.exp(x);
  else if (OP === 'log') z = tl.log(x);
  else if (OP === 'cos') z = tl.cos(x);
  else if (OP === 'sin') z = tl.sin(x);
  else if (OP === 'exp2') z = tl.exp2(x);
  else if (OP === 'log2') z = tl.log2(x);
  else if (OP === 'sqrt') z = tl.sqrt(x);
  else if (OP === 'floor') z = tl.floor(x);
  else if (OP === 'ceil') z = tl.ceil(x);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(Z + off, z);
});

/** test_math_op with the argument 3.0: `tl.exp(3.0)` and so on, a scalar stored to every element. */
export const unaryOfLiteral = kernel(function unaryOfLiteral(Z: Ptr, X: Ptr, OP: constexpr<string>, SIZE: constexpr) {
  const off = tl.arange(0, SIZE);
  let z = tl.exp(3.0);
  if (OP === 'log') z = tl.log(3.0);
  else if (OP === 'cos') z = tl.cos(3.0);
  else if (OP === 'sin') z = tl.sin(3.0);
  else if (OP === 'exp2') z = tl.exp2(3.0);
  else if (OP === 'log2') z = tl.log2(3.0);
  else if (OP === 'sqrt') z = tl.sqrt(3.0);
  else if (OP === 'floor') z = tl.floor(3.0);
  else if (OP === 'ceil') z = tl.ceil(3.0);
  else tl.staticAssert(OP === 'exp', `unknown OP ${OP}`);
  tl.store(Z + off, z);
});

export const where = kernel(function where(condPtr: Ptr, aPtr: Ptr, bPtr: Ptr, outputPtr: Ptr, nElements: i32, BLOCK_SIZE: constexpr, TEST_POINTERS: constexpr<boolean>, TEST_SCALAR_POINTERS: constexpr<boolean>) {
  const offsets = tl.programId(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  const mask = offsets < nElements;
  const decide = tl.load(condPtr + offsets, { mask });
  if (TEST_SCALAR_POINTERS) {
    const ptr = tl.where(tl.load(condPtr), aPtr, bPtr);
    const output = tl.load(ptr + offsets, { mask });
    tl.store(outputPtr + offsets, output, { mask });
  } else if (TEST_POINTERS) {
    const a = tl.load(aPtr + offsets, { mask }).to(tl.pointerType(tl.int32));
    const b = tl.load(bPtr + offsets, { mask }).to(tl.pointerType(tl.int32));
    tl.store(outputPtr + offsets, tl.where(decide, a, b), { mask });
  } else {
    const a = tl.load(aPtr + offsets, { mask });
    const b = tl.load(bPtr + offsets, { mask });
    tl.store(outputPtr + offsets, tl.where(decide, a, b), { mask });
  }
});

export const whereBroadcast = kernel(function whereBroadcast(condPtr: Ptr, aPtr: Ptr, outPtr: Ptr, BLOCK_SIZE: constexpr) {
  const xoffsets = tl.expandDims(tl.arange(0, BLOCK_SIZE), 1);
  const yoffsets = tl.expandDims(tl.arange(0, BLOCK_SIZE), 0);
  const mask = tl.load(condPtr + yoffsets);
  const vals = tl.load(aPtr + yoffsets + BLOCK_SIZE * xoffsets);
  const res = tl.where(mask, vals, 0.0);
  tl.store(outPtr + yoffsets + BLOCK_SIZE * xoffsets, res);
});

export const whereScalarCondition = kernel(function whereScalarCondition(aPtr: Ptr, outPtr: Ptr, BLOCK_SIZE: constexpr) {
  const xoffsets = tl.expandDims(tl.arange(0, BLOCK_SIZE), 1);
  const yoffsets = tl.expandDims(tl.arange(0, BLOCK_SIZE), 0);
  const mask = false;
  const vals = tl.load(aPtr + yoffsets + BLOCK_SIZE * xoffsets);
  const res = tl.where(mask, vals, 0.0);
  tl.store(outPtr + yoffsets + BLOCK_SIZE * xoffsets, res);
});

/** test_cast's kernel; Triton spells the cast four ways by a hash of the parameters, kt has two of them. */
export const cast = kernel(function cast(X: Ptr, Z: Ptr, TO_TYPE: constexpr<DType>, BITCAST: constexpr<boolean>, SIZE: constexpr, ARG_HASH: constexpr) {
  const xPtr = X + tl.arange(0, SIZE);
  const zPtr = Z + tl.arange(0, SIZE);
  const x = tl.load(xPtr);
  let z = x;
  if (ARG_HASH % 2 === 0) z = x.to(TO_TYPE, { bitcast: BITCAST });
  else z = tl.cast(x, TO_TYPE, { bitcast: BITCAST });
  tl.store(zPtr, z);
});

export const umulhi = kernel(function umulhi(X: Ptr, Y: Ptr, Z: Ptr, N: constexpr) {
  const offs = tl.arange(0, N);
  const x = tl.load(X + offs);
  const y = tl.load(Y + offs);
  const z = tl.umulhi(x, y);
  tl.store(Z + tl.arange(0, N), z);
});

// ---- _test_binary ------------------------------------------------------------------------------------------------

const SIZE = 128;

const bitwidth = (d: TritonDType): number => np.bits(d);
const isUint = (d: TritonDType): boolean => (uintDTypes as readonly string[]).includes(d);
const isSint = (d: TritonDType): boolean => (intDTypes as readonly string[]).includes(d);
const isIntegral = (d: TritonDType): boolean => (integralDTypes as readonly string[]).includes(d);

/** NumPy's ufunc for a Python operator (`%` on arrays is np.remainder, but every test here spells it np.fmod). */
function npOp(op: string, x: Operand, y: Operand): NdArray {
  switch (op) {
    case '+':
      return np.add(x, y);
    case '-':
      return np.subtract(x, y);
    case '*':
      return np.multiply(x, y);
    case '/':
      return np.trueDivide(x, y);
    case 'fmod':
      return np.fmod(x, y);
    case '&':
      return np.bitwiseAnd(x, y);
    case '|':
      return np.bitwiseOr(x, y);
    case '^':
      return np.bitwiseXor(x, y);
    case '<<':
      return np.leftShift(x, y);
    case '>>':
      return np.rightShift(x, y);
    default:
      return np.compare(op as np.CompareOp, x, y);
  }
}

/**
 * A test's numpy_expr: `x OP y` after optional casts of both sides (`castTo`). In scalar tests Triton deletes the
 * casts (re.sub of `.astype(...)`), so NumPy 2's weak scalar rules decide the dtype there.
 */
interface NumpyExpr {
  op: string;
  castTo?: NpDType;
  /** The `((x - np.fmod(x, y)) / y)` of test_floordiv. */
  floordiv?: boolean;
}

function evalNumpyExpr(e: NumpyExpr, x: Operand, y: Operand, scalar: boolean): NdArray {
  const c = (v: Operand): Operand => (e.castTo && !scalar && !('py' in v) ? np.astype(v, e.castTo) : v);
  const [cx, cy] = [c(x), c(y)];
  if (e.floordiv) return np.trueDivide(np.subtract(cx, np.fmod(cx, cy)), cy);
  return npOp(e.op, cx, cy);
}

/** _binary_op_dtype_override: Triton's result dtype where it differs from NumPy's for two arrays. */
function dtypeOverride(a: TritonDType, b: TritonDType): NpDType | undefined {
  const overrides: Record<string, NpDType> = {
    'float16,int16': 'float16',
    'float16,int32': 'float16',
    'float16,int64': 'float16',
    'float16,uint16': 'float16',
    'float16,uint32': 'float16',
    'float16,uint64': 'float16',
    'int8,uint8': 'uint8',
    'int8,uint16': 'uint16',
    'int8,uint32': 'uint32',
    'int8,uint64': 'uint64',
    'int16,uint16': 'uint16',
    'int16,uint32': 'uint32',
    'int16,uint64': 'uint64',
    'int32,uint32': 'uint32',
    'int32,uint64': 'uint64',
    'int64,uint64': 'uint64',
  };
  return overrides[a < b ? `${a},${b}` : `${b},${a}`];
}

interface BinaryTest {
  dtypeX: TritonDType;
  dtypeY: TritonDType;
  /** The kernel's OP. */
  op: string;
  numpyExpr: NumpyExpr;
  modeX?: 'real' | 'nan';
  modeY?: 'real' | 'nan';
  xLow?: number;
  xHigh?: number;
  yLow?: number;
  yHigh?: number;
  filterY?: (y: bigint | number) => boolean;
  testBroadcast?: boolean;
  testScalar?: boolean;
  /** Triton expects a compile error (its numpy_expr is then `np.array([])`). */
  expectError?: boolean;
}

/** Triton's _test_binary: x OP y on two tensors, then a constexpr scalar y, then each side broadcast from one element. */
function testBinary(launch: Launch, t: BinaryTest): void {
  const rs = new Random(17);
  let x = np.numpyRandom(SIZE, t.dtypeX, rs, t.xLow, t.xHigh);
  let y = np.numpyRandom(SIZE, t.dtypeY, rs, t.yLow, t.yHigh);
  if (t.filterY) y = { ...y, data: y.data.map((v) => (t.filterY!(v) ? (typeof v === 'bigint' ? 1n : 1) : v)) };
  if (t.modeX === 'nan') x = { ...x, data: x.data.map(() => NaN) };
  if (t.modeY === 'nan') y = { ...y, data: y.data.map(() => NaN) };

  const doTest = (xv: NdArray, yv: NdArray | np.PyScalar, k: typeof binary, what: string): void => {
    const scalar = 'py' in yv;
    // Where Triton expects a compile error its numpy_expr is `np.array([])`: no reference, and a float32 z.
    let ref = t.expectError ? undefined : evalNumpyExpr(t.numpyExpr, xv, yv, scalar);
    const override = dtypeOverride(t.dtypeX, t.dtypeY);
    if (ref && !scalar && override) ref = np.astype(ref, override);
    const z = empty([SIZE], np.ktDType(ref?.dtype ?? 'float32'));
    const xArg = np.toKt(xv, t.dtypeX);
    const yArg = scalar ? Number(yv.value) : np.toKt(yv, t.dtypeY);
    const [zOut] = launch(k, [1], [z, xArg, yArg, { OP: t.op, SIZE, numWarps: 4 }]);
    if (!ref) throw new Error(`x ${t.op} y compiled for ${t.dtypeX} and ${t.dtypeY}, where Triton refuses it`);
    np.assertAllclose(np.fromKt(zOut!), ref, { atol: 7e-3, rtol: 0.01 }, `x ${t.op} y, ${what}`);
  };

  doTest(x, y, binary, 'kernel');
  if (t.modeY !== 'nan' && t.testScalar !== false) {
    const low = isUint(t.dtypeX) ? (t.yLow === undefined ? 0 : Math.max(t.yLow, 0)) : t.yLow;
    doTest(x, getScalar(y, t.dtypeY, rs, low, t.yHigh, t.filterY), binaryScalarRhs, 'kernel_scalar_rhs');
  }
  if (t.testBroadcast !== false) {
    doTest(np.reshape({ ...x, data: x.data.slice(0, 1) }, []), y, binaryBroadcastLhs, 'kernel_broadcast_lhs');
    doTest(x, np.reshape({ ...y, data: y.data.slice(0, 1) }, []), binaryBroadcastRhs, 'kernel_broadcast_rhs');
  }
}

/** get_scalar: a small integer in [-7, 7] ([0, 7] for unsigned), or the first float of y. */
function getScalar(y: NdArray, dtype: TritonDType, rs: Random, low: number | undefined, high: number | undefined, filter?: (v: bigint | number) => boolean): np.PyScalar {
  if (isIntegral(dtype)) {
    let lowX = isUint(dtype) ? 0 : -7;
    if (low !== undefined) lowX = Math.max(lowX, low);
    let highX = 7;
    if (high !== undefined) highX = Math.min(highX, high);
    let s = np.numpyRandom([], dtype, rs, lowX, highX).data[0] as bigint;
    if (filter?.(s)) s = 4n;
    return np.pyInt(s);
  }
  return np.pyFloat(y.data[0] as number);
}

// ---- the tests -----------------------------------------------------------------------------------------------------

/** _min_max_integral_mod_value: keeps integer dividends of float % small enough to convert exactly. */
function minMaxIntegralModValue(dtypeX: TritonDType, dtypeY: TritonDType): [number, number] {
  const minBitwidth = Math.min(bitwidth(dtypeX), bitwidth(dtypeY), 32);
  const kind = isUint(dtypeX) ? 'uint' : 'int';
  const maxBitwidth = Math.max(minBitwidth >> 1, 8);
  const [lo, hi] = np.intRange(`${kind}${maxBitwidth}` as NpDType);
  if (maxBitwidth >= 16 && kind === 'uint') return [Number(lo), Number(hi / 4n)];
  return [Number(lo), Number(hi)];
}

function binOpCase(dtypeX: TritonDType, dtypeY: TritonDType, op: string): Case {
  const id = `${dtypeX}-${dtypeY}-${op}`;
  const fp32 = (a: TritonDType, b: TritonDType): boolean => (a === 'float16' || a === 'bfloat16') && b !== 'float32' && b !== 'float64';
  const npop = op === '%' ? 'fmod' : op;
  let numpyExpr: NumpyExpr;
  if ((op === '/' || op === '%') && (fp32(dtypeX, dtypeY) || fp32(dtypeY, dtypeX))) numpyExpr = { op: npop, castTo: 'float32' };
  else if (isUint(dtypeX) && isSint(dtypeY) && bitwidth(dtypeX) >= bitwidth(dtypeY)) numpyExpr = { op: npop, castTo: dtypeX as NpDType };
  else if (isUint(dtypeY) && isSint(dtypeX) && bitwidth(dtypeY) >= bitwidth(dtypeX)) numpyExpr = { op: npop, castTo: dtypeY as NpDType };
  else numpyExpr = { op: npop };
  const mixedSignedness = (isSint(dtypeX) && isUint(dtypeY)) || (isUint(dtypeX) && isSint(dtypeY));
  return {
    test: 'test_bin_op',
    id,
    refusal: (op === '%' || op === '/') && mixedSignedness,
    // Every dtype against itself for +, / and %, and a spread of the rest.
    simulate: (dtypeX === dtypeY && (op === '+' || op === '/' || op === '%')) || sampled(id, 48),
    run: (launch) => {
      if ((op === '%' || op === '/') && mixedSignedness) {
        expectCompileError(() => testBinary(launch, { dtypeX, dtypeY, op, numpyExpr, expectError: true }), /differ in signedness/);
        return;
      }
      const skipScalar = (dtypeX === 'bfloat16' && dtypeY.includes('float')) || ((op === '/' || op === '%') && (dtypeX === 'float16' || dtypeX === 'bfloat16'));
      const notZero = (op === '/' || op === '%') && isIntegral(dtypeX) && isIntegral(dtypeY);
      const notMinusOne = (op === '*' || op === '/') && isSint(dtypeX) && isSint(dtypeY);
      const filterY = notZero || notMinusOne ? (v: bigint | number) => (notZero && BigInt(v) === 0n) || (notMinusOne && BigInt(v) === -1n) : undefined;
      const [xLow, xHigh] = op === '%' && isIntegral(dtypeX) && (floatDTypes as readonly string[]).concat('bfloat16').includes(dtypeY) ? minMaxIntegralModValue(dtypeX, dtypeY) : [undefined, undefined];
      testBinary(launch, { dtypeX, dtypeY, op, numpyExpr, testBroadcast: op !== '%', xLow, xHigh, filterY, testScalar: !skipScalar });
    },
  };
}

function floordivCase(dtypeX: TritonDType, dtypeY: TritonDType): Case {
  const id = `${dtypeX}-${dtypeY}`;
  return {
    test: 'test_floordiv',
    id,
    simulate: dtypeX === dtypeY,
    run: (launch) => {
      const notMinusOne = isSint(dtypeX) && isSint(dtypeY);
      testBinary(launch, { dtypeX, dtypeY, op: '//', numpyExpr: { op: '//', floordiv: true }, filterY: notMinusOne ? (v) => BigInt(v) === -1n : undefined });
    },
  };
}

function bitwiseCase(dtypeX: TritonDType, dtypeY: TritonDType, op: string): Case {
  const id = `${dtypeX}-${dtypeY}-${op}`;
  let numpyExpr: NumpyExpr = { op };
  if (isUint(dtypeX) && isSint(dtypeY) && bitwidth(dtypeX) >= bitwidth(dtypeY)) numpyExpr = { op, castTo: dtypeX as NpDType };
  else if (isUint(dtypeY) && isSint(dtypeX) && bitwidth(dtypeY) >= bitwidth(dtypeX)) numpyExpr = { op, castTo: dtypeY as NpDType };
  return {
    test: 'test_bitwise_op',
    id,
    refusal: (dtypeX + dtypeY).includes('float'),
    simulate: (dtypeX === dtypeY && !dtypeX.includes('float') && op === '^') || sampled(id, 48),
    run: (launch) => {
      if ((dtypeX + dtypeY).includes('float')) {
        expectCompileError(() => testBinary(launch, { dtypeX, dtypeY, op, numpyExpr, expectError: true }), /needs integer or boolean operands/);
        return;
      }
      testBinary(launch, { dtypeX, dtypeY, op, numpyExpr });
    },
  };
}

function shiftCase(dtypeX: TritonDType, dtypeY: TritonDType, op: string): Case {
  const id = `${dtypeX}-${dtypeY}-${op}`;
  const bw = Math.max(bitwidth(dtypeX), bitwidth(dtypeY));
  const dtypeZ = `${dtypeX.startsWith('int') ? 'int' : 'uint'}${bw}` as NpDType;
  return {
    test: 'test_shift_op',
    id,
    simulate: sampled(id, 6),
    run: (launch) => testBinary(launch, { dtypeX, dtypeY, op, numpyExpr: { op, castTo: dtypeZ }, yLow: 0, yHigh: bw }),
  };
}

function compareCase(dtypeX: TritonDType, dtypeY: TritonDType, op: string, modeX: 'real' | 'nan', modeY: 'real' | 'nan'): Case {
  const id = `${dtypeX}-${dtypeY}-${op}-${modeX}-${modeY}`;
  let numpyExpr: NumpyExpr = { op };
  if (isUint(dtypeX) && isSint(dtypeY) && bitwidth(dtypeX) >= bitwidth(dtypeY)) numpyExpr = { op, castTo: dtypeX as NpDType };
  else if (isUint(dtypeY) && isSint(dtypeX) && bitwidth(dtypeY) >= bitwidth(dtypeX)) numpyExpr = { op, castTo: dtypeY as NpDType };
  return {
    test: 'test_compare_op',
    id,
    simulate: (dtypeX === dtypeY && sampled(id, 4)) || modeX === 'nan' || modeY === 'nan' || sampled(id, 128),
    run: (launch) => testBinary(launch, { dtypeX, dtypeY, op, numpyExpr, modeX, modeY }),
  };
}

// ---- unary ----------------------------------------------------------------------------------------------------------

const npMath: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  cos: Math.cos,
  sin: Math.sin,
  exp2: (x) => 2 ** x,
  log2: Math.log2,
  sqrt: Math.sqrt,
  floor: Math.floor,
  ceil: Math.ceil,
};

/** Triton's _test_unary: z = EXPR(x) into a tensor of x's dtype, against NumPy with rtol 0.01. */
function testUnary(launch: Launch, dtypeX: TritonDType, op: string, ref: (x: NdArray) => NdArray | number, literal = false): void {
  const rs = new Random(17);
  let x = np.numpyRandom(SIZE, dtypeX, rs);
  if (op.includes('log')) x = np.add(np.abs(x), np.pyFloat(0.01));
  const zRef = ref(x);
  const z = empty([SIZE], np.ktDType(dtypeX));
  const [zOut] = launch(literal ? unaryOfLiteral : unary, [1], [z, np.toKt(x, dtypeX), { OP: op, SIZE, numWarps: 4 }], { tol: { atol: 2e-6, rtol: 2e-6 } });
  np.assertAllclose(np.fromKt(zOut!), zRef, { rtol: 0.01 }, op);
}

function unaryOpCases(): Case[] {
  const cases: Case[] = [];
  for (const d of dtypesWithBfloat16) cases.push({ test: 'test_unary_op', id: `${d}- -x`, simulate: true, run: (l) => testUnary(l, d, '-x', np.negative) });
  for (const d of intDTypes) cases.push({ test: 'test_unary_op', id: `${d}- ~x`, simulate: true, run: (l) => testUnary(l, d, '~x', np.invert) });
  return cases;
}

function mathOpCases(): Case[] {
  const cases: Case[] = [];
  for (const d of ['float32', 'float64'] as const) {
    for (const fn of ['exp', 'log', 'cos', 'sin', 'exp2', 'log2', 'sqrt', 'floor', 'ceil']) {
      for (const arg of ['x', '3.0']) {
        const id = `${d}-${fn}-${arg}`;
        cases.push({
          test: 'test_math_op',
          id,
          simulate: arg === 'x' || sampled(id, 4),
          run: (l) => testUnary(l, d, fn, (x) => (arg === 'x' ? np.mathFn(x, npMath[fn]!) : npMath[fn]!(3.0)), arg !== 'x'),
        });
      }
    }
  }
  return cases;
}

const absCases = (): Case[] => dtypesWithBfloat16.map((d) => ({ test: 'test_abs', id: d, simulate: true, run: (l: Launch) => testUnary(l, d, 'abs', np.abs) }));

// ---- where ------------------------------------------------------------------------------------------------------------

function whereCase(param: TritonDType | '*int32'): Case {
  return {
    test: 'test_where',
    id: param,
    simulate: true,
    run: (launch) => {
      const selectPtrs = param === '*int32';
      const dtype: TritonDType = selectPtrs ? 'int64' : param;
      const n = 1000;
      const rs = new Random(17);
      const cond = np.numpyRandom(n, 'bool', rs);
      const x = np.numpyRandom(n, dtype, rs);
      const y = np.numpyRandom(n, dtype, rs);
      const z = np.where(cond, x, y);
      const condT = np.toKt(cond);
      const [xT, yT] = [np.toKt(x, dtype), np.toKt(y, dtype)];
      const grid = [Math.ceil(n / 1024)];
      const out = launch(where, grid, [condT, xT, yT, empty([n], np.ktDType(dtype)), n, { BLOCK_SIZE: 1024, TEST_POINTERS: selectPtrs, TEST_SCALAR_POINTERS: false }]);
      np.assertEqual(np.fromKt(out[3]!), z);
      if (selectPtrs) {
        const out2 = launch(where, grid, [condT, xT, yT, empty([n], np.ktDType(dtype)), n, { BLOCK_SIZE: 1024, TEST_POINTERS: selectPtrs, TEST_SCALAR_POINTERS: true }]);
        np.assertEqual(np.fromKt(out2[3]!), cond.data[0] ? x : y);
      }
    },
  };
}

const whereBroadcastCase: Case = {
  test: 'test_where_broadcast',
  id: '1',
  simulate: true,
  run: (launch) => {
    const size = 32;
    const rs = new Random(17);
    const x = np.numpyRandom([size, size], 'float32', rs);
    const mask = np.numpyRandom(size, 'bool', rs);
    const [, , z1] = launch(whereBroadcast, [1], [np.toKt(mask), np.toKt(x), empty([size, size], 'f32'), { BLOCK_SIZE: size }]);
    np.assertEqual(np.fromKt(z1!), np.where(mask, x, np.array('float64', [], [0])));
    const [, z2] = launch(whereScalarCondition, [1], [np.toKt(x), empty([size, size], 'f32'), { BLOCK_SIZE: size }]);
    np.assertEqual(np.fromKt(z2!), 0);
  },
};

// ---- cast ---------------------------------------------------------------------------------------------------------------

function castCase(dtypeX: TritonDType, dtypeZ: TritonDType, bitcast: boolean, size: number): Case {
  const id = `${dtypeX}-${dtypeZ}-${bitcast}-${size}`;
  return {
    test: 'test_cast',
    id,
    simulate: bitcast || ((dtypeX === 'bfloat16' || dtypeZ === 'bfloat16' || dtypeX.startsWith('float8') || dtypeZ.startsWith('float8')) && sampled(id, 2)) || sampled(id, 32),
    run: (launch) => {
      const rs = new Random(0);
      const isFloatLike = (d: TritonDType): boolean => d.includes('float');
      // Values, as the dtype the kernel reads (bf16 and fp8 from torch.randn in Triton: a normal rounded to the dtype).
      let x: NdArray;
      if (dtypeX === 'bfloat16') x = np.array('float32', [size], Array.from({ length: size }, () => np.roundTo('bfloat16', rs.normal())));
      else if (dtypeX.startsWith('float8')) x = np.fromKt(np.toKt(np.array('float32', [size], Array.from({ length: size }, () => np.roundTo('float16', rs.normal()))), dtypeX));
      else {
        x = np.multiply(np.numpyRandom(size, dtypeX, rs, -10, 10), np.pyInt(10));
        // Triton clamps negative values to zero where NumPy wraps them: only magnitudes go to unsigned dtypes.
        if (isUint(dtypeZ)) x = np.abs(x);
      }
      // Both float: values that both dtypes hold (x.to(dtype_z).to(dtype_x)).
      if (isFloatLike(dtypeZ) && isFloatLike(dtypeX)) x = roundTrip(x, dtypeZ, dtypeX);
      const xT = np.toKt(x, dtypeX === 'bfloat16' || dtypeX.startsWith('float8') ? dtypeX : undefined);
      const z = empty([size], np.ktDType(dtypeZ === 'bool' ? 'bool' : dtypeZ));
      const argHash = stableArgHash(id);
      const [, zOut] = launch(cast, [1], [xT, z, { TO_TYPE: ktDTypes[np.ktDType(dtypeZ)], BITCAST: bitcast, SIZE: size, ARG_HASH: argHash, numWarps: 1 }]);
      let zRef: NdArray;
      if (bitcast) zRef = np.view(x, dtypeZ as NpDType);
      else if (dtypeZ === 'bfloat16' || dtypeZ.startsWith('float8')) zRef = roundTrip(x, dtypeZ, 'float32');
      else zRef = np.astype(x, dtypeZ as NpDType);
      np.assertEqual(np.fromKt(zOut!), zRef);
    },
  };
}

/** x converted to `via` and back to `to` (as float32 for bf16 and fp8, which NumPy lacks). */
function roundTrip(x: NdArray, via: TritonDType, to: TritonDType): NdArray {
  const through = (a: NdArray, d: TritonDType): NdArray => (d === 'bfloat16' || d.startsWith('float8') ? np.fromKt(np.toKt(np.astype(a, 'float32'), d)) : np.astype(a, d as NpDType));
  return through(through(x, via), to);
}

function stableArgHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % 1000003;
  return h;
}

function castCases(): Case[] {
  const cases: Case[] = [];
  for (const x of dtypes) for (const z of dtypes) cases.push(castCase(x, z, false, 1024));
  cases.push(castCase('float32', 'bfloat16', false, 1024), castCase('bfloat16', 'float32', false, 1024), castCase('float32', 'int32', true, 1024), castCase('float32', 'bool', false, 1024), castCase('int8', 'bfloat16', false, 1024));
  for (const b of [8, 16, 32, 64]) cases.push(castCase(`uint${b}` as TritonDType, `int${b}` as TritonDType, true, 1024));
  for (const b of [8, 16, 32, 64]) cases.push(castCase(`int${b}` as TritonDType, `uint${b}` as TritonDType, true, 1024));
  const fp8: TritonDType[] = ['float8_e4m3fn', 'float8_e5m2'];
  for (const x of fp8) for (const z of ['float16', 'float32', 'bfloat16'] as TritonDType[]) for (const size of [1024, 32]) cases.push(castCase(x, z, false, size));
  for (const z of fp8) for (const x of ['float16', 'float32', 'bfloat16'] as TritonDType[]) for (const size of [1024, 32]) cases.push(castCase(x, z, false, size));
  return cases;
}

const umulhiCase: Case = {
  test: 'test_umulhi',
  id: 'int32',
  simulate: true,
  run: (launch) => {
    const rs = new Random(17);
    const n = 128;
    const x = np.numpyRandom(n, 'int32', rs, 0);
    const y = np.numpyRandom(n, 'int32', rs, 0);
    const [, , zOut] = launch(umulhi, [1], [np.toKt(x), np.toKt(y), empty([n], 'i32'), { N: n }]);
    const zRef = np.array(
      'int32',
      [n],
      x.data.map((v, i) => ((v as bigint) * (y.data[i] as bigint)) >> 32n),
    );
    np.assertEqual(np.fromKt(zOut!), zRef);
  },
};

// ---- the cases ------------------------------------------------------------------------------------------------------------

export function elementwiseCases(): Case[] {
  const cases: Case[] = [];
  for (const op of ['+', '-', '*', '/', '%']) for (const x of dtypesWithBfloat16) for (const y of dtypesWithBfloat16) cases.push(binOpCase(x, y, op));
  for (const x of intDTypes) for (const y of intDTypes) cases.push(floordivCase(x, y));
  for (const x of uintDTypes) for (const y of uintDTypes) cases.push(floordivCase(x, y));
  // Triton parametrises over `dtypes + dtypes_with_bfloat16`, which lists each dtype but bf16 twice: each pair once here.
  for (const op of ['&', '|', '^']) for (const x of dtypesWithBfloat16) for (const y of dtypesWithBfloat16) cases.push(bitwiseCase(x, y, op));
  for (const op of ['<<', '>>']) for (const x of [...intDTypes, ...uintDTypes]) for (const y of uintDTypes) cases.push(shiftCase(x, y, op));
  for (const op of ['==', '!=', '>', '<', '>=', '<=']) for (const x of dtypes) for (const y of dtypes) cases.push(compareCase(x, y, op, 'real', 'real'));
  for (const op of ['==', '!=', '>', '<', '>=', '<='])
    for (const [mx, my] of [
      ['nan', 'real'],
      ['real', 'nan'],
      ['nan', 'nan'],
    ] as const)
      cases.push(compareCase('float32', 'float32', op, mx, my));
  for (const d of [...dtypesWithBfloat16, '*int32' as const]) cases.push(whereCase(d));
  cases.push(whereBroadcastCase);
  cases.push(...unaryOpCases(), ...mathOpCases(), ...absCases(), ...castCases(), umulhiCase);
  return cases;
}
