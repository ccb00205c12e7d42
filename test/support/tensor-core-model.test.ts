// Checks the tensor-core model (test/support/tensor-core-model.ts) against independent reasoning: plain triple loops
// over logical matrices, spot checks read off the PTX ISA's fragment figures and formulas, swizzled addresses worked
// out by hand, the well-known relations between ldmatrix and the mma fragments, and fp8 edge values.
import { describe, expect, test } from 'vitest';
import { f16ToBits, roundTf32 } from '../../src/numerics.ts';
import {
  CpAsyncThread,
  E4M3_MAX,
  E5M2_MAX,
  WgmmaAsyncModel,
  WgmmaOrderError,
  canonicalAddress,
  decodeDescriptor,
  decodeFloat,
  e4m3FromBits,
  e4m3ToBits,
  e5m2FromBits,
  e5m2ToBits,
  encodeDescriptor,
  encodeFloat,
  f32FromBits,
  f32ToBits,
  kOf,
  ldmatrix,
  mmaALayout,
  mmaBLayout,
  mmaCLayout,
  mmaSync,
  packFragment,
  packRegister,
  registerElement,
  stmatrix,
  swizzleAddress,
  tf32ToBits,
  tf32Truncate,
  unpackFragment,
  wgmmaALayout,
  wgmmaDLayout,
  wgmmaMmaAsync,
  writeSharedOperand,
  type FragmentLayout,
  type InputType,
  type MatrixDescriptor,
  type MmaSpec,
  type WgmmaSpec,
} from './tensor-core-model.ts';
import { checkProbeRecord } from './tensor-core-probe-check.ts';

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rows x cols matrix of integers in [lo, hi]. */
function intMatrix(rows: number, cols: number, lo: number, hi: number, next: () => number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => lo + Math.floor(next() * (hi - lo + 1))));
}

const zeros = (rows: number, cols: number): number[][] => Array.from({ length: rows }, () => new Array<number>(cols).fill(0));

/** The reference: C + A * B by the definition. */
function reference(a: number[][], b: number[][], c: number[][]): number[][] {
  const d = c.map((row) => row.slice());
  for (let m = 0; m < a.length; m++) for (let n = 0; n < b[0]!.length; n++) for (let k = 0; k < b.length; k++) d[m]![n]! += a[m]![k]! * b[k]![n]!;
  return d;
}

/** Every element of the matrix is held exactly once. */
function expectBijection(layout: FragmentLayout): void {
  const seen = new Set<string>();
  for (let t = 0; t < layout.threads; t++) {
    for (let i = 0; i < layout.regs * layout.perReg; i++) {
      const [r, c] = layout.coord(t, i);
      expect(r >= 0 && r < layout.rows && c >= 0 && c < layout.cols).toBe(true);
      seen.add(`${r},${c}`);
    }
  }
  expect(seen.size).toBe(layout.rows * layout.cols);
  expect(layout.threads * layout.regs * layout.perReg).toBe(layout.rows * layout.cols);
}

/** The (row, col) of every element of one thread's fragment, as a list. */
const coordsOf = (layout: FragmentLayout, thread: number): [number, number][] => Array.from({ length: layout.regs * layout.perReg }, (_, i) => layout.coord(thread, i));

describe('fragment layouts', () => {
  test('each layout covers its matrix exactly once', () => {
    for (const t of ['f16', 'bf16', 'tf32', 's8', 'u8', 'e4m3', 'e5m2'] as const) {
      expectBijection(mmaALayout(t));
      expectBijection(mmaBLayout(t));
      expectBijection(wgmmaALayout(t));
    }
    for (const t of ['f32', 'f16', 's32'] as const) {
      expectBijection(mmaCLayout(t));
      for (const n of [8, 16, 24, 128, 256]) expectBijection(wgmmaDLayout(n, t));
    }
  });

  test('m16n8k16 f16/bf16, straight from the ISA figure', () => {
    // Lane 5: groupID 1, threadID_in_group 1. a0,a1: row 1 cols 2,3; a2,a3: row 9 cols 2,3; a4,a5: row 1 cols 10,11;
    // a6,a7: row 9 cols 10,11.
    expect(coordsOf(mmaALayout('f16'), 5)).toEqual([[1, 2], [1, 3], [9, 2], [9, 3], [1, 10], [1, 11], [9, 10], [9, 11]]);
    expect(mmaALayout('bf16').coord(0, 0)).toEqual([0, 0]);
    expect(mmaALayout('f16').coord(31, 7)).toEqual([15, 15]);
    // B (k, n): b0,b1 rows 2,3 col 1; b2,b3 rows 10,11.
    expect(coordsOf(mmaBLayout('f16'), 5)).toEqual([[2, 1], [3, 1], [10, 1], [11, 1]]);
    // C f32 (m, n): c0,c1 row 1 cols 2,3; c2,c3 row 9.
    expect(coordsOf(mmaCLayout('f32'), 5)).toEqual([[1, 2], [1, 3], [9, 2], [9, 3]]);
    // C f16: two f16x2 registers, {c0,c1} then {c2,c3}.
    const c16 = mmaCLayout('f16');
    expect([c16.regs, c16.perReg]).toEqual([2, 2]);
    expect(coordsOf(c16, 5)).toEqual([[1, 2], [1, 3], [9, 2], [9, 3]]);
  });

  test('m16n8k8 tf32, straight from the ISA figure', () => {
    // a0: (g, t), a1: (g+8, t), a2: (g, t+4), a3: (g+8, t+4); b0: (t, g), b1: (t+4, g).
    expect(coordsOf(mmaALayout('tf32'), 5)).toEqual([[1, 1], [9, 1], [1, 5], [9, 5]]);
    expect(coordsOf(mmaBLayout('tf32'), 5)).toEqual([[1, 1], [5, 1]]);
    expect(coordsOf(mmaALayout('tf32'), 30)).toEqual([[7, 2], [15, 2], [7, 6], [15, 6]]);
  });

  test('m16n8k32 8-bit, straight from the ISA figure', () => {
    // a0..a3: row g cols 4t..4t+3; a4..a7: row g+8; a8..a11: row g cols 4t+16..; a12..a15: row g+8 cols 4t+16...
    const a = coordsOf(mmaALayout('s8'), 5);
    expect(a.slice(0, 4)).toEqual([[1, 4], [1, 5], [1, 6], [1, 7]]);
    expect(a.slice(4, 8)).toEqual([[9, 4], [9, 5], [9, 6], [9, 7]]);
    expect(a.slice(8, 12)).toEqual([[1, 20], [1, 21], [1, 22], [1, 23]]);
    expect(a.slice(12)).toEqual([[9, 20], [9, 21], [9, 22], [9, 23]]);
    // b0..b3: rows 4t.. col g; b4..b7: rows 4t+16...
    expect(coordsOf(mmaBLayout('e4m3'), 5)).toEqual([[4, 1], [5, 1], [6, 1], [7, 1], [20, 1], [21, 1], [22, 1], [23, 1]]);
  });

  test('wgmma D: warp w owns rows 16w..16w+15, four registers per 8 columns', () => {
    const d = wgmmaDLayout(32, 'f32');
    // Thread 37 = warp 1, lane 5: rows 17 and 25.
    expect(coordsOf(d, 37).slice(0, 8)).toEqual([[17, 2], [17, 3], [25, 2], [25, 3], [17, 10], [17, 11], [25, 10], [25, 11]]);
    expect(d.coord(127, 15)).toEqual([63, 31]);
    // f16 accumulators: register r holds elements 2r, 2r+1.
    const d16 = wgmmaDLayout(16, 'f16');
    expect([d16.regs, d16.perReg]).toEqual([4, 2]);
    expect(coordsOf(d16, 37)).toEqual(coordsOf(wgmmaDLayout(16, 'f32'), 37));
    // The register A fragment is the mma A fragment per warp.
    for (const t of ['f16', 'tf32', 's8'] as const) {
      for (let i = 0; i < 4 * (32 / (t === 'f16' ? 16 : t === 'tf32' ? 32 : 8)); i++) {
        const [r, c] = mmaALayout(t).coord(5, i);
        expect(wgmmaALayout(t).coord(96 + 5, i)).toEqual([48 + r, c]);
      }
    }
  });

  test('narrow elements pack low first', () => {
    const regs = packFragment(mmaALayout('f16'), 'f16', Array.from({ length: 16 }, (_, r) => Array.from({ length: 16 }, (_, c) => r * 16 + c)));
    // Lane 5, register 1 = {a2, a3} = A[9][2], A[9][3] = 146, 147.
    expect(registerElement(regs[5]![1]!, 0, 16)).toBe(f16ToBits(146));
    expect(registerElement(regs[5]![1]!, 1, 16)).toBe(f16ToBits(147));
    expect(packRegister([1, 2, 3, 4], 8)).toBe(0x04030201);
    expect(registerElement(0x04030201, 2, 8)).toBe(3);
  });
});

