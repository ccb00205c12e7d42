// Triton's inline assembly tests (test/conformance/inline-asm.ts) on the GPU tier: the GPU, or in CI the SIMT
// simulator (KT_TEST_GPU=simulate), which runs the asm itself (test/support/simt-asm.ts). The interpreter cannot run
// PTX, so each case checks its NumPy reference alone.
import { test } from 'vitest';
import { inlineAsmCases } from '../conformance/inline-asm.ts';
import { gpuOnlyLaunch, gpuSubset } from '../conformance/gpu-launch.ts';
import { registerCases } from '../conformance/suite.ts';
import { gpuPresent } from './harness.ts';

if (gpuPresent) registerCases('inline asm', 'gpu', inlineAsmCases(), gpuOnlyLaunch, gpuSubset);
else test.skip('the GPU tier needs a GPU, or KT_TEST_GPU=simulate for the simulator', () => {});
