// Every elementwise operator and math function, for every dtype it accepts, against plain TypeScript
// references, on random inputs of an awkward size (not a multiple of the block, so masks cut the last block).
import { describe, expect, test } from 'vitest';
import { Random, empty, kernel, roundBF16, roundF16, tensor, tl, type Ptr, type constexpr, type i32, type Tensor, type DTypeSpec, toDType } from 'kt';

const N = 300;
const BLOCK = 128;
const grid = [Math.ceil(N / BLOCK)];

const binary = kernel(function binary(x: Ptr, y: Ptr, out: Ptr, n: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const a = tl.load(x + offs, { mask });
  const b = tl.load(y + offs, { mask });
  let r: number | boolean = 0;
  if (OP === '+') r = a + b;
  else if (OP === '-') r = a - b;
  else if (OP === '*') r = a * b;
  else if (OP === '/') r = a / b;
  else if (OP === '%') r = a % b;
  else if (OP === 'floordiv') r = tl.floordiv(a, b);
  else if (OP === '&') r = a & b;
  else if (OP === '|') r = a | b;
  else if (OP === '^') r = a ^ b;
  else if (OP === '<<') r = a << (b & 7);
  else if (OP === '>>') r = a >> (b & 7);
  else if (OP === '<') r = a < b;
  else if (OP === '<=') r = a <= b;
  else if (OP === '>') r = a > b;
  else if (OP === '>=') r = a >= b;
  else if (OP === '==') r = a === b;
  else if (OP === '!=') r = a !== b;
  else if (OP === 'maximum') r = tl.maximum(a, b);
  else if (OP === 'minimum') r = tl.minimum(a, b);
  else if (OP === 'where') r = tl.where(a > b, a, b);
  else if (OP === 'umulhi') r = tl.umulhi(a, b);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(out + offs, r, { mask });
});

const unary = kernel(function unary(x: Ptr, out: Ptr, n: i32, OP: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const a = tl.load(x + offs, { mask, other: 1 });
  let r: number | boolean = 0;
  if (OP === 'neg') r = -a;
  else if (OP === 'not') r = ~a;
  else if (OP === 'exp') r = tl.exp(a);
  else if (OP === 'exp2') r = tl.exp2(a);
  else if (OP === 'log') r = tl.log(a);
  else if (OP === 'log2') r = tl.log2(a);
  else if (OP === 'sqrt') r = tl.sqrt(a);
  else if (OP === 'rsqrt') r = tl.rsqrt(a);
  else if (OP === 'abs') r = tl.abs(a);
  else if (OP === 'sin') r = tl.sin(a);
  else if (OP === 'cos') r = tl.cos(a);
  else if (OP === 'tanh') r = tl.tanh(a);
  else if (OP === 'floor') r = tl.floor(a);
  else if (OP === 'ceil') r = tl.ceil(a);
  else if (OP === 'erf') r = tl.erf(a);
  else if (OP === 'sigmoid') r = tl.sigmoid(a);
  else if (OP === 'fma') r = tl.fma(a, a, 0.5);
  else if (OP === 'clamp') r = tl.clamp(a, -0.5, 0.5);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(out + offs, r, { mask });
});

// ---- references ----------------------------------------------------------------------------------------

type Num = number | bigint;

function wrap(v: bigint, dtype: string): Num {
  const d = toDType(dtype);
  if (d.isBool) return Number(v & 1n);
  const w = BigInt(d.bits);
  const r = d.isUnsigned ? BigInt.asUintN(Number(w), v) : BigInt.asIntN(Number(w), v);
  return d.bits === 64 ? r : Number(r);
}

function roundTo(v: number, dtype: string): number {
  return dtype === 'f16' ? roundF16(v) : dtype === 'bf16' ? roundBF16(v) : dtype === 'f32' ? Math.fround(v) : v;
}

