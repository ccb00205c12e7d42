// Kernels in the control-flow forms of Triton code that kt once refused (issue 10): early returns nested in
// compile-time ifs and in every branch of nested ifs, conditional expressions whose sides are stores, and hints
// on loop variables, arguments and branch results; and random numbers from 64-bit offsets. The interpreter tests
// (control-flow-forms.test.ts, random-forms.test.ts) check them against expectations computed in plain TypeScript;
// the GPU tests against the interpreter.
import { kernel, tl, type Ptr, type constexpr, type i32 } from 'kt';

/** Each program writes 10 + pid; with EARLY, programs past `n` return first, from inside a run-time if. */
export const earlyInConstexprIf = kernel(function earlyInConstexprIf(out: Ptr, n: i32, EARLY: constexpr<boolean>) {
  const pid = tl.programId(0);
  tl.store(out + pid * 2, 1);
  if (EARLY) {
    if (pid >= n) {
      tl.store(out + pid * 2 + 1, -1);
      return;
    }
  }
  tl.store(out + pid * 2 + 1, 10 + pid);
});

export function expectEarlyInConstexprIf(programs: number, n: number, early: boolean): number[] {
  return Array.from({ length: programs }, (_, pid) => [1, early && pid >= n ? -1 : 10 + pid]).flat();
}

/** A value from returns in every branch of nested ifs, some followed by more code. */
export function classify(x: number): number {
  if (x > 0) {
    if (x > 100) {
      return 3;
    } else if (x > 10) {
      return 2;
    }
    const small = x * 10;
    if (small > 50) return small;
  } else {
    if (x < -10) {
      return -2;
    } else {
      if (x === 0) return 0;
    }
  }
  return -1;
}

export const classifyAll = kernel(function classifyAll(x: Ptr, out: Ptr) {
  const pid = tl.programId(0);
  tl.store(out + pid, classify(tl.load(x + pid)));
});

/**
 * Programs stop at different depths. A variable changed after an early return, and one shadowed inside the
 * returning branch, keep their values on the paths that go on.
 */
export const stages = kernel(function stages(out: Ptr, n: i32, SKIP_ODD: constexpr<boolean>) {
  const pid = tl.programId(0);
  let v = pid;
  tl.store(out + pid * 4, v);
  if (SKIP_ODD) {
    const v = 1000;
    if (pid % 2 === 1) {
      tl.store(out + pid * 4 + 1, v);
      return;
    }
  }
  v = v + 100;
  tl.store(out + pid * 4 + 1, v);
  if (pid >= n) {
    if (pid > n) {
      return;
    } else {
      tl.store(out + pid * 4 + 2, -3);
      return;
    }
  }
  v = v * 2;
  tl.store(out + pid * 4 + 2, v);
  tl.store(out + pid * 4 + 3, 4);
});

/** What `stages` writes into a tensor of -7s. */
export function expectStages(programs: number, n: number, skipOdd: boolean): number[] {
  const out: number[] = Array(programs * 4).fill(-7);
  for (let pid = 0; pid < programs; pid++) {
    out[pid * 4] = pid;
    if (skipOdd && pid % 2 === 1) {
      out[pid * 4 + 1] = 1000;
      continue;
    }
    out[pid * 4 + 1] = pid + 100;
    if (pid > n) continue;
    if (pid === n) {
      out[pid * 4 + 2] = -3;
      continue;
    }
    out[pid * 4 + 2] = (pid + 100) * 2;
    out[pid * 4 + 3] = 4;
  }
  return out;
}

/** A helper that returns early, called in a loop; the loop follows an early return of the kernel. */
export function clampedStep(i: number, limit: number): number {
  if (i > limit) {
    return limit;
  }
  return i;
}

export const loopAfterReturn = kernel(function loopAfterReturn(out: Ptr, n: i32, limit: i32, CHECK: constexpr<boolean>) {
  const pid = tl.programId(0);
  let acc = pid;
  if (CHECK) {
    if (pid === 0) {
      tl.store(out + pid, -1);
      return;
    }
  }
  for (let i = 0; i < n; i++) acc += clampedStep(i, limit);
  tl.store(out + pid, acc);
});

