// The user-facing tl object (src/dsl/tl.ts) and the frontend's builtin table describe the same functions.
import { expect, test } from 'vitest';
import { tl } from 'kt';
import { tlMemberNames } from '../src/compiler/frontend/builtins.ts';

test('every tl member has a frontend implementation and the reverse', () => {
  expect(Object.keys(tl).sort()).toEqual([...new Set(tlMemberNames())].sort());
});

test('tl functions say they only work inside kernels when called from JavaScript', () => {
  expect(() => tl.arange(0, 4)).toThrow(/tl\.arange can only be used inside a kernel/);
});