/** Inputs: floats of both signs and a range of magnitudes; integers including extremes of the type. */
function inputs(dtype: string, rng: Random, nonzero = false): Tensor {
  const d = toDType(dtype);
  const values: Num[] = [];
  for (let i = 0; i < N; i++) {
    if (d.isFloat) values.push((rng.next() - 0.5) * 2 ** Math.floor(rng.next() * 8 - 3));
    else {
      const lo = d.intMin;
      const span = d.intMax - d.intMin + 1n;
      const pick = i % 10 === 0 ? d.intMax : i % 10 === 1 ? d.intMin : lo + (BigInt(Math.floor(rng.next() * 2 ** 30)) * BigInt(Math.floor(rng.next() * 2 ** 30))) % span;
      values.push(d.bits === 64 ? pick : Number(pick));
    }
  }
  if (nonzero) for (let i = 0; i < N; i++) if (Number(values[i]) === 0) values[i] = d.bits === 64 ? 3n : 3;
  return tensor(values as number[], { dtype: d });
}

const ints = ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64'];
const floats = ['f16', 'bf16', 'f32', 'f64'];

function run2(op: string, dtype: string, seed = 1): { a: Num[]; b: Num[]; got: Num[] } {
  const rng = new Random(seed);
  const x = inputs(dtype, rng);
  const y = inputs(dtype, rng, ['/', '%', 'floordiv'].includes(op));
  const outDtype: DTypeSpec = ['<', '<=', '>', '>=', '==', '!='].includes(op) ? 'i1' : op === '/' && !['f64'].includes(dtype) ? (dtype === 'f64' ? 'f64' : ints.includes(dtype) && dtype.endsWith('64') ? 'f32' : 'f32') : dtype;
  const out = empty([N], outDtype);
  binary(grid, x, y, out, N, { OP: op, BLOCK });
  return { a: Array.from(x.toArray() as ArrayLike<Num>), b: Array.from(y.toArray() as ArrayLike<Num>), got: Array.from(out.toArray() as ArrayLike<Num>) };
}

function intRef(op: string, dtype: string, a: bigint, b: bigint): Num {
  const d = toDType(dtype);
  const w = BigInt(d.bits);
  const u = (v: bigint) => BigInt.asUintN(Number(w), v);
  switch (op) {
    case '+':
      return wrap(a + b, dtype);
    case '-':
      return wrap(a - b, dtype);
    case '*':
      return wrap(a * b, dtype);
    case '%':
      return wrap(a % b, dtype); // BigInt % truncates like C
    case 'floordiv':
      return wrap(a / b, dtype); // BigInt / truncates like C
    case '&':
      return wrap(a & b, dtype);
    case '|':
      return wrap(a | b, dtype);
    case '^':
      return wrap(a ^ b, dtype);
    case '<<':
      return wrap(a << (b & 7n), dtype);
    case '>>':
      return wrap(d.isUnsigned ? u(a) >> u(b & 7n) : a >> (b & 7n), dtype);
    case 'maximum':
      return wrap(a > b ? a : b, dtype);
    case 'minimum':
      return wrap(a < b ? a : b, dtype);
    case 'where':
      return wrap(a > b ? a : b, dtype);
    case 'umulhi':
      return wrap((u(a) * u(b)) >> w, dtype);
  }
  const cmp = { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b, '==': a === b, '!=': a !== b }[op];
  if (cmp === undefined) throw new Error(op);
  return cmp ? 1 : 0;
}

function floatRef(op: string, dtype: string, a: number, b: number): number {
  const half = dtype === 'f16' || dtype === 'bf16';
  switch (op) {
    case '+':
      return roundTo(a + b, dtype);
    case '-':
      return roundTo(a - b, dtype);
    case '*':
      return roundTo(a * b, dtype);
    case '/':
      return roundTo(a / b, half ? 'f32' : dtype); // Triton divides f16 and bf16 in f32
    case '%':
      return roundTo(a % b, half ? 'f32' : dtype);
    case 'maximum':
      return Math.max(a, b);
    case 'minimum':
      return Math.min(a, b);
    case 'where':
      return a > b ? a : b;
  }
  const cmp = { '<': a < b, '<=': a <= b, '>': a > b, '>=': a >= b, '==': a === b, '!=': a !== b }[op];
  if (cmp === undefined) throw new Error(op);
  return cmp ? 1 : 0;
}

