// Kernels shipped ahead of time against kernels compiled by kt at run time, on the GPU machine:
//
//   npm run bench:bundle [-- --runs 5]
//
// Cold start, as a service that installed kt from npm starts: a fresh plain `node` process (no loader; kt's
// compiled JavaScript in dist/, which `npm run build` writes and the bench builds when it is missing or older
// than the sources) that launches the library's vector add once and waits for it. Each process times its own
// phases: Node's start (process start to the script's first line), importing kt/runtime (or kt and the kernel's
// module), creating the CUDA context (the driver's cuInit and the primary context: every CUDA process pays it,
// torch's too), loading the bundle's cubin (or nothing, for the JIT), making the inputs, and the first launch
// until it is done (the JIT: the compile cache's lookup, warm or empty). Medians over fresh processes.
// Launch overhead: host microseconds per launch of a tiny add, back to back in batches, the bundle's launcher
// against kt's kernel (the same measurement as `npm run bench`).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { empty } from 'kt';
import { add } from '../kernels/add.ts';
import { loadBundle, type BundledKernel } from '../src/runtime/bundle.ts';
import { gpu, synchronize } from '../src/runtime/gpu.ts';
import { userProject } from '../test/support/user-project.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;
const dir = userProject('kt-bench-bundle-', {}, null);
const N = 1 << 20;
const BLOCK = 1024;

/** The newest modification time of the .ts files under a directory. */
function newest(d: string): number {
  let t = 0;
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
  }
  return t;
}
const built = path.join(root, 'dist', 'runtime', 'index.js');
if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < Math.max(newest(path.join(root, 'src')), newest(path.join(root, 'kernels')))) {
  console.log('building dist/ (npm run build) for the plain-Node processes');
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`npm run build failed: ${b.stdout}${b.stderr}`);
}

// The bundle: the add kernel at this size, built for this GPU.
fs.writeFileSync(
  path.join(dir, 'build.ts'),
  `import { empty } from 'kt';\nimport { add } from 'kt/kernels/add';\nexport function build() { add([1], empty([${N}]), empty([${N}]), empty([${N}]), ${N}, { BLOCK: ${BLOCK} }); }\n`,
);
const bundle = path.join(dir, 'add.ktb.json');
const buildRun = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'build', path.join(dir, 'build.ts'), '-o', bundle], { cwd: dir, encoding: 'utf8' });
if (buildRun.status !== 0) throw new Error(`kt build failed: ${buildRun.stderr}`);

/** The phases each process reports, in order: the time at each one's end since the process started. */
const phases = ['node', 'import', 'cuda', 'load', 'inputs', 'launch'] as const;
type Phase = (typeof phases)[number];
const timed = (body: string): string =>
  `const at = [performance.now()];\nconst mark = () => at.push(performance.now());\n${body}\nconsole.log(JSON.stringify(at));\n`;
const inputs = `const [x, y, z] = [rand([${N}]).cuda(), rand([${N}]).cuda(), empty([${N}]).cuda()]; mark();\n`;
const scripts = {
  bundle: timed(
    `const { loadBundle, rand, empty, synchronize, gpuAvailable } = await import('kt/runtime'); mark();\n` +
      `if (!gpuAvailable()) throw new Error('no GPU'); mark();\n` +
      `const { add } = loadBundle(${JSON.stringify(bundle)}); mark();\n` +
      inputs +
      `add([${N / BLOCK}], x, y, z, ${N}, { BLOCK: ${BLOCK} }); synchronize(); mark();`,
  ),
  kt: timed(
    `const [{ rand, empty, synchronize, gpuAvailable }, { add }] = await Promise.all([import('kt'), import('kt/kernels/add')]); mark();\n` +
      `if (!gpuAvailable()) throw new Error('no GPU'); mark();\n` +
      `mark();\n` +
      inputs +
      `add([${N / BLOCK}], x, y, z, ${N}, { BLOCK: ${BLOCK} }); synchronize(); mark();`,
  ),
};
for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, `${name}.mjs`), text);

/** Each phase's median duration (ms) over `runs` fresh plain-Node processes, and the median total. */
function coldStart(script: string, freshCache = false): Record<Phase | 'total', number> {
  const samples: number[][] = [];
  for (let i = 0; i < runs; i++) {
    const cache = freshCache ? fs.mkdtempSync(path.join(dir, 'cache-')) : undefined;
    const r = spawnSync(process.execPath, [path.join(dir, script)], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...(cache ? { KT_CACHE_DIR: cache } : {}) } });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    const at = JSON.parse(r.stdout.trim().split('\n').pop()!) as number[];
    samples.push(at.map((t, k) => t - (k ? at[k - 1]! : 0)).concat(at[at.length - 1]!));
  }
  const median = (k: number): number => samples.map((s) => s[k]!).sort((a, b) => a - b)[runs >> 1]!;
  return Object.fromEntries([...phases, 'total'].map((p, k) => [p, median(k)])) as Record<Phase | 'total', number>;
}

// Warm kt's compile cache (the user's default one) with one run first.
coldStart('kt.mjs');
const cold = { bundle: coldStart('bundle.mjs'), ktWarm: coldStart('kt.mjs'), ktCold: coldStart('kt.mjs', true) };

/** Host microseconds per launch, in batches of 200 with a synchronisation between (as bench/gpu.ts measures). */
function perLaunch(launch: () => void): number {
  for (let i = 0; i < 1000; i++) launch();
  synchronize();
  let host = 0;
  const total = 20000;
  for (let done = 0; done < total; done += 200) {
    const t = performance.now();
    for (let i = 0; i < 200; i++) launch();
    host += performance.now() - t;
    synchronize();
  }
  return (host / total) * 1000;
}
const [x, y, z] = [empty([N]).cuda(), empty([N]).cuda(), empty([N]).cuda()];
const bundled = loadBundle(bundle) as { add: BundledKernel };
const launch = { bundle: perLaunch(() => bundled.add([1], x, y, z, N, { BLOCK })), kt: perLaunch(() => add([1], x, y, z, N, { BLOCK })) };

const labels: Record<Phase | 'total', string> = {
  node: "Node's start, to the script's first line",
  import: 'import kt/runtime (JIT: kt and the kernel module)',
  cuda: 'CUDA driver and context (cuInit, primary context)',
  load: "load the bundle's cubin",
  inputs: 'inputs: 3 x 1M floats made and copied to the GPU',
  launch: 'first launch, until done (JIT: compile or cache lookup)',
  total: 'process start to first launch done',
};
const ms = (v: number): string => v.toFixed(1);
const sinceImport = (c: Record<Phase | 'total', number>): number => c.import + c.load + c.launch;
console.log(`kt build bundle against kt's run-time compilation on ${gpu().info.name}, ${new Date().toISOString().slice(0, 10)}, plain node ${process.version}, medians of ${runs} processes`);
console.log('| phase (ms) | bundle (kt/runtime) | kt, compile cache warm | kt, compile cache empty |');
console.log('| --- | --- | --- | --- |');
for (const p of [...phases, 'total'] as const) console.log(`| ${labels[p]} | ${ms(cold.bundle[p])} | ${ms(cold.ktWarm[p])} | ${ms(cold.ktCold[p])} |`);
console.log(`| import to first launch done, less the CUDA context and the inputs | ${ms(sinceImport(cold.bundle))} | ${ms(sinceImport(cold.ktWarm))} | ${ms(sinceImport(cold.ktCold))} |`);
console.log(`| launch overhead (host us per launch) | ${launch.bundle.toFixed(2)} | ${launch.kt.toFixed(2)} | - |`);
fs.rmSync(dir, { recursive: true, force: true });
