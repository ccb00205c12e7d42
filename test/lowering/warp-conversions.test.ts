// Layout conversions whose elements stay within warps: warp shuffles (one shfl.sync.idx per register, from the
// lane the linear layouts name), with no shared memory and no barrier. Each case is GPU IR with an explicit
// conversion before a store, lowered and run on the simulator: the tile must arrive whole, in the new layout.
import { describe, expect, test } from 'vitest';
import { Random, empty, tensor, type Tensor } from 'kt';
import { Lowering } from '../../src/compiler/gpu/lowering/lowering.ts';
import { warpConversion } from '../../src/compiler/gpu/shared-memory.ts';
import type { Operation } from '../../src/compiler/ir/core.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { allocateSharedMemoryPass } from '../../src/compiler/passes/allocate-shared-memory.ts';
import { insertBarriersPass } from '../../src/compiler/passes/insert-barriers.ts';
import { simulate } from '../support/simt.ts';

const SRC = '#ttg.blocked<{sizePerThread = [1, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, WARPS], order = [1, 0]}>';

/** GPU IR copying an 8 x 4W tile of `el` from src to dst, its values (and the pointers) converted to `dst` before the store. */
function copyThrough(el: string, dst: string, warps: number, src = SRC.replace('WARPS', String(warps))): string {
  const n = 4 * warps;
  return `#src = ${src}
#dst = ${dst}
#s0 = #ttg.slice<{dim = 0, parent = #src}>
#s1 = #ttg.slice<{dim = 1, parent = #src}>
module attributes {ttg.num-warps = ${warps}} {
  tt.func public @copy(%src: !tt.ptr<${el}>, %dst: !tt.ptr<${el}>) {
    %0 = tt.make_range {start = 0, end = ${n}} : tensor<${n}xi32, #s0>
    %1 = tt.expand_dims %0 {axis = 0} : tensor<1x${n}xi32, #src>
    %2 = tt.make_range {start = 0, end = 8} : tensor<8xi32, #s1>
    %3 = tt.expand_dims %2 {axis = 1} : tensor<8x1xi32, #src>
    %4 = arith.constant {value = dense<${n}> : tensor<8x1xi32>} : tensor<8x1xi32, #src>
    %5 = arith.muli %3, %4 : tensor<8x1xi32, #src>
    %6 = tt.broadcast %5 : tensor<8x${n}xi32, #src>
    %7 = tt.broadcast %1 : tensor<8x${n}xi32, #src>
    %offs = arith.addi %6, %7 : tensor<8x${n}xi32, #src>
    %8 = tt.splat %dst : tensor<8x${n}x!tt.ptr<${el}>, #src>
    %9 = tt.addptr %8, %offs : tensor<8x${n}x!tt.ptr<${el}>, #src>
    %10 = tt.splat %src : tensor<8x${n}x!tt.ptr<${el}>, #src>
    %11 = tt.addptr %10, %offs : tensor<8x${n}x!tt.ptr<${el}>, #src>
    %12 = tt.load %11 : tensor<8x${n}x${el}, #src>
    %p = ttg.convert_layout %9 : tensor<8x${n}x!tt.ptr<${el}>, #dst>
    %v = ttg.convert_layout %12 : tensor<8x${n}x${el}, #dst>
    tt.store %p, %v
    tt.return
  }
}
`;
}

/** Lowers the GPU IR (after allocation and barriers, as the pipeline ends) and runs it; returns dst and the thread IR. */
function run(ir: string, input: Tensor, warps: number): { out: Tensor; threadIr: string } {
  const module = parseModule(ir);
  allocateSharedMemoryPass.run(module);
  insertBarriersPass.run(module);
  const fn: Operation = new Lowering(module.regions[0]!.entry.ops[0]!).lower();
  const out = empty(input.shape as number[], input.dtype.name);
  simulate(fn, { grid: [1, 1, 1], numWarps: warps, sharedBytes: (module.attrs['ttg.shared'] as number | undefined) ?? 0, args: [input, out] });
  return { out, threadIr: printOp(fn) };
}

// [what, destination layout, warp counts]
const cases: [string, string, number[]][] = [
  ['the lanes in the other order (a permutation of lanes)', '#ttg.blocked<{sizePerThread = [1, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, WARPS], order = [0, 1]}>', [1, 4]],
  ['two registers per thread, lanes holding copies', '#ttg.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 1], order = [1, 0]}>', [1]],
];

describe('layout conversions within warps', () => {
  for (const [what, dstLayout, warpCounts] of cases) {
    for (const warps of warpCounts) {
      for (const el of ['i32', 'f16', 'i64', 'i8']) {
        test(`${what}: ${el}, ${warps} warp(s)`, () => {
          const dst = dstLayout.replace('WARPS', String(warps));
          const ir = copyThrough(el, dst, warps);
          const module = parseModule(ir);
          const conversions: Operation[] = [];
          module.walk((op) => {
            if (op.name === 'ttg.convert_layout') conversions.push(op);
          });
          expect(conversions.map((c) => warpConversion(c)?.kind)).toEqual(['shuffle', 'shuffle']);
          const rng = new Random(1);
          const n = 8 * 4 * warps;
          const dtype = el === 'f16' ? 'f16' : el;
          const input = tensor(Array.from({ length: n }, () => (el === 'f16' ? rng.normal() : Math.floor(rng.next() * 200) - 100)), { dtype: dtype as 'i32' });
          const { out, threadIr } = run(ir, input, warps);
          expect(out.toNumbers()).toEqual(input.toNumbers());
          expect(threadIr).toContain('gpu.shfl');
          expect(threadIr).not.toContain('gpu.shared_store');
          expect(threadIr).not.toContain('gpu.barrier');
        });
      }
    }
  }

  test('a conversion across lanes whose source register depends on the lane goes through shared memory', () => {
    // Rows to columns: a source thread holds a row, a destination thread a column, so the register a lane reads
    // (the column it holds) depends on the lane.
    const rows = '#ttg.blocked<{sizePerThread = [1, 4], threadsPerWarp = [32, 1], warpsPerCTA = [1, 1], order = [1, 0]}>';
    const columns = '#ttg.blocked<{sizePerThread = [8, 1], threadsPerWarp = [1, 32], warpsPerCTA = [1, 1], order = [0, 1]}>';
    const ir = copyThrough('i32', columns, 1, rows);
    const module = parseModule(ir);
    let conversion: Operation | undefined;
    module.walk((op) => {
      if (op.name === 'ttg.convert_layout') conversion ??= op;
    });
    expect(warpConversion(conversion!)).toBeUndefined();
    const input = tensor(Array.from({ length: 32 }, (_, i) => i), { dtype: 'i32' });
    const { out, threadIr } = run(ir, input, 1);
    expect(out.toNumbers()).toEqual(input.toNumbers());
    expect(threadIr).toContain('gpu.shared_store');
  });
});