describe('mma.sync', () => {
  const cases: [string, MmaSpec, number, number][] = [
    ['f16 -> f32', { aType: 'f16', bType: 'f16', cType: 'f32', dType: 'f32' }, -8, 8],
    ['f16 -> f16', { aType: 'f16', bType: 'f16', cType: 'f16', dType: 'f16' }, -4, 4],
    ['bf16 -> f32', { aType: 'bf16', bType: 'bf16', cType: 'f32', dType: 'f32' }, -8, 8],
    ['tf32 -> f32', { aType: 'tf32', bType: 'tf32', cType: 'f32', dType: 'f32' }, -100, 100],
    ['s8 x s8', { aType: 's8', bType: 's8', cType: 's32', dType: 's32' }, -128, 127],
    ['u8 x s8', { aType: 'u8', bType: 's8', cType: 's32', dType: 's32' }, 0, 127],
    ['e4m3 -> f32', { aType: 'e4m3', bType: 'e4m3', cType: 'f32', dType: 'f32' }, -8, 8],
    ['e4m3 x e5m2 -> f16', { aType: 'e4m3', bType: 'e5m2', cType: 'f16', dType: 'f16' }, -4, 4],
  ];

  for (const [name, spec, lo, hi] of cases) {
    test(`${name} computes C + A x B exactly on small integers`, () => {
      const next = rng(name.length * 7919);
      const k = kOf(spec.aType);
      const range = (t: InputType): [number, number] => (t === 'u8' ? [0, 255] : t === 's8' ? [-128, 127] : [lo, hi]);
      const a = intMatrix(16, k, ...range(spec.aType), next);
      const b = intMatrix(k, 8, ...range(spec.bType), next);
      const c = intMatrix(16, 8, -50, 50, next);
      const d = mmaSync(spec, packFragment(mmaALayout(spec.aType), spec.aType, a), packFragment(mmaBLayout(spec.bType), spec.bType, b), packFragment(mmaCLayout(spec.cType), spec.cType, c));
      expect(unpackFragment(mmaCLayout(spec.dType), spec.dType, d)).toEqual(reference(a, b, c));
    });
  }

  test('a single element set by hand lands where the figure says', () => {
    // Lane 5's a2 (register 1, low half) is A[9][2]: with B[k][n] = 10k + n, D row 9 is B row 2 and all else C = 0.
    const a = Array.from({ length: 32 }, () => [0, 0, 0, 0]);
    a[5]![1] = packRegister([0x3c00, 0], 16); // f16 1.0
    const b = packFragment(mmaBLayout('f16'), 'f16', Array.from({ length: 16 }, (_, k) => Array.from({ length: 8 }, (_, n) => 10 * k + n)));
    const c = Array.from({ length: 32 }, () => [0, 0, 0, 0]);
    const d = mmaSync({ aType: 'f16', bType: 'f16', cType: 'f32', dType: 'f32' }, a, b, c);
    // D row 9 lives in c2, c3 of lanes 4..7 (groupID 1): lane 4 + t holds columns 2t, 2t+1.
    for (let t = 0; t < 4; t++) expect(d[4 + t]!.slice(2)).toEqual([20 + 2 * t, 21 + 2 * t]);
    const others = d.flatMap((regs, lane) => regs.filter((_, r) => !(lane >= 4 && lane < 8 && r >= 2)));
    expect(others.every((v) => v === 0)).toBe(true);
  });

  test('tf32 operands are truncated to 10 mantissa bits, not rounded', () => {
    // 1 + 2^-11 + 2^-12 rounds to 1 + 2^-10 (either rounding) but truncates to 1.
    const x = 1 + 2 ** -11 + 2 ** -12;
    expect(tf32Truncate(x)).toBe(1);
    expect(roundTf32(x)).toBe(1 + 2 ** -10);
    const a = zeros(16, 8);
    for (let m = 0; m < 16; m++) a[m]![m % 8] = 1;
    const b = Array.from({ length: 8 }, () => new Array<number>(8).fill(x));
    const spec: MmaSpec = { aType: 'tf32', bType: 'tf32', cType: 'f32', dType: 'f32' };
    const d = mmaSync(spec, packFragment(mmaALayout('tf32'), 'tf32', a), packFragment(mmaBLayout('tf32'), 'tf32', b), packFragment(mmaCLayout('f32'), 'f32', zeros(16, 8)));
    expect(d.flat().every((v) => v === 1)).toBe(true);
  });

  test('s32 accumulators wrap, or clamp with .satfinite', () => {
    const spec: MmaSpec = { aType: 's8', bType: 's8', cType: 's32', dType: 's32' };
    const a = intMatrix(16, 32, 1, 1, rng(1));
    const b = intMatrix(32, 8, 1, 1, rng(2)); // A x B = 32 everywhere
    const c = Array.from({ length: 16 }, (_, m) => new Array<number>(8).fill(m % 2 ? 2 ** 31 - 10 : -(2 ** 31) + 5));
    const regs = (sat: boolean) =>
      unpackFragment(mmaCLayout('s32'), 's32', mmaSync({ ...spec, satfinite: sat }, packFragment(mmaALayout('s8'), 's8', a), packFragment(mmaBLayout('s8'), 's8', b), packFragment(mmaCLayout('s32'), 's32', c)));
    expect(regs(false)[1]![0]).toBe(-(2 ** 31) + 22);
    expect(regs(true)[1]![0]).toBe(2 ** 31 - 1);
    expect(regs(false)[0]![0]).toBe(-(2 ** 31) + 37);
  });

  test('the variants ptxas rejects are rejected', () => {
    const r = (s: MmaSpec) => () => mmaSync(s, [], [], []);
    expect(r({ aType: 'f16', bType: 'f16', cType: 'f32', dType: 'f16' })).toThrow(/variant/);
    expect(r({ aType: 'bf16', bType: 'bf16', cType: 'f16', dType: 'f16' })).toThrow(/variant/);
    expect(r({ aType: 'f16', bType: 'bf16', cType: 'f32', dType: 'f32' })).toThrow(/B is/);
    expect(r({ aType: 'f16', bType: 'f16', cType: 'f32', dType: 'f32', satfinite: true })).toThrow(/satfinite/);
  });
});

