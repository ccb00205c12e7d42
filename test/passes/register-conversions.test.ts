// Layout conversions that keep every element in its thread are register renamings: no shared memory, no
// barrier, and the lowered tile takes the source's registers in the order the linear layouts give.
import { expect, test } from 'vitest';
import { convertLayout } from '../../src/compiler/ir/builder.ts';
import { Operation, unknownLoc, Value } from '../../src/compiler/ir/core.ts';
import { blockedLayout, nvidiaMmaLayout, sliceLayout, type Layout } from '../../src/compiler/ir/layouts.ts';
import { f32, tensorType } from '../../src/compiler/ir/types.ts';
import { registerConversion, scratchBytes } from '../../src/compiler/gpu/shared-memory.ts';

function conversion(from: Layout, to: Layout, shape: number[]): Operation {
  const src = new Value(tensorType(shape, f32, from));
  return convertLayout(src, to, unknownLoc);
}

test('a 1-D blocked tile and the equal slice of a 2-D one: the same registers', () => {
  const op = conversion(sliceLayout(0, blockedLayout([1, 1], [1, 32], [1, 4], [1, 0])), blockedLayout([1], [32], [4], [0]), [128]);
  expect(registerConversion(op)).toEqual([0]);
  expect(scratchBytes(op)).toBe(0);
});

test('the mma.sync accumulator to the blocked layout with its lanes: a permutation of registers', () => {
  const op = conversion(nvidiaMmaLayout(2, [1, 1], [16, 8]), blockedLayout([1, 2], [8, 4], [1, 1], [1, 0]), [16, 16]);
  expect(registerConversion(op)).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
  expect(scratchBytes(op)).toBe(0);
});

test('a conversion that moves elements between threads goes through shared memory', () => {
  const op = conversion(blockedLayout([1, 4], [4, 8], [4, 1], [1, 0]), blockedLayout([4, 1], [8, 4], [1, 4], [0, 1]), [32, 32]);
  expect(registerConversion(op)).toBeUndefined();
  expect(scratchBytes(op)).toBe(32 * 32 * 4);
});
