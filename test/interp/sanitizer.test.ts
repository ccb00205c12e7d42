// The sanitizer (sanitized launches, KT_SANITIZE=1, kt run --sanitize): each hazard it catches, with the kernel,
// program, tile index and source line; the same kernels running without it (and what they silently compute);
// what it must not report (atomics, a lane reading back its own store, guarded divisions, i64 offsets, the
// whole library); and that a plain launch runs a program without any of its checks.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { userProject } from '../support/user-project.ts';
import { KernelRuntimeError, defineSpec, empty, full, kernel, randn, tensor, tl, zeros, type KernelSpec, type Ptr, type Tensor, type constexpr, type i32, type i64 } from 'kt';
import { runSpec } from '../../src/cli/run.ts';
import { libraryNames, loadTarget } from '../../src/cli/target.ts';
import { setSanitizeAll } from '../../src/interp/sanitize-settings.ts';
import { sanitizedLaunches } from '../../src/interp/sanitizer.ts';

const thisFile = fileURLToPath(import.meta.url);
const source = fs.readFileSync(thisFile, 'utf8').split('\n');
const lineOf = (marker: string): number => source.findIndex((l) => l.includes(`// @${marker}`)) + 1;
const root = path.resolve(path.dirname(thisFile), '../..');

/** The KernelRuntimeError `f` throws (failing the test if it throws none, or another error). */
function caught(f: () => void): KernelRuntimeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelRuntimeError);
    return e as KernelRuntimeError;
  }
  throw new Error('expected a KernelRuntimeError, and the launch ran to the end');
}

const values = (t: Tensor): number[] => Array.from(t.toArray() as ArrayLike<number>, Number);

// ---- races ----

const everyProgramWritesTheTile = kernel(function everyProgramWritesTheTile(out: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, offs * 10 + tl.programId(0)); // @waw
});

const readsTheNeighbour = kernel(function readsTheNeighbour(buf: Ptr, out: Ptr) {
  const pid = tl.programId(0);
  tl.store(buf + pid, pid * 2); // @rawstore
  const left = tl.load(buf + pid - 1, { mask: pid > 0, other: -1 }); // @rawload
  tl.store(out + pid, left);
});

const lanesCollide = kernel(function lanesCollide(out: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs % 4, offs); // @lanes
});

const readBack = kernel(function readBack(buf: Ptr, out: Ptr, SHIFT: constexpr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(buf + offs, offs * 3); // @readbackstore
  tl.store(out + offs, tl.load(buf + (offs + SHIFT) % BLOCK)); // @readbackload
});

const scalarThenTile = kernel(function scalarThenTile(buf: Ptr, out: Ptr, BLOCK: constexpr) {
  tl.store(buf, 7);
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(buf + offs * 0) + offs);
});

const histogram = kernel(function histogram(bins: Ptr, x: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.atomicAdd(bins + tl.load(x + offs, { mask, other: 0 }), 1, { mask });
});

const atomicThenLoad = kernel(function atomicThenLoad(counter: Ptr, out: Ptr, ONE_PROGRAM: constexpr<boolean>) {
  const pid = tl.programId(0);
  tl.atomicAdd(counter, 1, { mask: ONE_PROGRAM || pid === 0 }); // @atomic
  tl.store(out + pid, tl.load(counter, { mask: ONE_PROGRAM || pid === 1, other: -1 })); // @atomicload
});

const bytesOf = kernel(function bytesOf(out: Ptr, STEP: constexpr) {
  const bytes = out.to(tl.pointerType(tl.int8), { bitcast: true });
  tl.store(out + 1, 2.0, { mask: tl.programId(0) === 0 });
  tl.store(bytes + tl.programId(0) * STEP, 7); // @bytes
});

