// Small kernels that exercise one part of the language each, for the GPU suite (run on the GPU and on the
// interpreter and compared). Most take the operation as a constexpr string, so one kernel covers a family.
import { kernel, tl, type DType, type Ptr, type constexpr, type i32 } from 'kt';

/** y = OP(x) elementwise (the caller gives inputs in the op's domain: positive ones for log, sqrt, rsqrt). */
export const unary = kernel(function unary(x: Ptr, y: Ptr, n: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const v = tl.load(x + offs, { mask, other: 1 });
  let r = v;
  if (OP === 'exp') r = tl.exp(v);
  else if (OP === 'exp2') r = tl.exp2(v);
  else if (OP === 'log') r = tl.log(v);
  else if (OP === 'log2') r = tl.log2(v);
  else if (OP === 'sqrt') r = tl.sqrt(v);
  else if (OP === 'rsqrt') r = tl.rsqrt(v);
  else if (OP === 'abs') r = tl.abs(v);
  else if (OP === 'sin') r = tl.sin(v);
  else if (OP === 'cos') r = tl.cos(v);
  else if (OP === 'tanh') r = tl.tanh(v);
  else if (OP === 'floor') r = tl.floor(v);
  else if (OP === 'ceil') r = tl.ceil(v);
  else if (OP === 'erf') r = tl.erf(v);
  else if (OP === 'log1p') r = tl.log1p(v);
  else if (OP === 'sqrtRn') r = tl.sqrtRn(v);
  else if (OP === 'sigmoid') r = tl.sigmoid(v);
  else if (OP === 'neg') r = -v;
  else if (OP === 'not') r = ~v;
  else if (OP === 'square') r = v * v;
  else if (OP === 'recip') r = 1 / v;
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(y + offs, r, { mask });
});

/** z = x OP y elementwise (comparisons store 0 or 1). */
export const binary = kernel(function binary(x: Ptr, y: Ptr, z: Ptr, n: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const a = tl.load(x + offs, { mask, other: 1 });
  const b = tl.load(y + offs, { mask, other: 1 });
  let r = a;
  if (OP === 'add') r = a + b;
  else if (OP === 'sub') r = a - b;
  else if (OP === 'mul') r = a * b;
  else if (OP === 'div') r = a / b;
  else if (OP === 'mod') r = a % b;
  else if (OP === 'floordiv') r = tl.floordiv(a, b);
  else if (OP === 'fdiv') r = tl.fdiv(a, b);
  else if (OP === 'divRn') r = tl.divRn(a, b);
  else if (OP === 'maximum') r = tl.maximum(a, b);
  else if (OP === 'minimum') r = tl.minimum(a, b);
  else if (OP === 'and') r = a & b;
  else if (OP === 'or') r = a | b;
  else if (OP === 'xor') r = a ^ b;
  else if (OP === 'shl') r = a << (b & 7);
  else if (OP === 'shr') r = a >> (b & 7);
  else if (OP === 'umulhi') r = tl.umulhi(a, b);
  else if (OP === 'lt') r = tl.where(a < b, 1, 0);
  else if (OP === 'le') r = tl.where(a <= b, 1, 0);
  else if (OP === 'eq') r = tl.where(a === b, 1, 0);
  else if (OP === 'ne') r = tl.where(a !== b, 1, 0);
  else if (OP === 'gt') r = tl.where(a > b, 1, 0);
  else if (OP === 'ge') r = tl.where(a >= b, 1, 0);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(z + offs, r, { mask });
});

/** out = fma(x, y, z), where(x > y, x, z) or clamp(x, y, z) elementwise. */
export const ternary = kernel(function ternary(x: Ptr, y: Ptr, z: Ptr, out: Ptr, n: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const a = tl.load(x + offs, { mask, other: 0 });
  const b = tl.load(y + offs, { mask, other: 0 });
  const c = tl.load(z + offs, { mask, other: 0 });
  let r = a;
  if (OP === 'fma') r = tl.fma(a, b, c);
  else if (OP === 'where') r = tl.where(a > b, a, c);
  else if (OP === 'clamp') r = tl.clamp(a, tl.minimum(b, c), tl.maximum(b, c));
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(out + offs, r, { mask });
});

