// The first launch of an autotuned matmul in a fresh process: `run-ts bench/tune-first-launch.ts SIZE`. With
// a cold tuning cache it tunes (over the spec's `triton` space); with a warm one it should find the result at
// once. Prints JSON: the time the first call took to return (tuning or cache lookup, compile or disk-cache
// load, module load, launch), and the time from process start to that launch.
import { autotune, cdiv, empty, randn, synchronize } from 'kt';
import { matmul, spec } from '../kernels/matmul.ts';

const size = Number(process.argv[2] ?? 4096);
const [M, N, K] = [size, size, size];
// A 4096^3 matmul is too large for the interpreter check: candidates are checked by `kt tune`'s sampled
// reference there; here only the choice and its reuse are measured.
const tuned = autotune({ configs: spec.tuning!.spaces['triton']!, key: ['M', 'N', 'K'], check: 'none' }, matmul);
const a = randn([M, K], { dtype: 'f16', seed: 1 }).cuda();
const b = randn([K, N], { dtype: 'f16', seed: 2 }).cuda();
const c = empty([M, N], 'f16', 'cuda');
synchronize();
const grid = (meta: Record<string, unknown>) => [cdiv(M, meta['BLOCK_M'] as number) * cdiv(N, meta['BLOCK_N'] as number)];
const start = performance.now();
tuned(grid, a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1));
const firstCallMs = performance.now() - start;
const sinceStartMs = performance.now();
synchronize();
const outcome = [...tuned.tuned.values()][0];
console.log(JSON.stringify({ firstCallMs, sinceStartMs, measured: outcome?.results.filter((r) => !r.cached).length ?? 0, best: outcome?.best?.config }));
