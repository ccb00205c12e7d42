// Tensor-core matmul: kt's library matmul against Triton's tutorial 03 kernel (with its autotuning configs) and
// cuBLAS through torch, in one run on the GPU machine.
//
//   npm run bench:matmul [-- --cases f16:4096,bf16:8192,f16:4000,f16:3000x5000x700] [--config BLOCK_M=128,...]
//                        [--json out.json] [--dump DIR] [--no-triton]
//
// Each kt case runs with the config given (by default the best config `kt tune` found for it, if the tuning
// cache has one, else 128 x 256 x 64, GROUP_M 8, 8 warps, 3 stages), is checked on a sample of rows against a
// float64 product of the same inputs, and is timed with GPU events and the L2 cache flushed before each run.
// The Triton side (bench/triton_matmul.py) times the same problem with do_bench. With --dump, kt's PTX and SASS
// and Triton's TTGIR/PTX/SASS are written there, and the tensor-core instructions in the SASS are reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, cdiv, empty, type Tensor } from 'kt';
import { randomTensor } from '../kernels/common.ts';
import { linear } from '../kernels/linear.ts';
import { matmul, spec } from '../kernels/matmul.ts';

import { measureGpu } from '../src/autotune/measure.ts';
import { tunedSpecConfig } from '../src/autotune/spec-tuning.ts';
import { compileToPtx } from '../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../src/compiler/gpu/ptxas.ts';
import { argumentFacts, captureLaunches } from '../src/dsl/kernel.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const argOf = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

type BenchDType = 'f16' | 'bf16' | 'tf32' | 'i8' | 'e4m3' | 'e5m2';

interface Case {
  dtype: BenchDType;
  M: number;
  N: number;
  K: number;
  /** 'bias_leaky_relu' runs the library's linear kernel (the matmul with its epilogue fused). */
  epilogue: 'none' | 'bias_leaky_relu';
}

/** `dtype:MxNxK` (or `dtype:S` for S^3), with `:linear` for the fused epilogue. */
function parseCases(text: string): Case[] {
  return text.split(',').map((c) => {
    const [dtype, dims, extra] = c.split(':') as [BenchDType, string, string | undefined];
    const [M, N, K] = dims.includes('x') ? dims.split('x').map(Number) : [Number(dims), Number(dims), Number(dims)];
    return { dtype, M: M!, N: N!, K: K!, epilogue: extra === 'linear' ? 'bias_leaky_relu' : 'none' };
  });
}

/** kt's element and output dtypes for a case, and whether B is stored K-major (as the Triton side stores it). */
const kinds: Record<BenchDType, { input: 'f16' | 'bf16' | 'f32' | 'i8' | 'f8e4m3' | 'f8e5m2'; output: 'f16' | 'bf16' | 'f32' | 'i32'; kMajorB: boolean }> = {
  f16: { input: 'f16', output: 'f16', kMajorB: false },
  bf16: { input: 'bf16', output: 'bf16', kMajorB: false },
  tf32: { input: 'f32', output: 'f32', kMajorB: false },
  i8: { input: 'i8', output: 'i32', kMajorB: true },
  e4m3: { input: 'f8e4m3', output: 'f16', kMajorB: true },
  e5m2: { input: 'f8e5m2', output: 'f16', kMajorB: true },
};

const cases = parseCases(argOf('cases') ?? 'f16:4096,bf16:4096');
const defaultConfig: Record<string, number> = { BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numWarps: 8, numStages: 3 };
const overrides: Record<string, number> = Object.fromEntries((argOf('config') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]).map(([k, v]) => [k, Number(v)]));

/**
 * A case's config: the default with --config's values over it; with no --config, the best config `kt tune
 * matmul` stored for the case's size and dtype (the fused epilogue uses the plain matmul's), if there is one.
 */
function configFor(cs: Case): { config: Record<string, number>; tuned: boolean } {
  const tuned = argOf('config') === undefined && (cs.dtype === 'f16' || cs.dtype === 'bf16') ? tunedSpecConfig(spec, { M: cs.M, N: cs.N, K: cs.K }, cs.dtype, 'gpu') : undefined;
  return tuned ? { config: tuned as Record<string, number>, tuned: true } : { config: { ...defaultConfig, ...overrides }, tuned: false };
}
const dump = argOf('dump');
if (dump) fs.mkdirSync(dump, { recursive: true });

