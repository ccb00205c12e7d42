// Run with KT_INTERPRET=1: a launch on GPU tensors runs on the interpreter (the tensors are copied to the host
// and back), including an out-of-bounds access, which the interpreter reports with its source line.
import { empty, tensor } from 'kt';
import { add } from '../../../kernels/add.ts';
import { wild } from '../op-kernels.ts';

const x = tensor([1, 2, 3, 4, 5]).cuda();
const out = empty([5], 'f32', 'cuda');
add([2], x, x, out, 5, { BLOCK: 4 });
console.log(`result ${out.toNumbers().join(' ')}`);
try {
  wild([1], tensor(new Array(32).fill(0), { dtype: 'i32' }).cuda());
} catch (e) {
  console.log((e as Error).message);
}
