// The GPU lowering, checked without a GPU: the per-thread IR (what becomes PTX) runs on the SIMT simulator
// (test/support/simt.ts) for whole launches at 1, 4 and 8 warps, and every tensor must end as the interpreter
// leaves it. The simulator also fails on shared-memory races (missing barriers), divergent barriers and
// shuffles, misaligned vector accesses and out-of-bounds accesses.
//
// Known lowering bugs are marked `bug: '...'` in the cases below: the test then uses it.fails, so that it starts
// failing, as a reminder to drop the mark, once the bug is fixed. KT_TEST_SHOW_BUGS=1 runs them as plain tests.
import { describe, expect, it } from 'vitest';
import { Random, Tensor, defaultTolerance, dtypes, empty, tensor, zeros, type DTypeSpec, type KernelSpec, type Tolerance } from 'kt';
import { compileToPtx, type GpuCompiled } from '../../src/compiler/gpu/compile.ts';
import type { Operation } from '../../src/compiler/ir/core.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { argumentFacts, captureLaunches, type CapturedLaunch } from '../../src/dsl/kernel.ts';
import { factsKey } from '../../src/compiler/passes/specialize-arguments.ts';
import { compare } from '../../src/runtime/compare.ts';
import { DeviceAssertError, SimulationError, simulate } from '../support/simt.ts';
import { randomTensor } from '../../kernels/common.ts';
import { spec as addSpec } from '../../kernels/add.ts';
import { spec as cumsumSpec } from '../../kernels/cumsum.ts';
import { spec as dropoutSpec } from '../../kernels/dropout.ts';
import { spec as layernormSpec } from '../../kernels/layernorm.ts';
import { spec as matmulSpec } from '../../kernels/matmul.ts';
import { spec as softmaxSpec } from '../../kernels/softmax.ts';
import * as k from './fixtures/kernels.ts';

const WARPS = [1, 4, 8] as const;
/** KT_TEST_SHOW_BUGS=1 runs the cases of known bugs as ordinary tests, to see how they fail. */
const showBugs = process.env['KT_TEST_SHOW_BUGS'] === '1';

// ---- running launches both ways ------------------------------------------------------------------------------

const compiled = new Map<string, GpuCompiled>();

/** Compiles a launch for the GPU as a real launch would (with what its argument values tell the compiler). */
function gpu(l: CapturedLaunch, numWarps: number): GpuCompiled {
  const s = l.definition.specialize(l.bound.bindings);
  const argFacts = argumentFacts(l.bound.runtime);
  const key = `${l.definition.name}|${s.key}|${factsKey(argFacts)}|${numWarps}`;
  let g = compiled.get(key);
  if (!g) {
    g = compileToPtx(s.ir.module, { numWarps, argFacts });
    compiled.set(key, g);
  }
  return g;
}

interface Outcome {
  /** A copy of every tensor the launches saw, by the original tensor, as the launches left it. */
  readonly tensors: Map<Tensor, Tensor>;
  readonly prints: string[];
  readonly error?: Error;
}

function tensorsOf(launches: readonly CapturedLaunch[]): Tensor[] {
  const all = new Set<Tensor>();
  for (const l of launches) for (const a of l.bound.runtime) if (a instanceof Tensor) all.add(a);
  return [...all];
}

/** Runs the launches in order on copies of their tensors, either on the interpreter or on the simulator. */
function run(launches: readonly CapturedLaunch[], numWarps?: number): Outcome {
  const tensors = new Map(tensorsOf(launches).map((t) => [t, t.clone()]));
  const prints: string[] = [];
  try {
    for (const l of launches) {
      const args = l.bound.runtime.map((a) => (a instanceof Tensor ? tensors.get(a)! : a));
      if (numWarps === undefined) {
        l.definition.specialize(l.bound.bindings).interpreted().run(l.grid, args, { print: (line) => prints.push(line) });
      } else {
        const g = gpu(l, numWarps);
        prints.push(...simulate(g.threadIr, { grid: l.grid, numWarps, sharedBytes: g.sharedBytes, args }).prints);
      }
    }
  } catch (e) {
    return { tensors, prints, error: e as Error };
  }
  return { tensors, prints };
}

/** `kernel 'name' argument 'x'`: where a tensor first appears among the launches, for messages. */
function tensorName(launches: readonly CapturedLaunch[], t: Tensor): string {
  for (const l of launches) {
    const i = l.bound.runtime.indexOf(t);
    if (i < 0) continue;
    const arg = l.definition.specialize(l.bound.bindings).ir.kernel.regions[0]!.entry.args[i];
    return `kernel '${l.definition.name}' argument '${arg?.nameHint ?? i}'`;
  }
  return 'a tensor';
}

const isIntDtype = (t: Tensor): boolean => !t.dtype.isFloat;

/** Exact for integers; for floats the dtype's default tolerance (sums in another order differ in the last bits). */
const defaultTol = (t: Tensor): Tolerance => (isIntDtype(t) ? { atol: 0, rtol: 0 } : defaultTolerance(t.dtype.name));