describe('ldmatrix / stmatrix', () => {
  /** 1 KiB of shared memory whose 16-bit element at byte 2i holds i. */
  const iota = (): Uint8Array => {
    const s = new Uint8Array(1024);
    const v = new DataView(s.buffer);
    for (let i = 0; i < 512; i++) v.setUint16(2 * i, i, true);
    return s;
  };
  /** Lane l gives the address of 16-byte row p(l), a scrambled order so rows are not where their lane suggests. */
  const rowOf = (l: number): number => (l * 13 + 5) % 64;
  const addrs = Array.from({ length: 32 }, (_, l) => 16 * rowOf(l));
  const halves = (reg: number): number[] => [registerElement(reg, 0, 16), registerElement(reg, 1, 16)];

  test('x4: lane l gets row l/4, columns 2(l%4), 2(l%4)+1 of each matrix (ISA figure)', () => {
    const d = ldmatrix(iota(), addrs, 4);
    for (let lane = 0; lane < 32; lane++) {
      for (let q = 0; q < 4; q++) {
        const row = rowOf(8 * q + (lane >> 2)); // the memory row matrix q's row lane/4 comes from
        expect(halves(d[lane]![q]!)).toEqual([8 * row + 2 * (lane & 3), 8 * row + 2 * (lane & 3) + 1]);
      }
    }
    // By hand: lane 5, matrix 0 is row 1 of matrix 0, from lane 1's address (row 18): elements 146, 147.
    expect(halves(d[5]![0]!)).toEqual([146, 147]);
  });

  test('.trans: lane l gets rows 2(l%4), 2(l%4)+1 of column l/4', () => {
    const d = ldmatrix(iota(), addrs, 4, true);
    for (let lane = 0; lane < 32; lane++) {
      for (let q = 0; q < 4; q++) {
        const r0 = rowOf(8 * q + 2 * (lane & 3));
        const r1 = rowOf(8 * q + 2 * (lane & 3) + 1);
        expect(halves(d[lane]![q]!)).toEqual([8 * r0 + (lane >> 2), 8 * r1 + (lane >> 2)]);
      }
    }
    // By hand: lane 5 (column 1) of matrix 0 takes rows 2 and 3, i.e. lanes 2 and 3's rows 31 and 44.
    expect(halves(d[5]![0]!)).toEqual([249, 353]);
  });

  test('x1 and x2 read only lanes 0-7 and 0-15', () => {
    const scrambled = addrs.map((a, l) => (l >= 8 ? 0xfff0 : a)); // out of bounds if read
    expect(ldmatrix(iota(), scrambled, 1)).toEqual(ldmatrix(iota(), addrs, 4).map((r) => r.slice(0, 1)));
    expect(() => ldmatrix(iota(), scrambled, 2)).toThrow(/outside/);
    expect(() => ldmatrix(iota(), addrs.map((a) => a + 8), 1)).toThrow(/aligned/);
  });

  test('ldmatrix.x4 of a row-major 16x16 tile is the mma A fragment; .x2.trans of row-major B is the B fragment', () => {
    const next = rng(3);
    const a = intMatrix(16, 16, -100, 100, next);
    const s = new Uint8Array(1024);
    const v = new DataView(s.buffer);
    a.forEach((row, m) => row.forEach((x, k) => v.setUint16(32 * m + 2 * k, f16ToBits(x), true)));
    // The usual addressing: lane l gives row l % 16, column block l / 16.
    const aAddrs = Array.from({ length: 32 }, (_, l) => 32 * (l % 16) + 16 * (l >> 4));
    expect(ldmatrix(s, aAddrs, 4)).toEqual(packFragment(mmaALayout('f16'), 'f16', a));

    const b = intMatrix(16, 8, -100, 100, next); // K x N, row-major at 512
    b.forEach((row, k) => row.forEach((x, n) => v.setUint16(512 + 16 * k + 2 * n, f16ToBits(x), true)));
    const bAddrs = Array.from({ length: 32 }, (_, l) => 512 + 16 * (l % 16));
    expect(ldmatrix(s, bAddrs, 2, true)).toEqual(packFragment(mmaBLayout('f16'), 'f16', b));
  });

  test('stmatrix is the inverse of ldmatrix, and stores an f16 C fragment row-major', () => {
    for (const trans of [false, true]) {
      const regs = Array.from({ length: 32 }, (_, l) => [0, 1, 2, 3].map((q) => packRegister([l * 8 + 2 * q, l * 8 + 2 * q + 1], 16)));
      const s = new Uint8Array(1024);
      stmatrix(s, addrs, regs, 4, trans);
      expect(ldmatrix(s, addrs, 4, trans)).toEqual(regs);
    }
    const c = intMatrix(16, 8, -100, 100, rng(4));
    const s = new Uint8Array(256);
    stmatrix(s, Array.from({ length: 32 }, (_, l) => 16 * (l % 16)), packFragment(mmaCLayout('f16'), 'f16', c), 2);
    const v = new DataView(s.buffer);
    expect(Array.from({ length: 16 }, (_, m) => Array.from({ length: 8 }, (_, n) => v.getUint16(16 * m + 2 * n, true)))).toEqual(c.map((r) => r.map((x) => f16ToBits(x))));
  });
});