describe('races', () => {
  test('two programs storing the same element: both stores, with program ids, tile indices and lines', () => {
    const e = caught(() => everyProgramWritesTheTile([4], empty([8], 'i32'), { BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(
      `error: data race in kernel 'everyProgramWritesTheTile' on element offset 0 of tensor argument 'out' (i32, shape [8]): a store by program (1, 0, 0), tile index [0] of 8 and a store by program (0, 0, 0), tile index [0] of 8 (line ${lineOf('waw')}), with nothing ordering them`,
    );
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('waw')}:3: error`);
    expect(e.message).toContain(`note: the other access, a store by program (0, 0, 0), tile index [0] of 8, is at test/interp/sanitizer.test.ts:${lineOf('waw')}:3: tl.store(out + offs, offs * 10 + tl.programId(0));`);
    expect(e.message).toMatch(/hint: the programs of a launch run in no order/);
    expect(e.loc).toMatchObject({ file: thisFile, line: lineOf('waw') });
  });

  test('without the sanitizer the same launch ends silently with the last program’s values', () => {
    const out = empty([8], 'i32');
    everyProgramWritesTheTile([4], out, { BLOCK: 8 });
    expect(values(out)).toEqual([3, 13, 23, 33, 43, 53, 63, 73]);
  });

  test('a program loading what another stores: the load and the store', () => {
    const e = caught(() => readsTheNeighbour([3], zeros([3], 'i32'), empty([3], 'i32'), { sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('rawload')}:`);
    expect(e.message).toContain(
      `data race in kernel 'readsTheNeighbour' on element offset 0 of tensor argument 'buf' (i32, shape [3]): a load by program (1, 0, 0) and a store by program (0, 0, 0) (line ${lineOf('rawstore')})`,
    );
    // Unsanitized, the programs run in order and each sees its neighbour's store: a GPU need not.
    const out = empty([3], 'i32');
    readsTheNeighbour([3], zeros([3], 'i32'), out);
    expect(values(out)).toEqual([-1, 0, 2]);
  });

  test('two lanes of one store writing the same element', () => {
    const e = caught(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(
      `data race in kernel 'lanesCollide' on element offset 0 of tensor argument 'out' (i32, shape [4]): a store by program (0, 0, 0), tile index [4] of 8 and a store by program (0, 0, 0), tile index [0] of 8 (line ${lineOf('lanes')})`,
    );
    expect(e.message).toMatch(/hint: the lanes of a program run on different threads/);
    const out = empty([4], 'i32');
    lanesCollide([1], out, { BLOCK: 8 });
    expect(values(out)).toEqual([4, 5, 6, 7]);
  });

  test('a lane loading what another lane of its program stored races; a lane reading back its own store does not', () => {
    const e = caught(() => readBack([1], empty([8], 'i32'), empty([8], 'i32'), { SHIFT: 1, BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('readbackload')}:`);
    expect(e.message).toContain(`a load by program (0, 0, 0), tile index [0] of 8 and a store by program (0, 0, 0), tile index [1] of 8 (line ${lineOf('readbackstore')})`);
    const out = empty([8], 'i32');
    readBack([1], empty([8], 'i32'), out, { SHIFT: 0, BLOCK: 8, sanitize: true });
    expect(values(out)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
  });

  test('a scalar store (made by every lane) is ordered before the tile loads of its program', () => {
    const out = empty([4], 'i32');
    scalarThenTile([1], empty([1], 'i32'), out, { BLOCK: 4, sanitize: true });
    expect(values(out)).toEqual([7, 8, 9, 10]);
  });

  test('atomics do not race with atomics, between programs or lanes', () => {
    const x = tensor([0, 1, 1, 2, 2, 2, 3, 0, 3, 3, 3, 3, 1], { dtype: 'i32' });
    const bins = zeros([4], 'i32');
    histogram([4], bins, x, 13, { BLOCK: 4, sanitize: true });
    expect(values(bins)).toEqual([2, 3, 3, 5]);
  });

  test('accesses narrower than the tensor’s elements are checked byte by byte', () => {
    const out = zeros([2]);
    bytesOf([4], out, { STEP: 1, sanitize: true });
    expect(Array.from(new Uint8Array(out.hostBuffer()))).toEqual([7, 7, 7, 7, 0, 0, 0, 64]);
    const e = caught(() => bytesOf([4], zeros([2]), { STEP: 0, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('bytes')}:3: error: data race in kernel 'bytesOf' on element offset 0 of tensor argument 'out' (f32, shape [2]): a store by program (1, 0, 0) and a store by program (0, 0, 0)`);
  });

  test('an atomic and a plain load of the same element race, between programs and within one', () => {
    const e = caught(() => atomicThenLoad([2], zeros([1], 'i32'), empty([2], 'i32'), { ONE_PROGRAM: false, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('atomicload')}:23: error: data race in kernel 'atomicThenLoad' on element offset 0 of tensor argument 'counter' (i32, shape [1]): a load by program (1, 0, 0) and an atomic by program (0, 0, 0) (line ${lineOf('atomic')})`);
    // A scalar atomic is made by one thread of the program, its scalar load by all of them.
    const one = caught(() => atomicThenLoad([1], zeros([1], 'i32'), empty([1], 'i32'), { ONE_PROGRAM: true, sanitize: true }));
    expect(one.message).toContain(`a load by program (0, 0, 0) and an atomic by program (0, 0, 0) (line ${lineOf('atomic')})`);
    expect(one.message).toMatch(/hint: the lanes of a program run on different threads/);
  });
});

// ---- uninitialised reads ----

const increment = kernel(function increment(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(out + offs, tl.load(x + offs, { mask }) + 1, { mask }); // @uninit
});

const accumulate = kernel(function accumulate(acc: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.atomicAdd(acc + offs, 1); // @uninitatomic
});

describe('uninitialised reads', () => {
  test('a load of an element of empty() no one wrote: the tensor, the element and the line', () => {
    const e = caught(() => increment([1], empty([8]), empty([8]), 8, { BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(
      `sanitizer.test.ts:${lineOf('uninit')}:24: error: uninitialised read in kernel 'increment' (program (0, 0, 0), tile index [0] of 8): a load reads element offset 0 of tensor argument 'x' (f32, shape [8]), which nothing has written: it comes from empty()`,
    );
    expect(e.loc).toMatchObject({ line: lineOf('uninit') });
    // Unsanitized it reads the zeros a fresh host buffer holds (and garbage on a GPU).
    const out = empty([8]);
    increment([1], empty([8]), out, 8, { BLOCK: 8 });
    expect(values(out)).toEqual(Array(8).fill(1));
  });

  test('tensors written by the host, by fill or by an earlier launch are not reported', () => {
    for (const x of [zeros([8]), full([8], 2), empty([8]).fill(2), tensor([1, 2, 3, 4, 5, 6, 7, 8])]) {
      expect(() => increment([1], x, empty([8]), 8, { BLOCK: 8, sanitize: true })).not.toThrow();
    }
    const viaData = empty([8]);
    (viaData.data as Float32Array).set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => increment([1], viaData, empty([8]), 8, { BLOCK: 8, sanitize: true })).not.toThrow();
    // A sanitized launch that writes part of a tensor: reading that part is fine, reading past it is not.
    const half = empty([8]);
    increment([1], zeros([8]), half, 5, { BLOCK: 8, sanitize: true });
    expect(() => increment([1], half, empty([8]), 5, { BLOCK: 8, sanitize: true })).not.toThrow();
    const e = caught(() => increment([1], half, empty([8]), 6, { BLOCK: 8, sanitize: true }));
    expect(e.message).toContain("tile index [5] of 8): a load reads element offset 5 of tensor argument 'x'");
  });

  test('a copy of empty() (as kt run makes of outputs) is unwritten too; a plain launch counts as writing its tensors', () => {
    const copy = empty([8]).clone();
    expect(caught(() => increment([1], copy, empty([8]), 8, { BLOCK: 8, sanitize: true })).message).toContain('uninitialised read');
    const x = empty([8]);
    increment([1], zeros([8]), x, 8, { BLOCK: 8 });
    expect(() => increment([1], x, empty([8]), 8, { BLOCK: 8, sanitize: true })).not.toThrow();
  });

  test('an atomic that adds to an unwritten element is reported; on zeros it is not', () => {
    const e = caught(() => accumulate([1], empty([4], 'i32'), { BLOCK: 4, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('uninitatomic')}:3: error: uninitialised read in kernel 'accumulate' (program (0, 0, 0), tile index [0] of 4): an atomic reads element offset 0`);
    const acc = zeros([4], 'i32');
    accumulate([1], acc, { BLOCK: 4, sanitize: true });
    expect(values(acc)).toEqual([1, 1, 1, 1]);
  });
});

// ---- integer division by zero and overflow ----

const remainders = kernel(function remainders(x: Ptr, d: Ptr, out: Ptr, GUARD: constexpr<boolean>, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const dv = tl.load(d + offs);
  const divisor = GUARD ? tl.where(dv !== 0, dv, 1) : dv;
  tl.store(out + offs, tl.load(x + offs) % divisor); // @rem
});

const quotients = kernel(function quotients(x: Ptr, out: Ptr, d: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, tl.floordiv(tl.load(x + offs), d)); // @div
});

const stridedRoundTrip = kernel(function stridedRoundTrip(x: Ptr, out: Ptr, stride: i32, WIDE: constexpr<boolean>, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const o = WIDE ? offs.to(tl.int64) : offs;
  const there = o * stride; // @overflow
  tl.store(out + offs, tl.load(x + (there - there + o)));
});

const offsetsFromI64 = kernel(function offsetsFromI64(x: Ptr, out: Ptr, big: i64, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK).to(tl.int64);
  tl.store(out + offs, tl.load(x + (offs * big - offs * big + offs))); // @overflow64
});

const farPointer = kernel(function farPointer(x: Ptr, out: Ptr, far: i64) {
  tl.store(out, tl.load(x + far)); // @far
});

describe('integer division by zero and overflow', () => {
  const x = (): Tensor => tensor([7, -7, 9, 10, 11, 12, 13, 14], { dtype: 'i32' });
  const d = (): Tensor => tensor([2, 3, 0, 5, 0, 5, 5, 5], { dtype: 'i32' });

  test('a remainder by zero: the lane and the line', () => {
    const e = caught(() => remainders([1], x(), d(), empty([8], 'i32'), { GUARD: false, BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('rem')}:24: error: integer remainder by zero in kernel 'remainders' (program (0, 0, 0), tile index [2] of 8): the divisor is 0 (i32)`);
    expect(e.message).toMatch(/hint: outside the sanitizer kt defines x \/ 0 as -1 \(all ones\) and x % 0 as x/);
  });

  test('without the sanitizer x % 0 is x and x / 0 is -1, as the README says', () => {
    const out = empty([8], 'i32');
    remainders([1], x(), d(), out, { GUARD: false, BLOCK: 8 });
    expect(values(out)).toEqual([1, -1, 9, 0, 11, 2, 3, 4]);
    quotients([1], x(), out, 0, { BLOCK: 8 });
    expect(values(out)).toEqual(Array(8).fill(-1));
  });

  test('a division by a zero scalar is reported at its line; a guarded divisor is not', () => {
    const e = caught(() => quotients([1], x(), empty([8], 'i32'), 0, { BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('div')}:`);
    expect(e.message).toContain("integer division by zero in kernel 'quotients' (program (0, 0, 0), tile index [0] of 8)");
    const out = empty([8], 'i32');
    remainders([1], x(), d(), out, { GUARD: true, BLOCK: 8, sanitize: true });
    expect(values(out)).toEqual([1, -1, 0, 0, 0, 2, 3, 4]);
  });

  test('i32 index arithmetic that overflows and wraps back into range: silent without the sanitizer, reported with it', () => {
    const src = tensor([10, 11, 12, 13, 14, 15, 16, 17], { dtype: 'i32' });
    const out = empty([8], 'i32');
    stridedRoundTrip([1], src, out, 2 ** 30, { WIDE: false, BLOCK: 8 });
    expect(values(out)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
    const e = caught(() => stridedRoundTrip([1], src, empty([8], 'i32'), 2 ** 30, { WIDE: false, BLOCK: 8, sanitize: true }));
    expect(e.message).toContain(
      `sanitizer.test.ts:${lineOf('overflow')}:17: error: i32 overflow in index arithmetic in kernel 'stridedRoundTrip' (program (0, 0, 0), tile index [2] of 8): 2 * 1073741824 = 2147483648 is outside i32 (it wraps to -2147483648)`,
    );
    expect(e.message).toMatch(/hint: compute the offsets in i64/);
    // The same arithmetic in i64 does not overflow.
    const wide = empty([8], 'i32');
    stridedRoundTrip([1], src, wide, 2 ** 30, { WIDE: true, BLOCK: 8, sanitize: true });
    expect(values(wide)).toEqual([10, 11, 12, 13, 14, 15, 16, 17]);
  });

  test('i64 index arithmetic past i64 is reported too', () => {
    const src = tensor([1, 2, 3, 4], { dtype: 'i32' });
    const e = caught(() => offsetsFromI64([1], src, empty([4], 'i32'), 2n ** 62n, { BLOCK: 4, sanitize: true }));
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('overflow64')}:`);
    expect(e.message).toContain(`i64 overflow in index arithmetic in kernel 'offsetsFromI64' (program (0, 0, 0), tile index [2] of 4): 2 * 4611686018427387904 = 9223372036854775808 is outside i64`);
    const out = empty([4], 'i32');
    offsetsFromI64([1], src, out, 2n ** 62n, { BLOCK: 4 });
    expect(values(out)).toEqual([1, 2, 3, 4]);
  });

  test('an i64 pointer offset whose byte offset is past i64', () => {
    const e = caught(() => farPointer([1], zeros([4]), empty([1]), 2n ** 62n, { sanitize: true }));
    expect(e.message).toContain(
      `sanitizer.test.ts:${lineOf('far')}:`,
    );
    expect(e.message).toContain(
      "error: i64 overflow in pointer arithmetic in kernel 'farPointer' (program (0, 0, 0)): an offset of 4611686018427387904 elements of 4 bytes is 18446744073709551616 bytes, which is outside i64 (it wraps to 0)",
    );
    // Without the sanitizer the access is out of bounds, and reported as that.
    expect(() => farPointer([1], zeros([4]), empty([1]), 2n ** 62n)).toThrow(/out-of-bounds load in kernel 'farPointer'/);
  });
});

// ---- hangs ----

const spin = kernel(function spin(out: Ptr, n: i32, start: i32) {
  const pid = tl.programId(0);
  let total = 0;
  for (let r = 0; r < 3; r++) {
    let i = start;
    if (pid < 2) i = n;
    while (i < n) { // @spin
      i = i * 1;
    }
    total += i;
  }
  tl.store(out + pid, total);
});

const copyOnce = kernel(function copyOnce(x: Ptr, out: Ptr) {
  const pid = tl.programId(0);
  tl.store(out + pid, tl.load(x + pid));
});

describe('hangs', () => {
  test('a launch past its time limit stops with the program and the line of the loop it is in', () => {
    const t = performance.now();
    const e = caught(() => spin([4], empty([4], 'i32'), 5, 0, { sanitize: { timeout: 300 } }));
    expect(performance.now() - t).toBeLessThan(20_000);
    expect(e.message).toContain(`sanitizer.test.ts:${lineOf('spin')}:5: error: kernel 'spin' ran past the sanitizer's time limit of 300 ms in program (2, 0, 0) (2 of 4 programs done), in this loop`);
    expect(e.message).toMatch(/hint: a loop whose condition never changes hangs on the GPU too; if the launch is only slow, raise the limit/);
    expect(e.loc).toMatchObject({ line: lineOf('spin') });
    // The same kernel with a loop that ends.
    const out = empty([4], 'i32');
    spin([4], out, 5, 5, { sanitize: { timeout: 10_000 } });
    expect(values(out)).toEqual([15, 15, 15, 15]);
  });

  test('a launch that is merely long stops outside any loop', () => {
    const n = 1 << 20;
    const e = caught(() => copyOnce([n], zeros([n]), empty([n]), { sanitize: { timeout: 1 } }));
    expect(e.message).toMatch(/^error: kernel 'copyOnce' ran past the sanitizer's time limit of 1 ms in program \(\d+, 0, 0\) \(\d+ of 1048576 programs done\), outside any loop/);
  });

  test('Ctrl-C stops a sanitized launch the same way', () => {
    // A worker sends SIGINT every 50 ms; the script ignores it until the launch is under way.
    const dir = userProject('kt-sigint-', {});
    const script = path.join(dir, 'sigint.ts');
    fs.writeFileSync(
      script,
      `import { Worker } from 'node:worker_threads';
import { empty, kernel, tl, type Ptr, type i32 } from 'kt';
const spin = kernel(function spin(out: Ptr, n: i32) {
  let i = 0;
  while (i < n) {
    i = i * 1;
  }
  tl.store(out + tl.programId(0), i);
});
spin([3], empty([3], 'i32'), 0, { sanitize: true });
process.on('SIGINT', () => {});
const w = new Worker("setInterval(() => process.kill(process.pid, 'SIGINT'), 50)", { eval: true });
try {
  spin([3], empty([3], 'i32'), 5, { sanitize: { timeout: 0 } });
  console.log('the launch ended');
} catch (e) {
  console.log((e as Error).message);
}
await w.terminate();
`,
    );
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run-ts.js'), script], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain("sigint.ts:5:3: error: kernel 'spin' was interrupted (Ctrl-C) in program (0, 0, 0) (0 of 3 programs done), in this loop");
    expect(r.status).toBe(0);
  });
});

// ---- what a sanitized launch is ----

describe('sanitized launches', () => {
  test('a plain launch runs a program with none of the checks; a sanitized one runs another with them', () => {
    const interp = quotients.definition.specialize(quotients.definition.bind([x8(), empty([8], 'i32'), 1, { BLOCK: 8 }]).bindings).interpreted();
    for (const check of ['mem.checkLoad', 'mem.checkStore', 'mem.divisor', 'mem.loop']) expect(interp.source).not.toContain(check);
    for (const check of ['mem.checkLoad', 'mem.checkStore', 'mem.divisor']) expect(interp.sanitizedSource).toContain(check);
  });

  test('KT_SANITIZE=1 (here setSanitizeAll) sanitizes every launch; sanitize: false opts one out', () => {
    setSanitizeAll({});
    try {
      expect(caught(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8 })).message).toContain('data race');
      expect(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8, sanitize: false })).not.toThrow();
    } finally {
      setSanitizeAll(undefined);
    }
    expect(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8 })).not.toThrow();
  });

  test('a bad sanitize option is refused', () => {
    expect(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8, sanitize: 'yes' })).toThrow(/sanitize must be true, false or \{ timeout: ms \}/);
    expect(() => lanesCollide([1], empty([4], 'i32'), { BLOCK: 8, sanitize: { timeout: -1 } })).toThrow(/sanitize must be/);
  });
});