describe('binary operators on integers wrap like the hardware', () => {
  const ops = ['+', '-', '*', '%', 'floordiv', '&', '|', '^', '<<', '>>', '<', '<=', '>', '>=', '==', '!=', 'maximum', 'minimum', 'where'];
  for (const dtype of ints) {
    test.each(ops)(`${dtype} %s`, (op) => {
      const { a, b, got } = run2(op, dtype);
      const want = a.map((v, i) => intRef(op, dtype, BigInt(v), BigInt(b[i]!)));
      expect(got.map(String)).toEqual(want.map(String));
    });
  }
  test.each(['u32', 'i32', 'u64', 'i64'])('%s umulhi', (dtype) => {
    const { a, b, got } = run2('umulhi', dtype);
    expect(got.map(String)).toEqual(a.map((v, i) => String(intRef('umulhi', dtype, BigInt(v), BigInt(b[i]!)))));
  });
});

describe('binary operators on floats round to the type', () => {
  const ops = ['+', '-', '*', '/', '%', '<', '<=', '>', '>=', '==', '!=', 'maximum', 'minimum', 'where'];
  for (const dtype of floats) {
    test.each(ops)(`${dtype} %s`, (op) => {
      const { a, b, got } = run2(op, dtype);
      const want = a.map((v, i) => floatRef(op, dtype, Number(v), Number(b[i]!)));
      expect(got.map(Number)).toEqual(want);
    });
  }

  const nested = kernel(function nested(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
    const offs = tl.arange(0, BLOCK);
    const v = tl.load(x + offs, { mask: offs < n });
    tl.store(out + offs, 1 / (1 + v) - v * (2 - v), { mask: offs < n });
  });

  test.each(floats)('%s expressions keep their grouping when fused', (dtype) => {
    const x = tensor([0.5, -0.25, 3], { dtype });
    const out = empty([3], dtype);
    nested([1], x, out, 3, { BLOCK: 4 });
    const want = x.toNumbers().map((v) => 1 / (1 + v) - v * (2 - v));
    out.toNumbers().forEach((g, i) => expect(g).toBeCloseTo(want[i]!, dtype === 'f64' || dtype === 'f32' ? 5 : 1));
  });

  test('integer / integer is f32 true division', () => {
    const { a, b, got } = run2('/', 'i32');
    expect(got).toEqual(a.map((v, i) => Math.fround(Math.fround(Number(v)) / Math.fround(Number(b[i]!)))));
  });
});

