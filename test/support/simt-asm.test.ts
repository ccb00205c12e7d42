// The simulator's reading of inline PTX (simt-asm.ts) against PTX's documented semantics, instruction by
// instruction: the instructions the GPU tests' asm does not happen to exercise, and the ones whose corner cases
// (clamped shifts, NaN operands, saturating conversions, predicates) a test of whole kernels would not reach.
import { describe, expect, test } from 'vitest';
import { parseConstraints, type AsmConstraint } from '../../src/compiler/ir/inline-asm.ts';
import { parseAsm, runAsm, type AsmMemory } from './simt-asm.ts';

const noMemory: AsmMemory = {
  load: () => {
    throw new Error('no memory');
  },
  store: () => {
    throw new Error('no memory');
  },
};

const f32 = (x: number): bigint => BigInt(new Uint32Array(new Float32Array([x]).buffer)[0]!);
const u32 = (x: number): bigint => BigInt.asUintN(32, BigInt(x));
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);

/** Runs `asm` with the constraints on input bits; returns the output bits. */
function run(asm: string, constraints: string, ...inputs: bigint[]): bigint[] {
  return runAsm(parseAsm(asm, parseConstraints(constraints) as AsmConstraint[]), inputs, noMemory);
}

describe('integer instructions', () => {
  test.each([
    ['shr.s32 $0, $1, 4;', [u32(-256)], u32(-16)],
    ['shr.u32 $0, $1, 4;', [u32(-256)], 0x0ffffff0n],
    ['shl.b32 $0, $1, 40;', [1n], 0n],
    ['shr.s32 $0, $1, 40;', [u32(-2)], u32(-1)],
    ['min.s32 $0, $1, $2;', [u32(-5), 3n], u32(-5)],
    ['min.u32 $0, $1, $2;', [u32(-5), 3n], 3n],
    ['max.s32 $0, $1, $2;', [u32(-5), 3n], 3n],
    ['mul.hi.u32 $0, $1, $2;', [0xffffffffn, 2n], 1n],
    ['mul.lo.s32 $0, $1, $2;', [0x10000n, 0x10001n], 0x10000n],
    ['not.b32 $0, $1;', [0n], 0xffffffffn],
    ['or.b32 $0, $1, $2;', [0xf0n, 0x0fn], 0xffn],
    ['neg.s32 $0, $1;', [5n], u32(-5)],
    ['abs.s32 $0, $1;', [u32(-7)], 7n],
    ['shf.r.clamp.b32 $0, $1, $2, $3;', [0x12345678n, 0x9abcdef0n, 40n], 0x9abcdef0n],
    ['shf.r.wrap.b32 $0, $1, $2, $3;', [0x12345678n, 0x9abcdef0n, 36n], 0x01234567n],
  ])('%s', (asm, inputs, want) => {
    expect(run(asm, `=r${',r'.repeat(inputs.length)}`, ...inputs)).toEqual([want]);
  });

  test('mul.wide.s32 gives the 64-bit product', () => {
    expect(run('mul.wide.s32 $0, $1, $2;', '=l,r,r', u32(-3), 5n)).toEqual([u64(-15n)]);
  });
});

describe('float instructions and conversions', () => {
  test.each([
    ['max.f32 $0, $1, $2;', [f32(NaN), f32(2)], f32(2)],
    ['min.f32 $0, $1, $2;', [f32(-1), f32(NaN)], f32(-1)],
    ['add.f32 $0, $1, $2;', [f32(0.1), f32(0.2)], f32(Math.fround(Math.fround(0.1) + Math.fround(0.2)))],
    ['neg.f32 $0, $1;', [f32(1.5)], f32(-1.5)],
  ])('%s', (asm, inputs, want) => {
    expect(run(asm, `=f${',f'.repeat(inputs.length)}`, ...inputs)).toEqual([want]);
  });

  test.each([
    ['cvt.rzi.s32.f32', -2.7, u32(-2)],
    ['cvt.rni.s32.f32', 2.5, 2n],
    ['cvt.rni.s32.f32', 3.5, 4n],
    ['cvt.rmi.s32.f32', -2.5, u32(-3)],
    ['cvt.rzi.s32.f32', NaN, 0n],
    ['cvt.rzi.s32.f32', 1e10, 0x7fffffffn],
    ['cvt.rzi.u32.f32', -4, 0n],
  ])('%s of %d saturates and rounds as PTX does', (instr, x, want) => {
    expect(run(`${instr} $0, $1;`, '=r,f', f32(x))).toEqual([want]);
  });

  test('cvt.rn.f16.f32 rounds to nearest even into a 16-bit register', () => {
    expect(run('cvt.rn.f16.f32 $0, $1;', '=h,f', f32(1 / 3))).toEqual([0x3555n]);
  });

  test('cvt.rn.f32.s32 and cvt.s32.s8 read their source type', () => {
    expect(run('cvt.rn.f32.s32 $0, $1;', '=f,r', u32(-3))).toEqual([f32(-3)]);
    expect(run('cvt.s32.s8 $0, $1;', '=r,r', 0x1ffn)).toEqual([u32(-1)]);
  });

  test('cvt.rn.f32.s64 rounds once: 2^60 + 2^36 + 1 is 2^60 + 2^37, not 2^60 (through a double to nearest)', () => {
    expect(run('cvt.rn.f32.s64 $0, $1;', '=f,l', (1n << 60n) + (1n << 36n) + 1n)).toEqual([f32(2 ** 60 + 2 ** 37)]);
    expect(run('cvt.rn.f64.u64 $0, $1;', '=d,l', u64(-1n))).toEqual([BigInt.asUintN(64, BigInt(new BigInt64Array(new Float64Array([2 ** 64]).buffer)[0]!))]);
  });
});

describe('predicates, vectors and declarations', () => {
  test('setp on a NaN is false for ordered comparisons, and guards choose instructions', () => {
    const asm = `.reg .pred p;
      setp.gt.f32 p, $1, $2;
      mov.b32 $0, 10;
      @p mov.b32 $0, 1;
      @!p add.s32 $0, $0, 5;`;
    expect(run(asm, '=r,f,f', f32(NaN), f32(0))).toEqual([15n]);
    expect(run(asm, '=r,f,f', f32(1), f32(0))).toEqual([1n]);
  });

  test('mov packs and unpacks vectors of narrower registers, the first in the low bits', () => {
    const asm = `{
      .reg .b16 lo, hi;
      mov.b32 {lo, hi}, $1;
      mov.b32 $0, {hi, lo};
    }`;
    expect(run(asm, '=r,r', 0x12345678n)).toEqual([0x56781234n]);
  });

  test('an instruction the simulator does not know is refused by name', () => {
    expect(() => run('brev.b32 $0, $1;', '=r,r', 1n)).toThrow(/does not run the PTX instruction brev\.b32; add it to test\/support\/simt-asm\.ts \(in 'brev\.b32 %asm0, %asm1'\)/);
  });

  test('a register that is not declared is refused', () => {
    expect(() => run('mov.b32 $0, t;', '=r')).toThrow(/register t is not declared/);
  });
});
