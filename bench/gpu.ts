// kt on the GPU against Triton, on the same machine in the same run.
//
//   npm run bench [-- --json results.json] [--no-triton]
//
// Cases (the Triton side is bench/triton_gpu.py, the tutorials' kernels at the same block sizes and warps):
//   vector add fp32, n = 2^26            GB/s (bytes read + written), target >= 95% of Triton's
//   softmax fp32 4096 x 4096             GB/s, target >= 95% of Triton's
//   layernorm forward fp32 4096 x 4096   GB/s, target >= 95% of Triton's
//   launch overhead                      host microseconds per launch of a tiny kernel, target <= 4 (and the
//                                        time per launch of a long back-to-back run, for reference)
//   softmax compile, warm process        milliseconds from TypeScript to PTX, target < 50
//   matmul fp32 4096^3 on FMA units      TFLOP/s (no target yet), next to Triton's ieee (FMA) and tf32 dots
// Kernel times are medians over GPU-event-timed runs with the L2 cache flushed before each, as do_bench does.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, cdiv, empty, type Tensor } from 'kt';
import { add } from '../kernels/add.ts';
import { randomTensor } from '../kernels/common.ts';
import { layernorm } from '../kernels/layernorm.ts';
import { matmul } from '../kernels/matmul.ts';
import { softmax } from '../kernels/softmax.ts';
import { measureGpu } from '../src/autotune/measure.ts';
import { compileToIr } from '../src/compiler/compile.ts';
import { compileToPtx } from '../src/compiler/gpu/compile.ts';
import { argumentFacts } from '../src/dsl/kernel.ts';
import { gpu, synchronize } from '../src/runtime/gpu.ts';
import { arg } from './args.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const config = {
  add: { n: 2 ** 26, BLOCK: 1024, numWarps: 4 },
  softmax: { M: 4096, N: 4096, BLOCK: 4096, numWarps: 16 },
  layernorm: { M: 4096, N: 4096, BLOCK: 4096, numWarps: 8 },
  matmul: { size: 4096, BLOCK_M: 64, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, numWarps: 4 },
  launch: { n: 1024, BLOCK: 1024, launches: 20000, batch: 200 },
};

const rng = new Random(0);
const onGpu = (t: Tensor): Tensor => t.cuda();
const time = (run: () => void): number => measureGpu(run, { warmup: 5, minRuns: 50, maxRuns: 200, budgetMs: 2000, flushL2: true }).medianMs;

/** Largest |a - b| over a sample of rows of two row-major tensors read back from the GPU. */
function maxError(got: Tensor, want: (row: number, col: number) => number, rows: number, cols: number, step = 97): number {
  const g = got.toArray() as Float32Array;
  let e = 0;
  for (let r = 0; r < rows; r += step) for (let c = 0; c < cols; c++) e = Math.max(e, Math.abs(g[r * cols + c]! - want(r, c)));
  return e;
}

function benchAdd(): { ms: number; err: number } {
  const { n, BLOCK, numWarps } = config.add;
  const [x, y] = [randomTensor(n, 'f32', rng), randomTensor(n, 'f32', rng)];
  const [dx, dy, dz] = [onGpu(x), onGpu(y), empty([n], 'f32', 'cuda').fill(NaN)];
  const run = (): void => add([cdiv(n, BLOCK)], dx, dy, dz, n, { BLOCK, numWarps });
  run();
  const [xv, yv] = [x.toArray() as Float32Array, y.toArray() as Float32Array];
  const err = maxError(dz, (_, c) => xv[c]! + yv[c]!, 1, n);
  const ms = time(run);
  [dx, dy, dz].forEach((t) => t.dispose());
  return { ms, err };
}

function benchSoftmax(): { ms: number; err: number } {
  const { M, N, BLOCK, numWarps } = config.softmax;
  const x = randomTensor([M, N], 'f32', rng);
  const [dx, dy] = [onGpu(x), empty([M, N], 'f32', 'cuda').fill(NaN)];
  const run = (): void => softmax([M], dy, dx, N, N, N, { BLOCK, numWarps });
  run();
  const xv = x.toArray() as Float32Array;
  const rowRef = new Map<number, Float64Array>();
  const err = maxError(dy, (r, c) => {
    let ref = rowRef.get(r);
    if (!ref) {
      const row = Array.from(xv.subarray(r * N, (r + 1) * N));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      ref = Float64Array.from(e, (v) => v / s);
      rowRef.set(r, ref);
    }
    return ref[c]!;
  }, M, N);
  const ms = time(run);
  [dx, dy].forEach((t) => t.dispose());
  return { ms, err };
}

