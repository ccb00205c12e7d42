import { describe, expect, test } from 'vitest';
import { canonicalizePass } from '../../src/compiler/passes/canonicalize.ts';
import { dcePass } from '../../src/compiler/passes/dce.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { mod } from './helpers.ts';

/** Canonicalize, then DCE to drop the constants the rewrites left unused. */
function simplify(text: string): string {
  const m = parseModule(text);
  canonicalizePass.run(m);
  dcePass.run(m);
  return printOp(m);
}

describe('canonicalize', () => {
  test('folds integer arithmetic with wrap-around', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<i32>) {
  %a = arith.constant {value = 2147483647 : i32} : i32
  %b = arith.constant {value = 1 : i32} : i32
  %s = arith.addi %a, %b : i32
  tt.store %p, %s
  tt.return
}`);
    expect(out).toBe(
      mod(`tt.func public @f(%p: !tt.ptr<i32>) {
  %0 = arith.constant {value = -2147483648 : i32} : i32
  tt.store %p, %0
  tt.return
}`),
    );
  });

  test('folds float arithmetic in the type of the op (f16 rounds to nearest even)', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<f16>) {
  %a = arith.constant {value = 1.0 : f16} : f16
  %b = arith.constant {value = 0.0004882812 : f16} : f16
  %s = arith.addf %a, %b : f16
  tt.store %p, %s
  tt.return
}`);
    // 1 + 2^-11 is halfway between f16 neighbours 1 and 1 + 2^-10: ties to even gives 1.
    expect(out).toContain('%0 = arith.constant {value = 1.0 : f16} : f16');
  });

  test('folds comparisons and selects, and splats of constants', () => {
    const out = simplify(`tt.func public @f(%p: tensor<4x!tt.ptr<f32>>) {
  %a = arith.constant {value = 3 : i32} : i32
  %b = arith.constant {value = 5 : i32} : i32
  %c = arith.cmpi %a, %b {predicate = "slt"} : i1
  %x = arith.constant {value = 1.5 : f32} : f32
  %y = arith.constant {value = 2.5 : f32} : f32
  %v = arith.select %c, %x, %y : f32
  %t = tt.splat %v : tensor<4xf32>
  tt.store %p, %t
  tt.return
}`);
    expect(out).toBe(
      mod(`tt.func public @f(%p: tensor<4x!tt.ptr<f32>>) {
  %0 = arith.constant {value = dense<1.5> : tensor<4xf32>} : tensor<4xf32>
  tt.store %p, %0
  tt.return
}`),
    );
  });

  test('applies identities: x + 0, x * 1, addptr p, 0', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %z = arith.constant {value = 0 : i32} : i32
  %one = arith.constant {value = 1 : i32} : i32
  %a = arith.addi %x, %z : i32
  %b = arith.muli %one, %a : i32
  %q = tt.addptr %p, %z : !tt.ptr<i32>
  tt.store %q, %b
  tt.return
}`);
    expect(out).toBe(mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {\n  tt.store %p, %x\n  tt.return\n}`));
  });

  test('does not treat x + 0.0 as x (it is not, for x = -0.0)', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<f32>, %x: f32) {
  %z = arith.constant {value = 0.0 : f32} : f32
  %a = arith.addf %x, %z : f32
  tt.store %p, %a
  tt.return
}`);
    expect(out).toContain('arith.addf %x');
  });

  test('inlines the taken branch of an scf.if with a constant condition', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %t = arith.constant {value = 1 : i1} : i1
  %r = scf.if %t : i32 {
    %d = arith.muli %x, %x : i32
    scf.yield %d
  } {
    scf.yield %x
  }
  tt.store %p, %r
  tt.return
}`);
    expect(out).toBe(mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {\n  %d = arith.muli %x, %x : i32\n  tt.store %p, %d\n  tt.return\n}`));
  });

  test('removes a loop that runs zero times', () => {
    const out = simplify(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %lb = arith.constant {value = 8 : i32} : i32
  %ub = arith.constant {value = 4 : i32} : i32
  %r = scf.for %lb, %ub, %lb, %x : i32 {
  ^bb0(%i: i32, %c: i32):
    %n = arith.addi %c, %i : i32
    scf.yield %n
  }
  tt.store %p, %r
  tt.return
}`);
    expect(out).toBe(mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {\n  tt.store %p, %x\n  tt.return\n}`));
  });

  test('folds broadcasts of splats into splats', () => {
    const out = simplify(`tt.func public @f(%p: tensor<4x8x!tt.ptr<i32>>, %x: i32) {
  %s = tt.splat %x : tensor<4x1xi32>
  %b = tt.broadcast %s : tensor<4x8xi32>
  tt.store %p, %b
  tt.return
}`);
    expect(out).toBe(mod(`tt.func public @f(%p: tensor<4x8x!tt.ptr<i32>>, %x: i32) {\n  %0 = tt.splat %x : tensor<4x8xi32>\n  tt.store %p, %0\n  tt.return\n}`));
  });
});
