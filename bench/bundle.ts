// Kernels shipped ahead of time against kernels compiled by kt at run time, on the GPU machine:
//
//   npm run bench:bundle [-- --runs 5]
//
// Cold start: a fresh Node process that launches the library's vector add once and waits for it, timed from the
// process's start (performance.now() at the end) — importing kt/runtime and loading a bundle built by `kt build`,
// against importing kt and the kernel's .ts file with the compile cache warm, and with it empty. Launch overhead:
// host microseconds per launch of a tiny add, back to back in batches, the bundle's launcher against kt's
// kernel (the same measurement as `npm run bench`). Both sides load TypeScript through the same loader.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { empty } from 'kt';
import { add } from '../kernels/add.ts';
import { loadBundle, type BundledKernel } from '../src/runtime/bundle.ts';
import { gpu, synchronize } from '../src/runtime/gpu.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 5;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bench-bundle-'));
fs.mkdirSync(path.join(dir, 'node_modules'));
fs.symlinkSync(root, path.join(dir, 'node_modules', 'kt'));
const N = 1 << 20;
const BLOCK = 1024;

// The bundle: the add kernel at this size, built for this GPU.
fs.writeFileSync(
  path.join(dir, 'build.ts'),
  `import { empty } from 'kt';\nimport { add } from 'kt/kernels/add';\nexport function build() { add([1], empty([${N}]), empty([${N}]), empty([${N}]), ${N}, { BLOCK: ${BLOCK} }); }\n`,
);
const bundle = path.join(dir, 'add.ktb.json');
const built = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'build', path.join(dir, 'build.ts'), '-o', bundle], { cwd: dir, encoding: 'utf8' });
if (built.status !== 0) throw new Error(`kt build failed: ${built.stderr}`);

const launchOnce = `const [x, y, z] = [rand([${N}]).cuda(), rand([${N}]).cuda(), empty([${N}]).cuda()];\n`;
const scripts = {
  bundle: `import { loadBundle, rand, empty, synchronize } from 'kt/runtime';\nconst { add } = loadBundle(${JSON.stringify(bundle)});\n${launchOnce}add([${N / BLOCK}], x, y, z, ${N}, { BLOCK: ${BLOCK} }); synchronize();\nconsole.log(performance.now());\n`,
  kt: `import { rand, empty, synchronize } from 'kt';\nimport { add } from 'kt/kernels/add';\n${launchOnce}add([${N / BLOCK}], x, y, z, ${N}, { BLOCK: ${BLOCK} }); synchronize();\nconsole.log(performance.now());\n`,
};
for (const [name, text] of Object.entries(scripts)) fs.writeFileSync(path.join(dir, `${name}.mjs`), text);

/** Median milliseconds from process start to the first launch done, over `runs` fresh processes. */
function coldStart(script: string, env: Record<string, string> = {}, freshCache = false): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cache = freshCache ? fs.mkdtempSync(path.join(dir, 'cache-')) : undefined;
    const r = spawnSync(process.execPath, ['--conditions=kt-source', '--import', path.join(root, 'bin/register.js'), path.join(dir, script)], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env, ...(cache ? { KT_CACHE_DIR: cache } : {}) },
    });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
    times.push(Number(r.stdout.trim().split('\n').pop()));
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
}

// Warm kt's compile cache (the user's default one) with one run first.
coldStart('kt.mjs');
const cold = { bundle: coldStart('bundle.mjs'), ktWarm: coldStart('kt.mjs'), ktCold: coldStart('kt.mjs', {}, true) };

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

console.log(`kt build bundle against kt's run-time compilation on ${gpu().info.name}, ${new Date().toISOString().slice(0, 10)}, median of ${runs} processes`);
console.log('| measure | bundle (kt/runtime) | kt, compile cache warm | kt, compile cache empty |');
console.log('| --- | --- | --- | --- |');
console.log(`| cold start to first launch done (ms) | ${cold.bundle.toFixed(0)} | ${cold.ktWarm.toFixed(0)} | ${cold.ktCold.toFixed(0)} |`);
console.log(`| launch overhead (host us per launch) | ${launch.bundle.toFixed(2)} | ${launch.kt.toFixed(2)} | - |`);
fs.rmSync(dir, { recursive: true, force: true });
