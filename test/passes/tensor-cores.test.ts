// accelerate-matmul and pipeline-loads on the library matmul's GPU IR, checked FileCheck-style: which dots go to
// wgmma, which to mma.sync and which stay on the FMA units, the shared layouts of their operands, and the pipeline's schedule
// (its buffers, the copies ahead of the loop, the waits and slots in it, the waits after it), which numStages
// changes.
import { describe, expect, test } from 'vitest';
import { empty } from 'kt';
import { linear } from '../../kernels/linear.ts';
import { matmul } from '../../kernels/matmul.ts';
import { dotThenReduce } from '../fixtures/dot-reductions.ts';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { argumentFacts, captureLaunches } from '../../src/dsl/kernel.ts';
import { fileCheck } from '../support/filecheck.ts';

/** The GPU IR of the matmul at S^3 (placeholder tensors: only the launch's facts and constexprs matter). */
function gpuIr(options: { dtype: 'f16' | 'f32'; S: number; BM: number; BN: number; BK: number; numWarps: number; numStages?: number; target?: string; precision?: 'tf32' }): string {
  const { dtype, S, BM, BN, BK, numWarps, numStages, target, precision } = options;
  const [a, b, c] = [empty([16, 16], dtype), empty([16, 16], dtype), empty([16, 16], dtype)];
  const stages = numStages === undefined ? {} : { numStages };
  const [l] = captureLaunches(() => matmul([1], a, b, c, S, S, S, S, 1, S, 1, S, 1, { BLOCK_M: BM, BLOCK_N: BN, BLOCK_K: BK, GROUP_M: 8, numWarps, ...stages, ...(precision ? { PRECISION: precision } : {}) }));
  const module = l!.definition.specialize(l!.bound.bindings).ir.module;
  return printOp(compileToPtx(module, { numWarps, numStages, target, argFacts: argumentFacts(l!.bound.runtime) }).gpuIr);
}

describe('accelerate-matmul', () => {
  test('an f16 dot of whole warpgroups goes to wgmma, A and B in 128-byte swizzled buffers', () => {
    fileCheck(
      gpuIr({ dtype: 'f16', S: 4096, BM: 128, BN: 256, BK: 64, numWarps: 8 }),
      `
      CHECK: #[[MMA:mma[0-9]*]] = #ttg.nvidia_mma<{versionMajor = 3, warpsPerCTA = [8, 1], instrShape = [16, 256, 16]}>
      CHECK: #[[SH:shared[0-9]*]] = #ttg.nvmma_shared<{swizzlingByteWidth = 128, transposed = false, elementBitWidth = 16}>
      CHECK: ttng.warp_group_dot {{.*}} : tensor<128x256xf32, #[[MMA]]>
      CHECK-NOT: tt.dot
      `,
    );
  });

  test('f32 dots with ieee precision stay on the FMA units', () => {
    fileCheck(gpuIr({ dtype: 'f32', S: 256, BM: 64, BN: 64, BK: 32, numWarps: 4 }), 'CHECK-NOT: nvidia_mma\nCHECK: tt.dot %{{[0-9]+}}, %{{[0-9]+}}, %{{.*}} : tensor<64x64xf32, #blocked');
  });

  const mmaSync = (rows: number, cols: number, el: string, warps: string, kWidth: number): string => `
      CHECK: #[[MMA:mma[0-9]*]] = #ttg.nvidia_mma<{versionMajor = 2, warpsPerCTA = ${warps}, instrShape = [16, 8]}>
      CHECK: #[[A:dot_op[0-9]*]] = #ttg.dot_op<{opIdx = 0, parent = #[[MMA]], kWidth = ${kWidth}}>
      CHECK: #[[B:dot_op[0-9]*]] = #ttg.dot_op<{opIdx = 1, parent = #[[MMA]], kWidth = ${kWidth}}>
      CHECK-NOT: ttng.warp_group_dot
      CHECK: %[[X:[0-9]+]] = ttg.local_load {{.*}} : tensor<{{.*}}x${el}, #[[A]]>
      CHECK-NEXT: %[[Y:[0-9]+]] = ttg.local_load {{.*}} : tensor<{{.*}}x${el}, #[[B]]>
      CHECK-NEXT: tt.dot %[[X]], %[[Y]], {{.*}} : tensor<${rows}x${cols}xf32, #[[MMA]]>
      `;

  test('tiles below a warpgroup go to mma.sync, operands read into dot_operand registers', () => {
    fileCheck(gpuIr({ dtype: 'f16', S: 256, BM: 32, BN: 64, BK: 32, numWarps: 4 }), mmaSync(32, 64, 'f16', '[2, 2]', 2));
  });

  test('before sm_90, dots go to mma.sync', () => {
    fileCheck(gpuIr({ dtype: 'f16', S: 256, BM: 128, BN: 128, BK: 32, numWarps: 4, target: 'sm_80' }), mmaSync(128, 128, 'f16', '[2, 2]', 2));
  });

  test('a tf32 dot with B stored N-major goes to mma.sync on sm_90 (wgmma reads tf32 only K-major)', () => {
    fileCheck(gpuIr({ dtype: 'f32', S: 256, BM: 64, BN: 64, BK: 32, numWarps: 4, precision: 'tf32' }), mmaSync(64, 64, 'f32', '[2, 2]', 1));
  });
});