/** `pid (0, 0, 0) idx (3) v: 1.5, 3` -> a sort key and the numbers, so that %f and JavaScript's output compare. */
function parsePrint(line: string): { key: string; values: number[] } {
  const m = /^(pid \([^)]*\)(?: idx \([^)]*\))? [^:]*: ?)(.*)$/.exec(line);
  if (!m) return { key: line, values: [] };
  const values = m[2]!.split(', ').map((s) => (s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'nan' ? NaN : Number(s)));
  return { key: m[1]!.replace(/\s+$/, ''), values };
}

function expectSamePrints(got: readonly string[], want: readonly string[]): void {
  const norm = (lines: readonly string[]) => lines.map(parsePrint).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.values[0] ?? 0) - (b.values[0] ?? 0)));
  const [g, w] = [norm(got), norm(want)];
  expect(g.map((p) => p.key), 'the printed elements').toEqual(w.map((p) => p.key));
  g.forEach((p, i) => {
    const q = w[i]!;
    const close = p.values.length === q.values.length && p.values.every((v, j) => Object.is(v, q.values[j]) || Math.abs(v - q.values[j]!) <= 1e-5 + 1e-5 * Math.abs(q.values[j]!));
    expect(close, `${p.key} ${p.values.join(', ')} (simulated) vs ${q.values.join(', ')} (interpreted)`).toBe(true);
  });
}

interface CaseOptions {
  /** Tolerance per output tensor (default: exact for integers, defaultTolerance for floats). */
  tol?: (t: Tensor) => Tolerance;
  /** Compare devicePrint output too. */
  prints?: boolean;
  /** The launches must fail on both (a failed deviceAssert). */
  assertFails?: RegExp;
  /** Known lowering bugs by number of warps (or for every number of warps): the test is expected to fail. */
  bug?: string | Partial<Record<(typeof WARPS)[number], string>>;
  /** GPU-IR ops the case must exercise (checked at 4 warps), so that it keeps testing what it means to. */
  exercises?: string[];
}

/** One test per number of warps: the launches `launch` makes, simulated, against the interpreter. */
function simCase(name: string, launch: () => void, options: CaseOptions = {}): void {
  let launches: CapturedLaunch[] | undefined;
  let reference: Outcome | undefined;
  const prepare = (): { launches: CapturedLaunch[]; reference: Outcome } => {
    launches ??= captureLaunches(launch);
    reference ??= run(launches);
    return { launches, reference };
  };
  for (const nw of WARPS) {
    const bug = typeof options.bug === 'string' ? options.bug : options.bug?.[nw];
    const body = (): void => {
      const { launches, reference } = prepare();
      if (options.exercises && nw === 4) {
        const seen = new Set<string>();
        for (const l of launches) gpu(l, 4).gpuIr.walk((op) => seen.add(op.name));
        for (const name of options.exercises) expect(seen.has(name), `the GPU IR has a ${name}`).toBe(true);
      }
      const sim = run(launches, nw);
      if (options.assertFails) {
        expect(reference.error?.message).toMatch(options.assertFails);
        expect(sim.error).toBeInstanceOf(DeviceAssertError);
        expect(sim.error?.message).toMatch(options.assertFails);
        return;
      }
      if (reference.error) throw reference.error;
      if (sim.error) throw sim.error;
      for (const [orig, want] of reference.tensors) {
        const got = sim.tensors.get(orig)!;
        const c = compare(got, want.toArray() as ArrayLike<number>, (options.tol ?? defaultTol)(want));
        const label = `${tensorName(launches, orig)} (${orig.dtype.name} [${orig.shape.join(', ')}])`;
        expect(c.first.map((m) => `[${m.index.join(', ')}]: simulated ${m.got}, interpreted ${m.want}`), `${label}: ${c.mismatches} of ${c.total} elements differ`).toEqual([]);
      }
      if (options.prints) expectSamePrints(sim.prints, reference.prints);
    };
    if (bug && !showBugs) it.fails(`${name} nw=${nw} (known lowering bug: ${bug})`, body);
    else it(`${name} nw=${nw}`, body);
  }
}

const sizesText = (s: Record<string, number>): string => Object.entries(s).map(([key, v]) => `${key}=${v}`).join(' ');

// ---- the library ----------------------------------------------------------------------------------------------

/** Sizes that are multiples of 16, so that argument facts allow vector loads and stores (first dtype only). */
const alignedSizes: Record<string, Record<string, number>> = {
  add: { N: 4096 },
  softmax: { M: 3, N: 256 },
  matmul: { M: 64, N: 48, K: 80 },
  layernorm: { M: 3, N: 1024 },
  dropout: { N: 2048 },
  cumsum: { M: 2, N: 1024 },
};

