// Triton's inline assembly tests (test_core.py: test_inline_asm, test_inline_asm_packed,
// test_inline_asm_with_pointers, test_inline_asm_multiple_outputs, test_inline_asm_packed_multiple_outputs), ported
// as kt kernels with NumPy references. The asm is PTX, so only the GPU tier runs them; the interpreter refuses them
// at compile time by design (deviations.ts), which its tier checks.
import { Random, kernel, tl, type Ptr, type constexpr } from 'kt';
import * as np from './numpy.ts';
import type { Case } from './suite.ts';

// ---- kernels -------------------------------------------------------------------------------------------------------

/** A funnel shift: the high word of (y:x) << n. */
export const funnelShift = kernel(function funnelShift(X: Ptr, Y: Ptr, Z: Ptr, n: constexpr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.load(Y + tl.arange(0, BLOCK));
  const s = tl.full([BLOCK], n, tl.int32);
  const z = tl.inlineAsmElementwise('shf.l.wrap.b32 $0, $1, $2, $3;', '=r,r, r, r', [x, y, s], tl.int32, true, 1);
  tl.store(Z + tl.arange(0, BLOCK), z);
});

/** Four bytes shifted together in one 32-bit register. */
export const packedShift = kernel(function packedShift(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.inlineAsmElementwise({
    asm: `and.b32 $0, $1, 0x1F1F1F1F;
          shl.b32 $0, $0, 3;`,
    constraints: '=r,r',
    args: [x],
    dtype: tl.int8,
    isPure: true,
    pack: 4,
  });
  tl.store(Y + tl.arange(0, BLOCK), y);
});

/** The asm loads and stores through the pointers itself; its result is unused, and it stays because it is not pure. */
export const pointerAsm = kernel(function pointerAsm(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const xPtrs = X + tl.arange(0, BLOCK);
  const yPtrs = Y + tl.arange(0, BLOCK);
  tl.inlineAsmElementwise({
    asm: `ld.global.b8 $0, [$1];
          shl.b32 $0, $0, 3;
          st.global.b8 [$2], $0;`,
    constraints: '=r,l,l',
    args: [xPtrs, yPtrs],
    dtype: tl.int8,
    isPure: false,
    pack: 1,
  });
});

/** Two results: C = A - B and D = B - A. */
export const twoOutputs = kernel(function twoOutputs(A: Ptr, B: Ptr, C: Ptr, D: Ptr, BLOCK: constexpr) {
  const a = tl.load(A + tl.arange(0, BLOCK));
  const b = tl.load(B + tl.arange(0, BLOCK));
  const [c, d] = tl.inlineAsmElementwise({
    asm: `
      sub.u32 $0, $2, $3;  // C = A - B
      sub.u32 $1, $3, $2;  // D = B - A
    `,
    // Two outputs ($0 = C, $1 = D), then two inputs ($2 = A, $3 = B).
    constraints: '=r,=r,r,r',
    args: [a, b],
    dtype: [tl.uint32, tl.uint32],
    isPure: true,
    pack: 1,
  });
  tl.store(C + tl.arange(0, BLOCK), c);
  tl.store(D + tl.arange(0, BLOCK), d);
});

/**
 * Two results, four elements per invocation: c = a as i32, d = max(a as f32, b). The four u8s of `a` arrive in one
 * register ($8), the four f32s of `b` in four ($9 to $12); each result is four registers.
 */
export const packedTwoOutputs = kernel(function packedTwoOutputs(A: Ptr, B: Ptr, C: Ptr, D: Ptr, BLOCK: constexpr) {
  const a = tl.load(A + tl.arange(0, BLOCK));
  const b = tl.load(B + tl.arange(0, BLOCK));
  const [c, d] = tl.inlineAsmElementwise({
    asm: `
      {
        .reg .b8 tmp<4>;
        mov.b32 {tmp0, tmp1, tmp2, tmp3}, $8;
        cvt.u32.u8 $0, tmp0;
        cvt.u32.u8 $1, tmp1;
        cvt.u32.u8 $2, tmp2;
        cvt.u32.u8 $3, tmp3;
      }
      cvt.rn.f32.s32 $4, $0;
      cvt.rn.f32.s32 $5, $1;
      cvt.rn.f32.s32 $6, $2;
      cvt.rn.f32.s32 $7, $3;
      max.f32 $4, $4, $9;
      max.f32 $5, $5, $10;
      max.f32 $6, $6, $11;
      max.f32 $7, $7, $12;
    `,
    constraints: '=r,=r,=r,=r,=r,=r,=r,=r,r,r,r,r,r',
    args: [a, b],
    dtype: [tl.int32, tl.float32],
    isPure: true,
    pack: 4,
  });
  tl.store(C + tl.arange(0, BLOCK), c);
  tl.store(D + tl.arange(0, BLOCK), d);
});