/** y = x converted to y's dtype (by the store), or reinterpreted bit for bit when BITCAST. */
export const convert = kernel(function convert(x: Ptr, y: Ptr, n: i32, BITCAST: constexpr<boolean>, DST: constexpr<DType>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const v = tl.load(x + offs, { mask });
  if (BITCAST) tl.store(y + offs, tl.cast(v, DST, { bitcast: true }), { mask });
  else tl.store(y + offs, tl.cast(v, DST), { mask });
});

/** A combine function for tl.reduce and tl.associativeScan. */
function larger(a: number, b: number) {
  return tl.where(a > b, a, b);
}

/** Reductions of an M x N matrix along AXIS (0: one result per column, 1: one per row). */
export const reduce2d = kernel(function reduce2d(x: Ptr, y: Ptr, M: i32, N: i32, OP: constexpr<string>, AXIS: constexpr, BM: constexpr, BN: constexpr) {
  const rows = tl.arange(0, BM);
  const cols = tl.arange(0, BN);
  const mask = tl.expandDims(rows, 1) < M && tl.expandDims(cols, 0) < N;
  const v = tl.load(x + tl.expandDims(rows, 1) * N + tl.expandDims(cols, 0), { mask, other: 0 });
  let r = tl.sum(v, AXIS);
  if (OP === 'max') r = tl.max(v, AXIS);
  else if (OP === 'min') r = tl.min(v, AXIS);
  else if (OP === 'argmax') r = tl.argmax(v, AXIS);
  else if (OP === 'argmin') r = tl.argmin(v, AXIS);
  else if (OP === 'xor') r = tl.xorSum(v, AXIS);
  else if (OP === 'custom') r = tl.reduce(v, AXIS, larger);
  else tl.staticAssert(OP === 'sum', `unknown OP ${OP}`);
  if (AXIS === 0) tl.store(y + cols, r, { mask: cols < N });
  else tl.store(y + rows, r, { mask: rows < M });
});

/** The whole-tile reduction to a scalar (axis null). */
export const reduceAll = kernel(function reduceAll(x: Ptr, y: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const v = tl.load(x + offs, { mask: offs < n, other: 0 });
  tl.store(y, tl.sum(v, null));
  tl.store(y + 1, tl.max(tl.where(offs < n, v, -1e30), null));
});

/** Scans of an M x N matrix along AXIS, forward or REVERSE. */
export const scan2d = kernel(function scan2d(x: Ptr, y: Ptr, M: i32, N: i32, OP: constexpr<string>, AXIS: constexpr, REVERSE: constexpr<boolean>, BM: constexpr, BN: constexpr) {
  const rows = tl.arange(0, BM);
  const cols = tl.arange(0, BN);
  const mask = tl.expandDims(rows, 1) < M && tl.expandDims(cols, 0) < N;
  const ptrs = tl.expandDims(rows, 1) * N + tl.expandDims(cols, 0);
  const v = tl.load(x + ptrs, { mask, other: 0 });
  let r = v;
  if (OP === 'cumsum') r = tl.cumsum(v, { axis: AXIS, reverse: REVERSE });
  else if (OP === 'cumprod') r = tl.cumprod(v, { axis: AXIS, reverse: REVERSE });
  else if (OP === 'max') r = tl.associativeScan(v, AXIS, larger, { reverse: REVERSE });
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(y + ptrs, r, { mask });
});

