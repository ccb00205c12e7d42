// assertClose: dtype-aware default tolerances, explicit ones, and a failure message that counts the mismatches
// and lists the worst with their indices.
import { AssertionError } from 'node:assert';
import { describe, expect, test } from 'vitest';
import { assertClose, tensor } from 'kt';

/** The message assertClose throws for these values (it must throw). */
function failure(run: () => void): string {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(AssertionError);
    return (e as Error).message;
  }
  throw new Error('assertClose passed, but should have failed');
}

describe('passing and failing', () => {
  test('values within atol + rtol * |expected| pass, against a tensor or plain values', () => {
    const a = tensor([1, 2, 3, 4], { shape: [2, 2] });
    assertClose(a, [1, 2, 3, 4]);
    assertClose(a, tensor([1, 2, 3, 4.0003], { shape: [2, 2] }));
    assertClose(a, [1.1, 2, 3, 4], { atol: 0.1000001, rtol: 0 });
    assertClose(a, [1.1, 2, 3, 4], { atol: 0, rtol: 0.1000001 });
  });

  test('the default tolerance follows the dtype: f16 accepts what f32 refuses', () => {
    const want = [1, 2, 3, 4.004];
    assertClose(tensor([1, 2, 3, 4], { dtype: 'f16' }), want);
    expect(failure(() => assertClose(tensor([1, 2, 3, 4]), want))).toMatch(/atol 0\.00001, rtol 0\.0001; by dtype: f32\)/);
  });

  test('integers must be equal; the looser dtype of two tensors sets the default', () => {
    expect(failure(() => assertClose(tensor([1, 2, 3], { dtype: 'i32' }), [1, 2, 4]))).toMatch(/1 of 3 elements .* \(atol 0, rtol 0; by dtype: i32\)/);
    assertClose(tensor([1, 2, 3]), tensor([1, 2, 3.004], { dtype: 'f16' }));
  });

  test('NaN matches only NaN, an infinity only the same infinity', () => {
    assertClose(tensor([NaN, Infinity, -Infinity]), [NaN, Infinity, -Infinity]);
    expect(failure(() => assertClose(tensor([NaN, 1]), [0, 1]))).toMatch(/1 of 2 elements/);
    expect(failure(() => assertClose(tensor([Infinity, 1]), [-Infinity, 1]))).toMatch(/1 of 2 elements/);
  });

  test('shapes and lengths must agree', () => {
    expect(failure(() => assertClose(tensor([1, 2, 3, 4], { shape: [2, 2] }), tensor([1, 2, 3, 4])))).toBe('tensors are not close: their shapes differ: actual [2, 2], expected [4]');
    expect(failure(() => assertClose(tensor([1, 2, 3]), [1, 2]))).toBe('tensors are not close: actual has 3 elements (shape [3]) but 2 values are expected');
  });

  test('bad options are refused', () => {
    expect(() => assertClose(tensor([1]), [1], { atol: -1 })).toThrow(/atol must be a number, 0 or more; got -1/);
    expect(() => assertClose([1] as never, [1])).toThrow(/actual must be a Tensor/);
  });
});

describe('the failure message', () => {
  test('counts the mismatches and lists the worst first, with their indices', () => {
    const want = Array.from({ length: 12 }, (_, i) => i);
    const got = [...want];
    got[1] = 1.5; // off by 0.5 at [0, 1]
    got[6] = 9; // off by 3 at [1, 2]
    got[11] = 10; // off by 1 at [2, 3]
    const message = failure(() => assertClose(tensor(got, { shape: [3, 4] }), want));
    const lines = message.split('\n');
    expect(lines[0]).toBe('tensors are not close: 3 of 12 elements (25.0%) differ by more than atol + rtol * |expected| (atol 0.00001, rtol 0.0001; by dtype: f32)');
    expect(lines[1]).toBe('greatest absolute difference 3, greatest relative difference 0.5 (over finite elements; actual is f32 [3, 4])');
    expect(lines[2]).toBe('the mismatches, worst first:');
    expect(lines.slice(3).map((l) => l.trim().split(/\s+/))).toEqual([
      ['index', 'actual', 'expected', '|difference|'],
      ['[1,', '2]', '9', '6', '3'],
      ['[2,', '3]', '10', '11', '1'],
      ['[0,', '1]', '1.5', '1', '0.5'],
    ]);
  });

  test('lists only the worst `show` of many, NaN before any finite difference', () => {
    const want = Array.from({ length: 1000 }, () => 0);
    const got = want.map((_, i) => i / 1000);
    got[500] = NaN;
    const message = failure(() => assertClose(tensor(got), want, { atol: 0.5, rtol: 0, show: 3 }));
    expect(message).toMatch(/^tensors are not close: 500 of 1000 elements \(50\.0%\) .*\(atol 0\.5, rtol 0; as given\)/);
    const listed = message.split('\n').slice(4).map((l) => l.trim().split(/\s+/)[0]);
    expect(listed).toEqual(['[500]', '[999]', '[998]']);
  });
});