describe('cp.async', () => {
  const global = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 1) & 255);

  test('wait_group N completes all but the N most recent groups', () => {
    const shared = new Uint8Array(128).fill(0xaa);
    const t = new CpAsyncThread(shared, global);
    const c0 = t.copy('ca', 0, 0, 4);
    t.commitGroup();
    const c1 = t.copy('cg', 16, 16, 16);
    const c2 = t.copy('ca', 32, 32, 8, 5); // 5 bytes, 3 zero-filled
    t.commitGroup();
    const c3 = t.copy('cg', 48, 48, 16, { ignoreSrc: true });
    t.commitGroup();
    const c4 = t.copy('ca', 64, 64, 16); // never committed
    expect(t.inFlight(0)).toBe(true);
    expect(shared[0]).toBe(0xaa);
    expect(t.waitGroup(2)).toEqual([c0]);
    expect(t.waitGroup(1)).toEqual([c1, c2]);
    expect([t.isComplete(c3), t.isComplete(c4)]).toEqual([false, false]);
    expect(Array.from(shared.subarray(32, 40))).toEqual([...global.subarray(32, 37), 0, 0, 0]);
    expect(t.inFlight(48)).toBe(true);
    expect(t.waitGroup(0)).toEqual([c3]); // the uncommitted copy is not covered
    expect(t.isComplete(c4)).toBe(false);
    expect(Array.from(shared.subarray(48, 64))).toEqual(new Array(16).fill(0));
    expect(t.waitAll()).toEqual([c4]);
    expect(Array.from(shared.subarray(64, 80))).toEqual(Array.from(global.subarray(64, 80)));
    expect(t.pending()).toEqual([]);
  });

  test('illegal copies are refused', () => {
    const t = new CpAsyncThread(new Uint8Array(64), global);
    expect(() => t.copy('cg', 0, 0, 8)).toThrow(/16 bytes/);
    expect(() => t.copy('ca', 4, 0, 8)).toThrow(/aligned/);
    expect(() => t.copy('ca', 0, 0, 4, 5)).toThrow(/src-size/);
  });
});

describe('wgmma descriptors and layouts', () => {
  test('fields sit where the ISA table puts them, and round-trip', () => {
    const d: MatrixDescriptor = { startAddress: 0x1230, lbo: 16, sbo: 1024, baseOffset: 3, swizzle: '128B' };
    // 0x1230 >> 4 = 0x123 in bits 0-13; 1 in bits 16-29; 64 in bits 32-45; 3 in bits 49-51; 1 in bits 62-63.
    expect(encodeDescriptor(d)).toBe(0x123n | (1n << 16n) | (64n << 32n) | (3n << 49n) | (1n << 62n));
    expect(decodeDescriptor(encodeDescriptor(d))).toEqual(d);
    for (const swizzle of ['none', '128B', '64B', '32B'] as const) {
      const e: MatrixDescriptor = { startAddress: 0x3fff0, lbo: 0x3fff0, sbo: 0x10, baseOffset: 7, swizzle };
      expect(decodeDescriptor(encodeDescriptor(e))).toEqual(e);
    }
    expect(encodeDescriptor({ ...d, swizzle: '32B', baseOffset: 0 }) >> 62n).toBe(3n);
    expect(encodeDescriptor({ ...d, swizzle: '64B', baseOffset: 0 }) >> 62n).toBe(2n);
    expect(() => encodeDescriptor({ ...d, lbo: 8 })).toThrow(/multiple of 16/);
  });

  const desc = (swizzle: MatrixDescriptor['swizzle'], lbo: number, sbo: number, startAddress = 0): MatrixDescriptor => ({ startAddress, lbo, sbo, baseOffset: 0, swizzle });

  test('swizzled addresses worked out by hand (f16)', () => {
    // K-major 128B, SBO 1024: rows of 128 bytes; the 16-byte chunk index is XORed with row % 8.
    expect(canonicalAddress(desc('128B', 16, 1024), 'K', 2, 1, 0)).toBe(144); // 128, chunk 0 ^ 1
    expect(canonicalAddress(desc('128B', 16, 1024), 'K', 2, 3, 9)).toBe(418); // 384 + 18, chunk 1 ^ 3 = 2
    expect(canonicalAddress(desc('128B', 16, 1024), 'K', 2, 9, 0)).toBe(1168); // 1024 + 128, chunk 0 ^ 1
    // MN-major 128B: rows are K, 128 bytes of M each.
    expect(canonicalAddress(desc('128B', 8192, 1024), 'MN', 2, 10, 3)).toBe(420); // 384 + 20, chunk 1 ^ 3
    // K-major 64B: rows of 64 bytes, chunk (2 bits) ^= address bits 7-8.
    expect(canonicalAddress(desc('64B', 16, 512), 'K', 2, 2, 5)).toBe(154); // 138, chunk 0 ^ 1
    // K-major 32B: rows of 32 bytes, chunk bit ^= address bit 7.
    expect(canonicalAddress(desc('32B', 16, 256), 'K', 2, 4, 8)).toBe(128); // 144, chunk 1 ^ 1
    // No swizzle, K-major: 8x16-byte core matrices, LBO along K, SBO along M.
    expect(canonicalAddress(desc('none', 256, 512), 'K', 2, 10, 9)).toBe(802); // 2*16 + 512 + 256 + 2
    // No swizzle, MN-major: core matrices of 8 K-rows x 8 f16 of M; SBO along M, LBO along K.
    expect(canonicalAddress(desc('none', 256, 512), 'MN', 2, 10, 9)).toBe(788); // 512 + 16 + 256 + 4
    expect(swizzleAddress(0x3f0, '128B')).toBe(0x380);
  });

  test('K-major 128B equals the TMA SWIZZLE_128B tile, stepping K by moving the start address 32 bytes', () => {
    // A 64 x 64 f16 tile with 128-byte rows, chunk c of row r at chunk c ^ (r % 8): the layout TMA writes.
    const tma = (r: number, c: number): number => r * 128 + ((((2 * c) >> 4) ^ (r & 7)) << 4) + ((2 * c) & 15);
    for (let kb = 0; kb < 4; kb++) {
      for (let m = 0; m < 64; m++) for (let k = 0; k < 16; k++) expect(canonicalAddress(desc('128B', 16, 1024, 32 * kb), 'K', 2, m, k)).toBe(tma(m, 16 * kb + k));
    }
    // And the MN-major operand: K rows of 64 f16 of M, 8 rows per 1024-byte atom.
    for (let mn = 0; mn < 64; mn++) for (let k = 0; k < 16; k++) expect(canonicalAddress(desc('128B', 8192, 1024), 'MN', 2, mn, k)).toBe(tma(k, mn));
  });

  test('the base offset shifts the row phase (an assumption the probe checks)', () => {
    expect(swizzleAddress(384, '128B', 3)).toBe(384);
    expect(swizzleAddress(512, '128B', 3)).toBe(512 ^ (1 << 4));
  });
});