describe('library kernels on the simulator', () => {
  const specs = [addSpec, softmaxSpec, matmulSpec, layernormSpec, dropoutSpec, cumsumSpec] as unknown as KernelSpec[];
  for (const spec of specs) {
    describe(spec.name, () => {
      for (const dtype of spec.dtypes) {
        const sizesList = [...(spec.testSizes ?? []), ...(dtype === spec.dtypes[0] ? [alignedSizes[spec.name]!] : [])];
        for (const sizes of sizesList) {
          const tol = spec.tolerance?.(dtype) ?? defaultTolerance(dtype);
          simCase(
            `${dtype} ${sizesText(sizes)}`,
            () => {
              const inputs = spec.inputs(sizes, dtype, new Random(7));
              spec.launch(inputs, sizes, spec.config);
            },
            { tol: (t) => (isIntDtype(t) ? { atol: 0, rtol: 0 } : tol) },
          );
        }
      }
    });
  }
});

// ---- focused kernels ------------------------------------------------------------------------------------------

const rnd = (shape: number[], dtype: DTypeSpec, seed: number, scale = 1): Tensor => randomTensor(shape, dtype, new Random(seed), scale);
const ints = (shape: number[], dtype: DTypeSpec, seed: number, lo: number, hi: number): Tensor => {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => lo + Math.floor(rng.next() * (hi - lo))), { dtype, shape });
};

describe('reductions', () => {
  const [m, n] = [13, 45];
  const [BM, BN] = [16, 64];
  for (const dtype of ['f32', 'f16', 'i32', 'i64', 'f64', 'i8'] as const) {
    const isInt = dtype.startsWith('i');
    const ops = isInt ? ['sum', 'max', 'min', 'argmax', 'xor', 'maxidx'] : ['sum', 'max', 'min', 'argmax', 'argmin', 'absmax', 'maxidx', 'tuple'];
    for (const op of ops) {
      for (const axis of [0, 1]) {
        const fill = op === 'sum' || op === 'xor' || op === 'absmax' ? 0 : op.includes('min') ? (isInt ? 100 : Infinity) : isInt ? -100 : -Infinity;
        const outDtype = op.startsWith('arg') ? 'i32' : dtype === 'i8' && op === 'sum' ? 'i32' : dtype;
        simCase(`${op} along axis ${axis}, ${dtype}`, () => {
          const x = dtype === 'i8' ? ints([m, n], dtype, 3, -100, 100) : rnd([m, n], dtype, 3);
          const len = axis === 0 ? n : m;
          k.reduce2d([1], x, zeros([len], outDtype), zeros([len], 'i32'), m, n, { OP: op, AXIS: axis, FILL: fill, BM, BN });
        });
      }
    }
  }
  for (const [dtype, lo, hi] of [['u8', 0, 256], ['i16', -30000, 30000], ['u32', 0, 2 ** 32]] as const) {
    for (const op of ['max', 'min', 'argmax', 'sum']) {
      simCase(`${op} along axis 1, ${dtype}`, () => {
        const x = ints([m, n], dtype, 30, lo, hi);
        const outDtype = op === 'argmax' ? 'i32' : op === 'sum' && dtype !== 'u32' ? 'i32' : dtype;
        k.reduce2d([1], x, zeros([m], outDtype), zeros([m], 'i32'), m, n, { OP: op, AXIS: 1, FILL: op === 'min' ? hi - 1 : 0, BM, BN });
      });
    }
  }
  for (const op of ['sum', 'max', 'xor']) {
    simCase(`${op} of a whole tile to a scalar`, () => {
      const x = op === 'xor' ? ints([m, n], 'i32', 4, -1000, 1000) : rnd([m, n], 'f32', 4);
      k.reduce2d([1], x, zeros([1], x.dtype), zeros([1], 'i32'), m, n, { OP: op, AXIS: -1, FILL: op === 'max' ? -Infinity : 0, BM, BN });
    });
  }
  simCase('a narrow tile (1 x 128) along each axis', () => {
    const x = rnd([1, 100], 'f32', 5);
    k.reduce2d([1], x, zeros([100]), zeros([100], 'i32'), 1, 100, { OP: 'sum', AXIS: 0, FILL: 0, BM: 1, BN: 128 });
    k.reduce2d([1], x, zeros([1]), zeros([1], 'i32'), 1, 100, { OP: 'maxidx', AXIS: 1, FILL: -Infinity, BM: 1, BN: 128 });
  });
  simCase('a tall tile (256 x 4) along each axis', () => {
    const x = rnd([200, 3], 'f32', 6);
    k.reduce2d([1], x, zeros([3]), zeros([3], 'i32'), 200, 3, { OP: 'argmax', AXIS: 0, FILL: -Infinity, BM: 256, BN: 4 });
    k.reduce2d([1], x, zeros([200]), zeros([200], 'i32'), 200, 3, { OP: 'sum', AXIS: 1, FILL: 0, BM: 256, BN: 4 });
  });
  // Sizes that are multiples of 16: vectorised loads, several consecutive elements per thread along a row.
  for (const dtype of ['f32', 'f16'] as const) {
    for (const axis of [0, 1]) {
      simCase(`aligned 32x64 tile, sum and maxidx along axis ${axis}, ${dtype}`, () => {
        const x = rnd([32, 64], dtype, 37);
        const len = axis === 0 ? 64 : 32;
        k.reduce2d([1], x, zeros([len], dtype), zeros([len], 'i32'), 32, 64, { OP: 'sum', AXIS: axis, FILL: 0, BM: 32, BN: 64 });
        k.reduce2d([1], x, zeros([len], dtype), zeros([len], 'i32'), 32, 64, { OP: 'maxidx', AXIS: axis, FILL: -Infinity, BM: 32, BN: 64 });
        for (const reverse of [false, true]) k.scan2d([1], x, zeros([32, 64], dtype), zeros([32, 64], 'i32'), 32, 64, { OP: 'cumsum', AXIS: axis, REVERSE: reverse, FILL: 0, BM: 32, BN: 64 });
        // An f16 scan rounds every partial sum (up to about 16 here, where an f16 step is 1/64) and the GPU adds
        // in another order: a small result may differ by a few steps of the partial sums it came through.
      }, dtype === 'f16' ? { tol: (t) => (isIntDtype(t) ? { atol: 0, rtol: 0 } : { atol: 6e-2, rtol: 1e-2 }) } : {});
    }
  }
  simCase('a 16 x 8 tile (more warps along the rows than rows need)', () => {
    const x = rnd([15, 7], 'f32', 33);
    k.reduce2d([1], x, zeros([7]), zeros([7], 'i32'), 15, 7, { OP: 'maxidx', AXIS: 0, FILL: -Infinity, BM: 16, BN: 8 });
    k.reduce2d([1], x, zeros([7]), zeros([7], 'i32'), 15, 7, { OP: 'sum', AXIS: 0, FILL: 0, BM: 16, BN: 8 });
    k.reduce2d([1], x, zeros([15]), zeros([15], 'i32'), 15, 7, { OP: 'sum', AXIS: 1, FILL: 0, BM: 16, BN: 8 });
    k.scan2d([1], x, zeros([15, 7]), zeros([15, 7], 'i32'), 15, 7, { OP: 'cumsum', AXIS: 0, REVERSE: false, FILL: 0, BM: 16, BN: 8 });
  });
  simCase('a (sum, count) tuple reduction kept as a tile', () => {
    const x = rnd([29, 70], 'f32', 7);
    k.rowStats([1], x, zeros([29, 70]), 29, 70, { BM: 32, BN: 128 });
  });
});

