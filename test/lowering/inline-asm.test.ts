// tl.inlineAsmElementwise on its way to PTX: each invocation is printed in a { } scope with a local register per
// constraint ($i becomes %asm<i>), the inputs copied in and the outputs copied out; narrow elements are packed into
// the registers as src/compiler/ir/inline-asm.ts lays them out; pure asm whose results are unused is dropped and
// other asm kept. Every PTX here is assembled by ptxas when it is installed. The interpreter and the semantic checks
// refuse at compile time, at the call, with the source line.
import { describe, expect, test } from 'vitest';
import { CompileError, empty, kernel, tl, type Kernel, type Ptr, type constexpr } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts, captureLaunches } from '../../src/dsl/kernel.ts';
import { fileCheck } from '../support/filecheck.ts';
import { locatedErrors } from '../support/located-errors.ts';
import { funnelShift, packedShift, packedTwoOutputs, pointerAsm, twoOutputs } from '../conformance/inline-asm.ts';

/** The PTX of the launch `launch` makes (assembled by ptxas for the target when it is installed). */
function ptxOf(launch: () => void, target = 'sm_90a', numWarps = 4): string {
  const [l] = captureLaunches(launch);
  const module = l!.definition.specialize(l!.bound.bindings).ir.module;
  const compiled = compileToPtx(module, { numWarps, target, argFacts: argumentFacts(l!.bound.runtime) });
  const ptxas = findPtxas();
  if (ptxas) assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
  return compiled.ptx;
}

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

/** An f16 value through a 16-bit register: the asm negates it by flipping its sign bit. */
const negateF16 = kernel(function negateF16(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.inlineAsmElementwise({ asm: 'xor.b16 $0, $1, 0x8000;', constraints: '=h,h', args: [x], dtype: tl.float16, isPure: true });
  tl.store(Y + tl.arange(0, BLOCK), y);
});

/** Pure asm whose result is unused, and asm with an effect whose result is unused. */
const unusedResults = kernel(function unusedResults(X: Ptr, Y: Ptr, PURE: constexpr<boolean>, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  tl.inlineAsmElementwise({ asm: 'mov.b32 $0, $1;', constraints: '=r,r', args: [x], dtype: tl.int32, isPure: PURE });
  tl.store(Y + tl.arange(0, BLOCK), x);
});

