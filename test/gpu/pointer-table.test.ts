// Pointers kept as data on the GPU: Triton's grouped GEMM (tutorial 08), its operands reached through tables of
// addresses. Simulated, the tables hold host tensors' dataPtr()s, which the SIMT simulator follows as the
// interpreter does, and the two must agree; on a real GPU they hold device addresses, and the result is checked
// against the reference.
import { describe, expect, test } from 'vitest';
import { empty, type Tensor } from 'kt';
import { synchronize } from '../../src/runtime/gpu.ts';
import { BLOCKS, groupGrid, groupOperands, groupedGemm, pointerTable, referenceMatmul, sizesTable, type Group } from '../support/grouped-gemm.ts';
import { gpuMatchesInterpreter, realGpu, simulated } from './harness.ts';

const groups: Group[] = [
  { m: 20, n: 17, k: 33 },
  { m: 32, n: 40, k: 8 },
  { m: 5, n: 9, k: 16 },
];
const total = groups.reduce((sum, gr) => sum + gr.m * gr.n, 0);

/** The reference output, every group's C one after the other. */
function reference(a: readonly Tensor[], b: readonly Tensor[]): number[] {
  return groups.flatMap((_, g) => referenceMatmul(a[g]!, b[g]!));
}

describe('grouped GEMM through tables of pointers', () => {
  test.skipIf(!simulated)('simulated: loads through loaded pointers, tl.where on pointers and int64 echoes agree with the interpreter', () => {
    const { a, b } = groupOperands(groups, 4);
    // Group 1 uses the shared B argument: its table entry is 0.
    const args = [pointerTable(a), pointerTable([b[0], undefined, b[2]]), empty([1], 'i64'), sizesTable(groups), b[1]!, empty([total], 'f16'), empty([groups.length], 'i64'), { ...BLOCKS, C_FLAT: true }];
    const [aTable, , , , , out, echo] = gpuMatchesInterpreter(groupedGemm, groupGrid(groups), args);
    expect(Array.from(out!.toArray() as ArrayLike<number>)).toEqual(reference(a, b));
    expect(echo!.toArray()).toEqual(aTable!.toArray());
  });

  test.skipIf(!realGpu)('on a real GPU: tables of device addresses', () => {
    const { a, b } = groupOperands(groups, 4);
    const [da, db] = [a.map((t) => t.cuda()), b.map((t) => t.cuda())];
    const aTable = pointerTable(da);
    const out = empty([total], 'f16', 'cuda');
    const echo = empty([groups.length], 'i64', 'cuda');
    groupedGemm(groupGrid(groups), aTable.cuda(), pointerTable(db).cuda(), empty([1], 'i64', 'cuda'), sizesTable(groups).cuda(), db[0]!, out, echo, { ...BLOCKS, C_FLAT: true });
    synchronize();
    const got = Array.from(out.toArray() as ArrayLike<number>);
    reference(a, b).forEach((want, i) => expect(Math.abs(got[i]! - want), `element ${i}`).toBeLessThanOrEqual(0.02 + 0.01 * Math.abs(want)));
    expect(echo.toArray()).toEqual(aTable.toArray());
  });
});