describe('scans', () => {
  const [m, n] = [11, 37];
  for (const [dtype, op] of [['f32', 'cumsum'], ['i32', 'cumsum'], ['i64', 'cumsum'], ['f64', 'cumsum'], ['f32', 'cumprod'], ['f32', 'absmax'], ['f32', 'maxidx'], ['f16', 'cumsum']] as const) {
    for (const axis of [0, 1]) {
      for (const reverse of [false, true]) {
        simCase(`${op} along axis ${axis}${reverse ? ' reversed' : ''}, ${dtype}`, () => {
          const x = op === 'cumprod' ? rnd([m, n], dtype, 8, 0.3).toNumbers().map((v) => 1 + v) : rnd([m, n], dtype, 8);
          const xt = x instanceof Tensor ? x : tensor(x, { dtype, shape: [m, n] });
          const fill = op === 'cumprod' ? 1 : op === 'maxidx' ? -Infinity : 0;
          k.scan2d([1], xt, zeros([m, n], dtype), zeros([m, n], 'i32'), m, n, { OP: op, AXIS: axis, REVERSE: reverse, FILL: fill, BM: 16, BN: 64 });
        });
      }
    }
  }
  for (const reverse of [false, true]) {
    simCase(`a 1-D cumsum over 2048 elements${reverse ? ' reversed' : ''}`, () => {
      k.scan1d([1], ints([1500], 'i32', 9, -50, 50), zeros([1500], 'i32'), 1500, { OP: 'cumsum', REVERSE: reverse, BLOCK: 2048 });
    });
  }
  for (const reverse of [false, true]) {
    simCase(`a 1-D product scan of 8 elements (replicated over lanes and warps)${reverse ? ' reversed' : ''}`, () => {
      k.scan1d([1], tensor([1, 2, -1, 3, 0.5, 2, 2, -2]), zeros([8]), 7, { OP: 'mul', REVERSE: reverse, BLOCK: 8 });
    });
  }
});

/** Dots accelerate-matmul puts on wgmma at 4 warps (one warpgroup): 16-bit operands, 64-row multiples. */
const onTensorCores = (c: { dtype: string; BM: number }): boolean => (c.dtype === 'f16' || c.dtype === 'bf16') && c.BM % 64 === 0;