describe('wgmma.mma_async', () => {
  /** Lays out A (64 x K) and B (N x K) in shared memory per two descriptors and runs the model against the loop. */
  function check(spec: WgmmaSpec, aDesc: MatrixDescriptor | 'regs', bDesc: MatrixDescriptor, seed: number): void {
    const next = rng(seed);
    const k = kOf(spec.aType);
    const range = (t: InputType): [number, number] => (t === 'u8' ? [0, 255] : t === 's8' ? [-128, 127] : [-4, 4]);
    const a = intMatrix(64, k, ...range(spec.aType), next);
    const bt = intMatrix(spec.n, k, ...range(spec.bType), next); // [n][k]
    const dIn = intMatrix(64, spec.n, -20, 20, next);
    const shared = new Uint8Array(32768);
    if (aDesc !== 'regs') writeSharedOperand(shared, aDesc, spec.transA ? 'MN' : 'K', spec.aType, a);
    writeSharedOperand(shared, bDesc, spec.transB ? 'MN' : 'K', spec.bType, bt);
    const aOperand = aDesc === 'regs' ? { regs: packFragment(wgmmaALayout(spec.aType), spec.aType, a) } : { desc: encodeDescriptor(aDesc) };
    const dLayout = wgmmaDLayout(spec.n, spec.dType);
    const b = Array.from({ length: k }, (_, kk) => bt.map((row) => row[kk]!));
    const sa = spec.scaleA ?? 1;
    const sb = spec.scaleB ?? 1;
    const scaled = reference(
      a.map((r) => r.map((x) => sa * x)),
      b.map((r) => r.map((x) => sb * x)),
      dIn,
    );
    const d = wgmmaMmaAsync(spec, shared, aOperand, encodeDescriptor(bDesc), packFragment(dLayout, spec.dType, dIn), true);
    expect(unpackFragment(dLayout, spec.dType, d)).toEqual(scaled);
    const d0 = wgmmaMmaAsync(spec, shared, aOperand, encodeDescriptor(bDesc), packFragment(dLayout, spec.dType, dIn), false);
    expect(unpackFragment(dLayout, spec.dType, d0)).toEqual(reference(a.map((r) => r.map((x) => sa * x)), b.map((r) => r.map((x) => sb * x)), zeros(64, spec.n)));
  }
  const k128 = (start: number): MatrixDescriptor => ({ startAddress: start, lbo: 16, sbo: 1024, baseOffset: 0, swizzle: '128B' });

  const cases: [string, WgmmaSpec, MatrixDescriptor | 'regs', MatrixDescriptor][] = [
    ['f16 -> f32, K-major, no swizzle', { n: 16, aType: 'f16', bType: 'f16', dType: 'f32' }, { startAddress: 0, lbo: 128, sbo: 256, baseOffset: 0, swizzle: 'none' }, { startAddress: 8192, lbo: 2048, sbo: 128, baseOffset: 0, swizzle: 'none' }],
    ['f16 -> f32, K-major, 128B', { n: 24, aType: 'f16', bType: 'f16', dType: 'f32' }, k128(0), k128(8192)],
    ['f16 -> f16, K-major, 64B', { n: 16, aType: 'f16', bType: 'f16', dType: 'f16' }, { startAddress: 0, lbo: 16, sbo: 512, baseOffset: 0, swizzle: '64B' }, { startAddress: 8192, lbo: 16, sbo: 512, baseOffset: 0, swizzle: '64B' }],
    ['bf16, 32B, A and B transposed (MN-major)', { n: 32, aType: 'bf16', bType: 'bf16', dType: 'f32', transA: true, transB: true }, { startAddress: 0, lbo: 256, sbo: 2048, baseOffset: 0, swizzle: '32B' }, { startAddress: 8192, lbo: 256, sbo: 512, baseOffset: 0, swizzle: '32B' }],
    ['f16 MN-major no swizzle, negated A', { n: 16, aType: 'f16', bType: 'f16', dType: 'f32', transA: true, transB: true, scaleA: -1 }, { startAddress: 0, lbo: 1024, sbo: 128, baseOffset: 0, swizzle: 'none' }, { startAddress: 8192, lbo: 256, sbo: 128, baseOffset: 0, swizzle: 'none' }],
    ['f16 A from registers, B N-major 128B', { n: 64, aType: 'f16', bType: 'f16', dType: 'f32', transB: true, scaleB: -1 }, 'regs', { startAddress: 8192, lbo: 16, sbo: 1024, baseOffset: 0, swizzle: '128B' }],
    ['tf32, 128B', { n: 16, aType: 'tf32', bType: 'tf32', dType: 'f32' }, k128(0), k128(8192)],
    ['tf32 from registers', { n: 8, aType: 'tf32', bType: 'tf32', dType: 'f32' }, 'regs', k128(8192)],
    ['s8 x u8 -> s32', { n: 48, aType: 's8', bType: 'u8', dType: 's32' }, k128(0), k128(8192)],
    ['e4m3 x e5m2 -> f16 from registers', { n: 16, aType: 'e4m3', bType: 'e5m2', dType: 'f16' }, 'regs', k128(8192)],
    ['e5m2 -> f32, no swizzle', { n: 8, aType: 'e5m2', bType: 'e5m2', dType: 'f32' }, { startAddress: 1024, lbo: 128, sbo: 256, baseOffset: 0, swizzle: 'none' }, { startAddress: 8192, lbo: 128, sbo: 256, baseOffset: 0, swizzle: 'none' }],
  ];
  cases.forEach(([name, spec, a, b], i) => test(`${name}: D = A x B (+ D)`, () => check(spec, a, b, 100 + i)));

  test('the variants ptxas rejects are rejected', () => {
    const s = new Uint8Array(16384);
    const d = encodeDescriptor(k128(0));
    const run = (spec: WgmmaSpec, a: { desc: bigint } | { regs: number[][] } = { desc: d }) => () => wgmmaMmaAsync(spec, s, a, d, [], false);
    expect(run({ n: 40, aType: 's8', bType: 's8', dType: 's32' })).toThrow(/N = 40/);
    expect(run({ n: 12, aType: 'f16', bType: 'f16', dType: 'f32' })).toThrow(/N = 12/);
    expect(run({ n: 16, aType: 'bf16', bType: 'bf16', dType: 'f16' })).toThrow(/variant/);
    expect(run({ n: 16, aType: 'tf32', bType: 'tf32', dType: 'f32', transA: true })).toThrow(/transposes/);
    expect(run({ n: 16, aType: 'f16', bType: 'f16', dType: 'f32', transA: true }, { regs: [] })).toThrow(/registers/);
    expect(run({ n: 16, aType: 's8', bType: 's8', dType: 's32', scaleA: -1 })).toThrow(/imm-scale/);
  });

  test('tf32 operands from shared memory are truncated', () => {
    const shared = new Uint8Array(16384);
    const a = zeros(64, 8).map((r, m) => r.map((_, k) => (k === m % 8 ? 1 : 0)));
    const bt = Array.from({ length: 8 }, () => new Array<number>(8).fill(1 + 2 ** -11 + 2 ** -12));
    writeSharedOperand(shared, k128(0), 'K', 'tf32', a);
    writeSharedOperand(shared, k128(8192), 'K', 'tf32', bt);
    const d = wgmmaMmaAsync({ n: 8, aType: 'tf32', bType: 'tf32', dType: 'f32' }, shared, { desc: encodeDescriptor(k128(0)) }, encodeDescriptor(k128(8192)), [], false);
    expect(d.flat().every((v) => v === 1)).toBe(true);
  });
});

