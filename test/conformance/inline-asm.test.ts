// Triton's inline assembly tests on the interpreter, which refuses PTX by design (deviations.ts); the GPU tier:
// test/gpu/conformance-inline-asm.test.ts.
import { inlineAsmCases } from './inline-asm.ts';
import { interpreterLaunch, registerCases } from './suite.ts';

registerCases('inline asm', 'interpreter', inlineAsmCases(), interpreterLaunch);