describe('math functions', () => {
  const ref: Record<string, (x: number) => number> = {
    neg: (x) => -x,
    exp: Math.exp,
    exp2: (x) => 2 ** x,
    log: Math.log,
    log2: Math.log2,
    sqrt: Math.sqrt,
    rsqrt: (x) => 1 / Math.sqrt(x),
    abs: Math.abs,
    sin: Math.sin,
    cos: Math.cos,
    tanh: Math.tanh,
    floor: Math.floor,
    ceil: Math.ceil,
    fma: (x) => x * x + 0.5,
    clamp: (x) => Math.min(Math.max(x, -0.5), 0.5),
  };
  for (const dtype of floats) {
    // An f64 fma rounds once, so it may differ from the twice-rounded reference: it gets its own test below.
    test.each(Object.keys(ref).filter((op) => dtype !== 'f64' || op !== 'fma'))(`${dtype} %s`, (op) => {
      const x = inputs(dtype, new Random(3));
      const out = empty([N], dtype);
      unary(grid, x, out, N, { OP: op, BLOCK });
      const xs = Array.from(x.toArray() as Float32Array);
      expect(Array.from(out.toArray() as Float32Array)).toEqual(xs.map((v) => roundTo(ref[op]!(v), dtype)));
    });
  }

  test('an f64 fma rounds once', () => {
    const fma = kernel(function fma64(a: Ptr, b: Ptr, c: Ptr, out: Ptr) {
      tl.store(out, tl.fma(tl.load(a), tl.load(b), tl.load(c)));
    });
    // (1 + 2^-30)(1 - 2^-30) - 1 = -2^-60 exactly; rounding the product first would give 0.
    const out = empty([1], 'f64');
    fma([1], tensor([1 + 2 ** -30], { dtype: 'f64' }), tensor([1 - 2 ** -30], { dtype: 'f64' }), tensor([-1], { dtype: 'f64' }), out);
    expect(out.toArray()[0]).toBe(-(2 ** -60));
  });

  test('sigmoid of f32', () => {
    const x = inputs('f32', new Random(4));
    const out = empty([N]);
    unary(grid, x, out, N, { OP: 'sigmoid', BLOCK });
    const xs = Array.from(x.toArray() as Float32Array);
    // 1 / (1 + exp(-x)), each step rounded to f32.
    expect(Array.from(out.toArray() as Float32Array)).toEqual(xs.map((v) => Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-v))))));
  });

  test('erf is accurate to f64 rounding at known values', () => {
    const known: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [-1, -0.8427007929497149],
      [4, 0.9999999845827421],
    ];
    const x = tensor(known.map(([v]) => v), { dtype: 'f64' });
    const out = empty([known.length], 'f64');
    unary([1], x, out, known.length, { OP: 'erf', BLOCK: 16 });
    const got = Array.from(out.toArray() as Float64Array);
    known.forEach(([, want], i) => expect(Math.abs(got[i]! - want)).toBeLessThan(1e-14));
  });

  test('bitwise not on integers', () => {
    const x = inputs('i16', new Random(5));
    const out = empty([N], 'i16');
    unary(grid, x, out, N, { OP: 'not', BLOCK });
    expect(Array.from(out.toArray() as Int16Array)).toEqual(Array.from(x.toArray() as Int16Array, (v) => ~v));
  });
});

