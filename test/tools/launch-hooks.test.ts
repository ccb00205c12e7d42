// Launch hooks: called before and after every launch with the kernel, the grid and the backend, and after with
// the time it took; removable; called after a launch that throws too. GPU timing with events is checked where
// there is a GPU.
import { afterEach, describe, expect, test } from 'vitest';
import { addLaunchHook, cdiv, empty, gpuAvailable, kernel, tensor, tl, type LaunchEnd, type LaunchInfo, type Ptr, type constexpr, type i32 } from 'kt';

const double = kernel(function double(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * 2, { mask: offs < n });
});

const unmasked = kernel(function unmasked(x: Ptr, BLOCK: constexpr) {
  tl.store(x + tl.arange(0, BLOCK), 1.0);
});

const removers: (() => void)[] = [];
afterEach(() => removers.splice(0).forEach((remove) => remove()));

/** Registers a hook that records every call, removed after the test. */
function recorder(timing = false): { calls: string[]; before: LaunchInfo[]; after: LaunchEnd[]; remove: () => void } {
  const r = { calls: [] as string[], before: [] as LaunchInfo[], after: [] as LaunchEnd[], remove: () => {} };
  r.remove = addLaunchHook({
    timing,
    before: (l) => {
      r.calls.push(`before ${l.kernel}`);
      r.before.push(l);
    },
    after: (l) => {
      r.calls.push(`after ${l.kernel}`);
      r.after.push(l);
    },
  });
  removers.push(r.remove);
  return r;
}

const n = 100;
const x = tensor(Float32Array.from({ length: n }, (_, i) => i));

describe('on the interpreter', () => {
  test('every launch calls before and after, with the kernel, the grid, the backend and the wall-clock time', () => {
    const r = recorder();
    const out = empty([n]);
    double([cdiv(n, 32)], x, out, n, { BLOCK: 32 });
    double((meta) => [cdiv(n, meta['BLOCK'] as number), 2], x, out, n, { BLOCK: 64 });
    expect(r.calls).toEqual(['before double', 'after double', 'before double', 'after double']);
    expect(r.before).toEqual([
      { kernel: 'double', grid: [4, 1, 1], backend: 'interpreter' },
      { kernel: 'double', grid: [2, 2, 1], backend: 'interpreter' },
    ]);
    for (const end of r.after) expect(end.elapsedMs).toBeGreaterThan(0);
    expect(out.toNumbers().slice(0, 3)).toEqual([0, 2, 4]);
  });

  test('hooks run in the order they were added; a removed hook is not called again', () => {
    const first = recorder();
    const second = recorder();
    double([1], x, empty([n]), n, { BLOCK: 128 });
    expect([...first.calls, ...second.calls]).toEqual(['before double', 'after double', 'before double', 'after double']);
    first.remove();
    double([1], x, empty([n]), n, { BLOCK: 128 });
    expect(first.calls).toHaveLength(2);
    expect(second.calls).toHaveLength(4);
  });

  test('after is called when the launch throws, without a time, and the error reaches the caller', () => {
    const r = recorder();
    expect(() => unmasked([1], empty([4]), { BLOCK: 8 })).toThrow(/out-of-bounds store in kernel 'unmasked'/);
    expect(r.calls).toEqual(['before unmasked', 'after unmasked']);
    expect(r.after[0]!.elapsedMs).toBeUndefined();
  });

  test('a launch that is only captured (kt compile, the tuner) is not a launch', async () => {
    const { captureLaunches } = await import('../../src/dsl/kernel.ts');
    const r = recorder();
    const captured = captureLaunches(() => double([1], x, empty([n]), n, { BLOCK: 128 }));
    expect(captured).toHaveLength(1);
    expect(r.calls).toEqual([]);
  });
});

describe.skipIf(!gpuAvailable())('on the GPU', () => {
  test('GPU launches are reported, timed with events only while a hook asks for timing', () => {
    const [gx, gout] = [x.cuda(), empty([n], 'f32', 'cuda')];
    const untimed = recorder();
    double([1], gx, gout, n, { BLOCK: 128 });
    double([1], gx, gout, n, { BLOCK: 128 }); // the fast path of a launch seen before
    expect(untimed.before.map((l) => l.backend)).toEqual(['gpu', 'gpu']);
    expect(untimed.after.map((l) => l.elapsedMs)).toEqual([undefined, undefined]);
    const timed = recorder(true);
    double([1], gx, gout, n, { BLOCK: 128 });
    expect(timed.after[0]!.elapsedMs).toBeGreaterThan(0);
    // Every hook sees the time once one asks for it.
    expect(untimed.after[2]!.elapsedMs).toBe(timed.after[0]!.elapsedMs);
    expect(gout.toNumbers().slice(0, 3)).toEqual([0, 2, 4]);
  });
});