function x8(): Tensor {
  return tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'i32' });
}

// ---- the library ----

describe('the library under the sanitizer', () => {
  const specs: KernelSpec[] = [];
  beforeAll(async () => {
    for (const name of libraryNames()) specs.push(...(await loadTarget(name)).specs);
    setSanitizeAll({});
  });
  afterAll(() => setSanitizeAll(undefined));

  test('every kernel, dtype and test size passes with no report', () => {
    const before = sanitizedLaunches;
    let runs = 0;
    for (const spec of specs) {
      for (const dtype of spec.dtypes) {
        for (const sizes of spec.testSizes ?? []) {
          const r = runSpec(spec, sizes, dtype, spec.config, { backend: 'interpreter', seed: 1 });
          expect(r.passed, `${spec.name} ${dtype} ${JSON.stringify(sizes)}`).toBe(true);
          runs++;
        }
      }
    }
    expect(runs).toBeGreaterThan(50);
    // Every launch went through the sanitizer (some specs launch more than once).
    expect(sanitizedLaunches - before).toBeGreaterThanOrEqual(runs);
  });

  test('outputs a spec makes with empty() stay unwritten in the copies kt run launches on', () => {
    // A kernel that accumulates into its output (out += x) needs it zeroed; from empty() it is reported.
    const spec = defineSpec({
      name: 'accumulateInto',
      description: 'out += x, on an output from empty()',
      kernels: [increment],
      sizes: { N: 8 },
      dtypes: ['f32'],
      config: { BLOCK: 8 },
      inputs: ({ N }) => ({ x: randn([N!]), out: empty([N!]) }),
      launch: ({ out }, { N }, { BLOCK }) => increment([1], out, out, N, { BLOCK }),
      reference: ({ x }) => ({ out: x.toNumbers().map(() => 1) }),
    });
    expect(() => runSpec(spec, { N: 8 }, 'f32', spec.config, { backend: 'interpreter' })).toThrow(/uninitialised read in kernel 'increment' \(program \(0, 0, 0\), tile index \[0\] of 8\): a load reads element offset 0 of tensor argument 'x'/);
  });
});