/** C = A @ B (+ C when ACC) for one block: A is M x K, B is K x N, all row-major. */
export const dot = kernel(function dot(a: Ptr, b: Ptr, c: Ptr, M: i32, N: i32, K: i32, ACC: constexpr<boolean>, PRECISION: constexpr<'ieee' | 'tf32'>, BM: constexpr, BN: constexpr, BK: constexpr) {
  const rm = tl.arange(0, BM);
  const rn = tl.arange(0, BN);
  const rk = tl.arange(0, BK);
  const x = tl.load(a + tl.expandDims(rm, 1) * K + tl.expandDims(rk, 0), { mask: tl.expandDims(rm, 1) < M && tl.expandDims(rk, 0) < K, other: 0 });
  const y = tl.load(b + tl.expandDims(rk, 1) * N + tl.expandDims(rn, 0), { mask: tl.expandDims(rk, 1) < K && tl.expandDims(rn, 0) < N, other: 0 });
  const cMask = tl.expandDims(rm, 1) < M && tl.expandDims(rn, 0) < N;
  const cPtrs = c + tl.expandDims(rm, 1) * N + tl.expandDims(rn, 0);
  if (ACC) {
    const prev = tl.load(cPtrs, { mask: cMask, other: 0 });
    tl.store(cPtrs, tl.dot(x, y, prev, { inputPrecision: PRECISION }), { mask: cMask });
  } else {
    tl.store(cPtrs, tl.dot(x, y, null, { inputPrecision: PRECISION }), { mask: cMask });
  }
});

/** Shape manipulations of a BM x BN tile read from x (row-major M x N), written to y. */
export const shapes = kernel(function shapes(x: Ptr, y: Ptr, OP: constexpr<string>, BM: constexpr, BN: constexpr) {
  const rows = tl.arange(0, BM);
  const cols = tl.arange(0, BN);
  const v = tl.load(x + tl.expandDims(rows, 1) * BN + tl.expandDims(cols, 0));
  if (OP === 'trans') {
    const t = tl.trans(v);
    tl.store(y + tl.expandDims(cols, 1) * BM + tl.expandDims(rows, 0), t);
  } else if (OP === 'permute') {
    const t = tl.permute(v, [1, 0]);
    tl.store(y + tl.expandDims(cols, 1) * BM + tl.expandDims(rows, 0), t);
  } else if (OP === 'reshape') {
    const flat = tl.reshape(v, [BM * BN]);
    tl.store(y + tl.arange(0, BM * BN), flat * 2);
  } else if (OP === 'ravel') {
    tl.store(y + tl.arange(0, BM * BN), tl.ravel(v) + 1);
  } else if (OP === 'join') {
    const j = tl.join(v, v * 10);
    const k = tl.arange(0, 2);
    tl.store(y + tl.expandDims((tl.expandDims(rows, 1) * BN + tl.expandDims(cols, 0)), 2) * 2 + tl.expandDims(tl.expandDims(k, 0), 0), j);
  } else if (OP === 'split') {
    const pairs = tl.reshape(v, [BM, BN >> 1, 2]);
    const [lo, hi] = tl.split(pairs);
    const half = tl.arange(0, BN >> 1);
    const at = tl.expandDims(rows, 1) * (BN >> 1) + tl.expandDims(half, 0);
    tl.store(y + at, lo - hi);
  } else if (OP === 'broadcast') {
    const row = tl.load(x + cols);
    tl.store(y + tl.expandDims(rows, 1) * BN + tl.expandDims(cols, 0), tl.broadcastTo(tl.expandDims(row, 0), [BM, BN]) + v);
  } else tl.staticAssert(false, `unknown OP ${OP}`);
});

/** Atomics: each element i applies OP with vals[i] to target[i % SLOTS]; old[i] gets the value it replaced. */
export const atomics = kernel(function atomics(target: Ptr, vals: Ptr, old: Ptr, n: i32, SLOTS: constexpr, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const v = tl.load(vals + offs, { mask, other: 0 });
  const p = target + (offs % SLOTS);
  let r = v;
  if (OP === 'add') r = tl.atomicAdd(p, v, { mask });
  else if (OP === 'max') r = tl.atomicMax(p, v, { mask });
  else if (OP === 'min') r = tl.atomicMin(p, v, { mask });
  else if (OP === 'and') r = tl.atomicAnd(p, v, { mask });
  else if (OP === 'or') r = tl.atomicOr(p, v, { mask });
  else if (OP === 'xor') r = tl.atomicXor(p, v, { mask });
  else if (OP === 'xchg') r = tl.atomicXchg(p, v, { mask });
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(old + offs, r, { mask });
});

