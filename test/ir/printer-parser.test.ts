import { describe, expect, test } from 'vitest';
import { parseModule, parseType, IrParseError } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';
import { f32, i32, pointerType, tensorType, functionType } from '../../src/compiler/ir/types.ts';
import { add } from '../../kernels/add.ts';
import { matmul } from '../../kernels/matmul.ts';
import { softmax } from '../../kernels/softmax.ts';
import { cumsum } from '../../kernels/cumsum.ts';
import { dropout } from '../../kernels/dropout.ts';
import { empty, zeros } from 'kt';

describe('types', () => {
  test('are interned and print as MLIR does', () => {
    expect(tensorType([128, 64], f32)).toBe(tensorType([128, 64], f32));
    expect(tensorType([128, 64], f32).text).toBe('tensor<128x64xf32>');
    expect(tensorType([16], pointerType(f32)).text).toBe('tensor<16x!tt.ptr<f32>>');
    expect(functionType([i32, f32], [f32]).text).toBe('(i32, f32) -> f32');
  });

  test('parse back to the same objects', () => {
    for (const t of ['i1', 'i64', 'bf16', 'f16', 'tensor<4x!tt.ptr<bf16>>', 'tensor<2x8xi8>', '!tt.ptr<f32>', '(i32, tensor<4xf32>) -> ()']) {
      expect(parseType(t).text).toBe(t === '(i32, tensor<4xf32>) -> ()' ? '(i32, tensor<4xf32>) -> ()' : t);
    }
    expect(parseType('tensor<8x!tt.ptr<f32>>')).toBe(tensorType([8], pointerType(f32)));
  });
});

const sample = `module {
  tt.func public @k(%x: !tt.ptr<f32>, %n: i32) {
    %pid = tt.get_program_id {axis = 0} : i32
    %c = arith.constant {value = 128 : i32} : i32
    %0 = arith.muli %pid, %c : i32
    %r = tt.make_range {start = 0, end = 128} : tensor<128xi32>
    %1 = tt.splat %0 : tensor<128xi32>
    %offs = arith.addi %1, %r : tensor<128xi32>
    %2 = tt.splat %n : tensor<128xi32>
    %mask = arith.cmpi %offs, %2 {predicate = "slt"} : tensor<128xi1>
    %3 = tt.splat %x : tensor<128x!tt.ptr<f32>>
    %p = tt.addptr %3, %offs : tensor<128x!tt.ptr<f32>>
    %other = arith.constant {value = dense<-inf> : tensor<128xf32>} : tensor<128xf32>
    %v = tt.load %p, %mask, %other {cache = ".cg"} : tensor<128xf32>
    %s = tt.reduce %v {axis = 0} : f32 {
    ^bb0(%a: f32, %b: f32):
      %m = arith.maxnumf %a, %b : f32
      tt.reduce.return %m
    }
    %zero = arith.constant {value = 0.0 : f32} : f32
    %lb = arith.constant {value = 0 : i32} : i32
    %step = arith.constant {value = 1 : i32} : i32
    %acc = scf.for %lb, %n, %step, %zero : f32 {
    ^bb0(%i: i32, %carried: f32):
      %next = arith.addf %carried, %s : f32
      scf.yield %next
    }
    %cond = arith.cmpf %acc, %zero {predicate = "ogt"} : i1
    %w = scf.if %cond : f32 {
      scf.yield %acc
    } {
      scf.yield %zero
    }
    %4 = tt.splat %w : tensor<128xf32>
    tt.store %p, %4, %mask
    tt.return
  } loc("k.ts":1:1)
}
`;

describe('printer and parser', () => {
  test('round-trip a module with regions, attributes and constants', () => {
    const m = parseModule(sample);
    verify(m);
    expect(printOp(m)).toBe(sample.replace(' loc("k.ts":1:1)', ''));
    expect(printOp(parseModule(printOp(m)))).toBe(printOp(m));
  });

  test('keep source locations, including inlined call sites', () => {
    const text = `tt.func public @f(%a: i32) {
  %0 = arith.addi %a, %a : i32 loc(callsite("h.ts":3:5 at "k.ts":10:2))
  tt.return loc("k.ts":11:1)
} loc("k.ts":9:1)
`;
    const m = parseModule(text);
    const add = m.regions[0]!.entry.ops[0]!.regions[0]!.entry.ops[0]!;
    expect(add.loc).toEqual({ file: 'h.ts', line: 3, col: 5, callsite: { file: 'k.ts', line: 10, col: 2 } });
    expect(printOp(m, { locations: true })).toBe(`module {\n${text.replace(/^/gm, '  ').trimEnd()}\n}\n`);
  });

  test.each([
    ['add', () => add.definition.bind([empty([8]), empty([8]), empty([8]), 8, { BLOCK: 8 }])],
    ['softmax', () => softmax.definition.bind([empty([4, 8]), empty([4, 8]), 8, 8, 8, { BLOCK: 8 }])],
    ['matmul', () => matmul.definition.bind([zeros([16, 16], 'f16'), zeros([16, 16], 'f16'), zeros([16, 16], 'f16'), 16, 16, 16, 16, 1, 16, 1, 16, 1, { BLOCK_M: 16, BLOCK_N: 16, BLOCK_K: 16, GROUP_M: 2 }])],
    ['cumsum', () => cumsum.definition.bind([zeros([2, 8], 'i32'), zeros([2, 8], 'i32'), 8, 8, { BLOCK: 8 }])],
    ['dropout', () => dropout.definition.bind([empty([8]), empty([8]), 8, 0.5, 7, { BLOCK: 8 }])],
  ])('round-trip the library kernel %s with locations', (name, bind) => {
    const def = { add, softmax, matmul, cumsum, dropout }[name]!.definition;
    const spec = def.specialize(bind().bindings);
    for (const options of [{}, { locations: true }]) {
      const text = printOp(spec.ir.module, options);
      const again = parseModule(text);
      verify(again);
      expect(printOp(again, options)).toBe(text);
    }
  });

  test('report errors with the line, column and text', () => {
    expect(() => parseModule('tt.func public @f() {\n  %0 = arith.addi %x, %x : i32\n  tt.return\n}')).toThrow(/IR text 2:19: use of undefined value %x/);
    expect(() => parseModule('tt.func public @f() {\n  %0 = arith.constant {value = 1 : i32} : tensor<3xfoo>\n}')).toThrow(IrParseError);
    expect(() => parseType('tensor<4xi32')).toThrow(/expected '>'/);
  });
});
