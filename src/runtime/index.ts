// `kt/runtime`: what an application needs to launch kernels built ahead of time (`kt build`) — tensors, the GPU,
// and bundles — without the compiler: importing it loads no TypeScript parser and no compiler pass.
export { Tensor, tensor, empty, zeros, full, rand, randn, randint, arange, toDType, Random, type DTypeSpec, type Device } from './tensor.ts';
export { synchronize, gpuAvailable, GpuStream, GpuEvent, type GpuInfo } from './gpu.ts';
export { CudaError, NoGpuError } from './cuda.ts';
export { loadBundle, readBundle, BundleError, type Bundle, type BundledKernel } from './bundle.ts';
export { cdiv, type Grid } from '../dsl/launch-args.ts';