/** Compare-and-swap on distinct elements: target[i] becomes vals[i] where it equals cmp[i]. */
export const cas = kernel(function cas(target: Ptr, cmp: Ptr, vals: Ptr, old: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(old + offs, tl.atomicCas(target + offs, tl.load(cmp + offs), tl.load(vals + offs)));
});

/** A scalar atomic: every program adds its index to counter[0]. */
export const counter = kernel(function counter(c: Ptr) {
  tl.atomicAdd(c, tl.programId(0) + 1);
});

/** Philox random numbers: out = OP(seed, offsets). */
export const random = kernel(function random(out: Ptr, n: i32, seed: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  if (OP === 'rand') tl.store(out + offs, tl.rand(seed, offs), { mask });
  else if (OP === 'randn') tl.store(out + offs, tl.randn(seed, offs), { mask });
  else if (OP === 'randint') tl.store(out + offs, tl.randint(seed, offs), { mask });
  else if (OP === 'randint4x') {
    const [a, b, c, d] = tl.randint4x(seed, offs);
    tl.store(out + offs, a ^ b ^ c ^ d, { mask });
  } else tl.staticAssert(false, `unknown OP ${OP}`);
});

/** Control flow with run-time conditions: loops carrying tiles, a while loop, if/else, an early return. */
export const control = kernel(function control(x: Ptr, y: Ptr, n: i32, steps: i32, BLOCK: constexpr) {
  const pid = tl.programId(0);
  if (pid * BLOCK >= n) return;
  const offs = pid * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  let acc = tl.zeros([BLOCK], tl.float32);
  let v = tl.load(x + offs, { mask, other: 0 });
  for (let i = 0; i < steps; i++) {
    acc += v * i;
    v = v * 0.5;
  }
  let k = 0;
  while (k * k < steps + pid) k += 1;
  if (pid % 2 === 0) acc = acc + k;
  else acc = acc - k;
  tl.store(y + offs, acc, { mask });
});

/** Scalars: out[pid] = pid * 1000 + numPrograms, through scalar loads and stores. */
export const scalars = kernel(function scalars(inp: Ptr, out: Ptr) {
  const pid = tl.programId(0);
  const base = tl.load(inp);
  tl.store(out + pid, base + pid * 1000 + tl.numPrograms(0));
});

/** A 2-D grid: out[i, j] = i * 100 + j (one program per element). */
export const grid2d = kernel(function grid2d(out: Ptr, cols: i32) {
  const i = tl.programId(0);
  const j = tl.programId(1);
  tl.store(out + i * cols + j, i * 100 + j);
});

/** Strided 2-D copy with hints: y = x through pointers the axis analysis knows are aligned. */
export const copy2d = kernel(function copy2d(x: Ptr, y: Ptr, M: i32, N: i32, strideX: i32, strideY: i32, BM: constexpr, BN: constexpr) {
  const rows = tl.programId(0) * BM + tl.arange(0, BM);
  const cols = tl.multipleOf(tl.arange(0, BN), BN);
  const mask = tl.expandDims(rows, 1) < M && tl.expandDims(cols, 0) < N;
  const v = tl.load(x + tl.expandDims(rows, 1) * strideX + tl.expandDims(cols, 0), { mask, other: 0 });
  tl.store(y + tl.expandDims(rows, 1) * strideY + tl.expandDims(cols, 0), v, { mask });
});

/** Prints a few elements (for the devicePrint test). */
export const printer = kernel(function printer(x: Ptr) {
  const offs = tl.arange(0, 4);
  tl.devicePrint('x: ', tl.load(x + offs));
});

/** Asserts that every element is positive (for the deviceAssert test). */
export const positive = kernel(function positive(x: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.deviceAssert(tl.load(x + offs, { mask: offs < n, other: 1 }) > 0, 'values must be positive');
});

/** Writes far past the end of its tensor (for the illegal-address test). */
export const wild = kernel(function wild(x: Ptr) {
  const offs = tl.arange(0, 32);
  tl.store(x + offs * 100000000, offs);
});