// ---- cases ---------------------------------------------------------------------------------------------------------

// Triton runs each with num_ctas 1 (and 4 on Hopper, a cluster launch kt does not make): the id is num_ctas.

const inlineAsmCase: Case = {
  test: 'test_inline_asm',
  id: '1',
  simulate: true,
  run: (launch) => {
    const rs = new Random(17);
    const x = np.numpyRandom(128, 'uint32', rs);
    const y = np.numpyRandom(128, 'uint32', rs);
    const n = 17;
    const [, , z] = launch(funnelShift, [1], [np.toKt(x), np.toKt(y), np.toKt(np.numpyRandom(128, 'uint32', rs)), { n, BLOCK: 128 }]);
    const want = np.bitwiseOr(np.leftShift(y, np.pyInt(n)), np.rightShift(x, np.pyInt(32 - n)));
    np.assertEqual(np.fromKt(z!), want);
  },
};

/** test_inline_asm_packed and test_inline_asm_with_pointers: 512 bytes shifted left by 3, by `k`. */
const shiftByThreeCase = (test: string, k: typeof packedShift): Case => ({
  test,
  id: '1',
  simulate: true,
  run: (launch) => {
    const rs = new Random(17);
    const x = np.numpyRandom(512, 'uint8', rs);
    const [, y] = launch(k, [1], [np.toKt(x), np.toKt(np.numpyRandom(512, 'uint8', rs)), { BLOCK: 512 }]);
    np.assertEqual(np.fromKt(y!), np.leftShift(x, np.pyInt(3)));
  },
});

const inlineAsmPackedCase = shiftByThreeCase('test_inline_asm_packed', packedShift);
const inlineAsmWithPointersCase = shiftByThreeCase('test_inline_asm_with_pointers', pointerAsm);

const inlineAsmMultipleOutputsCase: Case = {
  test: 'test_inline_asm_multiple_outputs',
  id: '1',
  simulate: true,
  run: (launch) => {
    const rs = new Random(17);
    const a = np.numpyRandom(128, 'uint32', rs);
    const b = np.numpyRandom(128, 'uint32', rs);
    const c0 = np.numpyRandom(128, 'uint32', rs);
    const d0 = np.numpyRandom(128, 'uint32', rs);
    const [, , c, d] = launch(twoOutputs, [1], [np.toKt(a), np.toKt(b), np.toKt(c0), np.toKt(d0), { BLOCK: 128 }]);
    np.assertEqual(np.fromKt(c!), np.subtract(a, b), 'C = A - B');
    np.assertEqual(np.fromKt(d!), np.subtract(b, a), 'D = B - A');
  },
};

const inlineAsmPackedMultipleOutputsCase: Case = {
  test: 'test_inline_asm_packed_multiple_outputs',
  id: '1',
  simulate: true,
  run: (launch) => {
    const rs = new Random(17);
    const a = np.numpyRandom(512, 'uint8', rs);
    const b = np.numpyRandom(512, 'float32', rs);
    const c0 = np.numpyRandom(512, 'int32', rs);
    const d0 = np.numpyRandom(512, 'float32', rs);
    const [, , c, d] = launch(packedTwoOutputs, [1], [np.toKt(a), np.toKt(b), np.toKt(c0), np.toKt(d0), { BLOCK: 512 }]);
    np.assertEqual(np.fromKt(c!), np.astype(a, 'int32'), 'c = a as int32');
    const af = np.astype(a, 'float32');
    np.assertEqual(np.fromKt(d!), np.array('float32', [512], af.data.map((v, i) => Math.max(Number(v), Number(b.data[i])))), 'd = max(a as float32, b)');
  },
};

export function inlineAsmCases(): Case[] {
  return [inlineAsmCase, inlineAsmPackedCase, inlineAsmWithPointersCase, inlineAsmMultipleOutputsCase, inlineAsmPackedMultipleOutputsCase];
}