describe('pipeline-loads', () => {
  test('three stages: buffers, two iterations of copies before the loop, one wait and two barriers per iteration', () => {
    fileCheck(
      gpuIr({ dtype: 'f16', S: 4096, BM: 128, BN: 128, BK: 64, numWarps: 4, numStages: 3 }),
      `
      CHECK: %[[A:[0-9]+]] = ttg.local_alloc {{.*}} : !ttg.memdesc<3x128x64xf16
      CHECK: %[[B:[0-9]+]] = ttg.local_alloc {{.*}} : !ttg.memdesc<3x64x128xf16
      CHECK: ttg.async_copy_global_to_local
      CHECK: ttg.async_copy_global_to_local
      CHECK: ttg.async_commit_group
      CHECK: ttg.async_copy_global_to_local
      CHECK: ttg.async_copy_global_to_local
      CHECK: ttg.async_commit_group
      CHECK: scf.for {{.*}} {tt.pipelined = 3}
      CHECK: ttg.async_wait {num = 1}
      CHECK-NEXT: ttg.memdesc_index %[[A]], %readSlot
      CHECK-NEXT: ttg.memdesc_index %[[B]], %readSlot
      CHECK-NEXT: gpu.barrier
      CHECK-NEXT: %[[DOT:[0-9]+]] = ttng.warp_group_dot {{.*}}isAsync = true
      CHECK-NEXT: ttng.warp_group_dot_wait %[[DOT]] {pendings = 1}
      CHECK: gpu.barrier
      CHECK-NEXT: ttg.async_copy_global_to_local
      CHECK: ttg.async_commit_group
      CHECK: scf.yield
      CHECK: ttng.warp_group_dot_wait {{.*}} {pendings = 0}
      CHECK-NEXT: ttg.async_wait {num = 0}
      `,
    );
  });

  test('numStages changes the code: its buffers and how far ahead it copies', () => {
    for (const stages of [2, 4]) {
      const ir = gpuIr({ dtype: 'f16', S: 4096, BM: 128, BN: 128, BK: 64, numWarps: 4, numStages: stages });
      fileCheck(ir, `CHECK: !ttg.memdesc<${stages}x128x64xf16\nCHECK: {tt.pipelined = ${stages}}\nCHECK: ttg.async_wait {num = ${stages - 2}}`);
      expect(ir.match(/ttg\.async_commit_group/g)!.length).toBe(stages);
    }
  });

  test('one stage, or loads that cannot be copied asynchronously, leave the loop synchronous', () => {
    fileCheck(gpuIr({ dtype: 'f16', S: 4096, BM: 128, BN: 128, BK: 64, numWarps: 4, numStages: 1 }), 'CHECK-NOT: ttg.async_copy_global_to_local\nCHECK: ttng.warp_group_dot {{.*}}isAsync = false');
    // K = 4095: rows of A are only 2-byte aligned, too little for a 4-byte copy.
    fileCheck(gpuIr({ dtype: 'f16', S: 4095, BM: 128, BN: 128, BK: 64, numWarps: 4, numStages: 3 }), 'CHECK-NOT: ttg.async_copy_global_to_local\nCHECK: ttng.warp_group_dot {{.*}}isAsync = false');
  });

  test('mma.sync dots are pipelined too: each iteration reads its slot into registers, then copies ahead into the slot the last one read', () => {
    fileCheck(
      gpuIr({ dtype: 'f16', S: 4096, BM: 128, BN: 128, BK: 32, numWarps: 4, numStages: 3, target: 'sm_80' }),
      `
      CHECK: %[[A:[0-9]+]] = ttg.local_alloc {{.*}} : !ttg.memdesc<3x128x32xf16
      CHECK: %[[B:[0-9]+]] = ttg.local_alloc {{.*}} : !ttg.memdesc<3x32x128xf16
      CHECK: scf.for {{.*}} {tt.pipelined = 3}
      CHECK-NEXT: ^bb0
      CHECK-NEXT: ttg.async_wait {num = 1}
      CHECK-NEXT: %[[SA:[0-9]+]] = ttg.memdesc_index %[[A]], %readSlot
      CHECK-NEXT: %[[SB:[0-9]+]] = ttg.memdesc_index %[[B]], %readSlot
      CHECK-NEXT: gpu.barrier
      CHECK-NEXT: %[[X:[0-9]+]] = ttg.local_load %[[SA]]
      CHECK-NEXT: %[[Y:[0-9]+]] = ttg.local_load %[[SB]]
      CHECK-NEXT: tt.dot %[[X]], %[[Y]]
      CHECK: ttg.memdesc_index %[[A]], %writeSlot
      CHECK: ttg.async_copy_global_to_local
      CHECK: ttg.async_commit_group
      CHECK: scf.yield
      CHECK-NEXT: }
      CHECK-NEXT: ttg.async_wait {num = 0}
      `,
    );
  });
});

