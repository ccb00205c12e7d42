// Shared by the GPU suite: whether a GPU is here (the suite is skipped without one), and a runner that launches
// a kernel on the GPU and on the interpreter with copies of the same arguments and compares every tensor
// afterwards, element by element. With KT_TEST_GPU=simulate the "GPU" is the SIMT simulator running the
// compiler's per-thread IR: the suite then checks the GPU compiler down to (but not including) PTX on any machine.
import { expect } from 'vitest';
import { defaultTolerance, type Grid, type Kernel, type Tolerance } from 'kt';
import { compare } from '../../src/runtime/compare.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { resolveGrid } from '../../src/dsl/launch-args.ts';
import { gpu, gpuAvailable, synchronize } from '../../src/runtime/gpu.ts';
import { parseTarget } from '../../src/gpu-targets.ts';
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

/**
 * Whether launches compiled for `target` run here: in the simulator, any; on a real GPU, its own target and older
 * ones without architecture-specific features (sm_80 on a Hopper), whose PTX the driver compiles for this GPU.
 */
export function targetRuns(target: string): boolean {
  if (simulated) return true;
  if (!realGpu) return false;
  const [t, own] = [parseTarget(target), parseTarget(gpu().info.target)];
  return target === gpu().info.target || (t !== undefined && own !== undefined && !t.specific && t.sm <= own.sm);
}

/**
 * A launch on the real GPU compiled for `target` (the GPU's own when undefined). For an older target (sm_80 on a
 * Hopper) the GPU cannot load the cubin ptxas made: the loader falls back to the PTX, which the driver compiles for
 * this GPU, so the mma.sync-era code paths (mma.sync, bf16 through f32, ...) run on the hardware. Such a launch skips what
 * Kernel.launch adds around a launch (KT_SANITIZE's interpreter, streams, launch observers): it always runs on the GPU.
 */
function launchOnGpu(k: Kernel, grid: Grid, args: readonly unknown[], target: string | undefined): void {
  if (target === undefined || target === gpu().info.target) k(grid, ...args);
  else {
    if (!targetRuns(target)) throw new Error(`a launch compiled for ${target} cannot run on this ${gpu().info.target} GPU`);
    const def = k.definition;
    const bound = def.bind(args);
    const spec = def.specialize(bound.bindings);
    const options = { numWarps: bound.options.numWarps ?? 4, numStages: bound.options.numStages ?? 3, target };
    spec.gpu(argumentFacts(bound.runtime), options).launch(resolveGrid(grid, bound.meta, def.name), bound.runtime);
  }
  synchronize();
}

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
   * The architecture to compile for (sm_80: mma.sync instead of wgmma): in the simulator, or on a real GPU of that
   * architecture or a newer one (see launchOnGpu; targetRuns says where).
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
    else launchOnGpu(k, grid, onGpu, target);
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
    else launchOnGpu(k, grid, onGpu, options.target);
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
