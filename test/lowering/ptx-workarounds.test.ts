// PTX that kt writes differently from the obvious instruction because NVIDIA's assembler miscompiles the obvious
// one. Each case says which ptxas and what it got wrong; the GPU tier of the differential fuzzer
// (test/fuzz/cases/int-max-of-negations-ptxas.test.ts) runs the kernel that found it.
import { describe, test } from 'vitest';
import { empty, kernel, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { argumentFacts, captureLaunches } from '../../src/dsl/kernel.ts';
import { fileCheck } from '../support/filecheck.ts';

/** The row maximum (or minimum) of -x over a 2 x 64 tile, 4 elements per thread: a chain of integer max per thread. */
const negatedExtremum = kernel(function negatedExtremum(x: Ptr, out: Ptr, N: i32, MAX: constexpr<boolean>) {
  const rows = tl.arange(0, 2);
  const cols = tl.arange(0, 64);
  const v = -tl.load(x + tl.expandDims(rows, 1) * N + tl.expandDims(cols, 0), { mask: tl.expandDims(cols, 0) < N, other: 0 });
  tl.store(out + rows, MAX ? tl.max(v, 1) : tl.min(v, 1));
});

function ptxOf(dtype: 'i32' | 'u32' | 'i64', max: boolean): string {
  const [x, out] = [empty([2, 16], dtype), empty([2], dtype)];
  const [l] = captureLaunches(() => negatedExtremum([1], x, out, 16, { MAX: max, numWarps: 1 }));
  const module = l!.definition.specialize(l!.bound.bindings).ir.module;
  return compileToPtx(module, { numWarps: 1, target: 'sm_90a', argFacts: argumentFacts(l!.bound.runtime) }).ptx;
}

describe('integer max and min are a compare and a select', () => {
  // ptxas 13.0 (V13.0.88) fuses max.s32(max.s32(-a, -b), -c) into VIMNMX3 and drops the negation of one operand.
  for (const [dtype, suffix] of [['i32', 's32'], ['u32', 'u32'], ['i64', 's64']] as const) {
    for (const max of [true, false]) {
      test(`${max ? 'max' : 'min'} of ${dtype}`, () => {
        fileCheck(
          ptxOf(dtype, max),
          `
          CHECK-NOT: {{(max|min)}}.${suffix}
          CHECK: setp.${max ? 'ge' : 'le'}.${suffix} %[[P:p[0-9]+]], %[[A:r[d]?[0-9]+]], %[[B:r[d]?[0-9]+]];
          CHECK-NEXT: selp.b${suffix.slice(1)} %{{r[d]?[0-9]+}}, %[[A]], %[[B]], %[[P]];
          CHECK-NOT: {{(max|min)}}.${suffix}
          `,
        );
      });
    }
  }
});