describe('dot', () => {
  const configs = [
    { dtype: 'f32', prec: 'ieee', BM: 16, BN: 16, BK: 16 },
    { dtype: 'f32', prec: 'tf32', BM: 32, BN: 64, BK: 16 },
    { dtype: 'f16', prec: 'ieee', BM: 64, BN: 32, BK: 32 },
    { dtype: 'bf16', prec: 'ieee', BM: 16, BN: 128, BK: 16 },
    { dtype: 'f16', prec: 'ieee', BM: 128, BN: 16, BK: 64 },
    { dtype: 'i8', prec: 'ieee', BM: 32, BN: 32, BK: 32 },
  ] as const;
  const [M, N, K] = [37, 45, 50];
  for (const c of configs) {
    for (const acc of [false, true]) {
      const isInt = c.dtype === 'i8';
      simCase(`${c.dtype} ${c.prec} ${c.BM}x${c.BN}x${c.BK}${acc ? ' with an accumulator' : ''}`, () => {
        const a = isInt ? ints([M, K], 'i8', 10, -100, 100) : rnd([M, K], c.dtype, 10);
        const b = isInt ? ints([K, N], 'i8', 11, -100, 100) : rnd([K, N], c.dtype, 11);
        const out = acc ? (isInt ? ints([M, N], 'i32', 12, -1000, 1000) : rnd([M, N], 'f32', 12)) : zeros([M, N], isInt ? 'i32' : 'f32');
        const grid = [Math.ceil(M / c.BM), Math.ceil(N / c.BN)];
        k.dot(grid, a, b, out, M, N, K, { PREC: c.prec, ACC: acc, ACC_DTYPE: isInt ? dtypes.i32 : dtypes.f32, BM: c.BM, BN: c.BN, BK: c.BK });
      }, { tol: (t) => (isIntDtype(t) ? { atol: 0, rtol: 0 } : { atol: 1e-4, rtol: 1e-4 }), exercises: ['ttg.local_alloc', onTensorCores(c) ? 'ttng.warp_group_dot' : 'tt.dot'] });
    }
  }
});

describe('dot with a transposed operand, in an if', () => {
  for (const [dtype, BM, BN, BK] of [['f32', 16, 32, 16], ['f16', 32, 16, 64]] as const) {
    simCase(`${dtype} ${BM}x${BN}x${BK}`, () => {
      const [M, N, K] = [BM - 3, BN - 1, BK - 5];
      k.dotTransposed([1], rnd([M, K], dtype, 34), rnd([N, K], dtype, 35), zeros([M, N]), M, N, K, 2, { BM, BN, BK });
    }, { tol: () => ({ atol: 1e-4, rtol: 1e-4 }) });
  }
});

describe('shape ops', () => {
  const [m, n] = [7, 13];
  for (const op of ['trans', 'transmask', 'reshape', 'ravel', 'reshape3', 'join', 'split', 'splitpair', 'joinpair']) {
    for (const [BM, BN] of op.endsWith('pair') ? [[8, 16]] : [[8, 16], [32, 64]]) {
      const outSize = op === 'join' ? 2 * BM * BN : BM * BN;
      simCase(`${op} of a ${BM}x${BN} tile`, () => k.shapes([1], ints([BM, BN], 'i32', 13, -50, 50), zeros([outSize], 'i32'), m, n, { OP: op, BM, BN }));
    }
  }
});

describe('atomics', () => {
  for (const op of ['add', 'max', 'min', 'xchg', 'and', 'or', 'xor', 'cas']) {
    for (const BLOCK of [16, 256]) {
      const n = BLOCK === 16 ? 11 : 200;
      simCase(`${op} on a ${BLOCK}-element tile, 3 programs`, () => {
        const x = ints([3 * BLOCK], 'i32', 14, -20, 20);
        k.atomics([3], x, ints([BLOCK], 'i32', 15, -5, 5), zeros([3 * BLOCK], 'i32'), n, { OP: op, BLOCK });
      });
    }
  }
  simCase('fadd on f32, 3 programs', () => {
    k.atomics([3], rnd([3 * 64], 'f32', 16), rnd([64], 'f32', 17), zeros([3 * 64]), 50, { OP: 'add', BLOCK: 64 });
  });
  simCase('a histogram (elements of one tile collide)', () => {
    k.histogram([4], ints([1000], 'i32', 18, -1000, 1000), zeros([7], 'i32'), 1000, { BINS: 7, BLOCK: 256 });
  });
  simCase('a scalar atomic once per program', () => {
    k.counter([5], zeros([1], 'i32'), zeros([5], 'i32'));
  });
  simCase('scalar atomics in a loop, their results used', () => {
    k.counters([3], zeros([2], 'i32'), zeros([3], 'i32'), 4);
  });
  simCase('fadd on f16 and add on i64', () => {
    k.atomics([2], rnd([2 * 32], 'f16', 24), rnd([32], 'f16', 25), zeros([2 * 32], 'f16'), 20, { OP: 'add', BLOCK: 32 });
    k.atomics([2], ints([2 * 32], 'i64', 26, -1000, 1000), ints([32], 'i64', 27, -5, 5), zeros([2 * 32], 'i64'), 20, { OP: 'add', BLOCK: 32 });
  });
});

