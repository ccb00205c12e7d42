// The GPU tier's launch: test/gpu/harness.ts's gpuMatchesInterpreter (the GPU, or the SIMT simulator with
// KT_TEST_GPU=simulate, must agree with the interpreter element by element), then the case checks its reference
// on what the GPU computed. The simulator runs each group's CI subset; a real GPU runs every case.
import { gpuMatchesInterpreter, gpuOnly, realGpu, simulated } from '../gpu/harness.ts';
import type { Case, Launch } from './suite.ts';

export const gpuLaunch: Launch = (k, grid, args, options) => gpuMatchesInterpreter(k, grid, args, { tol: options?.tol, skip: options?.skip });

/** For kernels only the GPU can run (inline PTX): the GPU (or the simulator) alone, the case checking its reference. */
export const gpuOnlyLaunch: Launch = (k, grid, args) => gpuOnly(k, grid, args);

/**
 * Which cases the GPU tier runs here: all on a real GPU, the CI subset in the simulator (all of them there too with
 * KT_CONFORMANCE_SIMULATE=all, which takes a quarter of an hour).
 */
export const gpuSubset = (c: Case): boolean => (realGpu && !simulated) || process.env['KT_CONFORMANCE_SIMULATE'] === 'all' || c.simulate;
