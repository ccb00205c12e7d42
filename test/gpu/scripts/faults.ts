// Launches a kernel that faults on the GPU, in a process of its own (a fault leaves the CUDA context unusable):
// `print` prints from the device, `assert` fails a deviceAssert, `wild` writes far out of bounds. Prints the
// error kt reports and exits with 1 on an error.
import { tensor } from 'kt';
import { synchronize } from '../../../src/runtime/gpu.ts';
import { positive, printer, wild } from '../op-kernels.ts';

const which = process.argv[2];
try {
  if (which === 'print') printer([1], tensor([0, 1, 2, 3], { dtype: 'f32' }).cuda());
  else if (which === 'assert') positive([1], tensor([1, 2, -3, 4], { dtype: 'f32' }).cuda(), 4, { BLOCK: 4 });
  else if (which === 'wild') wild([1], tensor(new Array(32).fill(0), { dtype: 'i32' }).cuda());
  else throw new Error(`unknown fault '${which}'`);
  synchronize();
  console.log('done');
} catch (e) {
  console.log(`ERROR ${(e as Error).message}`);
  process.exitCode = 1;
}