// The axis analysis bounds the vector width of masked accesses by the mask's constancy: these masks change
// inside a would-be vector (== and !=, a shifted range, a quotient), so their loads must not take one element's
// mask for several. (At 8 warps each thread holds one element of these tiles, so nothing is vectorised.)
describe('masks of vectorised accesses', () => {
  for (const mode of ['plain', 'shifted', 'ne', 'eq', 'div', 'rem']) {
    simCase(`a load masked by ${mode}`, () => {
      const n = 1024;
      k.maskedCopy([4], rnd([n], 'f32', 36), zeros([n]), n, { MODE: mode, BLOCK: 256 });
    });
  }
});

describe('layout conversions, loops, scalars', () => {
  for (const [m, n, BM, BN] of [[5, 30, 8, 32], [50, 9, 64, 16]]) {
    simCase(`reduction results in other layouts, ${BM}x${BN}`, () => {
      k.convert([1], rnd([m, n], 'f32', 19), zeros([BM + m * n]), zeros([n]), m, n, { BM, BN });
    }, { exercises: ['ttg.convert_layout', 'tt.reduce', 'tt.scan'] });
  }
  for (const [n, steps] of [[0, 0], [37, 3], [300, 20]]) {
    simCase(`tiles carried through for, while and if (n=${n}, ${steps} steps)`, () => {
      k.loops([1], rnd([Math.max(n, 1)], 'f32', 20), zeros([66]), n, steps, { BLOCK: 64 });
    });
  }
  for (const op of ['sum', 'max', 'cumsum']) {
    for (const axis of [0, 1, 2]) {
      simCase(`3-D ${op} along axis ${axis}`, () => {
        const [B0, B1, B2] = [4, 8, 16];
        k.tile3d([1], rnd([B0, B1, B2], 'f32', 28), zeros([B0, B1, B2]), { OP: op, AXIS: axis, B0, B1, B2 });
      });
    }
  }
  simCase('boolean tensors in memory', () => {
    const flags = tensor(Array.from({ length: 45 }, (_, i) => i % 3 !== 0), { dtype: 'i1' });
    k.booleans([1], flags, rnd([45], 'f32', 29), zeros([64 + 1]), zeros([45], 'i1'), 45, { BLOCK: 64 });
  });
  simCase('a 3-D grid with an early return, i64 offsets and a tile as `other`', () => {
    k.grid3d([2, 3, 2], rnd([300], 'f32', 31), zeros([300]), 300, { BLOCK: 32 });
  });
  for (const [m, n] of [[64, 32], [50, 30]]) {
    simCase(`a column-major ${m}x${n} matrix copied row-major`, () => {
      k.transposeCopy([Math.ceil(m / 32), Math.ceil(n / 16)], rnd([n, m], 'f32', 38), zeros([m, n]), m, n, { BM: 32, BN: 16 });
    });
  }
  simCase('scalar loads and stores', () => {
    k.scalars([1], rnd([50], 'f32', 21), zeros([2 + 64]), 50, { BLOCK: 64 });
  });
});

describe('devicePrint and deviceAssert', () => {
  simCase('devicePrint of a tile', () => k.debug([2], rnd([40], 'f32', 22), 40, { LIMIT: 100, BLOCK: 32 }), { prints: true });
  // A scalar-only devicePrint is printed once per program, not by every thread.
  simCase('devicePrint of scalars', () => k.printScalar([2], rnd([40], 'f32', 22), 40, { BLOCK: 64 }), { prints: true });
  simCase('devicePrint of a small (replicated) tile', () => k.debug([1], rnd([5], 'f32', 23), 5, { LIMIT: 100, BLOCK: 8 }), { prints: true });
  simCase('a failing deviceAssert', () => k.debug([2], tensor(Array.from({ length: 40 }, (_, i) => i)), 40, { LIMIT: 35, BLOCK: 32 }), { assertFails: /v is too large/ });
  // Tiles of one shape print together whatever their layouts; tiles of different shapes one after another.
  simCase('devicePrint of two tiles of one shape in different layouts', () => k.printMixed([1], ints([8, 16], 'i32', 32, -9, 9), { SAME_SHAPE: true, BM: 8, BN: 16 }), { prints: true });
  simCase('devicePrint of two tiles of different shapes', () => k.printMixed([1], ints([8, 16], 'i32', 32, -9, 9), { SAME_SHAPE: false, BM: 8, BN: 16 }), { prints: true });
  // Unsigned i8/i16 live sign-extended in registers: they must print as their unsigned values (200, not 4294967240).
  simCase('devicePrint of u8 values above 127', () => k.printU8([1], tensor([0, 1, 127, 128, 200, 255, 3, 4], { dtype: 'u8' }), { BLOCK: 8 }), { prints: true });
});

// ---- the simulator itself -------------------------------------------------------------------------------------

