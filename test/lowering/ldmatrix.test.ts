// mma.sync operands are read with ldmatrix wherever the linear layouts allow it: A stored K-major and B stored
// K-major with plain ldmatrix (16-, 8- and 32-bit types), 16-bit B stored N-major with ldmatrix.trans; a tf32 or
// 8-bit B stored N-major (no 4-byte chunk along K in shared memory) with ld.shared. That the values are right is
// the simulated tensor-core suite's job (test/gpu/matmul-tensor-cores.test.ts runs every case for sm_80).
import { describe, expect, test } from 'vitest';
import { empty } from 'kt';
import { matmul } from '../../kernels/matmul.ts';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { argumentFacts, captureLaunches } from '../../src/dsl/kernel.ts';

/** The PTX of the library matmul for sm_80 at 256^3 with 64 x 64 x 32 tiles, 4 warps, B stored K-major or N-major. */
function ptx(dtype: 'f16' | 'f32' | 'i8', bKMajor: boolean): string {
  const S = 256;
  const [a, b, c] = [empty([16, 16], dtype), empty([16, 16], dtype), empty([16, 16], dtype === 'i8' ? 'i32' : 'f32')];
  const [sbk, sbn] = bKMajor ? [1, S] : [S, 1];
  const config = { BLOCK_M: 64, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, numWarps: 4, numStages: 3, PRECISION: dtype === 'f32' ? 'tf32' : 'ieee', ACC_INT: dtype === 'i8' };
  const [l] = captureLaunches(() => matmul([1], a, b, c, S, S, S, S, 1, sbk, sbn, S, 1, config));
  const module = l!.definition.specialize(l!.bound.bindings).ir.module;
  return compileToPtx(module, { numWarps: 4, numStages: 3, target: 'sm_80', argFacts: argumentFacts(l!.bound.runtime) }).ptx;
}

const count = (text: string, re: RegExp): number => (text.match(re) ?? []).length;

describe('ldmatrix for mma.sync operands', () => {
  test('f16: A with ldmatrix, B stored N-major with ldmatrix.trans, four matrices at a time', () => {
    const p = ptx('f16', false);
    // Per warp and K tile: A 32 x 32 is 16 registers of 32 bits (4 x4), B 32 x 32 too (4 x4.trans).
    expect(count(p, /ldmatrix\.sync\.aligned\.m8n8\.x4\.shared\.b16/g)).toBe(4);
    expect(count(p, /ldmatrix\.sync\.aligned\.m8n8\.x4\.trans\.shared\.b16/g)).toBe(4);
    expect(p).toContain('mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32');
  });

  test('tf32 and i8: plain ldmatrix where K is contiguous in shared memory, ld.shared for a B stored N-major', () => {
    for (const dtype of ['f32', 'i8'] as const) {
      const [kMajor, nMajor] = [ptx(dtype, true), ptx(dtype, false)];
      expect(count(kMajor, /ldmatrix/g), `${dtype}, B K-major`).toBe(2 * count(nMajor, /ldmatrix/g));
      expect(count(nMajor, /ldmatrix\.[^;]*\.trans/g)).toBe(0);
      expect(count(nMajor, /ldmatrix/g)).toBeGreaterThan(0);
    }
  });
});