function benchLayernorm(): { ms: number; err: number } {
  const { M, N, BLOCK, numWarps } = config.layernorm;
  const [x, w, b] = [randomTensor([M, N], 'f32', rng, 2), randomTensor([N], 'f32', rng), randomTensor([N], 'f32', rng)];
  const [dx, dw, db] = [x, w, b].map(onGpu) as [Tensor, Tensor, Tensor];
  const [dy, mean, rstd] = [empty([M, N], 'f32', 'cuda').fill(NaN), empty([M], 'f32', 'cuda'), empty([M], 'f32', 'cuda')];
  const run = (): void => layernorm([M], dx, dy, dw, db, mean, rstd, N, N, 1e-5, { BLOCK, numWarps });
  run();
  const [xv, wv, bv] = [x.toArray(), w.toArray(), b.toArray()] as Float32Array[];
  const stats = new Map<number, [number, number]>();
  const err = maxError(dy, (r, c) => {
    let s = stats.get(r);
    if (!s) {
      const row = xv!.subarray(r * N, (r + 1) * N);
      const m = row.reduce((p, q) => p + q, 0) / N;
      const v = row.reduce((p, q) => p + (q - m) ** 2, 0) / N;
      s = [m, 1 / Math.sqrt(v + 1e-5)];
      stats.set(r, s);
    }
    return (xv![r * N + c]! - s[0]) * s[1] * wv![c]! + bv![c]!;
  }, M, N);
  const ms = time(run);
  [dx, dw, db, dy, mean, rstd].forEach((t) => t.dispose());
  return { ms, err };
}

function benchMatmul(): { ms: number; err: number } {
  const { size, numWarps, ...blocks } = config.matmul;
  const [a, b] = [randomTensor([size, size], 'f32', rng), randomTensor([size, size], 'f32', rng)];
  const [da, db, dc] = [onGpu(a), onGpu(b), empty([size, size], 'f32', 'cuda').fill(NaN)];
  const grid = [cdiv(size, blocks.BLOCK_M) * cdiv(size, blocks.BLOCK_N)];
  const run = (): void => matmul(grid, da, db, dc, size, size, size, size, 1, size, 1, size, 1, { ...blocks, numWarps });
  run();
  const [av, bv] = [a.toArray(), b.toArray()] as Float32Array[];
  const err = maxError(dc, (r, c) => {
    let s = 0;
    for (let k = 0; k < size; k++) s += av![r * size + k]! * bv![k * size + c]!;
    return s;
  }, size, size, 1021);
  const ms = measureGpu(run, { warmup: 2, minRuns: 10, maxRuns: 20, budgetMs: 3000, flushL2: true }).medianMs;
  [da, db, dc].forEach((t) => t.dispose());
  return { ms, err };
}

/**
 * Launch overhead of a tiny kernel through the user-facing call: host time per launch, in batches small enough
 * that the GPU's launch queue never fills (so the GPU's own time per kernel does not show), with a
 * synchronisation between batches that is not counted; and, for reference, the time per launch of one long
 * run of back-to-back launches synchronised once at the end (which the GPU bounds when it is the slower).
 */
function benchLaunch(): { hostUs: number; backToBackUs: number; floorUs: number } {
  const { n, BLOCK, launches, batch } = config.launch;
  const [x, y, z] = [randomTensor(n, 'f32', rng), randomTensor(n, 'f32', rng), empty([n])].map(onGpu) as [Tensor, Tensor, Tensor];
  for (let i = 0; i < 1000; i++) add([1], x, y, z, n, { BLOCK });
  synchronize();
  let host = 0;
  for (let done = 0; done < launches; done += batch) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) add([1], x, y, z, n, { BLOCK });
    host += performance.now() - t;
    synchronize();
  }
  const t = performance.now();
  for (let i = 0; i < launches; i++) add([1], x, y, z, n, { BLOCK });
  synchronize();
  const backToBackUs = ((performance.now() - t) / launches) * 1000;
  // The floor under kt's own work: the loaded kernel's launch alone (argument packing and cuLaunchKernel).
  const def = add.definition;
  const bound = def.bind([x, y, z, n, { BLOCK }]);
  const loaded = def.specialize(bound.bindings).gpu(argumentFacts(bound.runtime), { numWarps: 4, numStages: 3 });
  const grid = [1, 1, 1] as const;
  let floor = 0;
  for (let done = 0; done < launches; done += batch) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) loaded.launch(grid, bound.runtime);
    floor += performance.now() - t0;
    synchronize();
  }
  [x, y, z].forEach((v) => v.dispose());
  return { hostUs: (host / launches) * 1000, backToBackUs, floorUs: (floor / launches) * 1000 };
}

/** Milliseconds from TypeScript (already parsed) to PTX for the softmax kernel, median of warm runs. */
function benchCompile(): number {
  const { M, N, BLOCK, numWarps } = config.softmax;
  const def = softmax.definition;
  const [x, y] = [empty([M, N]), empty([M, N])];
  const bound = def.bind([y, x, N, N, N, { BLOCK, numWarps }]);
  const facts = argumentFacts(bound.runtime);
  const once = (): number => {
    const t = performance.now();
    const ir = compileToIr(def.source(), def.params, bound.bindings);
    compileToPtx(ir.module, { numWarps, argFacts: facts });
    return performance.now() - t;
  };
  for (let i = 0; i < 10; i++) once();
  const samples = Array.from({ length: 30 }, once).sort((p, q) => p - q);
  return samples[samples.length >> 1]!;
}