describe('the simulator', () => {
  const fn = (text: string): Operation => parseModule(text).regions[0]!.entry.ops[0]!;

  it('implements shfl.sync up, down, bfly and idx (with PTX clamping)', () => {
    const out = empty([4 * 64], 'i32');
    const ir = fn(`module {
  tt.func public @shfl(%out: !tt.ptr<i32>) {
    %tid = gpu.thread_id : i32
    %c3 = arith.constant {value = 3 : i32} : i32
    %c5 = arith.constant {value = 5 : i32} : i32
    %c33 = arith.constant {value = 33 : i32} : i32
    %c64 = arith.constant {value = 64 : i32} : i32
    %true = arith.constant {value = 1 : i1} : i1
    %up = gpu.shfl %tid, %c3 {mode = "up"} : i32
    %down = gpu.shfl %tid, %c5 {mode = "down"} : i32
    %bfly = gpu.shfl %tid, %c3 {mode = "bfly"} : i32
    %idx = gpu.shfl %tid, %c33 {mode = "idx"} : i32
    %p0 = tt.addptr %out, %tid : !tt.ptr<i32>
    gpu.store %p0, %true, %up {vec = 1}
    %p1 = tt.addptr %p0, %c64 : !tt.ptr<i32>
    gpu.store %p1, %true, %down {vec = 1}
    %p2 = tt.addptr %p1, %c64 : !tt.ptr<i32>
    gpu.store %p2, %true, %bfly {vec = 1}
    %p3 = tt.addptr %p2, %c64 : !tt.ptr<i32>
    gpu.store %p3, %true, %idx {vec = 1}
    tt.return
  }
}`);
    simulate(ir, { grid: [1, 1, 1], numWarps: 2, sharedBytes: 0, args: [out] });
    const v = Array.from(out.toArray() as Int32Array);
    const lanes = Array.from({ length: 64 }, (_, t) => t);
    const warpBase = (t: number) => t & ~31;
    expect(v.slice(0, 64)).toEqual(lanes.map((t) => ((t & 31) >= 3 ? t - 3 : t)));
    expect(v.slice(64, 128)).toEqual(lanes.map((t) => ((t & 31) + 5 <= 31 ? t + 5 : t)));
    expect(v.slice(128, 192)).toEqual(lanes.map((t) => t ^ 3));
    expect(v.slice(192, 256)).toEqual(lanes.map((t) => warpBase(t) + 1));
  });

  const sharedIr = (body: string): Operation =>
    fn(`module {
  tt.func public @k(%out: !tt.ptr<i32>) {
    %tid = gpu.thread_id : i32
    %base = gpu.shared_base : i32
    %c0 = arith.constant {value = 0 : i32} : i32
    %c1 = arith.constant {value = 1 : i32} : i32
    %c4 = arith.constant {value = 4 : i32} : i32
    %c16 = arith.constant {value = 16 : i32} : i32
    %true = arith.constant {value = 1 : i1} : i1
    %addr = arith.muli %tid, %c4 : i32
${body}
    tt.return
  }
}`);

  it('passes values between threads through shared memory across a barrier', () => {
    const out = empty([64], 'i32');
    const ir = sharedIr(`
    gpu.shared_store %addr, %tid {vec = 1}
    gpu.barrier {}
    %nb = arith.xori %tid, %c1 : i32
    %naddr = arith.muli %nb, %c4 : i32
    %v = gpu.shared_load %naddr {vec = 1} : i32
    %p = tt.addptr %out, %tid : !tt.ptr<i32>
    gpu.store %p, %true, %v {vec = 1}`);
    simulate(ir, { grid: [1, 1, 1], numWarps: 2, sharedBytes: 256, args: [out] });
    expect(Array.from(out.toArray() as Int32Array)).toEqual(Array.from({ length: 64 }, (_, t) => t ^ 1));
  });

  it('finds a read of another thread\'s write with no barrier in between', () => {
    const ir = sharedIr(`
    gpu.shared_store %addr, %tid {vec = 1}
    %nb = arith.xori %tid, %c1 : i32
    %naddr = arith.muli %nb, %c4 : i32
    %v = gpu.shared_load %naddr {vec = 1} : i32`);
    expect(() => simulate(ir, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 128, args: [empty([1], 'i32')] })).toThrow(/data race on shared memory byte 4: thread 0 reads it after thread 1 wrote it[^]*gpu.shared_load/);
  });

  it('finds a write over another thread\'s read (and allows threads writing the same value)', () => {
    const war = sharedIr(`
    gpu.shared_store %addr, %tid {vec = 1}
    gpu.barrier {}
    %v = gpu.shared_load %c0 {vec = 1} : i32
    gpu.shared_store %addr, %tid {vec = 1}`);
    expect(() => simulate(war, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 128, args: [empty([1], 'i32')] })).toThrow(/thread 0 writes it after several threads read it/);
    const same = sharedIr(`
    gpu.shared_store %c0, %c16 {vec = 1}
    gpu.barrier {}
    %v = gpu.shared_load %c0 {vec = 1} : i32`);
    expect(() => simulate(same, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 128, args: [empty([1], 'i32')] })).not.toThrow();
    const different = sharedIr(`
    gpu.shared_store %c0, %tid {vec = 1}`);
    expect(() => simulate(different, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 128, args: [empty([1], 'i32')] })).toThrow(/thread 1 writes 1 over the 0 that thread 0 wrote/);
  });

  it('rejects reads of shared memory that no thread of the program wrote', () => {
    const ir = sharedIr(`
    %v = gpu.shared_load %addr {vec = 1} : i32`);
    expect(() => simulate(ir, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 128, args: [empty([1], 'i32')] })).toThrow(/thread 0 reads shared memory byte 0, which no thread of this program wrote/);
  });

  it('rejects barriers and shuffles in divergent control flow, and accesses outside shared memory', () => {
    const barrier = sharedIr(`
    %lt = arith.cmpi %tid, %c16 {predicate = "slt"} : i1
    scf.if %lt : () {
      gpu.barrier
      scf.yield
    } {
      scf.yield
    }`);
    expect(() => simulate(barrier, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 0, args: [empty([1], 'i32')] })).toThrow(/gpu.barrier reached by 16 of the 32 threads/);
    const shfl = sharedIr(`
    %lt = arith.cmpi %tid, %c16 {predicate = "slt"} : i1
    scf.if %lt : () {
      %s = gpu.shfl %tid, %c1 {mode = "bfly"} : i32
      scf.yield
    } {
      scf.yield
    }`);
    expect(() => simulate(shfl, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 0, args: [empty([1], 'i32')] })).toThrow(/executed by 16 of the 32 lanes/);
    const outside = sharedIr(`
    gpu.shared_store %addr, %tid {vec = 1}`);
    expect(() => simulate(outside, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 64, args: [empty([1], 'i32')] })).toThrow(/outside the 64 bytes allocated/);
  });

  it('checks global accesses: bounds (through LaunchMemory) and the alignment of vector accesses', () => {
    const oob = sharedIr(`
    %p = tt.addptr %out, %tid : !tt.ptr<i32>
    gpu.store %p, %true, %tid {vec = 1}`);
    expect(() => simulate(oob, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 0, args: [empty([20], 'i32')] })).toThrow(/out-of-bounds store in kernel 'k'[^]*element offset 20 is outside tensor argument 'out'[^]*thread 20/);
    const misaligned = sharedIr(`
    %p = tt.addptr %out, %c1 : !tt.ptr<i32>
    %a, %b = gpu.load %p, %true {vec = 2} : i32, i32`);
    expect(() => simulate(misaligned, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 0, args: [empty([64], 'i32')] })).toThrow(/misaligned vector load[^]*not a multiple of 8 bytes/);
  });

  it('runs loops whose trip counts differ between threads', () => {
    const out = empty([64], 'i32');
    const ir = sharedIr(`
    %r = scf.for %c0, %tid, %c1, %c0 : i32 {
    ^bb0(%i: i32, %acc: i32):
      %next = arith.addi %acc, %i : i32
      scf.yield %next
    }
    %w = scf.while %r : i32 {
    ^bb0(%x: i32):
      %more = arith.cmpi %x, %c16 {predicate = "sgt"} : i1
      scf.condition %more, %x
    } {
    ^bb0(%y: i32):
      %h = arith.shrsi %y, %c1 : i32
      scf.yield %h
    }
    %p = tt.addptr %out, %tid : !tt.ptr<i32>
    gpu.store %p, %true, %w {vec = 1}`);
    simulate(ir, { grid: [1, 1, 1], numWarps: 2, sharedBytes: 0, args: [out] });
    const want = Array.from({ length: 64 }, (_, t) => {
      let x = (t * (t - 1)) / 2 | 0;
      while (x > 16) x >>= 1;
      return x;
    });
    expect(Array.from(out.toArray() as Int32Array)).toEqual(want);
  });

  it('finds the missing barrier when one is removed from a lowered kernel', () => {
    const sizes = { M: 3, N: 781 };
    const inputs = softmaxSpec.inputs(sizes, 'f32', new Random(1));
    const [l] = captureLaunches(() => softmaxSpec.launch(inputs, sizes, softmaxSpec.config));
    const g = compileToPtx(l!.definition.specialize(l!.bound.bindings).ir.module, { numWarps: 4 });
    const barriers: Operation[] = [];
    g.threadIr.walk((op) => void (op.name === 'gpu.barrier' && barriers.push(op)));
    expect(barriers.length).toBeGreaterThan(0);
    for (const b of barriers) {
      const block = b.parent!;
      const i = block.ops.indexOf(b);
      block.ops.splice(i, 1);
      try {
        expect(() => simulate(g.threadIr, { grid: l!.grid, numWarps: 4, sharedBytes: g.sharedBytes, args: l!.bound.runtime.map((a) => (a instanceof Tensor ? a.clone() : a)) })).toThrow(SimulationError);
      } finally {
        block.ops.splice(i, 0, b);
      }
    }
  });

  it('rejects ops it does not know', () => {
    const ir = sharedIr(`
    %x = gpu.mystery %tid : i32`);
    expect(() => simulate(ir, { grid: [1, 1, 1], numWarps: 1, sharedBytes: 0, args: [empty([1], 'i32')] })).toThrow(/does not support gpu.mystery/);
  });
});