describe('wgmma ordering', () => {
  test('fence, commit_group and wait_group', () => {
    const w = new WgmmaAsyncModel();
    expect(() => w.mmaAsync('m64n16k16', ['d'], [], () => 1)).toThrow(WgmmaOrderError);
    w.writeRegisters(['d']);
    w.fence();
    const first = w.mmaAsync('m64n16k16', ['d'], [], () => 'first');
    const second = w.mmaAsync('m64n16k16', ['d'], [], () => 'second'); // chained accumulators: no fence needed
    expect(() => w.mmaAsync('m64n32k16', ['d'], [], () => 0)).toThrow(/in flight/);
    w.commitGroup();
    const other = w.mmaAsync('m64n16k16', ['e'], ['a'], () => 'other');
    w.commitGroup();
    expect(() => w.result(first)).toThrow(/not complete/);
    expect(() => w.readRegisters(['d'])).toThrow(/in flight/);
    expect(w.waitGroup(1)).toEqual([first, second]);
    expect(w.result(second)).toBe('second');
    expect(w.isComplete(other)).toBe(false);
    expect(() => w.writeRegisters(['a'])).toThrow(/in flight/);
    w.waitGroup(0);
    w.writeRegisters(['a']);
    expect(() => w.mmaAsync('m64n16k16', ['e'], ['a'], () => 0)).toThrow(/since the last wgmma.fence/);
    w.writeShared();
    w.fence();
    expect(() => w.mmaAsync('m64n16k16', ['e'], ['a'], () => 0)).toThrow(/fence.proxy.async/);
    w.fenceProxyAsync();
    expect(w.mmaAsync('m64n16k16', ['e'], ['a'], () => 0)).toBe(3);
  });
});

