// fp8 (e4m3, e5m2) on the interpreter: loads and stores, conversions to and from every dtype (exact from fp8;
// to fp8 rounded to nearest even and saturating as PTX's cvt.rn.satfinite does), bitcasts with i8/u8, constants,
// Triton's promotion of fp8 operands, and the located errors where Triton has no rule or cannot compute.
import { describe, expect, test } from 'vitest';
import { Random, dtypes, e4m3FromBits, e5m2FromBits, empty, kernel, roundE4M3, roundE5M2, tensor, tl, type DType, type Ptr, type Tensor, type constexpr, type f8e4m3, type i32 } from 'kt';
import type { DTypeName } from '../../src/compiler/semantic/dtype.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { roundToFloat } from '../../src/numerics.ts';
import { locatedErrors } from '../support/located-errors.ts';

const located = locatedErrors(import.meta.url);

const fp8s = ['f8e4m3', 'f8e5m2'] as const;
const decode = { f8e4m3: e4m3FromBits, f8e5m2: e5m2FromBits };
const round = { f8e4m3: roundE4M3, f8e5m2: roundE5M2 };
const others: DTypeName[] = ['i1', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f16', 'bf16', 'f32', 'f64'];

const convert = kernel(function convert(x: Ptr, y: Ptr, n: i32, TO: constexpr<DType>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(y + offs, tl.load(x + offs, { mask }).to(TO), { mask });
});

/** A tensor of `dtype` holding every 8-bit pattern once, in order. */
function allPatterns(dtype: DTypeName): Tensor {
  const t = empty([256], dtype);
  (t.data as Uint8Array).set(Array.from({ length: 256 }, (_, b) => b));
  return t;
}

const run = (x: Tensor, to: DTypeName): Tensor => {
  const y = empty([x.numel], to);
  convert([Math.ceil(x.numel / 128)], x, y, x.numel, { TO: dtypes[to], BLOCK: 128 });
  return y;
};

const bitsOf = (t: Tensor): number[] => Array.from(t.data as Uint8Array);
const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** What converting an fp8 value gives in an integer dtype: toward zero, saturating, NaN to 0 (bool: != 0). */
function toInteger(v: number, d: DType): number | bigint {
  if (d.isBool) return v !== 0 ? 1 : 0;
  if (Number.isNaN(v)) return d.bits === 64 ? 0n : 0;
  if (v === Infinity || v === -Infinity) return d.bits === 64 ? (v > 0 ? d.intMax : d.intMin) : Number(v > 0 ? d.intMax : d.intMin);
  const t = Math.trunc(v) + 0; // + 0: -0 becomes 0
  const clamped = BigInt(t) < d.intMin ? d.intMin : BigInt(t) > d.intMax ? d.intMax : BigInt(t);
  return d.bits === 64 ? clamped : Number(clamped);
}

describe('loads and stores', () => {
  test.each(fp8s)('%s bytes round-trip through memory (infinities too), NaNs as 0x7f', (f8) => {
    const x = allPatterns(f8);
    const y = run(x, f8);
    expect(bitsOf(y)).toEqual(bitsOf(x).map((b) => (Number.isNaN(decode[f8](b)) ? 0x7f : b)));
  });

  test('masked-off elements take `other`, converted to fp8 (saturating)', () => {
    const k = kernel(function withOther(x: Ptr, y: Ptr, n: i32, BLOCK: constexpr) {
      const offs = tl.arange(0, BLOCK);
      tl.store(y + offs, tl.load(x + offs, { mask: offs < n, other: 1000 }));
    });
    const x = tensor([1, 2, 3], { dtype: 'f8e4m3' });
    const y = empty([8], 'f8e4m3');
    k([1], x, y, 3, { BLOCK: 8 });
    expect(Array.from(y.toArray() as Float32Array)).toEqual([1, 2, 3, 448, 448, 448, 448, 448]);
  });

  test('constants: tl.full, tl.zeros and x.to() of a compile-time number', () => {
    const k = kernel(function consts(y: Ptr, z: Ptr, w: Ptr) {
      const offs = tl.arange(0, 4);
      tl.store(y + offs, tl.where(offs < 2, tl.full([4], 0.3, tl.float8e4nv), tl.zeros([4], tl.f8e4m3)));
      tl.store(z + offs, tl.where(offs < 2, (-70000).to(tl.float8e5), (2 ** -17).to(tl.float8e5)));
      tl.store(w + offs, tl.full([4], 1000.0, tl.float32).to(tl.float8e4nv)); // folded by canonicalize
    });
    const [y, z, w] = [empty([4], 'f8e4m3'), empty([4], 'f8e5m2'), empty([4], 'f8e4m3')];
    k([1], y, z, w);
    expect(Array.from(y.toArray() as Float32Array)).toEqual([0.3125, 0.3125, 0, 0]);
    expect(Array.from(z.toArray() as Float32Array)).toEqual([-57344, -57344, 0, 0]); // 2^-17 ties to even: 0
    expect(Array.from(w.toArray() as Float32Array)).toEqual([448, 448, 448, 448]);
  });
});

describe('conversions', () => {
  for (const f8 of fp8s) {
    test.each(others)(`${f8} to %s: exact for floats, toward zero and saturating for integers`, (to) => {
      const y = run(allPatterns(f8), to);
      const d = dtypes[to];
      const got = Array.from(y.toArray() as ArrayLike<number | bigint>);
      const want = Array.from({ length: 256 }, (_, b) => (d.isFloat ? roundToFloat(decode[f8](b), (d.ir as { text: 'f32' }).text) : toInteger(decode[f8](b), d)));
      if (d.isFloat) {
        // Exact: every fp8 value is a value of every wider float type.
        want.forEach((w, b) => expect(Object.is(w, decode[f8](b)) || Number.isNaN(w as number)).toBe(true));
        got.forEach((g, b) => expect(same(g as number, want[b] as number), `pattern 0x${b.toString(16)}`).toBe(true));
      } else expect(got).toEqual(want);
    });

    test.each(others)(`%s to ${f8}: nearest even, saturating`, (from) => {
      const d = dtypes[from];
      const values = d.isFloat
        ? [0, -0, 1, -1, 0.1, 0.3, 448, 449, 464, 465, 480, 57344, 61439, 61440, 65504, 1e6, Infinity, -Infinity, NaN, 2 ** -10, 3 * 2 ** -10, 2 ** -17, 3 * 2 ** -17, -(2 ** -20)]
        : d.isBool
          ? [0, 1]
          : [0, 1, 3, 17, 100, 127, 255, 447, 449, 464, 465, 1000, 57344, 61440, 65535, -1, -17, -465, -1000].filter((v) => v >= Number(d.intMin) && v <= Number(d.intMax));
      const x = tensor(values, { dtype: from });
      const stored = Array.from(x.toArray() as ArrayLike<number | bigint>, Number); // as the source dtype holds them
      const y = run(x, f8);
      const got = Array.from(y.toArray() as Float32Array);
      stored.forEach((v, i) => expect(same(got[i]!, round[f8](v)), `${from} ${v}`).toBe(true));
    });
  }

  test('e4m3 <-> e5m2 round once, through the exact f32', () => {
    const toE5 = run(allPatterns('f8e4m3'), 'f8e5m2').toArray() as Float32Array;
    const toE4 = run(allPatterns('f8e5m2'), 'f8e4m3').toArray() as Float32Array;
    for (let b = 0; b < 256; b++) {
      expect(same(toE5[b]!, roundE5M2(e4m3FromBits(b)))).toBe(true);
      expect(same(toE4[b]!, roundE4M3(e5m2FromBits(b)))).toBe(true);
    }
    // e4m3's 1.125 and 1.375 are ties between e5m2 values (1, 1.25, 1.5): to the even mantissas, 1 and 1.5;
    // e5m2's infinity saturates at e4m3's 448.
    expect(toE5[0x39]).toBe(1);
    expect(toE5[0x3b]).toBe(1.5);
    expect(toE4[0x7c]).toBe(448);
    expect(toE4[0xfc]).toBe(-448);
  });

  test('f64 rounds once, straight to fp8 (no double rounding through f32)', () => {
    // Just above the tie between 1 and 1.125 by less than half an f32 ulp: through f32 it would tie and round to 1.
    const x = 1.0625 + 2 ** -40;
    expect(Math.fround(x)).toBe(1.0625);
    const y = run(tensor([x, -x], { dtype: 'f64' }), 'f8e4m3');
    expect(Array.from(y.toArray() as Float32Array)).toEqual([1.125, -1.125]);
  });
});

describe('bitcasts', () => {
  const k = kernel(function bitcasts(bytes: Ptr, asFloat: Ptr, f8: Ptr, asInt: Ptr, FMT: constexpr<DType>, INT: constexpr<DType>) {
    const offs = tl.arange(0, 256);
    tl.store(asFloat + offs, tl.cast(tl.load(bytes + offs), FMT, { bitcast: true }).to(tl.float32));
    tl.store(asInt + offs, tl.cast(tl.load(f8 + offs), INT, { bitcast: true }));
  });

  for (const f8 of fp8s) {
    test.each(['u8', 'i8'] as const)(`${f8} <-> %s`, (int) => {
      const bytes = allPatterns(int);
      const asFloat = empty([256], 'f32');
      const asInt = empty([256], int);
      k([1], bytes, asFloat, allPatterns(f8), asInt, { FMT: dtypes[f8], INT: dtypes[int] });
      const floats = asFloat.toArray() as Float32Array;
      for (let b = 0; b < 256; b++) expect(same(floats[b]!, decode[f8](b)), `0x${b.toString(16)}`).toBe(true);
      // The bytes come back, except that every NaN is 0x7f: the interpreter holds values, not bits (as for f16).
      const ints = Array.from(asInt.toArray() as ArrayLike<number>);
      const want = Array.from({ length: 256 }, (_, b) => (Number.isNaN(decode[f8](b)) ? 0x7f : b)).map((b) => (int === 'i8' ? (b << 24) >> 24 : b));
      expect(ints).toEqual(want);
    });
  }

  test('bitcasts need equal widths', () => {
    const bad = kernel(function bad(x: Ptr, y: Ptr) {
      tl.store(y, tl.cast(tl.load(x), tl.float8e4nv, { bitcast: true })); // @bitcastWidth
    });
    expect(() => bad([1], empty([1], 'i16'), empty([1], 'f8e4m3'))).toThrow(/cannot bitcast i16 to f8e4m3/);
  });
});

describe('promotion and arithmetic', () => {
  const mix = kernel(function mix(a: Ptr, b: Ptr, c: Ptr, d: Ptr, out: Ptr, OP: constexpr<string>) {
    const x = tl.load(a); // e4m3
    const y = tl.load(b); // e5m2
    const z = tl.load(c); // f32
    const w = tl.load(d); // bf16
    let r = z;
    if (OP === 'e4m3+e5m2') r = x + y;
    else if (OP === 'e4m3*f32') r = x * z;
    else if (OP === 'e5m2+bf16') r = y + w;
    else if (OP === 'e4m3/e5m2') r = x / y;
    else if (OP === 'where') r = tl.where(z > 0, x, y).to(tl.float32);
    else if (OP === 'max') r = tl.max(tl.join(x, x), 0);
    tl.store(out, r);
  });
  const args = (): Tensor[] => [tensor([448], { dtype: 'f8e4m3' }), tensor([2 ** -16], { dtype: 'f8e5m2' }), tensor([1 + 2 ** -20]), tensor([3], { dtype: 'bf16' }), empty([1], 'f64')];
  const result = (op: string): number => {
    const a = args();
    mix([1], ...a, { OP: op });
    return (a[4]!.toArray() as Float64Array)[0]!;
  };

  test('e4m3 + e5m2 computes in f16 (Triton rule 5)', () => expect(result('e4m3+e5m2')).toBe(448)); // f32 would keep 2^-16
  test('fp8 * f32 computes in f32', () => expect(result('e4m3*f32')).toBe(Math.fround(448 * (1 + 2 ** -20))));
  test('fp8 + bf16 computes in f32', () => expect(result('e5m2+bf16')).toBe(Math.fround(3 + 2 ** -16)));
  test('e4m3 / e5m2 computes in f16', () => expect(result('e4m3/e5m2')).toBe(Infinity)); // 448 * 2^16 overflows f16
  test('tl.where selects fp8 values; tl.max widens them to f32', () => {
    expect(result('where')).toBe(448);
    expect(result('max')).toBe(448);
  });

  const errors = kernel(function errors(a: Ptr, b: Ptr, i: Ptr, out: Ptr, OP: constexpr<string>) {
    const x = tl.load(a);
    const y = tl.load(b);
    const n = tl.load(i);
    let r = x.to(tl.float32);
    if (OP === 'add') r = x + x; // @add
    else if (OP === 'literal') r = x * 2.0; // @literal
    else if (OP === 'int') r = x + n; // @int
    else if (OP === 'compare') r = tl.where(x < y.to(tl.float8e4nv), 1.0, 0.0); // @compare
    else if (OP === 'neg') r = -x; // @neg
    else if (OP === 'exp') r = tl.exp(x); // @exp
    else if (OP === 'sum') r = tl.sum(tl.join(x, x), 0); // @sum
    else if (OP === 'atomic') r = tl.atomicXchg(a, x); // @atomic
    tl.store(out, r);
  });
  const cases: [string, string, RegExp][] = [
    ['add', 'x + x', /cannot compute \+ on f8e4m3 values/],
    ['literal', 'x * 2.0', /cannot compute \* on f8e4m3 values/],
    ['int', 'x + n', /cannot combine f8e4m3 and i32/],
    ['compare', 'x < y.to(tl.float8e4nv)', /cannot compute comparison on f8e4m3 values/],
    ['neg', '-x', /cannot compute negation on f8e4m3 values/],
    ['exp', 'tl.exp(x)', /cannot compute exp on f8e4m3 values/],
    ['sum', 'tl.sum(tl.join(x, x), 0)', /sum of f8e4m3 values would add in f8e4m3/],
    ['atomic', 'tl.atomicXchg(a, x)', /atomicXchg does not support f8e4m3 memory/],
  ];
  test('dot of fp8 tiles multiplies exactly and accumulates in f32', () => {
    const k = kernel(function fp8dot(a: Ptr, b: Ptr, out: Ptr) {
      const rows = tl.arange(0, 16);
      const offs = tl.expandDims(rows, 1) * 16 + tl.expandDims(rows, 0);
      tl.store(out + offs, tl.dot(tl.load(a + offs), tl.load(b + offs)));
    });
    const rng = new Random(3);
    for (const dtype of ['f8e4m3', 'f8e5m2'] as const) {
      const a = tensor(Array.from({ length: 256 }, () => Math.round(rng.normal() * 16) / 8), { dtype });
      const b = tensor(Array.from({ length: 256 }, () => Math.round(rng.normal() * 16) / 8), { dtype });
      const out = empty([256]);
      k([1], a, b, out);
      const [av, bv] = [a.toArray(), b.toArray()] as ArrayLike<number>[];
      const want = Array.from({ length: 256 }, (_, i) => {
        let s = 0;
        for (let q = 0; q < 16; q++) s = Math.fround(s + av[Math.floor(i / 16) * 16 + q]! * bv[q * 16 + (i % 16)]!);
        return s;
      });
      expect(Array.from(out.toArray() as Float32Array)).toEqual(want);
    }
  });

  test.each(cases)('%s is a located error', (op, snippet, message) => {
    const e = located(() => errors([1], tensor([1], { dtype: 'f8e4m3' }), tensor([1], { dtype: 'f8e5m2' }), tensor([1], { dtype: 'i32' }), empty([1]), { OP: op }), op, snippet, message);
    expect(e.message).toMatch(/hint: /);
  });

  test('scalar parameters cannot be fp8', () => {
    const k = kernel(function scalar(out: Ptr, s: f8e4m3) {
      tl.store(out, s);
    });
    expect(() => k([1], empty([1]), 1)).toThrow(/a scalar parameter cannot be f8e4m3/);
  });
});

test('fp8 constants survive printing and parsing the IR', () => {
  const k = kernel(function consts(y: Ptr) {
    tl.store(y + tl.arange(0, 4), tl.full([4], -0.3, tl.float8e5));
  });
  const y = empty([4], 'f8e5m2');
  k([1], y);
  const module = k.definition.specialize(k.definition.bind([y]).bindings).ir.module;
  const text = printOp(module);
  expect(text).toMatch(/f8E5M2/);
  expect(printOp(parseModule(text))).toBe(text);
  expect(Array.from(y.toArray() as Float32Array)).toEqual([-0.3125, -0.3125, -0.3125, -0.3125]);
});
