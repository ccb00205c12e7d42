// Triton's dot tests (test/conformance/dot.ts) on the GPU tier, the second half of the cases (the first half:
// conformance-dot.test.ts; two files so that vitest runs them side by side, as the dot cases take most of the
// GPU suite's time): the GPU, or in CI the SIMT simulator (KT_TEST_GPU=simulate) on a deterministic subset; each
// case must agree with the interpreter and with its NumPy reference.
import { test } from 'vitest';
import { dotCasesAll } from '../conformance/dot.ts';
import { gpuLaunch, gpuSubset } from '../conformance/gpu-launch.ts';
import { registerCases } from '../conformance/suite.ts';
import { gpuPresent } from './harness.ts';

if (gpuPresent) registerCases('dot, second half', 'gpu', dotCasesAll().filter((_, i) => i % 2 === 1), gpuLaunch, gpuSubset);
else test.skip('the GPU tier needs a GPU, or KT_TEST_GPU=simulate for the simulator', () => {});
