// Loads, stores and atomics on the interpreter: masks, `other`, every dtype in memory, and out-of-bounds
// accesses caught with the kernel, program, offset, tensor size and source line.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { KernelRuntimeError, Random, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32, toDType } from 'kt';

const thisFile = fileURLToPath(import.meta.url);
const lineOf = (marker: string): number => fs.readFileSync(thisFile, 'utf8').split('\n').findIndex((l) => l.includes(`// @${marker}`)) + 1;

const copy = kernel(function copy(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(out + offs, tl.load(x + offs, { mask, other: 7 }), { mask });
});

const copyWithOther = kernel(function copyWithOther(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n, other: 7 }));
});

describe('loads and stores', () => {
  test.each(['i1', 'i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f16', 'bf16', 'f32', 'f64'])('%s values round-trip through memory, masks cutting the last block', (dtype) => {
    const d = toDType(dtype);
    const n = 333;
    const rng = new Random(9);
    const values = Array.from({ length: n }, () => (d.isBool ? rng.next() < 0.5 : d.isFloat ? rng.normal() : Math.floor(rng.next() * 250)));
    const x = tensor(values, { dtype });
    const out = tensor(new Array(n).fill(0), { dtype });
    copy([Math.ceil(n / 64)], x, out, n, { BLOCK: 64 });
    expect(Array.from(out.toArray() as ArrayLike<unknown>, String)).toEqual(Array.from(x.toArray() as ArrayLike<unknown>, String));
  });

  test('masked-off elements take `other` and read nothing', () => {
    const x = tensor([1, 2, 3]);
    const out = empty([8]);
    copyWithOther([1], x, out, 3, { BLOCK: 8 });
    expect(Array.from(out.toArray() as Float32Array)).toEqual([1, 2, 3, 7, 7, 7, 7, 7]);
  });

  test('scalar loads and stores through pointer arithmetic', () => {
    const swap = kernel(function swap(p: Ptr, i: i32, j: i32) {
      const a = tl.load(p + i);
      const b = tl.load(p + j);
      tl.store(p + i, b);
      tl.store(p + j, a);
    });
    const t = tensor([10, 20, 30, 40], { dtype: 'i64' });
    swap([1], t, 0, 3);
    expect(Array.from(t.toArray() as BigInt64Array)).toEqual([40n, 20n, 30n, 10n]);
  });

  test('strided views: kernels address the view, from its first element', () => {
    const m = tensor(Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4] });
    const col = kernel(function col(p: Ptr, out: Ptr, stride: i32) {
      const r = tl.arange(0, 4);
      tl.store(out + r, tl.load(p + r * stride, { mask: r < 3, other: -1 }));
    });
    const out = empty([4]);
    col([1], m.transpose(), out, m.transpose().stride(1));
    expect(Array.from(out.toArray() as Float32Array)).toEqual([0, 4, 8, -1]);
  });
});