describe('dtype edge cases', () => {
  const castTo = kernel(function castTo(x: Ptr, out: Ptr, n: i32, BITCAST: constexpr<boolean>, BLOCK: constexpr) {
    const offs = tl.arange(0, BLOCK);
    const mask = offs < n;
    const v = tl.load(x + offs, { mask });
    tl.store(out + offs, BITCAST ? v.to(tl.int16, { bitcast: true }) : v, { mask });
  });

  test('f32 to f16 overflows to infinity past 65504 and keeps subnormals', () => {
    const vals = [65504, 65519, 65520, 1e6, -70000, 6e-8, 2.98e-8, 5.96e-8, -0, NaN];
    const x = tensor(vals);
    const out = empty([vals.length], 'f16');
    castTo([1], x, out, vals.length, { BITCAST: false, BLOCK: 16 });
    expect(Array.from(out.toArray() as Float32Array)).toEqual([65504, 65504, Infinity, Infinity, -Infinity, 5.960464477539063e-8, 0, 5.960464477539063e-8, -0, NaN]);
  });

  test('f32 to bf16 rounds to nearest even', () => {
    // 1 + 2^-8 is halfway between bf16 neighbours 1 and 1 + 2^-7: ties to even gives 1; 1 + 3*2^-8 gives 1 + 2^-6.
    const vals = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 3.4e38, -1.17e-38];
    const x = tensor(vals, { dtype: 'f64' });
    const out = empty([vals.length], 'bf16');
    castTo([1], x, out, vals.length, { BITCAST: false, BLOCK: 8 });
    expect(Array.from(out.toArray() as Float32Array)).toEqual([1, 1 + 2 ** -6, 1 + 2 ** -7, roundBF16(3.4e38), roundBF16(-1.17e-38)]);
  });

  test('f16 bits reinterpret as i16', () => {
    const x = tensor([1, -2, 65504], { dtype: 'f16' });
    const out = empty([3], 'i16');
    castTo([1], x, out, 3, { BITCAST: true, BLOCK: 4 });
    expect(Array.from(out.toArray() as Int16Array)).toEqual([0x3c00, 0xc000 - 0x10000, 0x7bff]);
  });

  test('float to integer conversion truncates and saturates, NaN gives 0', () => {
    const vals = [2.9, -2.9, 1e10, -1e10, NaN, 127.5, -129];
    const x = tensor(vals, { dtype: 'f64' });
    const o32 = empty([vals.length], 'i32');
    const o8 = empty([vals.length], 'i8');
    const ou8 = empty([vals.length], 'u8');
    castTo([1], x, o32, vals.length, { BITCAST: false, BLOCK: 8 });
    castTo([1], x, o8, vals.length, { BITCAST: false, BLOCK: 8 });
    castTo([1], x, ou8, vals.length, { BITCAST: false, BLOCK: 8 });
    expect(Array.from(o32.toArray() as Int32Array)).toEqual([2, -2, 2147483647, -2147483648, 0, 127, -129]);
    expect(Array.from(o8.toArray() as Int8Array)).toEqual([2, -2, 127, -128, 0, 127, -128]);
    expect(Array.from(ou8.toArray() as Uint8Array)).toEqual([2, 0, 255, 0, 0, 127, 0]);
  });

  test('integer conversions truncate, sign-extend or zero-extend by source signedness', () => {
    const x = tensor([-1, 255, 128, 70000, -70000], { dtype: 'i32' });
    const o8 = empty([5], 'i8');
    castTo([1], x, o8, 5, { BITCAST: false, BLOCK: 8 });
    expect(Array.from(o8.toArray() as Int8Array)).toEqual([-1, -1, -128, 112, -112]);
    const u = tensor([255, 128, 1], { dtype: 'u8' });
    const o64 = empty([3], 'i64');
    castTo([1], u, o64, 3, { BITCAST: false, BLOCK: 4 });
    expect(Array.from(o64.toArray() as BigInt64Array)).toEqual([255n, 128n, 1n]);
    const s = tensor([-1, -128, 1], { dtype: 'i8' });
    castTo([1], s, o64, 3, { BITCAST: false, BLOCK: 4 });
    expect(Array.from(o64.toArray() as BigInt64Array)).toEqual([-1n, -128n, 1n]);
  });

  test('mixed dtypes promote as Triton does', () => {
    const mixed = kernel(function mixed(h: Ptr, f: Ptr, b: Ptr, u: Ptr, out: Ptr) {
      const r = tl.arange(0, 4);
      const vh = tl.load(h + r); // f16
      const vf = tl.load(f + r); // f32
      const vb = tl.load(b + r); // bf16
      const vu = tl.load(u + r); // u8
      tl.store(out + r * 4, vh * 2.5); // f16: the literal does not widen it
      tl.store(out + r * 4 + 1, vh + vf); // f32
      tl.store(out + r * 4 + 2, vh + vb); // f16 wins over bf16, as in Triton
      tl.store(out + r * 4 + 3, vu + 250); // an int literal takes no part (one integer kind, as in Triton): u8, wrapping
    });
    const h = tensor([1.5, 1000, 3.14159, 60000], { dtype: 'f16' });
    const f = tensor([0.1, 0.2, 0.3, 0.4]);
    const b = tensor([1, 2, 3, 4], { dtype: 'bf16' });
    const u = tensor([1, 5, 6, 200], { dtype: 'u8' });
    const out = empty([16], 'f64');
    mixed([1], h, f, b, u, out);
    const hv = Array.from(h.toArray() as Float32Array);
    const fv = Array.from(f.toArray() as Float32Array);
    const got = Array.from(out.toArray() as Float64Array);
    for (let i = 0; i < 4; i++) {
      expect(got[i * 4]).toBe(roundF16(hv[i]! * 2.5));
      expect(got[i * 4 + 1]).toBe(Math.fround(hv[i]! + fv[i]!));
      expect(got[i * 4 + 2]).toBe(roundF16(hv[i]! + [1, 2, 3, 4][i]!));
      expect(got[i * 4 + 3]).toBe(([1, 5, 6, 200][i]! + 250) % 256);
    }
    // 60000 * 2.5 overflows f16.
    expect(got[12]).toBe(Infinity);
  });
});