// ---- the command line ----

const racySpecs = `import { defineSpec, empty, kernel, randn, tl, type Ptr, type i32, type constexpr } from 'kt';

// Each program stores its block's sum to out[0], without an atomic.
export const total = kernel(function total(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out, tl.sum(tl.load(x + offs, { mask: offs < n, other: 0 }), 0));
});

export const racy = defineSpec({
  name: 'racy',
  description: 'a sum whose programs all store to out[0]',
  kernels: [total],
  sizes: { N: 1000 },
  dtypes: ['f32'],
  config: { BLOCK: 64 },
  inputs: ({ N }) => ({ x: randn([N!], { seed: 1 }), out: empty([1]) }),
  launch: ({ x, out }, { N }, { BLOCK }) => total([Math.ceil(N! / (BLOCK as number))], x, out, N, { BLOCK }),
  reference: ({ x }) => ({ out: [x.toNumbers().reduce((a, b) => a + b, 0)] }),
});

export const spin = kernel(function spin(out: Ptr, n: i32) {
  let i = 0;
  while (i < n) {
    i = i * 1;
  }
  tl.store(out + tl.programId(0), i);
});

export const hang = defineSpec({
  name: 'hang',
  description: 'a loop that never ends',
  kernels: [spin],
  sizes: { N: 2 },
  dtypes: ['i32'],
  config: {},
  inputs: ({ N }) => ({ out: empty([N!], 'i32') }),
  launch: ({ out }, { N }) => spin([N!], out, 5),
  reference: () => ({ out: [5, 5] }),
});
`;

