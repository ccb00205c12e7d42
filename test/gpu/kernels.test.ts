// The first half of the library's kernels on the GPU (test/gpu/library-kernels.ts; the second half: kernels-2.test.ts).
import { registerLibraryKernelTests } from './library-kernels.ts';

await registerLibraryKernelTests(0);
