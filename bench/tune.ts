// Tuning time, kt against Triton, on the GPU: `npm run bench:tune [-- --size 4096]`.
//
// Both tune the fp16 matmul at M = N = K = size over the same configs (the matmul spec's `triton` space, Triton's
// tutorial configs) from a cold cache: Triton's @autotune on its first call (bench/triton_tune.py), and
// `kt tune matmul --space triton` as a whole command (process start to exit: inputs, compile on worker threads,
// check against a sampled reference, measure). Then the warm cases: `kt tune` again (every config from the
// cache), and the first launch of an autotune()d matmul in a fresh process with a warm cache. Last, the spec's
// default space (`kt tune matmul` with no --space: on a GPU, 24 tensor-core configs for f16) from its own cold
// cache: the target is that it finds a config at least as fast as Triton's best in no more time than
// Triton's @autotune takes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spec } from '../kernels/matmul.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const argAt = process.argv.indexOf('--size');
const size = argAt >= 0 ? Number(process.argv[argAt + 1]) : 4096;
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bench-tune-'));
const env = { ...process.env, KT_CACHE_DIR: cache, FORCE_COLOR: '0' };

function timed(command: string, args: string[], environment: NodeJS.ProcessEnv = env): { ms: number; stdout: string } {
  const start = performance.now();
  const r = spawnSync(command, args, { cwd: root, env: environment, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const triton = JSON.parse(timed('python3', [path.join(here, 'triton_tune.py'), String(size), JSON.stringify(spec.tuning!.spaces['triton'])]).stdout.trim().split('\n').pop()!);

const tuneArgs = [path.join(root, 'bin/kt.js'), 'tune', 'matmul', '--space', 'triton', '--size', `M=N=K=${size}`, '--dtype', 'f16', '--out', path.join(cache, 'reports')];
const cold = timed(process.execPath, tuneArgs);
const report = JSON.parse(fs.readFileSync(path.join(cache, 'reports', `matmul-M${size}-N${size}-K${size}-f16-gpu.json`), 'utf8'));
const warm = timed(process.execPath, tuneArgs);
const firstLaunch = (): { firstCallMs: number; sinceStartMs: number; measured: number } => JSON.parse(timed(process.execPath, [path.join(root, 'bin/run-ts.js'), path.join(here, 'tune-first-launch.ts'), String(size)]).stdout.trim().split('\n').pop()!);
const wrapperCold = firstLaunch();
const wrapperWarm = firstLaunch();

const defaultCache = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bench-tune-default-'));
const defaultArgs = [path.join(root, 'bin/kt.js'), 'tune', 'matmul', '--size', `M=N=K=${size}`, '--dtype', 'f16', '--out', path.join(defaultCache, 'reports')];
const defaultCold = timed(process.execPath, defaultArgs, { ...env, KT_CACHE_DIR: defaultCache });
const defaultReport = JSON.parse(fs.readFileSync(path.join(defaultCache, 'reports', `matmul-M${size}-N${size}-K${size}-f16-gpu.json`), 'utf8'));

console.log(cold.stdout);
console.log(defaultCold.stdout);
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const t = report.timing;
const rows = [
  ['case', 'kt', 'Triton', 'kt / Triton'],
  [`tune fp16 matmul ${size}^3, ${(spec.tuning!.spaces['triton'] as readonly unknown[]).length} configs, cold`, s(cold.ms), s(triton.tune_s * 1000), (cold.ms / (triton.tune_s * 1000)).toFixed(3)],
  ['  kt: inside the tuner (compile+check+measure)', s(t.totalMs), '', ''],
  ['  kt: inputs and reference (while compiling)', s(t.prepareMs), '', ''],
  ['  kt: compile summed over workers / waited for', `${s(t.compileMs)} / ${s(t.compileWaitMs)}`, '', ''],
  ['  kt: check / measure', `${s(t.checkMs)} / ${s(t.measureMs)}`, '', ''],
  ['kt tune again (warm cache), whole command', s(warm.ms), '', ''],
  ['autotune()d first call, cold cache (check: none)', `${wrapperCold.firstCallMs.toFixed(0)} ms (${wrapperCold.measured} measured)`, '', ''],
  ['autotune()d first call, warm cache (new process)', `${wrapperWarm.firstCallMs.toFixed(1)} ms (${wrapperWarm.measured} measured)`, `${(triton.second_call_s * 1000).toFixed(1)} ms*`, ''],
  ['best config', report.best ? Object.entries(report.best.config).map(([k, v]) => `${k}=${v}`).join(' ') : 'none', JSON.stringify(triton.best), ''],
  ['best time', report.best ? `${report.best.medianMs.toFixed(3)} ms` : '', triton.best_ms ? `${triton.best_ms.toFixed(3)} ms` : '', ''],
  [`tune with the default space (${defaultReport.results?.length ?? '?'} configs), cold, whole command`, s(defaultCold.ms), s(triton.tune_s * 1000), (defaultCold.ms / (triton.tune_s * 1000)).toFixed(3)],
  ['  its best config', defaultReport.best ? Object.entries(defaultReport.best.config).map(([k, v]) => `${k}=${v}`).join(' ') : 'none', '', ''],
  ['  its best time (Triton: its best)', defaultReport.best ? `${defaultReport.best.medianMs.toFixed(3)} ms` : '', triton.best_ms ? `${triton.best_ms.toFixed(3)} ms` : '', defaultReport.best && triton.best_ms ? (triton.best_ms / defaultReport.best.medianMs).toFixed(3) + ' (speed)' : ''],
];
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
console.log('* Triton: the second call in the same process (Triton keeps no tuning results on disk by default)');
fs.rmSync(cache, { recursive: true, force: true });
fs.rmSync(defaultCache, { recursive: true, force: true });