describe('PTX of inline asm', () => {
  test('an invocation is a scope with a local register per constraint, inputs copied in and outputs out', () => {
    const u32 = () => empty([128], 'u32');
    const ptx = ptxOf(() => funnelShift([1], u32(), u32(), u32(), { n: 17, BLOCK: 128 }));
    fileCheck(
      ptx,
      `
      CHECK: {{^\\s+\\{$}}
      CHECK-NEXT: .reg .b32 %asm0;
      CHECK-NEXT: .reg .b32 %asm1;
      CHECK-NEXT: .reg .b32 %asm2;
      CHECK-NEXT: .reg .b32 %asm3;
      CHECK-NEXT: mov.b32 %asm1, %{{r[0-9]+}};
      CHECK-NEXT: mov.b32 %asm2, %{{r[0-9]+}};
      CHECK-NEXT: mov.b32 %asm3, %{{r[0-9]+}};
      CHECK-NEXT: shf.l.wrap.b32 %asm0, %asm1, %asm2, %asm3;
      CHECK-NEXT: mov.b32 %[[Z:r[0-9]+]], %asm0;
      CHECK-NEXT: {{^\\s+\\}$}}
      CHECK: st.global.b32 [%{{rd[0-9]+}}], %[[Z]];
      `,
    );
    // 128 elements on 128 threads: one invocation each.
    expect(count(ptx, /^\tshf\.l\.wrap/)).toBe(1);
  });

  test('a thread holding several elements runs one invocation per pack of them', () => {
    const u32 = () => empty([128], 'u32');
    // One warp: four elements per thread, pack 1.
    expect(count(ptxOf(() => funnelShift([1], u32(), u32(), u32(), { n: 17, BLOCK: 128, numWarps: 1 }), 'sm_90a', 1), /^\tshf\.l\.wrap/)).toBe(4);
    // 512 u8 on 128 threads: four per thread, one invocation of pack 4 with one input register holding all four.
    const ptx = ptxOf(() => packedShift([1], empty([512], 'u8'), empty([512], 'u8'), { BLOCK: 512 }));
    expect(count(ptx, /^\tand\.b32 %asm0, %asm1, 0x1F1F1F1F;/)).toBe(1);
    // The four bytes, zero-extended and shifted into place, are or-ed into the asm's input register.
    expect(ptx).toMatch(/and\.b32 %r\d+, %r\d+, 0xFF;\n\tshl\.b32 %r\d+, %r\d+, %r\d+;\n\tor\.b32 %(r\d+), %r\d+, %r\d+;\n\t\{\n\t\.reg \.b32 %asm0;\n\t\.reg \.b32 %asm1;\n\tmov\.b32 %asm1, %\1;/);
    fileCheck(
      ptx,
      `
      CHECK: mov.b32 %asm1, %{{r[0-9]+}};
      CHECK-NEXT: and.b32 %asm0, %asm1, 0x1F1F1F1F;
      CHECK-NEXT: shl.b32 %asm0, %asm0, 3;
      CHECK-NEXT: mov.b32 %[[OUT:r[0-9]+]], %asm0;
      CHECK-NEXT: {{^\\s+\\}$}}
      CHECK: shr.u32 %{{r[0-9]+}}, %[[OUT]],
      `,
    );
  });

  test('16-bit registers are converted from and to the .b32 registers kt keeps them in', () => {
    const ptx = ptxOf(() => negateF16([1], empty([128], 'f16'), empty([128], 'f16'), { BLOCK: 128 }));
    fileCheck(
      ptx,
      `
      CHECK: .reg .b16 %asm0;
      CHECK-NEXT: .reg .b16 %asm1;
      CHECK-NEXT: cvt.u16.u32 %asm1, %{{r[0-9]+}};
      CHECK-NEXT: xor.b16 %asm0, %asm1, 0x8000;
      CHECK-NEXT: cvt.s32.s16 %{{r[0-9]+}}, %asm0;
      CHECK-NEXT: {{^\\s+\\}$}}
      `,
    );
  });

  test('pure asm with unused results is removed, asm with effects is kept', () => {
    const launch = (pure: boolean) => () => unusedResults([1], empty([128], 'i32'), empty([128], 'i32'), { PURE: pure, BLOCK: 128 });
    expect(count(ptxOf(launch(true)), /%asm/)).toBe(0);
    expect(count(ptxOf(launch(false)), /^\tmov\.b32 %asm0, %asm1;/)).toBe(1);
  });

  test('the asm takes the layout of the loads feeding it: no conversion through shared memory', () => {
    const ptx = ptxOf(() => packedTwoOutputs([1], empty([512], 'u8'), empty([512], 'f32'), empty([512], 'i32'), empty([512], 'f32'), { BLOCK: 512 }));
    fileCheck(
      ptx,
      `
      CHECK-NOT: bar.sync
      CHECK: ld.global.v4.f32
      CHECK-NOT: bar.sync
      CHECK: max.f32 %asm4, %asm4, %asm9;
      CHECK-NOT: bar.sync
      CHECK: st.global.v4.b32
      CHECK-NOT: bar.sync
      CHECK: st.global.v4.f32
      CHECK-NOT: bar.sync
      `,
    );
  });

  test.skipIf(!findPtxas()).each(['sm_80', 'sm_90a'])('the ported Triton kernels assemble with ptxas for %s', (target) => {
    const kernels: [Kernel, unknown[]][] = [
      [pointerAsm, [empty([512], 'u8'), empty([512], 'u8'), { BLOCK: 512 }]],
      [twoOutputs, [empty([128], 'u32'), empty([128], 'u32'), empty([128], 'u32'), empty([128], 'u32'), { BLOCK: 128 }]],
      [packedTwoOutputs, [empty([512], 'u8'), empty([512], 'f32'), empty([512], 'i32'), empty([512], 'f32'), { BLOCK: 512 }]],
    ];
    for (const [k, args] of kernels) {
      const ptx = ptxOf(() => k([1], ...args), target);
      // The asm's own { } scope, with its .b8 registers, stays nested in the invocation's.
      if (k === packedTwoOutputs) expect(ptx).toMatch(/\t\{\n\t\.reg \.b8 tmp<4>;\n\tmov\.b32 \{tmp0, tmp1, tmp2, tmp3\}, %asm8;/);
    }
  });
});

// ---- compile errors: located at the call ------------------------------------------------------------------------

const expectLocated = locatedErrors(import.meta.url);
/** Each error below is located at the call of tl.inlineAsmElementwise on the marked line. */
const expectErrorAt = (run: () => void, marker: string, message: RegExp): CompileError => expectLocated(run, marker, 'tl.inlineAsmElementwise', message);

const onInterpreter = kernel(function onInterpreter(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.inlineAsmElementwise('shl.b32 $0, $1, 3;', '=r,r', [x], tl.int32, true, 1); // @interpreter
  tl.store(Y + tl.arange(0, BLOCK), y);
});

const wrongConstraints = kernel(function wrongConstraints(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.inlineAsmElementwise({ asm: 'mov.b32 $0, $1;', constraints: '=r,r,r', args: [x], dtype: tl.int32 }); // @constraints
  tl.store(Y + tl.arange(0, BLOCK), y);
});

const booleanArgument = kernel(function booleanArgument(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.inlineAsmElementwise('selp.b32 $0, 1, 0, $1;', '=r,r', [x > 0], tl.int32, true, 1); // @boolean
  tl.store(Y + tl.arange(0, BLOCK), y);
});

describe('compile errors', () => {
  test('the interpreter refuses inline PTX, saying that only the GPU backend runs it', () => {
    const e = expectErrorAt(() => onInterpreter([1], empty([64], 'i32'), empty([64], 'i32'), { BLOCK: 64 }), 'interpreter', /runs inline PTX, which only the GPU backend can execute/);
    expect(e.hint).toMatch(/launch it on the GPU/);
  });

  test('constraints that do not match the registers are refused at the call', () => {
    const e = expectErrorAt(() => wrongConstraints([1], empty([64], 'i32'), empty([64], 'i32'), { BLOCK: 64 }), 'constraints', /the arguments need 1 input register per invocation \(pack 1\), but the constraints have 2/);
    expect(e.hint).toMatch(/one constraint per register, outputs first/);
  });

  test('a boolean argument is refused: it has no asm register', () => {
    expectErrorAt(() => booleanArgument([1], empty([64], 'i32'), empty([64], 'i32'), { BLOCK: 64 }), 'boolean', /argument 0 is boolean \(i1\), which has no asm register: convert it to an integer dtype first/);
  });
});
