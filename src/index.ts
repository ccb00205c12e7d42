// kt: write GPU kernels in TypeScript. The public API.
export { tl } from './dsl/tl.ts';
export type { LoadOptions, StoreOptions, AtomicOptions, RangeOptions, InlineAsmOptions, InlineAsmResult } from './dsl/tl.ts';
export type { Tile, Mask, Value, Ptr, constexpr, i1, i8, i16, i32, i64, u8, u16, u32, u64, f8e4m3, f8e5m2, f16, bf16, f32, f64, DTypeLike } from './dsl/types.ts';
export { kernel, KernelDefinition, resolveGrid, type Kernel, type Grid, type LaunchOptions, type Specialization } from './dsl/kernel.ts';
export { autotune, type AutotuneOptions, type TunedKernel } from './dsl/autotune.ts';
export type { SpaceDefinition, ProductSpace, ProblemInfo, PruneHook } from './autotune/space.ts';
export { Tensor, tensor, empty, zeros, full, rand, randn, randint, arange, toDType, Random, type DTypeSpec, type Device } from './runtime/tensor.ts';
export { synchronize, gpuAvailable, GpuStream, GpuEvent, type GpuInfo } from './runtime/gpu.ts';
export { CudaError, NoGpuError } from './runtime/cuda.ts';
export { DType, dtypes, dtypeByName } from './compiler/semantic/dtype.ts';
export { f16ToBits, f16FromBits, bf16ToBits, bf16FromBits, roundF16, roundBF16, e4m3ToBits, e4m3FromBits, e5m2ToBits, e5m2FromBits, roundE4M3, roundE5M2 } from './numerics.ts';
export { CompileError } from './compiler/diagnostics.ts';
export { KernelRuntimeError } from './interp/memory.ts';

export { cdiv } from './dsl/launch-args.ts';
export { defineSpec, defaultTolerance, type KernelSpec, type Sizes, type Config, type Tolerance, type Expected, type TuningSpaces } from './dsl/spec.ts';
// Triton's everyday tools, in kt's words (README: "Benchmarking, testing and inspecting kernels").
export { doBench, type BenchOptions, type BenchResult } from './tools/do-bench.ts';
export { Benchmark, BenchmarkError, perfReport, type BenchmarkOptions, type BenchmarkPoint, type BenchmarkPointResult, type BenchmarkResult, type Metric, type PerfReport, type PerfReportOptions, type Provider } from './tools/benchmark.ts';
export { assertClose, type CloseOptions } from './tools/assert-close.ts';
export { addLaunchHook, type LaunchEnd, type LaunchHook, type LaunchInfo } from './tools/launch-hooks.ts';
export type { CompiledGpuKernel, CompiledKernel } from './tools/compiled-kernel.ts';