export function expectLoopAfterReturn(programs: number, n: number, limit: number, check: boolean): number[] {
  return Array.from({ length: programs }, (_, pid) => {
    if (check && pid === 0) return -1;
    let acc = pid;
    for (let i = 0; i < n; i++) acc += Math.min(i, limit);
    return acc;
  });
}

/**
 * Conditional expressions on a compile-time condition compile only the taken side (the other would fail); on a
 * run-time one only the chosen side runs, whether its sides are stores or values (the load past `n` would fault).
 */
export const ternaryStores = kernel(function ternaryStores(x: Ptr, out: Ptr, n: i32, FIRST: constexpr<boolean>) {
  const pid = tl.programId(0);
  FIRST ? tl.store(out + pid * 3, 1) : tl.staticAssert(false, 'the side not taken is not compiled');
  pid < n ? tl.store(out + pid * 3 + 1, tl.load(x + pid) * 2) : tl.store(out + pid * 3 + 1, -1);
  tl.store(out + pid * 3 + 2, pid < n ? tl.load(x + pid) + 1 : -1.5);
});

export function expectTernaryStores(x: readonly number[], programs: number): number[] {
  return Array.from({ length: programs }, (_, pid) => (pid < x.length ? [1, x[pid]! * 2, x[pid]! + 1] : [1, -1, -1.5])).flat();
}

/**
 * Sums x[lo, hi) in blocks of BLOCK, with hints on values no plain op computes: a loop variable hinted in place
 * (as Triton's flash attention does), a for-of variable, an argument and the result of a branch.
 */
export const hintedSums = kernel(function hintedSums(x: Ptr, out: Ptr, bounds: Ptr, stride: i32, BLOCK: constexpr) {
  const lo = tl.load(bounds);
  const hi = tl.load(bounds + 1);
  const cols = tl.arange(0, BLOCK);
  let acc = tl.zeros([BLOCK], tl.float32);
  for (let start = lo; start < hi; start += BLOCK) {
    start = tl.multipleOf(start, BLOCK);
    acc += tl.load(x + start + tl.maxContiguous(cols, BLOCK));
  }
  for (const start of tl.range(lo, hi, BLOCK)) {
    const s = tl.multipleOf(start, BLOCK);
    acc += tl.load(x + s + cols);
  }
  const rowStride = tl.multipleOf(stride, BLOCK);
  let base = 0;
  if (hi > lo) base = rowStride;
  base = tl.maxConstancy(tl.multipleOf(base, BLOCK), 1);
  tl.store(out + base + cols, acc);
});

/** What `hintedSums` writes at out[stride, stride + BLOCK) when hi > lo (x[lo, hi) summed twice, by columns). */
export function expectHintedSums(x: readonly number[], lo: number, hi: number, block: number): number[] {
  const acc = Array<number>(block).fill(0);
  for (let start = lo; start < hi; start += block) for (let j = 0; j < block; j++) acc[j] += 2 * x[start + j]!;
  return acc;
}

/** Philox 4x64 words, and uniform and normal floats, for the 64-bit offsets base + [0, BLOCK). */
export const randoms64 = kernel(function randoms64(ints: Ptr, floats: Ptr, seed: i32, base: Ptr, BLOCK: constexpr) {
  const offs = tl.load(base) + tl.arange(0, BLOCK).to(tl.int64);
  const cols = tl.arange(0, BLOCK);
  tl.store(ints + cols, tl.randint(seed, offs));
  const [, b] = tl.randint4x(seed, offs);
  tl.store(ints + BLOCK + cols, b);
  tl.store(floats + cols, tl.rand(seed, offs));
  tl.store(floats + BLOCK + cols, tl.randn(seed, offs));
  tl.store(floats + 2 * BLOCK + cols, tl.randomUintToUniformFloat(tl.randint(seed, offs)));
});
