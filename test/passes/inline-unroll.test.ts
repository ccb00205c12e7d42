import { describe, expect, test } from 'vitest';
import { inlinePass } from '../../src/compiler/passes/inline.ts';
import { unrollPass } from '../../src/compiler/passes/unroll.ts';
import { canonicalizePass } from '../../src/compiler/passes/canonicalize.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';
import { InterpretedKernel } from '../../src/interp/interpreter.ts';
import { tensor } from 'kt';
import { mod, runPass } from './helpers.ts';

describe('inline', () => {
  test('replaces calls by the callee body and drops the helper', () => {
    const out = runPass(inlinePass, `tt.func private @sq(%a: i32) -> (i32) {
  %m = arith.muli %a, %a : i32 loc("h.ts":2:3)
  tt.return %m
}
tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %r = tt.call %x {callee = @sq} : i32 loc("k.ts":5:7)
  tt.store %p, %r
  tt.return
}`);
    expect(out).toBe(mod(`tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {\n  %m = arith.muli %x, %x : i32\n  tt.store %p, %m\n  tt.return\n}`));
  });

  test('inlines nested calls and records the call site in locations', () => {
    const m = parseModule(`tt.func private @inner(%a: i32) -> (i32) {
  %m = arith.addi %a, %a : i32 loc("h.ts":1:1)
  tt.return %m
}
tt.func private @outer(%a: i32) -> (i32) {
  %r = tt.call %a {callee = @inner} : i32 loc("h.ts":5:5)
  tt.return %r
}
tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %r = tt.call %x {callee = @outer} : i32 loc("k.ts":9:9)
  tt.store %p, %r
  tt.return
}`);
    inlinePass.run(m);
    verify(m);
    const text = printOp(m, { locations: true });
    expect(text).not.toContain('tt.call');
    expect(text).toContain('arith.addi %x, %x : i32 loc(callsite("h.ts":1:1 at callsite("h.ts":5:5 at "k.ts":9:9)))');
  });
});

describe('unroll', () => {
  const staticLoop = `tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %lb = arith.constant {value = 0 : i32} : i32
  %ub = arith.constant {value = 3 : i32} : i32
  %st = arith.constant {value = 1 : i32} : i32
  %r = scf.for %lb, %ub, %st, %x {tt.static_range = true} : i32 {
  ^bb0(%i: i32, %c: i32):
    %n = arith.addi %c, %i : i32
    scf.yield %n
  }
  tt.store %p, %r
  tt.return
}`;

  test('unrolls tl.staticRange loops completely', () => {
    const m = parseModule(staticLoop);
    unrollPass.run(m);
    canonicalizePass.run(m);
    verify(m);
    const text = printOp(m);
    expect(text).not.toContain('scf.for');
    // x + 0 folds away: x + 1 + 2 remains.
    expect(text.match(/arith\.addi/g)?.length).toBe(2);
  });

  test('rejects a static loop with run-time bounds', () => {
    expect(() => runPass(unrollPass, staticLoop.replace('%ub = arith.constant {value = 3 : i32} : i32', '%ub = arith.addi %x, %x : i32'))).toThrow(/tl\.staticRange needs bounds known at compile time/);
  });

  test('unrolls by a factor with a remainder loop, computing the same result for every trip count', () => {
    const text = `tt.func public @f(%p: !tt.ptr<i32>, %lb: i32, %ub: i32, %st: i32) {
  %z = arith.constant {value = 0 : i32} : i32
  %r = scf.for %lb, %ub, %st, %z {tt.loop_unroll_factor = 4} : i32 {
  ^bb0(%i: i32, %c: i32):
    %sq = arith.muli %i, %i : i32
    %n = arith.addi %c, %sq : i32
    scf.yield %n
  }
  tt.store %p, %r
  tt.return
}`;
    const m = parseModule(text);
    unrollPass.run(m);
    verify(m);
    const printed = printOp(m);
    expect(printed.match(/scf\.for/g)?.length).toBe(2);
    expect(printed).not.toContain('tt.loop_unroll_factor');
    const k = new InterpretedKernel('f', m.regions[0]!.entry.ops[0]!);
    for (const [lb, ub, st] of [[0, 10, 1], [3, 4, 1], [0, 0, 1], [5, 2, 1], [1, 20, 3], [-7, 9, 2]]) {
      const out = tensor([0], { dtype: 'i32' });
      k.run([1, 1, 1], [out, lb!, ub!, st!]);
      let want = 0;
      for (let i = lb!; i < ub!; i += st!) want += i * i;
      expect(out.toArray()[0], `${lb}..${ub} step ${st}`).toBe(want);
    }
  });
});
