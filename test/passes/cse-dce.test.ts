import { describe, expect, test } from 'vitest';
import { csePass } from '../../src/compiler/passes/cse.ts';
import { dcePass } from '../../src/compiler/passes/dce.ts';
import { mod, runPass } from './helpers.ts';

describe('cse', () => {
  test('merges identical pure ops and keeps loads and stores apart', () => {
    const out = runPass(csePass, `tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %a = arith.muli %x, %x : i32
  %b = arith.muli %x, %x : i32
  %s = arith.addi %a, %b : i32
  %l1 = tt.load %p : i32
  %l2 = tt.load %p : i32
  %t = arith.addi %l1, %l2 : i32
  tt.store %p, %s
  tt.store %p, %t
  tt.return
}`);
    expect(out).toBe(
      mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %a = arith.muli %x, %x : i32
  %s = arith.addi %a, %a : i32
  %l1 = tt.load %p : i32
  %l2 = tt.load %p : i32
  %t = arith.addi %l1, %l2 : i32
  tt.store %p, %s
  tt.store %p, %t
  tt.return
}`),
    );
  });

  test('reuses values from enclosing blocks inside regions, not across sibling regions', () => {
    const out = runPass(csePass, `tt.func public @f(%p: !tt.ptr<i32>, %x: i32, %c: i1) {
  %a = arith.muli %x, %x : i32
  %r = scf.if %c : i32 {
    %b = arith.muli %x, %x : i32
    %d = arith.addi %x, %x : i32
    %e = arith.addi %b, %d : i32
    scf.yield %e
  } {
    %d2 = arith.addi %x, %x : i32
    scf.yield %d2
  }
  tt.store %p, %r
  tt.return
}`);
    expect(out).toContain('%e = arith.addi %a, %d : i32');
    expect(out).toContain('%d2 = arith.addi %x, %x : i32');
  });

  test('does not merge ops whose attributes differ', () => {
    const out = runPass(csePass, `tt.func public @f(%p: !tt.ptr<i1>, %x: i32) {
  %a = arith.cmpi %x, %x {predicate = "slt"} : i1
  %b = arith.cmpi %x, %x {predicate = "sle"} : i1
  %c = arith.xori %a, %b : i1
  tt.store %p, %c
  tt.return
}`);
    expect(out).toContain('%b = arith.cmpi %x, %x {predicate = "sle"}');
  });
});

describe('dce', () => {
  test('removes unused pure ops and loads, keeps stores, atomics and volatile loads', () => {
    const out = runPass(dcePass, `tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %a = arith.muli %x, %x : i32
  %l = tt.load %p : i32
  %v = tt.load %p {isVolatile = true} : i32
  %old = tt.atomic_rmw %p, %x {atomic_rmw_op = "add", sem = "relaxed", scope = "gpu"} : i32
  tt.store %p, %x
  tt.return
}`);
    expect(out).toBe(
      mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %v = tt.load %p {isVolatile = true} : i32
  %old = tt.atomic_rmw %p, %x {atomic_rmw_op = "add", sem = "relaxed", scope = "gpu"} : i32
  tt.store %p, %x
  tt.return
}`),
    );
  });

  test('removes a loop without effects whose results are unused, keeps one that stores', () => {
    const loop = (body: string) => `tt.func public @f(%p: !tt.ptr<i32>, %n: i32) {
  %z = arith.constant {value = 0 : i32} : i32
  %one = arith.constant {value = 1 : i32} : i32
  %r = scf.for %z, %n, %one, %z : i32 {
  ^bb0(%i: i32, %c: i32):
    %s = arith.addi %c, %i : i32
${body}    scf.yield %s
  }
  tt.return
}`;
    expect(runPass(dcePass, loop(''))).not.toContain('scf.for');
    expect(runPass(dcePass, loop('    tt.store %p, %s\n'))).toContain('scf.for');
  });

  test('removes private functions that nothing calls', () => {
    const out = runPass(dcePass, `tt.func private @helper(%a: i32) -> (i32) {
  tt.return %a
}
tt.func public @f(%p: !tt.ptr<i32>) {
  tt.return
}`);
    expect(out).not.toContain('@helper');
  });
});
