// Shared by the GPU suite: whether a GPU is here (the suite is skipped without one), and a runner that launches
// a kernel on the GPU and on the interpreter with copies of the same arguments and compares every tensor
// afterwards, element by element. With KT_TEST_GPU=simulate the "GPU" is the SIMT simulator running the
// compiler's per-thread IR: the suite then checks the GPU compiler down to (but not including) PTX on any machine.
import { expect } from 'vitest';
import { defaultTolerance, type Grid, type Kernel, type Tolerance } from 'kt';
import { compare } from '../../src/runtime/compare.ts';
import { gpuAvailable, synchronize } from '../../src/runtime/gpu.ts';
import { Tensor } from '../../src/runtime/tensor.ts';
import { simulateLaunch } from '../support/simulate-launch.ts';

/** The simulator stands in for the GPU (KT_TEST_GPU=simulate). */
export const simulated = process.env['KT_TEST_GPU'] === 'simulate';
/** A real GPU is here. */
export const realGpu = gpuAvailable();
/** A GPU, real or simulated, runs the suite's launches. */
export const gpuPresent = simulated || realGpu;
/**
 * KT_TEST_GPU_ALONE=1: launches run on the real GPU only, without the interpreter's cross-check; tests that check a
 * reference of their own still do. For runs under compute-sanitizer (test/gpu/scripts/compute-sanitizer.sh), which
 * look for memory and synchronisation hazards on the GPU: the interpreter's share of the time (most of the dot
 * cases') would only slow them down, and the plain `npm run test:gpu` does the cross-check.
 */
export const gpuAlone = process.env['KT_TEST_GPU_ALONE'] === '1' && realGpu && !simulated;

const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;

/** Copies of the launch arguments: tensors cloned (to the GPU, or on the host), everything else as it is. */
function copies(args: readonly unknown[], onGpu: boolean): unknown[] {
  return args.map((a) => (isTensor(a) ? (onGpu && !simulated ? a.cuda() : a.clone()) : a));
}

export interface CheckOptions {
  /** Tolerance for float tensors (by default, the dtype's default tolerance); integers are always exact. */
  tol?: Tolerance;
  /** Indices (among the tensor arguments) not to compare, e.g. outputs whose order is unspecified. */
  skip?: readonly number[];
  /**
   * The architecture to compile for in the simulator (sm_80: mma.sync instead of wgmma); a real GPU compiles
   * for itself, so tests that need another target run only simulated.
   */
  target?: string;
}

/**
 * Launches `k` on the GPU alone (the simulator with KT_TEST_GPU=simulate), for kernels the interpreter refuses (inline
 * PTX): the caller checks the results against its own reference. Returns the tensors after the launch, on the host.
 */
export function gpuOnly(k: Kernel, grid: Grid, args: readonly unknown[], target?: string): Tensor[] {
  const onGpu = copies(args, true);
  try {
    if (simulated) simulateLaunch(k, grid, onGpu, target);
    else {
      k(grid, ...onGpu);
      synchronize();
    }
    return onGpu.filter(isTensor).map((t) => t.cpu());
  } finally {
    for (const t of onGpu) if (isTensor(t)) t.dispose();
  }
}

/**
 * Launches `k` on the GPU and on the interpreter and expects every tensor argument to end up the same.
 * Returns the tensors after the GPU launch (on the host), for further checks.
 */
export function gpuMatchesInterpreter(k: Kernel, grid: Grid, args: readonly unknown[], options: CheckOptions = {}): Tensor[] {
  if (gpuAlone) return gpuOnly(k, grid, args, options.target);
  const onGpu = copies(args, true);
  const onCpu = copies(args, false);
  try {
    if (simulated) simulateLaunch(k, grid, onGpu, options.target);
    else {
      k(grid, ...onGpu);
      synchronize();
    }
    k(grid, ...onCpu);
    const gpuTensors = onGpu.filter(isTensor).map((t) => t.cpu());
    const cpuTensors = onCpu.filter(isTensor);
    gpuTensors.forEach((g, i) => {
      if (options.skip?.includes(i)) return;
      const want = cpuTensors[i]!;
      const tol = g.dtype.isFloat ? (options.tol ?? defaultTolerance(g.dtype.name)) : { atol: 0, rtol: 0 };
      const c = compare(g, want.toArray() as ArrayLike<number> | ArrayLike<bigint>, tol);
      expect(c.first.map((m) => `[${m.index.join(', ')}] GPU ${m.got}, interpreter ${m.want}`), `tensor argument ${i} (${g.dtype.name} [${g.shape.join(', ')}]): ${c.mismatches} of ${c.total} differ`).toEqual([]);
    });
    return gpuTensors;
  } finally {
    for (const t of onGpu) if (isTensor(t)) t.dispose();
  }
}