function runTriton(): Record<string, number | string> | undefined {
  if (flag('no-triton')) return undefined;
  const r = spawnSync('python3', [path.join(here, 'triton_gpu.py'), JSON.stringify(config)], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`Triton side failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
}

const info = gpu().info;
const triton = runTriton();
const results = { add: benchAdd(), softmax: benchSoftmax(), layernorm: benchLayernorm(), matmul: benchMatmul() };
const launch = benchLaunch();
const compileMs = benchCompile();

const gbs = (bytes: number, ms: number): number => bytes / ms / 1e6;
const tflops = (flops: number, ms: number): number => flops / ms / 1e9;
const t = (key: string): number | undefined => (triton && typeof triton[key] === 'number' ? (triton[key] as number) : undefined);

interface Row {
  label: string;
  unit: string;
  kt: number;
  triton?: number;
  /** kt / Triton where higher is better (GB/s), Triton / kt where lower is (time). */
  higherIsBetter: boolean;
  target: string;
  pass?: boolean;
  err?: number;
}

const addBytes = 3 * 4 * config.add.n;
const smBytes = 2 * 4 * config.softmax.M * config.softmax.N;
const lnBytes = (2 * config.layernorm.M * config.layernorm.N + 2 * config.layernorm.N + 2 * config.layernorm.M) * 4;
const mmFlops = 2 * config.matmul.size ** 3;
const ratio = (r: Row): number | undefined => (r.triton === undefined ? undefined : r.higherIsBetter ? r.kt / r.triton : r.triton / r.kt);

const rows: Row[] = [
  { label: 'vector add fp32 n=2^26', unit: 'GB/s', kt: gbs(addBytes, results.add.ms), triton: t('add_ms') && gbs(addBytes, t('add_ms')!), higherIsBetter: true, target: '>= 0.95x', err: results.add.err },
  { label: 'softmax fp32 4096x4096', unit: 'GB/s', kt: gbs(smBytes, results.softmax.ms), triton: t('softmax_ms') && gbs(smBytes, t('softmax_ms')!), higherIsBetter: true, target: '>= 0.95x', err: results.softmax.err },
  { label: 'layernorm fwd fp32 4096x4096', unit: 'GB/s', kt: gbs(lnBytes, results.layernorm.ms), triton: t('layernorm_ms') && gbs(lnBytes, t('layernorm_ms')!), higherIsBetter: true, target: '>= 0.95x', err: results.layernorm.err },
  { label: 'launch overhead (host, per launch)', unit: 'us', kt: launch.hostUs, triton: t('launch_host_us'), higherIsBetter: false, target: '<= 4 us', pass: launch.hostUs <= 4 },
  { label: '  (20000 back to back, one sync)', unit: 'us', kt: launch.backToBackUs, triton: t('launch_us'), higherIsBetter: false, target: 'report' },
  { label: '  (floor: cuLaunchKernel through koffi)', unit: 'us', kt: launch.floorUs, higherIsBetter: false, target: 'report' },
  { label: 'softmax compile TS -> PTX (warm)', unit: 'ms', kt: compileMs, higherIsBetter: false, target: '< 50 ms', pass: compileMs < 50 },
  { label: 'matmul fp32 4096^3, kt FMA vs Triton ieee', unit: 'TFLOP/s', kt: tflops(mmFlops, results.matmul.ms), triton: t('matmul_ieee_ms') && tflops(mmFlops, t('matmul_ieee_ms')!), higherIsBetter: true, target: 'report', err: results.matmul.err },
  { label: '  (Triton fp32 matmul, tf32 tensor cores)', unit: 'TFLOP/s', kt: NaN, triton: t('matmul_tf32_ms') && tflops(mmFlops, t('matmul_tf32_ms')!), higherIsBetter: true, target: 'report' },
];
for (const r of rows) if (r.target.startsWith('>=') && ratio(r) !== undefined) r.pass = ratio(r)! >= 0.95;

const fmt = (x: number | undefined, digits = 2): string => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));
console.log(`kt vs Triton on ${info.name} (${info.target}), ${new Date().toISOString().slice(0, 10)}${triton ? `, Triton ${triton['triton']}, torch ${triton['torch']}` : ''}`);
if (triton) console.log(`reference points: device copy ${fmt(gbs(2 * 4 * config.add.n, t('copy_ms')!), 0)} GB/s; torch softmax ${fmt(gbs(smBytes, t('softmax_torch_ms')!), 0)} GB/s; torch layer_norm ${fmt(gbs(lnBytes, t('layernorm_torch_ms')!), 0)} GB/s`);
console.log('');
const header = ['case', 'unit', 'kt', 'Triton', 'ratio', 'target', 'verdict', 'max err'];
const table = rows.map((r) => [r.label, r.unit, fmt(r.kt), fmt(r.triton), fmt(ratio(r), 3), r.target, r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL', r.err === undefined ? '' : r.err.toExponential(1)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
for (const line of [header, ...table]) console.log(line.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));

const jsonOut = arg('json', '');
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ device: info, config, triton, kt: { ...results, launch, compileMs }, rows }, null, 2));
