// Triton's elementwise language tests (test/conformance/elementwise.ts) on the GPU tier: the GPU, or in CI the
// SIMT simulator (KT_TEST_GPU=simulate) on a deterministic subset; each case must agree with the interpreter and
// with its NumPy reference.
import { test } from 'vitest';
import { elementwiseCases } from '../conformance/elementwise.ts';
import { gpuLaunch, gpuSubset } from '../conformance/gpu-launch.ts';
import { registerCases } from '../conformance/suite.ts';
import { gpuPresent } from './harness.ts';

if (gpuPresent) registerCases('elementwise', 'gpu', elementwiseCases(), gpuLaunch, gpuSubset);
else test.skip('the GPU tier needs a GPU, or KT_TEST_GPU=simulate for the simulator', () => {});