describe('number formats', () => {
  test('e4m3 edge values', () => {
    expect(E4M3_MAX).toBe(448);
    expect(e4m3FromBits(0x7e)).toBe(448);
    expect(e4m3FromBits(0xfe)).toBe(-448);
    expect(e4m3FromBits(0x7f)).toBeNaN();
    expect(e4m3FromBits(0xff)).toBeNaN();
    expect(e4m3FromBits(0x78)).toBe(256); // exponent 15 is a normal binade: no infinity
    expect(e4m3FromBits(0x01)).toBe(2 ** -9); // smallest subnormal
    expect(e4m3FromBits(0x07)).toBe(7 * 2 ** -9); // largest subnormal
    expect(e4m3FromBits(0x08)).toBe(2 ** -6); // smallest normal
    expect(e4m3FromBits(0x38)).toBe(1);
    expect(Object.is(e4m3FromBits(0x80), -0)).toBe(true);
    const sat = { satfinite: true };
    expect(e4m3ToBits(448)).toBe(0x7e);
    expect(e4m3ToBits(464)).toBe(0x7e); // tie between 448 (mantissa 110) and 480 (111): even
    expect(e4m3ToBits(465)).toBe(0x7f); // rounds past the largest finite: NaN without .satfinite
    expect(e4m3ToBits(465, sat)).toBe(0x7e);
    expect(e4m3ToBits(-1e9, sat)).toBe(0xfe);
    expect(e4m3ToBits(Infinity, sat)).toBe(0x7e);
    expect(e4m3ToBits(-Infinity)).toBe(0xff);
    expect(e4m3ToBits(NaN, sat)).toBe(0x7f);
    expect(e4m3ToBits(2 ** -10)).toBe(0x00); // tie between 0 and the smallest subnormal: even
    expect(e4m3ToBits(1.5 * 2 ** -10)).toBe(0x01);
    expect(e4m3ToBits(3 * 2 ** -10)).toBe(0x02); // tie between subnormals 1 and 2
    expect(e4m3ToBits(7.5 * 2 ** -9)).toBe(0x08); // the largest subnormal rounds up into the normals
    expect(e4m3ToBits(1 + 1 / 16)).toBe(0x38); // tie between 1 and 1.125
    expect(e4m3ToBits(1 + 3 / 16)).toBe(0x3a); // tie between 1.125 and 1.25
    expect(e4m3ToBits(-0)).toBe(0x80);
  });

  test('e5m2 edge values', () => {
    expect(E5M2_MAX).toBe(57344);
    expect(e5m2FromBits(0x7b)).toBe(57344);
    expect(e5m2FromBits(0x7c)).toBe(Infinity);
    expect(e5m2FromBits(0xfc)).toBe(-Infinity);
    for (const b of [0x7d, 0x7e, 0x7f, 0xff]) expect(e5m2FromBits(b)).toBeNaN();
    expect(e5m2FromBits(0x01)).toBe(2 ** -16);
    expect(e5m2FromBits(0x04)).toBe(2 ** -14);
    expect(e5m2FromBits(0x3c)).toBe(1);
    expect(e5m2ToBits(61440)).toBe(0x7c); // tie between 57344 (odd mantissa) and 65536: even, i.e. infinity
    expect(e5m2ToBits(61439)).toBe(0x7b);
    expect(e5m2ToBits(61440, { satfinite: true })).toBe(0x7b);
    expect(e5m2ToBits(Infinity, { satfinite: true })).toBe(0x7b);
    expect(e5m2ToBits(-Infinity)).toBe(0xfc);
    expect(e5m2ToBits(NaN)).toBe(0x7f);
    expect(e5m2ToBits(2 ** -17)).toBe(0);
    expect(e5m2ToBits(3 * 2 ** -17)).toBe(0x02);
  });

  test('every fp8 code round-trips, and every midpoint rounds to the even neighbour', () => {
    for (const [fromBits, toBits] of [
      [e4m3FromBits, e4m3ToBits],
      [e5m2FromBits, e5m2ToBits],
    ] as const) {
      for (let b = 0; b < 256; b++) {
        const v = fromBits(b);
        if (Number.isNaN(v)) continue;
        expect(toBits(v)).toBe(b);
        const up = fromBits(b + 1);
        if (b & 0x80 || Number.isNaN(up) || !Number.isFinite(up) || (b & 0x7f) === 0x7f) continue;
        const mid = (v + up) / 2;
        expect(toBits(mid)).toBe(b % 2 === 0 ? b : b + 1);
        expect(toBits(mid + (up - v) / 1024)).toBe(b + 1);
        expect(toBits(mid - (up - v) / 1024)).toBe(b);
      }
    }
  });

  test('f16, bf16 and tf32 through the shared helpers, with .satfinite', () => {
    expect(encodeFloat('f16', 65520)).toBe(0x7c00); // halfway past 65504 rounds to infinity
    expect(encodeFloat('f16', 65520, { satfinite: true })).toBe(0x7bff);
    expect(encodeFloat('f16', -Infinity, { satfinite: true })).toBe(0xfbff);
    expect(decodeFloat('f16', encodeFloat('f16', NaN, { satfinite: true }))).toBeNaN();
    expect(encodeFloat('bf16', 3.4e38, { satfinite: true })).toBe(0x7f7f);
    expect(encodeFloat('bf16', 1 + 2 ** -8)).toBe(0x3f80); // tie, even
    expect(tf32ToBits(1 + 2 ** -11)).toBe(0x3f800000); // tie, even (cvt.rn)
    expect(f32ToBits(roundTf32(1 + 2 ** -11))).toBe(0x3f802000); // ties away (cvt.rna)
    expect(tf32ToBits(1 + 3 * 2 ** -11)).toBe(0x3f804000); // tie, even upward
    expect(tf32ToBits(f32FromBits(0x7f7fffff))).toBe(0x7f800000);
    expect(tf32ToBits(f32FromBits(0x7f7fffff), { satfinite: true })).toBe(0x7f7fe000);
    expect(decodeFloat('tf32', 0x3f801fff)).toBe(1);
    expect(decodeFloat('e4m3', encodeFloat('e4m3', 300))).toBe(288);
  });
});

