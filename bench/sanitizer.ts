// What the sanitizer costs: the library's kernels on the CPU interpreter, a plain launch against a sanitized one
// (kt run --sanitize, KT_SANITIZE=1), on the same inputs in the same process.
//
//   node bin/run-ts.js bench/sanitizer.ts [--reps 7] [--plain-only] [--json results.json]
//
// Each launch gets fresh copies of the spec's inputs (so outputs from empty() start unwritten and the sanitizer
// checks every read of them), made outside the timed region; the time is the median over --reps launches after
// one warm-up launch (which compiles), in CPU time of the process (user + system, process.cpuUsage), which other
// work on a shared machine disturbs less than wall time. --plain-only times plain launches alone, with nothing of the sanitizer
// imported: run it on a checkout without the sanitizer to compare plain speed before and after it.
import fs from 'node:fs';
import { Random, type KernelSpec, type Sizes, type Tensor } from 'kt';
import { loadTarget } from '../src/cli/target.ts';
import { arg } from './args.ts';

const reps = Number(arg('reps', '7'));
const plainOnly = process.argv.includes('--plain-only');
const jsonOut = arg('json', '');

const cases: { name: string; sizes: Sizes; dtype: string }[] = [
  { name: 'add', sizes: { N: 1 << 20 }, dtype: 'f32' },
  { name: 'softmax', sizes: { M: 512, N: 1000 }, dtype: 'f32' },
  { name: 'layernorm', sizes: { M: 128, N: 4096 }, dtype: 'f16' },
  { name: 'cumsum', sizes: { M: 64, N: 4000 }, dtype: 'f32' },
  { name: 'dropout', sizes: { N: 1 << 20 }, dtype: 'f32' },
  { name: 'matmul', sizes: { M: 256, N: 256, K: 256 }, dtype: 'f32' },
];

const settings = plainOnly ? undefined : await import('../src/interp/sanitize-settings.ts');

function timeLaunches(spec: KernelSpec, sizes: Sizes, dtype: string, sanitize: boolean): number {
  const host = spec.inputs(sizes, dtype as never, new Random(0)) as Record<string, Tensor>;
  const times: number[] = [];
  settings?.setSanitizeAll(sanitize ? {} : undefined);
  try {
    for (let r = 0; r <= reps; r++) {
      const inputs = Object.fromEntries(Object.entries(host).map(([k, t]) => [k, t.clone()]));
      const t = process.cpuUsage();
      spec.launch(inputs as never, sizes, spec.config);
      const d = process.cpuUsage(t);
      if (r > 0) times.push((d.user + d.system) / 1000);
    }
  } finally {
    settings?.setSanitizeAll(undefined);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const rows: { case: string; plainMs: number; sanitizedMs?: number; ratio?: number }[] = [];
console.log(`${'case'.padEnd(42)} ${'plain'.padStart(10)} ${plainOnly ? '' : `${'sanitized'.padStart(11)} ${'ratio'.padStart(7)}`}`);
for (const c of cases) {
  const spec = (await loadTarget(c.name)).specs[0]!;
  const label = `${c.name} ${c.dtype} ${Object.entries(c.sizes).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  const plainMs = timeLaunches(spec, c.sizes, c.dtype, false);
  if (plainOnly) {
    rows.push({ case: label, plainMs });
    console.log(`${label.padEnd(42)} ${plainMs.toFixed(2).padStart(7)} ms`);
    continue;
  }
  const sanitizedMs = timeLaunches(spec, c.sizes, c.dtype, true);
  rows.push({ case: label, plainMs, sanitizedMs, ratio: sanitizedMs / plainMs });
  console.log(`${label.padEnd(42)} ${plainMs.toFixed(2).padStart(7)} ms ${sanitizedMs.toFixed(2).padStart(8)} ms ${(sanitizedMs / plainMs).toFixed(1).padStart(6)}x`);
}
if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify(rows, null, 2)}\n`);
