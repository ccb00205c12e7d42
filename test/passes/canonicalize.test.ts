// canonicalize on IR text, checked FileCheck-style: each case is a function with its CHECK lines as comments
// (the IR parser skips them), run through `canonicalize,dce` as `kt opt` runs it (DCE drops the constants the
// rewrites leave unused; every pass is verified after it runs).
import { describe, test } from 'vitest';
import { optimizeIr } from '../../src/cli/opt.ts';
import { fileCheck } from '../support/filecheck.ts';

/** Runs the pipeline over the IR of `testCase` and checks the result against the CHECK lines in it. */
function check(pipeline: string, testCase: string): void {
  fileCheck(optimizeIr(testCase, pipeline), testCase);
}

const simplify = (testCase: string): void => check('canonicalize,dce', testCase);

describe('canonicalize', () => {
  test('folds integer arithmetic with wrap-around', () => {
    simplify(`
      tt.func public @f(%p: !tt.ptr<i32>) {
        %a = arith.constant {value = 2147483647 : i32} : i32
        %b = arith.constant {value = 1 : i32} : i32
        %s = arith.addi %a, %b : i32
        tt.store %p, %s
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>) {
      // CHECK-NEXT:    %[[C:.*]] = arith.constant {value = -2147483648 : i32} : i32
      // CHECK-NEXT:    tt.store %p, %[[C]]
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('folds float arithmetic in the type of the op (f16 rounds to nearest even)', () => {
    // 1 + 2^-11 is halfway between f16 neighbours 1 and 1 + 2^-10: ties to even gives 1.
    simplify(`
      tt.func public @f(%p: !tt.ptr<f16>) {
        %a = arith.constant {value = 1.0 : f16} : f16
        %b = arith.constant {value = 0.0004882812 : f16} : f16
        %s = arith.addf %a, %b : f16
        tt.store %p, %s
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(
      // CHECK-NOT:     arith.addf
      // CHECK:         %[[ONE:.*]] = arith.constant {value = 1.0 : f16} : f16
      // CHECK-NEXT:    tt.store %p, %[[ONE]]
    `);
  });

  test('folds comparisons and selects, and splats of constants', () => {
    simplify(`
      tt.func public @f(%p: tensor<4x!tt.ptr<f32>>) {
        %a = arith.constant {value = 3 : i32} : i32
        %b = arith.constant {value = 5 : i32} : i32
        %c = arith.cmpi %a, %b {predicate = "slt"} : i1
        %x = arith.constant {value = 1.5 : f32} : f32
        %y = arith.constant {value = 2.5 : f32} : f32
        %v = arith.select %c, %x, %y : f32
        %t = tt.splat %v : tensor<4xf32>
        tt.store %p, %t
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: tensor<4x!tt.ptr<f32>>) {
      // CHECK-NEXT:    %[[T:.*]] = arith.constant {value = dense<1.5> : tensor<4xf32>} : tensor<4xf32>
      // CHECK-NEXT:    tt.store %p, %[[T]]
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('applies identities: x + 0, x * 1, addptr p, 0', () => {
    simplify(`
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
        %z = arith.constant {value = 0 : i32} : i32
        %one = arith.constant {value = 1 : i32} : i32
        %a = arith.addi %x, %z : i32
        %b = arith.muli %one, %a : i32
        %q = tt.addptr %p, %z : !tt.ptr<i32>
        tt.store %q, %b
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
      // CHECK-NEXT:    tt.store %p, %x
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('does not treat x + 0.0 as x (it is not, for x = -0.0)', () => {
    simplify(`
      tt.func public @f(%p: !tt.ptr<f32>, %x: f32) {
        %z = arith.constant {value = 0.0 : f32} : f32
        %a = arith.addf %x, %z : f32
        tt.store %p, %a
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(
      // CHECK:         %[[Z:.*]] = arith.constant {value = 0.0 : f32} : f32
      // CHECK-NEXT:    %[[A:.*]] = arith.addf %x, %[[Z]] : f32
      // CHECK-NEXT:    tt.store %p, %[[A]]
    `);
  });

  test('inlines the taken branch of an scf.if with a constant condition', () => {
    simplify(`
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
        %t = arith.constant {value = 1 : i1} : i1
        %r = scf.if %t : i32 {
          %d = arith.muli %x, %x : i32
          scf.yield %d
        } {
          scf.yield %x
        }
        tt.store %p, %r
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
      // CHECK-NEXT:    %[[D:.*]] = arith.muli %x, %x : i32
      // CHECK-NEXT:    tt.store %p, %[[D]]
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('removes a loop that runs zero times', () => {
    simplify(`
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
        %lb = arith.constant {value = 8 : i32} : i32
        %ub = arith.constant {value = 4 : i32} : i32
        %r = scf.for %lb, %ub, %lb, %x : i32 {
        ^bb0(%i: i32, %c: i32):
          %n = arith.addi %c, %i : i32
          scf.yield %n
        }
        tt.store %p, %r
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
      // CHECK-NEXT:    tt.store %p, %x
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('folds broadcasts of splats into splats', () => {
    simplify(`
      tt.func public @f(%p: tensor<4x8x!tt.ptr<i32>>, %x: i32) {
        %s = tt.splat %x : tensor<4x1xi32>
        %b = tt.broadcast %s : tensor<4x8xi32>
        tt.store %p, %b
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: tensor<4x8x!tt.ptr<i32>>, %x: i32) {
      // CHECK-NEXT:    %[[S:.*]] = tt.splat %x : tensor<4x8xi32>
      // CHECK-NEXT:    tt.store %p, %[[S]]
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });
});
