// cse and dce on IR text, checked FileCheck-style: each case is a function with its CHECK lines as comments
// (the IR parser skips them), run through one pass as `kt opt --passes <pass>` runs it (verified after it).
import { describe, test } from 'vitest';
import { optimizeIr } from '../../src/cli/opt.ts';
import { fileCheck } from '../support/filecheck.ts';

/** Runs the pipeline over the IR of `testCase` and checks the result against the CHECK lines in it. */
function check(pipeline: string, testCase: string): void {
  fileCheck(optimizeIr(testCase, pipeline), testCase);
}

describe('cse', () => {
  test('merges identical pure ops and keeps loads and stores apart', () => {
    check('cse', `
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
        %a = arith.muli %x, %x : i32
        %b = arith.muli %x, %x : i32
        %s = arith.addi %a, %b : i32
        %l1 = tt.load %p : i32
        %l2 = tt.load %p : i32
        %t = arith.addi %l1, %l2 : i32
        tt.store %p, %s
        tt.store %p, %t
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
      // CHECK-NEXT:    %[[A:.*]] = arith.muli %x, %x : i32
      // CHECK-NEXT:    %[[S:.*]] = arith.addi %[[A]], %[[A]] : i32
      // CHECK-NEXT:    %[[L1:.*]] = tt.load %p : i32
      // CHECK-NEXT:    %[[L2:.*]] = tt.load %p : i32
      // CHECK-NEXT:    %[[T:.*]] = arith.addi %[[L1]], %[[L2]] : i32
      // CHECK-NEXT:    tt.store %p, %[[S]]
      // CHECK-NEXT:    tt.store %p, %[[T]]
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  test('reuses values from enclosing blocks inside regions, not across sibling regions', () => {
    check('cse', `
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32, %c: i1) {
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
      }
      // CHECK-LABEL: tt.func public @f(
      // CHECK:         %[[A:.*]] = arith.muli %x, %x : i32
      // CHECK-NEXT:    %[[R:.*]] = scf.if %c : i32 {
      // The then-region's muli is the enclosing one ...
      // CHECK-NOT:     arith.muli
      // CHECK:         %[[D:.*]] = arith.addi %x, %x : i32
      // CHECK-NEXT:    %[[E:.*]] = arith.addi %[[A]], %[[D]] : i32
      // CHECK-NEXT:    scf.yield %[[E]]
      // CHECK-NEXT:  } {
      // ... but the else-region does not see the then-region's addi.
      // CHECK-NEXT:    %[[D2:.*]] = arith.addi %x, %x : i32
      // CHECK-NEXT:    scf.yield %[[D2]]
      // CHECK-NEXT:  }
      // CHECK-NEXT:  tt.store %p, %[[R]]
    `);
  });

  test('does not merge ops whose attributes differ', () => {
    check('cse', `
      tt.func public @f(%p: !tt.ptr<i1>, %x: i32) {
        %a = arith.cmpi %x, %x {predicate = "slt"} : i1
        %b = arith.cmpi %x, %x {predicate = "sle"} : i1
        %c = arith.xori %a, %b : i1
        tt.store %p, %c
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(
      // CHECK-NEXT:    %[[A:.*]] = arith.cmpi %x, %x {predicate = "slt"} : i1
      // CHECK-NEXT:    %[[B:.*]] = arith.cmpi %x, %x {predicate = "sle"} : i1
      // CHECK-NEXT:    arith.xori %[[A]], %[[B]] : i1
    `);
  });
});

describe('dce', () => {
  test('removes unused pure ops and loads, keeps stores, atomics and volatile loads', () => {
    check('dce', `
      tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
        %a = arith.muli %x, %x : i32
        %l = tt.load %p : i32
        %v = tt.load %p {isVolatile = true} : i32
        %old = tt.atomic_rmw %p, %x {atomic_rmw_op = "add", sem = "relaxed", scope = "gpu"} : i32
        tt.store %p, %x
        tt.return
      }
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
      // CHECK-NEXT:    %{{.*}} = tt.load %p {isVolatile = true} : i32
      // CHECK-NEXT:    %{{.*}} = tt.atomic_rmw %p, %x {atomic_rmw_op = "add", sem = "relaxed", scope = "gpu"} : i32
      // CHECK-NEXT:    tt.store %p, %x
      // CHECK-NEXT:    tt.return
      // CHECK-NEXT:  }
    `);
  });

  /** A loop whose only effect is `body`'s; its result is unused. */
  const loop = (body: string, checks: string): string => `
    tt.func public @f(%p: !tt.ptr<i32>, %n: i32) {
      %z = arith.constant {value = 0 : i32} : i32
      %one = arith.constant {value = 1 : i32} : i32
      %r = scf.for %z, %n, %one, %z : i32 {
      ^bb0(%i: i32, %c: i32):
        %s = arith.addi %c, %i : i32
        ${body}
        scf.yield %s
      }
      tt.return
    }
    ${checks}`;

  test('removes a loop without effects whose results are unused', () => {
    check('dce', loop('', `
      // CHECK-LABEL: tt.func public @f(%p: !tt.ptr<i32>, %n: i32) {
      // CHECK-NEXT:    tt.return
    `));
  });

  test('keeps a loop that stores', () => {
    check('dce', loop('tt.store %p, %s', `
      // CHECK-LABEL: tt.func public @f(
      // CHECK:         scf.for
      // CHECK:           %[[S:.*]] = arith.addi
      // CHECK-NEXT:      tt.store %p, %[[S]]
      // CHECK-NEXT:      scf.yield %[[S]]
    `));
  });

  test('removes private functions that nothing calls', () => {
    check('dce', `
      tt.func private @helper(%a: i32) -> (i32) {
        tt.return %a
      }
      tt.func public @f(%p: !tt.ptr<i32>) {
        tt.return
      }
      // CHECK-NOT:   @helper
      // CHECK-LABEL: tt.func public @f(
      // CHECK-NOT:   @helper
    `);
  });
});
