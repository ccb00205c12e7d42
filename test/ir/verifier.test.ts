import { describe, expect, test } from 'vitest';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { verify, IrVerifyError } from '../../src/compiler/ir/verifier.ts';
import { allOpDefs } from '../../src/compiler/ir/ops.ts';

const fn = (body: string, args = '%a: i32, %b: i32, %x: f32, %t: tensor<4xf32>, %p: !tt.ptr<f32>') => `tt.func public @f(${args}) {\n${body}\n  tt.return\n}`;

describe('verifier', () => {
  test('accepts well-formed IR', () => {
    expect(() => verify(parseModule(fn('  %0 = arith.addi %a, %b : i32\n  %1 = arith.addf %x, %x : f32')))).not.toThrow();
  });

  test.each([
    ['an unknown op', '  %0 = arith.frobnicate %a, %b : i32', /unknown op/],
    ['operand types that differ', '  %0 = arith.addi %a, %x : i32', /one type/],
    ['a float op on integers', '  %0 = arith.addf %a, %b : i32', /floating-point operands/],
    ['a wrong result type', '  %0 = arith.cmpi %a, %b {predicate = "slt"} : i32', /result must be i1/],
    ['a bad predicate', '  %0 = arith.cmpi %a, %b {predicate = "lt"} : i1', /attribute 'predicate' has the wrong kind/],
    ['a missing attribute', '  %0 = tt.get_program_id : i32', /missing attribute 'axis'/],
    ['an unknown attribute', '  %0 = arith.addi %a, %b {speed = 1} : i32', /unknown attribute 'speed'/],
    ['a non-power-of-two range', '  %0 = tt.make_range {start = 0, end = 12} : tensor<12xi32>', /power of two/],
    ['a bad broadcast', '  %0 = tt.broadcast %t : tensor<8xf32>', /cannot broadcast/],
    ['a load of the wrong type', '  %0 = tt.load %p : i32', /result must be f32/],
    ['a dot with mismatched inner dimensions', '  %z = arith.constant {value = dense<0.0> : tensor<4x4xf32>} : tensor<4x4xf32>\n  %y = arith.constant {value = dense<0.0> : tensor<8x4xf32>} : tensor<8x4xf32>\n  %0 = tt.dot %z, %y, %z {inputPrecision = "ieee"} : tensor<4x4xf32>', /inner dimensions differ/],
    ['a narrowing extsi', '  %0 = arith.extsi %a : i32', /wider integer/],
  ])('rejects %s', (_, body, message) => {
    expect(() => verify(parseModule(fn(body)))).toThrow(message);
  });

  test('rejects a region without a terminator', () => {
    const text = fn('  %c = arith.cmpi %a, %b {predicate = "slt"} : i1\n  scf.if %c : () {\n    %0 = arith.addi %a, %b : i32\n  } {\n    scf.yield\n  }');
    expect(() => verify(parseModule(text))).toThrow(/must end with a terminator/);
  });

  test('rejects a yield of the wrong types', () => {
    const text = fn('  %c = arith.cmpi %a, %b {predicate = "slt"} : i1\n  %r = scf.if %c : i32 {\n    scf.yield %x\n  } {\n    scf.yield %a\n  }');
    expect(() => verify(parseModule(text))).toThrow(/yields \(f32\) where scf.if expects \(i32\)/);
  });

  test('rejects a value used outside the region that defines it', () => {
    const text = fn('  %lb = arith.constant {value = 0 : i32} : i32\n  scf.for %lb, %a, %b : () {\n  ^bb0(%i: i32):\n    %inner = arith.addi %i, %i : i32\n    scf.yield\n  }\n  %0 = arith.addi %inner, %a : i32');
    expect(() => parseModule(text)).not.toThrow();
    expect(() => verify(parseModule(text))).toThrow(IrVerifyError);
  });

  test('errors name the op and its location', () => {
    const text = 'tt.func public @f(%a: i32, %x: f32) {\n  %0 = arith.addi %a, %x : i32 loc("k.ts":7:3)\n  tt.return\n}';
    expect(() => verify(parseModule(text))).toThrow(/k\.ts:7:3: arith\.addi/);
  });

  test('every registered op has a summary', () => {
    for (const d of allOpDefs()) expect(d.summary.length, d.name).toBeGreaterThan(5);
  });
});