describe('the probe checker', () => {
  // Records in the probe's format, made by the model itself: they must agree, and a flipped bit must not.
  const hexRegs = (t: 'f32' | 'f16' | 's32' | InputType, regs: number[][]): string[][] =>
    regs.map((r) => r.map((v) => `0x${(t === 'f32' || t === 'tf32' ? f32ToBits(v) : v >>> 0).toString(16).padStart(8, '0')}`));

  test('mma and wgmma records', () => {
    const next = rng(9);
    const spec: MmaSpec = { aType: 'bf16', bType: 'bf16', cType: 'f32', dType: 'f32' };
    const a = packFragment(mmaALayout('bf16'), 'bf16', intMatrix(16, 16, -4, 4, next));
    const b = packFragment(mmaBLayout('bf16'), 'bf16', intMatrix(16, 8, -4, 4, next));
    const c = packFragment(mmaCLayout('f32'), 'f32', intMatrix(16, 8, -4, 4, next));
    const d = hexRegs('f32', mmaSync(spec, a, b, c));
    const rec = { kind: 'mma', name: 'x', ...spec, satfinite: false, a: hexRegs('bf16', a), b: hexRegs('bf16', b), c: hexRegs('f32', c), d };
    expect(checkProbeRecord(rec).failures).toEqual([]);
    d[5]![2] = '0x40400000';
    expect(checkProbeRecord(rec).failures[0]).toMatch(/^thread 5 register 2 \[D 9,2\]: model .*, GPU 0x40400000 \(3\)/);

    const shared = new Uint8Array(1024 + 16384);
    const aDesc: MatrixDescriptor = { startAddress: 1024, lbo: 16, sbo: 1024, baseOffset: 0, swizzle: '128B' };
    const bDesc: MatrixDescriptor = { startAddress: 1024 + 8192, lbo: 256, sbo: 512, baseOffset: 0, swizzle: '32B' };
    writeSharedOperand(shared, aDesc, 'K', 'f16', intMatrix(64, 16, -4, 4, next));
    writeSharedOperand(shared, bDesc, 'MN', 'f16', intMatrix(16, 16, -4, 4, next));
    const wspec: WgmmaSpec = { n: 16, aType: 'f16', bType: 'f16', dType: 'f16', transB: true };
    const dIn = packFragment(wgmmaDLayout(16, 'f16'), 'f16', intMatrix(64, 16, -4, 4, next));
    const out = wgmmaMmaAsync(wspec, shared, { desc: encodeDescriptor(aDesc) }, encodeDescriptor(bDesc), dIn, true);
    const hex = Array.from(shared.subarray(1024), (x) => x.toString(16).padStart(2, '0')).join('');
    const wrec = {
      kind: 'wgmma', name: 'y', ...wspec, transA: false, scaleA: 1, scaleB: 1, satfinite: false, scaleD: 1, aSource: 'smem',
      aDesc: `0x${encodeDescriptor(aDesc).toString(16)}`, bDesc: `0x${encodeDescriptor(bDesc).toString(16)}`, smemBase: 1024, experimental: false,
      smem: hex, dIn: hexRegs('f16', dIn), d: hexRegs('f16', out),
    };
    expect(checkProbeRecord(wrec).failures).toEqual([]);
    expect(checkProbeRecord({ ...wrec, smem: hex.replace(/^../, '11') }).failures.length).toBeGreaterThan(0);
  });

  test('ldmatrix, cp.async and cvt records', () => {
    const addrs = Array.from({ length: 32 }, (_, l) => 16 * ((l * 37 + 11) % 256));
    const s = new Uint8Array(4096);
    const v = new DataView(s.buffer);
    for (let i = 0; i < 2048; i++) v.setUint16(2 * i, i, true);
    const d = hexRegs('f16', ldmatrix(s, addrs, 2, true));
    expect(checkProbeRecord({ kind: 'ldmatrix', num: 2, trans: true, smemBytes: 4096, smemPattern: 'u16-index', addrs, d }).failures).toEqual([]);
    expect(checkProbeRecord({ kind: 'ldmatrix', num: 2, trans: false, smemBytes: 4096, smemPattern: 'u16-index', addrs, d }).failures.length).toBeGreaterThan(0);

    const global = '00112233445566778899aabbccddeeff'.repeat(2);
    const snap = (bytes: number[]): string => bytes.map((x) => x.toString(16).padStart(2, '0')).join('');
    const fill = new Array<number>(32).fill(0xaa);
    const done = [...fill.slice(0, 16), 0x00, 0x11, 0x22, 0x33, ...fill.slice(20)];
    const ops = [
      { op: 'copy', cache: 'ca', dst: 0, src: 0, cpSize: 16, ignoreSrc: true },
      { op: 'commit' },
      { op: 'copy', cache: 'ca', dst: 16, src: 0, cpSize: 4 },
      { op: 'commit' },
      { op: 'wait', n: 1, snapshot: snap([...new Array<number>(16).fill(0), ...fill.slice(16)]) },
      { op: 'wait', n: 0, snapshot: snap([...new Array<number>(16).fill(0), ...done.slice(16)]) },
    ];
    const rec = { kind: 'cpasync', smemBytes: 32, smemFill: 0xaa, global, ops };
    expect(checkProbeRecord(rec)).toMatchObject({ failures: [], notes: [] });
    ops[4]!.snapshot = snap([...new Array<number>(16).fill(0), ...done.slice(16)]); // landed early: allowed, noted
    expect(checkProbeRecord(rec).notes.length).toBe(1);
    ops[4]!.snapshot = snap(fill); // group 0 not complete after wait_group 1: wrong
    expect(checkProbeRecord(rec).failures.length).toBeGreaterThan(0);

    const inputs = [448, 465, -1e9, 2 ** -10, NaN, 1.1875].map((x) => f32ToBits(x));
    const out = inputs.map((i) => ((e4m3ToBits(f32FromBits(i), { satfinite: true }) << 8) | e4m3ToBits(-f32FromBits(i), { satfinite: true })).toString(16).padStart(4, '0'));
    const cvt = (o: string[]) => ({ kind: 'cvt', op: 'cvt.rn.satfinite.e4m3x2.f32', in: inputs.map((i) => i.toString(16)), outDigits: 4, out: o.join('') });
    expect(checkProbeRecord(cvt(out))).toMatchObject({ failures: [], notes: [] });
    out[4] = 'ffff'; // another NaN pattern: a note, not a failure
    expect(checkProbeRecord(cvt(out))).toMatchObject({ failures: [], notes: [expect.stringMatching(/NaN/)] });
    out[0] = '7e7e';
    expect(checkProbeRecord(cvt(out)).failures.length).toBe(1);
    // An exhaustive record: every fp8 code decoded to f16 (low byte: the code, high byte: its complement).
    const codes = Array.from({ length: 256 }, (_, c) => ((f16ToBits(e4m3FromBits(~c & 0xff)) << 16) | f16ToBits(e4m3FromBits(c))) >>> 0);
    const all = { kind: 'cvt', op: 'cvt.rn.f16x2.e4m3x2', inRange: [0, 256], outDigits: 8, out: codes.map((x) => x.toString(16).padStart(8, '0')).join('') };
    expect(checkProbeRecord(all).failures).toEqual([]);
  });
});