describe('reductions of a dot result (remove-layout-conversions)', () => {
  /** The GPU IR of dotThenReduce on a 64 x 64 x 32 f16 dot with 4 warps. */
  function reduceIr(MODE: string, target?: string): string {
    const [x, y, out] = [empty([64, 32], 'f16'), empty([32, 64], 'f16'), empty([64], 'f32')];
    const [l] = captureLaunches(() => dotThenReduce([1], x, y, out, { MODE, BM: 64, BN: 64, BK: 32, numWarps: 4 }));
    const module = l!.definition.specialize(l!.bound.bindings).ir.module;
    return printOp(compileToPtx(module, { numWarps: 4, target, argFacts: argumentFacts(l!.bound.runtime) }).gpuIr);
  }

  test('a max or sum runs in the accumulator layout (wgmma and mma.sync); only its result is converted', () => {
    for (const [MODE, target, version] of [['rowmax', undefined, 3], ['colsum', 'sm_80', 2]] as const) {
      fileCheck(
        reduceIr(MODE, target),
        `
        CHECK: #[[MMA:mma[0-9]*]] = #ttg.nvidia_mma<{versionMajor = ${version}
        CHECK: #[[ROW:slice[0-9]*]] = #ttg.slice<{dim = ${MODE === 'rowmax' ? 1 : 0}, parent = #[[MMA]]}>
        CHECK: %[[D:[0-9]+]] = {{ttng.warp_group_dot|tt.dot}} {{.*}} : tensor<64x64xf32, #[[MMA]]>
        CHECK-NOT: ttg.convert_layout %[[D]]
        CHECK: %[[R:[0-9]+]] = tt.reduce %[[D]] {axis = ${MODE === 'rowmax' ? 1 : 0}{{.*}}} : tensor<64xf32, #[[ROW]]>
        CHECK: ttg.convert_layout %[[R]]
        `,
      );
    }
  });

  test('argmax, whose combine does not commute, converts the accumulator to a blocked layout first', () => {
    fileCheck(
      reduceIr('argmax'),
      `
      CHECK: %[[D:[0-9]+]] = ttng.warp_group_dot {{.*}} : tensor<64x64xf32, #mma
      CHECK: %[[C:[0-9]+]] = ttg.convert_layout %[[D]] {{.*}} : tensor<64x64xf32, #blocked
      CHECK: tt.reduce %[[C]], 
      `,
    );
  });
});

describe('a fused epilogue (remove-layout-conversions)', () => {
  test("linear's bias and leaky ReLU run in the accumulator's layout: the bias row is converted, not the accumulator", () => {
    const S = 4096;
    const [a, b, bias, c] = [empty([16, 16], 'f16'), empty([16, 16], 'f16'), empty([16], 'f32'), empty([16, 16], 'f16')];
    const [l] = captureLaunches(() => linear([1], a, b, bias, c, S, S, S, S, 1, S, 1, S, 1, { BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numWarps: 8, numStages: 3 }));
    const module = l!.definition.specialize(l!.bound.bindings).ir.module;
    fileCheck(
      printOp(compileToPtx(module, { numWarps: 8, numStages: 3, target: 'sm_90a', argFacts: argumentFacts(l!.bound.runtime) }).gpuIr),
      `
      CHECK: #[[MMA:mma[0-9]*]] = #ttg.nvidia_mma<{versionMajor = 3
      CHECK: #[[ROW:slice[0-9]*]] = #ttg.slice<{dim = 0, parent = #[[MMA]]}>
      CHECK: %[[ACC:[0-9]+]] = ttng.warp_group_dot_wait {{.*}}{pendings = 0} : tensor<128x256xf32, #[[MMA]]>
      CHECK-NOT: ttg.convert_layout %[[ACC]]
      CHECK: %[[BIAS:[0-9]+]] = tt.load {{.*}} : tensor<256xf32, #blocked
      CHECK: ttg.convert_layout %[[BIAS]] {{.*}} : tensor<256xf32, #[[ROW]]>
      CHECK: %shifted = arith.addf %[[ACC]], {{.*}} : tensor<128x256xf32, #[[MMA]]>
      CHECK: %[[H:[0-9]+]] = arith.truncf {{.*}} : tensor<128x256xf16, #[[MMA]]>
      CHECK-NOT: tensor<128x256xf32, #blocked
      CHECK: ttg.convert_layout %[[H]] {{.*}} : tensor<128x256xf16, #blocked
      `,
    );
  });
});
