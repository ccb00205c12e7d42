// kt's CPU interpreter against Triton's (TRITON_INTERPRET=1), on the same machine in the same run.
//
//   npm run bench:interp [-- --reps 10 --triton-reps 3 --json results.json]
//
// Each case runs the same kernel in both (kt's library kernels; the Triton tutorials' in triton_interp.py),
// warm (compiled), timing the median of several launches. Prints a table with the speedup and its target.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random, cdiv, empty } from 'kt';
import { add } from '../kernels/add.ts';
import { randomTensor } from '../kernels/common.ts';
import { matmul } from '../kernels/matmul.ts';
import { softmax } from '../kernels/softmax.ts';
import { measure } from '../src/autotune/measure.ts';
import { arg } from './args.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

const reps = Number(arg('reps', '10'));
const tritonReps = Number(arg('triton-reps', '3'));
const jsonOut = arg('json', '');


interface Case {
  readonly key: string;
  readonly label: string;
  readonly target: number;
  readonly run: () => void;
  readonly check: () => number;
}

const rng = new Random(0);
const n = 1 << 20;
const x = randomTensor(n, 'f32', rng);
const y = randomTensor(n, 'f32', rng);
const z = empty([n]);
const sIn = randomTensor([1024, 1000], 'f32', rng);
const sOut = empty([1024, 1000]);
const a = randomTensor([512, 512], 'f32', rng);
const b = randomTensor([512, 512], 'f32', rng);
const c = empty([512, 512]);

/** Largest absolute error against a float64 computation, so that the timed kernels are also right. */
function addError(): number {
  const [xv, yv, zv] = [x.toArray(), y.toArray(), z.toArray()] as Float32Array[];
  let e = 0;
  for (let i = 0; i < n; i += 97) e = Math.max(e, Math.abs(xv[i]! + yv[i]! - zv[i]!));
  return e;
}

function softmaxError(): number {
  const [iv, ov] = [sIn.toArray(), sOut.toArray()] as Float32Array[];
  let e = 0;
  for (let r = 0; r < 1024; r += 31) {
    const row = Array.from(iv.subarray(r * 1000, (r + 1) * 1000));
    const m = Math.max(...row);
    const s = row.reduce((p, q) => p + Math.exp(q - m), 0);
    row.forEach((v, j) => (e = Math.max(e, Math.abs(Math.exp(v - m) / s - ov[r * 1000 + j]!))));
  }
  return e;
}

function matmulError(): number {
  const [av, bv, cv] = [a.toArray(), b.toArray(), c.toArray()] as Float32Array[];
  let e = 0;
  for (let i = 0; i < 512; i += 37) {
    for (let j = 0; j < 512; j += 41) {
      let s = 0;
      for (let k = 0; k < 512; k++) s += av[i * 512 + k]! * bv[k * 512 + j]!;
      e = Math.max(e, Math.abs(s - cv[i * 512 + j]!));
    }
  }
  return e;
}

const cases: Case[] = [
  { key: 'add-1024', label: 'vector add f32 n=2^20 BLOCK=1024', target: 20, run: () => add([cdiv(n, 1024)], x, y, z, n, { BLOCK: 1024 }), check: addError },
  { key: 'add-128', label: 'vector add f32 n=2^20 BLOCK=128', target: 20, run: () => add([cdiv(n, 128)], x, y, z, n, { BLOCK: 128 }), check: addError },
  { key: 'softmax', label: 'softmax f32 1024x1000 BLOCK=1024', target: 20, run: () => softmax([1024], sOut, sIn, 1000, 1000, 1000, { BLOCK: 1024 }), check: softmaxError },
  {
    key: 'matmul',
    label: 'matmul f32 512^3 blocks 64x64x64',
    target: 3,
    run: () => matmul([64], a, b, c, 512, 512, 512, 512, 1, 512, 1, 512, 1, { BLOCK_M: 64, BLOCK_N: 64, BLOCK_K: 64, GROUP_M: 8 }),
    check: matmulError,
  },
];

const ktMs: Record<string, number> = {};
const errors: Record<string, number> = {};
for (const k of cases) {
  // The warm-up run compiles and lets V8 optimise the generated code.
  ktMs[k.key] = measure(k.run, { warmup: 1, minRuns: reps }).medianMs;
  errors[k.key] = k.check();
}

let triton: { seconds: Record<string, number>; errors: Record<string, string>; triton: string; torch: string; numpy: string; python: string } | undefined;
let tritonProblem = '';
const py = spawnSync('python3', [path.join(here, 'triton_interp.py'), String(tritonReps)], { encoding: 'utf8', env: { ...process.env, PYTHONUNBUFFERED: '1' } });
if (py.status === 0) triton = JSON.parse(py.stdout.trim().split('\n').pop()!);
else tritonProblem = py.error ? py.error.message : (py.stderr || py.stdout).trim().split('\n').slice(-3).join(' | ');

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const header = `kt interpreter vs Triton interpreter (TRITON_INTERPRET=1), ${new Date().toISOString().slice(0, 10)}, ${cpu} (${os.cpus().length} cores), node ${process.version}${triton ? `, triton ${triton.triton}, torch ${triton.torch}, numpy ${triton.numpy}` : ''}`;
const rows = cases.map((k) => {
  const t = triton?.seconds[k.key];
  const speedup = t !== undefined ? (t * 1000) / ktMs[k.key]! : undefined;
  return {
    case: k.label,
    ktMs: ktMs[k.key]!,
    tritonMs: t !== undefined ? t * 1000 : undefined,
    speedup,
    target: k.target,
    met: speedup === undefined ? undefined : speedup >= k.target,
    maxAbsError: errors[k.key]!,
  };
});

if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ header, kt: { reps }, triton: triton ?? tritonProblem, rows }, null, 2));
console.log(header);
console.log(`kt: median of ${reps} warm launches; Triton: median of ${tritonReps}`);
if (!triton) console.log(`Triton's interpreter did not run: ${tritonProblem}`);
for (const [key, e] of Object.entries(triton?.errors ?? {})) console.log(`Triton's interpreter failed on ${key}: ${e}`);
const pad = (s: string, w: number) => s.padEnd(w);
console.log(`${pad('case', 36)}${pad('kt ms', 10)}${pad('triton ms', 12)}${pad('speedup', 10)}${pad('target', 9)}${pad('', 6)}max abs err`);
for (const r of rows) {
  console.log(
    `${pad(r.case, 36)}${pad(r.ktMs.toFixed(1), 10)}${pad(r.tritonMs?.toFixed(1) ?? '-', 12)}${pad(r.speedup ? `${r.speedup.toFixed(1)}x` : '-', 10)}${pad(`>= ${r.target}x`, 9)}${pad(r.met === undefined ? '' : r.met ? 'met' : 'MISSED', 6)}${r.maxAbsError.toExponential(1)}`,
  );
}