const rng = new Random(0);

/** Relative Frobenius error of the sampled rows against a float64 product (and epilogue). */
function relError(a: Tensor, b: Tensor, c: Tensor, bias: Tensor, cs: Case): number {
  const { M, N, K } = cs;
  const kMajorB = kinds[cs.dtype].kMajorB;
  const [av, bv, cv, biasv] = [a.toNumbers(), b.toNumbers(), c.cpu().toNumbers(), bias.toNumbers()];
  let num = 0;
  let den = 0;
  for (let i = 0; i < M; i += Math.max(1, Math.floor(M / 37))) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += av[i * K + k]! * bv[kMajorB ? j * K + k : k * N + j]!;
      if (cs.epilogue === 'bias_leaky_relu') {
        s += biasv[j]!;
        s = s >= 0 ? s : 0.01 * s;
      }
      num += (cv[i * N + j]! - s) ** 2;
      den += s * s;
    }
  }
  return Math.sqrt(num / den);
}

/** The launch of a case: the library's matmul (or linear), with B's strides as stored. */
function launcher(a: Tensor, b: Tensor, c: Tensor, bias: Tensor, cs: Case, config: Record<string, number>): () => void {
  const grid = [cdiv(cs.M, config['BLOCK_M']!) * cdiv(cs.N, config['BLOCK_N']!)];
  const [strideBk, strideBn] = kinds[cs.dtype].kMajorB ? [1, cs.K] : [cs.N, 1];
  if (cs.epilogue === 'bias_leaky_relu') return () => linear(grid, a, b, bias, c, cs.M, cs.N, cs.K, cs.K, 1, strideBk, strideBn, cs.N, 1, config);
  const options = { ...config, PRECISION: cs.dtype === 'tf32' ? 'tf32' : 'ieee', ACC_INT: cs.dtype === 'i8' };
  return () => matmul(grid, a, b, c, cs.M, cs.N, cs.K, cs.K, 1, strideBk, strideBn, cs.N, 1, options);
}

/** kt's PTX and the tensor-core instructions of its SASS (when cuobjdump is on the PATH). */
function inspect(run: () => void, name: string): string {
  const launches = captureLaunches(run);
  const l = launches[0]!;
  const specialized = l.definition.specialize(l.bound.bindings);
  const compiled = compileToPtx(specialized.ir.module, { numWarps: l.bound.options.numWarps ?? 4, numStages: l.bound.options.numStages, argFacts: argumentFacts(l.bound.runtime) });
  fs.writeFileSync(path.join(dump!, `${name}.ptx`), compiled.ptx);
  const ptxas = findPtxas();
  if (!ptxas) return '';
  const asm = assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
  const cubin = path.join(os.tmpdir(), `${name}.cubin`);
  fs.writeFileSync(cubin, asm.cubin);
  const sass = spawnSync('cuobjdump', ['-sass', cubin], { encoding: 'utf8' }).stdout ?? '';
  fs.writeFileSync(path.join(dump!, `${name}.sass`), sass);
  const mma = new Map<string, number>();
  for (const m of sass.matchAll(/\b(HGMMA|HMMA|QGMMA|IGMMA|IMMA)\.[A-Z0-9x.]+/g)) mma.set(m[0], (mma.get(m[0]) ?? 0) + 1);
  return `${[...mma].map(([k, n]) => `${k} x${n}`).join(', ') || 'no tensor-core instructions'} | registers ${asm.registers}, spills ${asm.spillStores}`;
}

interface Result extends Case {
  ms: number;
  tflops: number;
  relErr: number;
  sass?: string;
  /** The config kt ran, and whether kt tune chose it. */
  config: string;
}

