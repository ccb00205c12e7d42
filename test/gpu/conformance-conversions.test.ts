// Triton's float conversion tests (test/conformance/conversions.ts) on the GPU tier: the GPU, or in CI the SIMT
// simulator (KT_TEST_GPU=simulate) on a deterministic subset; each case must agree with the interpreter and with
// its reference.
import { test } from 'vitest';
import { conversionCases } from '../conformance/conversions.ts';
import { gpuLaunch, gpuSubset } from '../conformance/gpu-launch.ts';
import { registerCases } from '../conformance/suite.ts';
import { gpuPresent } from './harness.ts';

if (gpuPresent) registerCases('conversions', 'gpu', conversionCases(), gpuLaunch, gpuSubset);
else test.skip('the GPU tier needs a GPU, or KT_TEST_GPU=simulate for the simulator', () => {});
