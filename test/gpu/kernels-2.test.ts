// The second half of the library's kernels on the GPU (test/gpu/library-kernels.ts; the first half: kernels.test.ts).
import { registerLibraryKernelTests } from './library-kernels.ts';

await registerLibraryKernelTests(1);