function runKt(cs: Case): Result {
  const kind = kinds[cs.dtype];
  const a = randomTensor([cs.M, cs.K], kind.input, rng);
  // B stored K-major is its transpose, row-major: N x K.
  const b = randomTensor(kind.kMajorB ? [cs.N, cs.K] : [cs.K, cs.N], kind.input, rng);
  const bias = randomTensor([cs.N], 'f32', rng);
  const [da, db, dbias, dc] = [a.cuda(), b.cuda(), bias.cuda(), empty([cs.M, cs.N], kind.output, 'cuda')];
  const { config, tuned } = configFor(cs);
  const run = launcher(da, db, dc, dbias, cs, config);
  run();
  const relErr = relError(a, b, dc, bias, cs);
  const ms = measureGpu(run, { warmup: 5, minRuns: 20, maxRuns: 200, budgetMs: 3000, flushL2: true }).medianMs;
  const name = `kt-${cs.dtype}-${cs.M}x${cs.N}x${cs.K}-${cs.epilogue}`;
  const sass = dump ? inspect(run, name) : undefined;
  [da, db, dbias, dc].forEach((t) => t.dispose());
  return { ...cs, ms, tflops: (2 * cs.M * cs.N * cs.K) / ms / 1e9, relErr, sass, config: `${config['BLOCK_M']}x${config['BLOCK_N']}x${config['BLOCK_K']} w${config['numWarps']} s${config['numStages']}${tuned ? ' (tuned)' : ''}` };
}

function runTriton(): Record<string, unknown>[] {
  if (process.argv.includes('--no-triton')) return [];
  const args = [path.join(here, 'triton_matmul.py'), JSON.stringify(cases), ...(dump ? ['--dump', dump] : [])];
  const r = spawnSync('python3', args, { encoding: 'utf8', env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  if (r.status !== 0) console.error(`triton_matmul.py failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return (r.stdout ?? '').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

// Each kt figure as it is measured (on stderr), so that a run cut short still says what it measured.
const kt = cases.map((cs) => {
  const r = runKt(cs);
  console.error(`kt ${cs.dtype} ${cs.M}x${cs.N}x${cs.K} ${cs.epilogue}: ${r.tflops.toFixed(1)} TFLOP/s, ${r.config}${r.sass ? `, ${r.sass}` : ''}`);
  return r;
});
const triton = runTriton();
const same = (t: Record<string, unknown>, c: Case): boolean => t['dtype'] === c.dtype && t['M'] === c.M && t['N'] === c.N && t['K'] === c.K && (t['epilogue'] ?? 'none') === c.epilogue;
const f = (x: unknown, d = 1): string => (typeof x === 'number' ? x.toFixed(d) : '-');
console.log('| case | kt TFLOP/s | Triton TFLOP/s | kt / Triton | cuBLAS TFLOP/s | kt / cuBLAS | kt rel err | kt config | Triton best config |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of kt) {
  const t = triton.find((x) => same(x, r)) ?? {};
  const best = t['triton_best'] as Record<string, number> | undefined;
  const bestText = best ? `${best['BLOCK_M']}x${best['BLOCK_N']}x${best['BLOCK_K']} w${best['num_warps']} s${best['num_stages']}` : String(t['error'] ?? '-');
  const tt = t['triton_tflops'] as number | undefined;
  const cb = t['cublas_tflops'] as number | undefined;
  console.log(`| ${r.dtype} ${r.M}x${r.N}x${r.K}${r.epilogue === 'none' ? '' : ' + bias + leaky ReLU'} | ${f(r.tflops)} | ${f(tt)} | ${tt ? (r.tflops / tt).toFixed(3) : '-'} | ${f(cb)} | ${cb ? (r.tflops / cb).toFixed(3) : '-'} | ${r.relErr.toExponential(1)} | ${r.config} | ${bestText} |`);
}
for (const r of kt) if (r.sass) console.log(`kt SASS ${r.dtype} ${r.M}x${r.N}x${r.K} ${r.epilogue}: ${r.sass}`);
for (const t of triton) if (t['sass_mma']) console.log(`Triton SASS ${t['dtype']} ${t['M']}x${t['N']}x${t['K']}: ${(t['sass_mma'] as string[]).join(', ')}`);
const json = argOf('json');
if (json) fs.writeFileSync(json, JSON.stringify({ kt, triton }, null, 2));
