// The matmul spec's default tuning space: on a GPU, 16-bit dots get the tensor-core space (24 configs of whole
// warpgroups, small enough to measure exhaustively, with Triton's best config and the spec's default among them);
// other dtypes and the interpreter keep the general space.
import { describe, expect, test } from 'vitest';
import { spec } from '../../kernels/matmul.ts';
import { configKey, normalizeConfig, resolveSpace } from '../../src/autotune/space.ts';

const h200 = { name: 'NVIDIA H200', maxSharedPerBlock: 232448 };
const space = (dtype: string, S: number, device?: typeof h200) => resolveSpace(spec.tuning!.spaces.default, { values: { M: S, N: S, K: S }, dtypes: [dtype], device });

describe('matmul default tuning space', () => {
  test('16-bit dtypes on a GPU: 24 tensor-core configs, the default and Triton\'s best among them', () => {
    for (const dtype of ['f16', 'bf16']) {
      const s = space(dtype, 4096, h200);
      expect(s.size).toBe(24);
      const keys = s.configs.map(configKey);
      expect(keys).toContain(configKey(normalizeConfig(spec.config)));
      expect(keys).toContain(configKey(normalizeConfig({ BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numWarps: 8, numStages: 4 })));
      for (const c of s.configs) expect((c.BLOCK_M as number) * (c.BLOCK_N as number) / ((c.numWarps as number) * 32)).toBeLessThanOrEqual(128);
    }
  });

  test('a small problem keeps only the tiles it fills', () => {
    const s = space('f16', 64, h200);
    expect(s.configs.every((c) => c.BLOCK_M === 64 && c.BLOCK_N === 64)).toBe(true);
    expect(s.size).toBe(3);
  });

  test('f32 on a GPU, and the interpreter, keep the general space', () => {
    expect(space('f32', 4096, h200).size).toBeGreaterThan(100);
    expect(space('f16', 4096).size).toBeGreaterThan(100);
  });
});