describe('out-of-bounds accesses', () => {
  const unmasked = kernel(function unmasked(x: Ptr, out: Ptr, BLOCK: constexpr) {
    const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
    const v = tl.load(x + offs); // @oobload
    tl.store(out + offs, v);
  });

  test('an unmasked load past the end is an error with the source line', () => {
    const x = empty([100]);
    const out = empty([128]);
    let err: unknown;
    try {
      unmasked([2], x, out, { BLOCK: 64 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelRuntimeError);
    const e = err as KernelRuntimeError;
    expect(e.message).toContain("out-of-bounds load in kernel 'unmasked' (program (1, 0, 0), tile index [36] of 64)");
    expect(e.message).toContain("element offset 100 is outside tensor argument 'x' (f32, shape [100], 100 f32 elements)");
    expect(e.loc).toMatchObject({ file: thisFile, line: lineOf('oobload') });
    expect(e.message).toContain(`:${lineOf('oobload')}:`);
    expect(e.message).toContain('const v = tl.load(x + offs);');
    expect(e.message).toMatch(/hint: mask the load/);
  });

  const negative = kernel(function negative(x: Ptr, out: Ptr) {
    tl.store(out + tl.arange(0, 4) - 2, tl.load(x + tl.arange(0, 4))); // @oobstore
  });

  test('a store before the start is an error too', () => {
    expect(() => negative([1], empty([4]), empty([4]))).toThrow(/out-of-bounds store in kernel 'negative' \(program \(0, 0, 0\), tile index \[0\] of 4\): element offset -2 is outside tensor argument 'out'/);
  });

  test('an access in a helper names the line in the helper and the call site', () => {
    const viaHelper = kernel(function viaHelper(x: Ptr) {
      readPast(x); // @helpercall
    });
    expect(() => viaHelper([1], empty([2]))).toThrow(new RegExp(`:${lineOf('inhelper')}:[\\s\\S]*inlined from .*:${lineOf('helpercall')}:`));
  });

  test('masked accesses past the end are fine', () => {
    const x = empty([100]).fill(1);
    const out = empty([100]);
    expect(() => copy([2], x, out, 100, { BLOCK: 64 })).not.toThrow();
  });
});

function readPast(x: number) {
  tl.store(x + 5, tl.load(x + 4)); // @inhelper
}

describe('atomics', () => {
  const atomics = kernel(function atomics(p: Ptr, idx: Ptr, vals: Ptr, old: Ptr, n: i32, KIND: constexpr<string>, BLOCK: constexpr) {
    const r = tl.arange(0, BLOCK);
    const mask = r < n;
    const i = tl.load(idx + r, { mask, other: 0 });
    const v = tl.load(vals + r, { mask, other: 0 });
    let o;
    if (KIND === 'add') o = tl.atomicAdd(p + i, v, { mask });
    else if (KIND === 'max') o = tl.atomicMax(p + i, v, { mask });
    else if (KIND === 'min') o = tl.atomicMin(p + i, v, { mask });
    else if (KIND === 'xchg') o = tl.atomicXchg(p + i, v, { mask });
    else if (KIND === 'or') o = tl.atomicOr(p + i, v, { mask });
    else o = tl.atomicCas(p + i, 0, v);
    tl.store(old + r, o, { mask });
  });

  function sequential(kind: string, mem: number[], idx: number[], vals: number[]): { mem: number[]; old: number[] } {
    const m = [...mem];
    const old = idx.map((i, k) => {
      const prev = m[i]!;
      const v = vals[k]!;
      m[i] = kind === 'add' ? prev + v : kind === 'max' ? Math.max(prev, v) : kind === 'min' ? Math.min(prev, v) : kind === 'or' ? prev | v : kind === 'cas' ? (prev === 0 ? v : prev) : v;
      return prev;
    });
    return { mem: m, old };
  }

  test.each([
    ['add', 'i32'],
    ['add', 'f32'],
    ['max', 'i32'],
    ['max', 'f32'],
    ['min', 'f32'],
    ['min', 'u32'],
    ['xchg', 'f32'],
    ['or', 'i32'],
    ['cas', 'i32'],
  ])('%s on %s applies in order and returns the old values', (kind, dtype) => {
    const n = 13;
    const idx = Array.from({ length: n }, (_, k) => (k * 7) % 4);
    const vals = Array.from({ length: n }, (_, k) => (dtype === 'u32' ? k * 3 + 1 : (k % 2 ? -1 : 1) * (k + 0.5 * Number(dtype === 'f32'))));
    const start = dtype === 'u32' ? [100, 5, 0, 17] : [-3, 0, 2, -0.5].map((v) => (dtype === 'i32' ? Math.trunc(v) | 0 : v));
    const p = tensor(start, { dtype });
    const old = empty([16], dtype);
    atomics([1], p, tensor(idx, { dtype: 'i32' }), tensor(vals, { dtype }), old, n, { KIND: kind, BLOCK: 16 });
    const want = sequential(kind, start, idx, vals.map((v) => (dtype === 'i32' ? Math.trunc(v) | 0 : v)));
    expect(Array.from(p.toArray() as Float32Array)).toEqual(want.mem);
    expect(Array.from(old.toArray() as Float32Array).slice(0, n)).toEqual(want.old);
  });
});

describe('pointers stored as data', () => {
  const storePointers = kernel(function storePointers(x: Ptr, out: Ptr) {
    const offs = tl.arange(0, 4);
    tl.store(out + offs, x + offs);
  });

  test('a pointer stores as its address into 64-bit integer memory (as Triton casts it), and nowhere else', () => {
    const addresses = empty([4], 'i64');
    storePointers([1], tensor([1, 2, 3, 4]), addresses);
    const a = Array.from(addresses.toArray() as BigInt64Array);
    expect(a.slice(1).map((v, i) => v - a[i]!)).toEqual([4n, 4n, 4n]);
    expect(() => storePointers([1], tensor([1, 2, 3, 4]), empty([4], 'i32'))).toThrow(/a pointer can only be stored into 64-bit integer memory, not i32/);
  });
});
