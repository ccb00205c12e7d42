// decompose-tf32x3 on IR text (FileCheck-style), and what it buys: an f32 dot with inputPrecision 'tf32x3' is
// three tf32 dots of the operands' high and low parts, within a few f32 ulps of the exact product where a
// single tf32 dot is a thousand times further off, on the interpreter and (in the GPU suite) on the tensor cores.
import { describe, expect, test } from 'vitest';
import { Random, empty, kernel, tensor, tl, type Ptr, type constexpr } from 'kt';
import { optimizeIr } from '../../src/cli/opt.ts';
import { fileCheck } from '../support/filecheck.ts';

describe('decompose-tf32x3', () => {
  test('splits each operand once and chains three tf32 dots, small terms first; other dots stay', () => {
    const ir = `
      tt.func public @f(%p: !tt.ptr<f32>, %a: tensor<16x16xf32>, %b: tensor<16x16xf32>, %c: tensor<16x16xf32>) {
        %d = tt.dot %a, %b, %c {inputPrecision = "tf32x3"} : tensor<16x16xf32>
        %e = tt.dot %a, %b, %d {inputPrecision = "ieee"} : tensor<16x16xf32>
        tt.return
      }
      // CHECK: %[[AB:[0-9]+]] = tt.bitcast %a : tensor<16x16xi32>
      // CHECK-NEXT: %[[M:[0-9]+]] = arith.constant {value = dense<-8192> : tensor<16x16xi32>}
      // CHECK-NEXT: %[[AM:[0-9]+]] = arith.andi %[[AB]], %[[M]]
      // CHECK-NEXT: %[[AHI:[0-9]+]] = tt.bitcast %[[AM]] : tensor<16x16xf32>
      // CHECK-NEXT: %[[ALO:[0-9]+]] = arith.subf %a, %[[AHI]]
      // CHECK: %[[BHI:[0-9]+]] = tt.bitcast %{{[0-9]+}} : tensor<16x16xf32>
      // CHECK-NEXT: %[[BLO:[0-9]+]] = arith.subf %b, %[[BHI]]
      // CHECK-NEXT: %[[D1:[0-9]+]] = tt.dot %[[ALO]], %[[BHI]], %c {inputPrecision = "tf32"}
      // CHECK-NEXT: %[[D2:[0-9]+]] = tt.dot %[[AHI]], %[[BLO]], %[[D1]] {inputPrecision = "tf32"}
      // CHECK-NEXT: %[[D3:[0-9]+]] = tt.dot %[[AHI]], %[[BHI]], %[[D2]] {inputPrecision = "tf32"}
      // CHECK-NEXT: %e = tt.dot %a, %b, %[[D3]] {inputPrecision = "ieee"}
      // CHECK-NOT: tf32x3
    `;
    fileCheck(optimizeIr(ir, 'decompose-tf32x3'), ir);
  });
});

const product = kernel(function product(a: Ptr, b: Ptr, c: Ptr, PRECISION: constexpr<'ieee' | 'tf32' | 'tf32x3'>, M: constexpr, N: constexpr, K: constexpr) {
  const rows = tl.arange(0, M);
  const cols = tl.arange(0, N);
  const ks = tl.arange(0, K);
  const x = tl.load(a + tl.expandDims(rows, 1) * K + tl.expandDims(ks, 0));
  const y = tl.load(b + tl.expandDims(ks, 1) * N + tl.expandDims(cols, 0));
  tl.store(c + tl.expandDims(rows, 1) * N + tl.expandDims(cols, 0), tl.dot(x, y, undefined, { inputPrecision: PRECISION }));
});

describe('tf32x3 accuracy on the interpreter', () => {
  test('within a few f32 ulps of the exact product, where tf32 alone is about 2^-11 off', () => {
    const [M, N, K] = [32, 32, 64];
    const rng = new Random(3);
    const av = Array.from({ length: M * K }, () => rng.normal());
    const bv = Array.from({ length: K * N }, () => rng.normal());
    const worst = (precision: 'tf32' | 'tf32x3'): number => {
      const c = empty([M, N], 'f32');
      product([1], tensor(av, { dtype: 'f32' }), tensor(bv, { dtype: 'f32' }), c, precision, M, N, K);
      const got = c.toNumbers();
      let err = 0;
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < N; j++) {
          // Relative to the sum of the products' magnitudes (what summation order and input rounding scale with).
          let exact = 0;
          let scale = 0;
          for (let k = 0; k < K; k++) {
            const p = Math.fround(av[i * K + k]!) * Math.fround(bv[k * N + j]!);
            exact += p;
            scale += Math.abs(p);
          }
          err = Math.max(err, Math.abs(got[i * N + j]! - exact) / scale);
        }
      }
      return err;
    };
    expect(worst('tf32x3')).toBeLessThan(2 ** -20);
    expect(worst('tf32')).toBeGreaterThan(2 ** -14);
  });
});