const racyLine = (text: string): number => racySpecs.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('kt run --sanitize', () => {
  let project: string;
  beforeAll(() => {
    project = userProject('kt-sanitize-', { 'racy.ts': racySpecs });
  });

  const kt = (args: string[], env: Record<string, string> = {}, cwd = project): { code: number; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_SANITIZE: '', ...env } });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  test('a race: without --sanitize a wrong sum and no word why; with it, exit code 2 and both stores', () => {
    const plain = kt(['run', 'racy.ts', 'racy', '--interpret']);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('FAIL');
    const r = kt(['run', 'racy.ts', 'racy', '--sanitize']);
    expect(r.code).toBe(2);
    const line = racyLine('tl.store(out, tl.sum(');
    expect(r.stderr).toContain(`racy.ts:${line}:3: error: data race in kernel 'total' on element offset 0 of tensor argument 'out' (f32, shape [1]): a store by program (1, 0, 0) and a store by program (0, 0, 0) (line ${line}), with nothing ordering them`);
    expect(r.stderr).toContain('tl.store(out, tl.sum(');
    expect(r.stderr).toContain('= hint: the programs of a launch run in no order');
  });

  test('KT_SANITIZE=1 sanitizes kt run as --sanitize does', () => {
    const r = kt(['run', 'racy.ts', 'racy', '--interpret'], { KT_SANITIZE: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: data race in kernel 'total'");
  });

  test('a library kernel passes under --sanitize, and kt run says the sanitizer found nothing', () => {
    const r = kt(['run', 'add', '--sanitize', '--size', 'N=3000'], {}, root);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('interpreter');
    expect(r.stdout).toContain('sanitizer: no races, uninitialised reads, integer divisions by zero, index overflows or hangs');
  });

  test('--timeout stops a hang at the loop', () => {
    const r = kt(['run', 'racy.ts', 'hang', '--sanitize', '--timeout', '500ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`racy.ts:${racyLine('while (i < n)')}:3: error: kernel 'spin' ran past the sanitizer's time limit of 500 ms in program (0, 0, 0) (0 of 2 programs done), in this loop`);
    expect(r.stderr).toContain('while (i < n) {');
  });

  test('--timeout without --sanitize, a bad --timeout, and --sanitize with --check are refused', () => {
    expect(kt(['run', 'add', '--timeout', '5s'], {}, root)).toMatchObject({ code: 2, stderr: expect.stringContaining('error: --timeout limits sanitized launches; give --sanitize with it') });
    expect(kt(['run', 'add', '--sanitize', '--timeout', 'soon'], {}, root)).toMatchObject({ code: 2, stderr: expect.stringContaining("error: --timeout must be a duration such as 30s, 2m or 500ms (0: no limit), got 'soon'") });
    expect(kt(['run', 'add', '--sanitize', '--check'], {}, root)).toMatchObject({ code: 2, stderr: expect.stringContaining('error: --sanitize runs on the interpreter; it cannot be combined with --check') });
  });
});
