// tt.elementwise_inline_asm and gpu.inline_asm in the IR text: they print and parse back unchanged (the asm, with its
// newlines, quotes and $ operands, is a JSON string), and the verifier checks the constraints against the registers
// the types and `pack` call for (src/compiler/ir/inline-asm.ts).
import { describe, expect, test } from 'vitest';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';

const module = (body: string, args: string) => `module {\n  tt.func public @k(${args}) {\n${body}\n    tt.return\n  }\n}\n`;

const ttText = module(
  [
    '    %c, %d = tt.elementwise_inline_asm %a, %b {asm_string = "{\\n  .reg .b8 t<4>;\\n  mov.b32 {t0, t1, t2, t3}, $8;\\n}\\nsub.u32 $0, $2, $3; // \\"quoted\\" $$", constraints = "=r,=r,=r,=r,=r,=r,=r,=r,r,r,r,r,r", pure = true, packed_element = 4} : tensor<128xi32>, tensor<128xf32>',
    '    %s = tt.elementwise_inline_asm %x {asm_string = "mov.b32 $0, $1;", constraints = "=r,r", pure = false, packed_element = 1} : i32',
  ].join('\n'),
  '%a: tensor<128xi8>, %b: tensor<128xf32>, %x: i32',
);

const gpuText = module('    %r, %q = gpu.inline_asm %x, %y {asm_string = "add.f32 $0, $2, $3;\\nmov.b32 $1, $2;", constraints = "=f,=r,f,f", pure = true} : f32, i32', '%x: f32, %y: f32');

describe('inline asm in the IR text', () => {
  test.each([
    ['tt.elementwise_inline_asm', ttText],
    ['gpu.inline_asm', gpuText],
  ])('%s prints and parses back unchanged', (_, text) => {
    const m = parseModule(text);
    verify(m);
    expect(printOp(m)).toBe(text);
    expect(printOp(parseModule(printOp(m)))).toBe(text);
  });

  test('the asm string keeps its newlines, quotes and $$', () => {
    let asm: unknown;
    parseModule(ttText).walk((op) => {
      if (op.name === 'tt.elementwise_inline_asm' && op.attrs['packed_element'] === 4) asm = op.attrs['asm_string'];
    });
    expect(asm).toBe('{\n  .reg .b8 t<4>;\n  mov.b32 {t0, t1, t2, t3}, $8;\n}\nsub.u32 $0, $2, $3; // "quoted" $$');
  });
});

describe('the verifier', () => {
  const tt = (attrs: string, types = 'tensor<8xi32>', args = '%a, %b') =>
    module(`    %0 = tt.elementwise_inline_asm ${args} {${attrs}} : ${types}`, '%a: tensor<8xi8>, %b: tensor<8xf32>, %s: i32');

  test('accepts i8 packed four to a register and f32 one to a register', () => {
    // pack 4: the i32 result takes four output registers, the four i8s share one input register, the f32s take four.
    expect(() => verify(parseModule(tt('asm_string = "", constraints = "=r,=r,=r,=r,r,r,r,r,r", pure = true, packed_element = 4')))).not.toThrow();
  });

  test.each([
    ['too few output constraints', 'asm_string = "", constraints = "r,r", pure = true, packed_element = 1', undefined, /results need 1 output register per invocation \(pack 1\), but the constraints have 0/],
    ['too few input constraints', 'asm_string = "", constraints = "=r,r", pure = true, packed_element = 1', undefined, /arguments need 2 input registers per invocation \(pack 1\), but the constraints have 1/],
    ['an input constraint before an output', 'asm_string = "", constraints = "r,=r,r", pure = true, packed_element = 1', undefined, /comes after an input/],
    ['an unknown constraint letter', 'asm_string = "", constraints = "=r,q,r", pure = true, packed_element = 1', undefined, /constraint 'q' is not one kt supports/],
    ['an operand the asm names beyond the constraints', 'asm_string = "mov.b32 $0, $3;", constraints = "=r,r,r", pure = true, packed_element = 1', undefined, /names \$3, but there are only 3 operands/],
    ['a pack that splits no register evenly', 'asm_string = "", constraints = "=r,=r,=r,=r,=r,=r,r,r,r,r,r,r,r,r", pure = true, packed_element = 6', undefined, /pack 6 does not split into whole registers of 4 i8 elements/],
    ['an f32 in a 64-bit float register', 'asm_string = "", constraints = "=r,r,d", pure = true, packed_element = 1', undefined, /carries 32 bits per register, which do not fill constraint 'd'/],
    ['operands of another shape', 'asm_string = "", constraints = "=r,r", pure = true, packed_element = 1', 'tensor<8xi32>', /share one shape/, '%s'],
    ['a zero pack', 'asm_string = "", constraints = "=r,r,r", pure = true, packed_element = 0', undefined, /pack must be a positive integer/],
    // pack 128: 128 output registers for the i32 result, more than an invocation can have (gpu.inline_asm's 64).
    ['a pack of more registers than an invocation takes', 'asm_string = "", constraints = "=r,r,r", pure = true, packed_element = 128', undefined, /pack 128 needs 160 input and 128 output registers per invocation, and an invocation takes at most 64 of each: use a smaller pack/],
  ])('rejects %s', (_, attrs, types, message, args?: string) => {
    expect(() => verify(parseModule(tt(attrs, types, args)))).toThrow(message);
  });

  test('rejects a gpu.inline_asm operand whose type is not its constraint\'s', () => {
    const text = module('    %r = gpu.inline_asm %x {asm_string = "mov.b32 $0, $1;", constraints = "=r,r", pure = true} : i32', '%x: f32');
    expect(() => verify(parseModule(text))).toThrow(/\$1 has type f32, but constraint 'r' is i32/);
  });
});
