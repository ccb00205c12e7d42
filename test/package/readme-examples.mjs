// Every example and command of README.md, run in the fresh project that test/package/check.sh installs the packed
// kt into (on a machine without a GPU: GPU-only examples must stop with kt's "no CUDA driver" message, which is
// checked), or skipped here with the reason.
//
// What counts as one of the README's examples (`readmeItems`): every fenced code block (named by its first line),
// every command line of a `sh` block and every `$ ` line of an output block, and every inline code span that is a
// command (`npx ...`, `npm ...`, `node ...`, `kt ...`, `tsc ...`, `tsx ...`). Each entry of `examples` below
// names the items it covers; the code it runs is read from the README itself (the packed one, in
// node_modules/kt), never copied here, so an example that changes is run as it now reads. A README item that no
// entry names, or an entry naming an item the README no longer has, fails both the runner and
// test/package/readme-examples.test.ts (which CI's vitest run makes cheap to hear about first). The runner also
// fails when a run entry did not run every item it names.
//
//   node test/package/readme-examples.mjs <README.md> <work dir>     (check.sh runs it inside the fresh project)
//   KT_README_ONLY=<regex> runs only the entries whose names match (while working on one).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The README's fenced code blocks: the line (1-based) of their first line of code, info string, code, key. */
export function readmeBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let open;
  lines.forEach((line, i) => {
    const fence = /^ {0,3}```(.*)$/.exec(line);
    if (!fence) return;
    if (!open) open = { start: i + 1, info: fence[1].trim() };
    else {
      const code = lines.slice(open.start, i);
      const first = code.find((l) => l.trim() !== '') ?? '';
      blocks.push({ line: open.start + 1, end: i + 1, info: open.info, code: `${code.join('\n')}\n`, lines: code, key: first.trim() });
      open = undefined;
    }
  });
  if (open) throw new Error(`README.md: the code block at line ${open.start} is never closed`);
  return blocks;
}

const commandPattern = /^(npx|npm|node|kt|tsc|tsx)(\s|$)/;

/**
 * Everything in the README an entry must account for: { kind: 'block' | 'command', key, line }. A block's key is
 * its first line; a command's, its text (a `sh` line without its trailing comment, a `$ ` line without the `$ `).
 */
export function readmeItems(text) {
  const items = [];
  const blocks = readmeBlocks(text);
  for (const b of blocks) {
    items.push({ kind: 'block', key: b.key, line: b.line });
    b.lines.forEach((l, i) => {
      let command;
      if (b.info === 'sh') command = l.replace(/\s+#.*$/, '').trim();
      else if (b.info === '' && l.startsWith('$ ')) command = l.slice(2).replace(/\s+#.*$/, '').trim();
      if (command) items.push({ kind: 'command', key: command, line: b.line + i });
    });
  }
  // Inline code outside the fenced blocks (from the opening fence, line - 1, to the closing one, end).
  text.split('\n').forEach((l, i) => {
    if (blocks.some((b) => i + 1 >= b.line - 1 && i + 1 <= b.end)) return;
    for (const m of l.matchAll(/`([^`]+)`/g)) {
      if (commandPattern.test(m[1])) items.push({ kind: 'command', key: m[1], line: i + 1 });
    }
  });
  return items;
}

// The kernel of "A kernel", launched from plain Node through kt/register with known inputs (the README's own
// launch uses random ones).
const appMjs = `import { empty, tensor } from 'kt';
import { add } from './my-kernels.ts';

const n = 3000;
const x = tensor(Float32Array.from({ length: n }, (_, i) => i));
const y = tensor(Float32Array.from({ length: n }, (_, i) => 2 * i + 1));
const out = empty([n]);
add([3], x, y, out, n, { BLOCK: 1024 });
const bad = out.toNumbers().findIndex((v, i) => v !== 3 * i + 1);
console.log(bad < 0 ? 'app.mjs: add ok' : \`app.mjs: add WRONG at \${bad}\`);
`;

// The names the README's fragments use without defining them: "A kernel"'s add, x, y, out and n, and its GPU
// tensors (CPU ones without a GPU: then the launches run on the interpreter, as the README says they do).
const kernelPrelude = `import { add } from './my-kernels.ts';
import { empty as empty_, gpuAvailable as gpuAvailable_, tensor as tensor_ } from 'kt';
const n = 98432;
const x = tensor_(Float32Array.from({ length: n }, (_, i) => i % 17));
const y = tensor_(Float32Array.from({ length: n }, (_, i) => i % 5));
const out = empty_([n]);
const onGpu_ = gpuAvailable_();
const [gx, gy, gout] = onGpu_ ? [x.cuda(), y.cuda(), empty_([n], 'f32', 'cuda')] : [x, y, out];
void [add, x, y, out, n, gx, gy, gout];
`;

// The README's error reports ("Errors") come from kernels it does not show: these put the offending code on the
// lines and columns the reports name.
const broadcastKernel = `// A tile of 128 plus one of 64, on line 12 column 24, as the README's compile error has it.
import { kernel, tl, type Ptr, type i32, type constexpr } from 'kt';

export const add = kernel(function add(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const mask = offs < n;
  // y is read with half as many offsets as x.
  const half = tl.arange(0, BLOCK / 2);
  const a = tl.load(x + offs, { mask });
  const b = tl.load(y + half, { mask: half < n });
  // Here:
  tl.store(out + offs, a + b, { mask });
});
`;
const boundsKernel = `// An unmasked load on line 9 column 13, as the README's out-of-bounds report has it.
import { kernel, tl, type Ptr, type constexpr } from 'kt';

export const copy = kernel(function copy(x: Ptr, out: Ptr, BLOCK: constexpr) {
  const pid = tl.programId(0);
  const offs = pid * BLOCK + tl.arange(0, BLOCK);
  // Reads past x's 100 elements in program 1: the load has no mask.

  const v = tl.load(x + offs);
  tl.store(out + offs, v);
});
`;

/**
 * One entry per example: `items` are the README's items it covers (block first lines, command texts), and either
 * `run(ex)` runs them or `skip` says why they are not run here.
 */
export const examples = [
  {
    name: 'quick start: kt run matmul, the tuner',
    items: ['npm ci && npx kt run matmul       # set up, then run the library\'s matmul (on the GPU if there is one) and check it', 'npm ci && npx kt run matmul', 'npx kt tune matmul --size M=N=K=4096 --dtype f16', 'kt tune matmul --size M=N=K=4096 --dtype f16'],
    async run(ex) {
      ex.use("npm ci && npx kt run matmul       # set up, then run the library's matmul (on the GPU if there is one) and check it");
      // `npm ci` is check.sh's install step (offline); the README's size, 512^3, takes about 2 s on the interpreter.
      await ex.cmd('npm ci && npx kt run matmul', { as: 'npx kt run matmul', expect: ['matmul  M=512 N=512 K=512  f32', 'PASS', ...ex.noGpuNote] });
      // 4096^3 would take hours on the interpreter: 64^3, and 2 of the default space's 24 configs (all take 10 s).
      await ex.cmd(['npx kt tune matmul --size M=N=K=4096 --dtype f16', 'kt tune matmul --size M=N=K=4096 --dtype f16'], {
        as: 'npx kt tune matmul --size M=N=K=64 --dtype f16 --budget 2',
        expect: ['tuning matmul  M=64,N=64,K=64  f16', 'best: BLOCK_M=', 'kt run matmul --size M=64,N=64,K=64 --dtype f16', 'now uses it'],
      });
      // "kt run then uses the best"
      await ex.sh('npx kt run matmul --size M=N=K=64 --dtype f16', { expect: ['using the config tuned by kt tune: BLOCK_M=', 'PASS'] });
    },
  },
  {
    name: "kt's own development scripts",
    items: ['npm test', 'npm run test:gpu', 'npm run fuzz', 'npm run bench', 'npm run bench:bundle', 'npm run bench:matmul', 'npm run bench:tune', 'npm run bench:interp'],
    skip: "scripts of kt's checkout (the packed kt ships no tests or benchmarks); .ci/run runs npm test, and readme-examples.test.ts checks that package.json has every one",
  },
  {
    name: 'commands check.sh runs in its own steps',
    items: ['tsc --noEmit', 'tsc --init', 'npm pack', 'node --import kt/register app.ts', 'kt --version'],
    skip: "check.sh's own steps run them: npm pack, tsc --init, tsc --noEmit, node --import kt/register src/app.ts, kt --version",
  },
  {
    name: 'names of commands, not invocations',
    items: ['kt', 'tsx', 'tsc', 'kt run', 'kt tune', 'kt build', 'kt compile', 'kt opt', 'kt bench'],
    skip: 'a command (or the package) named in prose, with no arguments to run it with',
  },
  {
    name: 'A kernel: my-kernels.ts, through tsx and through kt/register',
    items: ['// my-kernels.ts', 'npx tsx my-kernels.ts', 'node --import kt/register app.mjs'],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts'));
      const out = await ex.cmd('npx tsx my-kernels.ts', { expect: ['Float32Array(4) ['] });
      // out = x + y of uniform [0, 1) inputs: four numbers in [0, 2).
      const values = out.match(/-?\d+(\.\d+)?(e-?\d+)?(?=,?\n)/g)?.map(Number) ?? [];
      if (values.length !== 4 || values.some((v) => !(v >= 0 && v < 2))) ex.fail(`expected four sums in [0, 2), got ${values.join(', ')}`);
      // app.mjs: the README names it only; a small app importing the kernel, with known inputs.
      ex.write('app.mjs', appMjs);
      await ex.cmd('node --import kt/register app.mjs', { expect: ['app.mjs: add ok'] });
    },
  },
  {
    name: 'A kernel: the same call on GPU tensors',
    items: ['const [gx, gy, gout] = [x.cuda(), y.cuda(), empty([n], \'f32\', \'cuda\')];'],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts')); // the kernel of "A kernel", which it imports
      // The fragment's x, y, n and add come from the example above it.
      const prelude = `import { add } from './my-kernels.ts';\nimport { cdiv, empty, tensor } from 'kt';\nconst n = 98432;\nconst x = tensor(Float32Array.from({ length: n }, Math.random));\nconst y = tensor(Float32Array.from({ length: n }, Math.random));\n`;
      ex.write('gpu.ts', prelude + ex.block("const [gx, gy, gout] = [x.cuda(), y.cuda(), empty([n], 'f32', 'cuda')];"));
      await ex.gpuOnly('npx tsx gpu.ts', { expect: ['Float32Array(4) ['] });
    },
  },
  {
    name: 'Kernels shipped ahead of time: kt build, then kt/runtime',
    items: ['// build.ts', 'npx kt build build.ts --target sm_90a -o kernels.ktb.json', "import { loadBundle, cdiv, randn, empty, synchronize } from 'kt/runtime';"],
    async run(ex) {
      ex.write('build.ts', ex.block('// build.ts'));
      // Compiling needs no GPU (ptxas, where installed, makes the cubin).
      await ex.cmd('npx kt build build.ts --target sm_90a -o kernels.ktb.json', { expect: ['matmul  a: *f16, b: *f16, c: *f16', 'BLOCK_M=128, BLOCK_N=256, BLOCK_K=64', 'wrote kernels.ktb.json: 1 kernel, 1 specialisation for sm_90a'] });
      // The serving app, run as plain Node (it has no type annotations; a server would not load TypeScript): the
      // bundle loads, and the inputs' .cuda() needs the GPU.
      ex.write('serve.mjs', ex.block("import { loadBundle, cdiv, randn, empty, synchronize } from 'kt/runtime';"));
      // The same code as TypeScript, for check.sh's tsc step under the strict tsc --init configuration: the kernels
      // named after the bundle's file type as present (noUncheckedIndexedAccess).
      ex.write('serve.ts', ex.block("import { loadBundle, cdiv, randn, empty, synchronize } from 'kt/runtime';"));
      await ex.gpuOnly('node serve.mjs', { expect: [] });
    },
  },
  {
    name: 'The command line: the synopsis against each command\'s --help',
    items: [
      'npx kt run <name|file.ts> [spec] [--interpret | --check | --sanitize [--timeout 60s]] [--size M=512,N=512] [--dtype f16] [-c BLOCK_M=64 -c numWarps=8 ...] [--repeat 10]',
      'npx kt tune <name|file.ts> [spec] [--size M=N=K=4096] [--dtype f16] [--strategy exhaustive|random|guided] [--budget 40|30s] [--space NAME] [-c GROUP_M=8] [--interpret] [--force] [--show] [--out DIR]',
      'npx kt bench <file.ts> [benchmark ...] [--out DIR]',
      'npx kt list',
      'npx kt compile <name|file.ts> [kernel] [--emit ir|gpu-ir|ptx|cubin] [--target sm_90] [--num-warps 4] [-s "*f16:16,*f16:16,*f16:16,i32"] [-c BLOCK=256] [--locations] [--no-passes] [--print-after-all]',
      'npx kt opt <file.mlir|-> --passes "canonicalize,cse,convert-to-gpu{num-warps=4}" [--print-after-all] [--locations] [--list]',
      'npx kt build <file.ts> [--out kernels.ktb.json] [--target sm_90a]',
      'npx kt doctor',
      'kt bench <file.ts> [benchmark ...] [--out DIR]',
    ],
    async run(ex) {
      // Lines of the synopsis are patterns, not commands: each option they name must be one the command's --help
      // lists (--no-x as --x); `kt doctor` runs (`kt list` is one of check.sh's own steps).
      const synopsis = ex.block('npx kt run <name|file.ts> [spec] [--interpret | --check | --sanitize [--timeout 60s]] [--size M=512,N=512] [--dtype f16] [-c BLOCK_M=64 -c numWarps=8 ...] [--repeat 10]')
        .split('\n')
        .filter(Boolean);
      const lines = [...synopsis, ex.command('kt bench <file.ts> [benchmark ...] [--out DIR]')];
      const helps = new Map();
      for (const line of lines) {
        const command = line.replace(/^npx /, '').split(/\s+/)[1];
        if (!helps.has(command)) helps.set(command, undefined);
      }
      // (A line naming no option needs no --help: `kt list`, `kt doctor`.)
      for (const command of helps.keys()) {
        if (lines.some((l) => l.split(/\s+/).includes(command) && /(?<=[\s[])--?[a-z]/.test(l))) helps.set(command, await ex.sh(`kt ${command} --help`, { quiet: true }));
      }
      await Promise.all(
        lines.map(async (line) => {
          ex.use(line);
          const words = line.replace(/^npx /, '').split(/\s+/);
          const help = helps.get(words[1]);
          for (const option of new Set(line.match(/(?<=[\s[])--?[a-z][a-z-]*/g) ?? [])) {
            const name = option.replace(/^--no-/, '--');
            if (!new RegExp(`(^|[\\s,])${name.replace(/-/g, '\\-')}(?=[\\s,])`, 'm').test(help)) ex.fail(`\`${line}\`: kt ${words[1]} --help has no ${option}`);
          }
        }),
      );
      await ex.sh('npx kt doctor', { expect: ['Node.js', 'ptxas', 'KT_CACHE_DIR', ...(ex.gpu ? [] : ['no: no CUDA driver found'])] });
    },
  },
  {
    name: 'The command line: a spec next to the kernel',
    items: ["import { defineSpec, randn } from 'kt';", 'npx kt run my-kernels.ts --dtype f16', 'kt run my-kernels.ts add'],
    async run(ex) {
      // "export a spec next to the kernel": the spec goes into my-kernels.ts, below the kernel.
      ex.write('my-kernels.ts', `${ex.block('// my-kernels.ts')}\n${ex.block("import { defineSpec, randn } from 'kt';")}`);
      await ex.cmd('npx kt run my-kernels.ts --dtype f16', { expect: ['add  N=98432  f16  BLOCK=1024', 'PASS'] });
      await ex.cmd('kt run my-kernels.ts add', { expect: ['add  N=98432  f32  BLOCK=1024', 'PASS'] });
    },
  },
  {
    name: 'Tuning: a spec\'s tuning spaces',
    items: ['tuning: {', 'kt tune matmul --space triton'],
    async run(ex) {
      // The fragment is a spec's `tuning` member: here, the library matmul's spec with the README's spaces.
      ex.write('tuning.ts', `import { defineSpec } from 'kt';\nimport { spec as matmul } from 'kt/kernels/matmul';\n\nexport const spec = defineSpec({\n  ...matmul,\n${ex.block('tuning: {')}});\n`);
      // 64^3 rather than the spec's 512^3, to keep the interpreter quick; the README's triton space is one config
      // (on the interpreter numWarps and numStages are held at their defaults: they change nothing there).
      await ex.sh('npx kt tune tuning.ts --space triton --size M=N=K=64 --interpret', { expect: ['over 1 configs', 'best: BLOCK_M=128 BLOCK_N=256 BLOCK_K=64 GROUP_M=8'] });
      // The library's triton space is Triton's 11 configs: 64^3 and a budget of 2, to keep it quick.
      await ex.cmd('kt tune matmul --space triton', { as: 'npx kt tune matmul --space triton --size M=N=K=64 --budget 2', expect: ['search over 11 configs', 'best: BLOCK_M='] });
    },
  },
  {
    name: 'Tuning: autotune in code',
    items: ["import { autotune, cdiv, empty, randn } from 'kt';"],
    async run(ex) {
      // Afterwards, c is checked against a product computed here, at a few elements.
      const check = `const got_ = c.toNumbers(), av_ = a.toNumbers(), bv_ = b.toNumbers();
for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, 3]] as const) {
  let want = 0;
  for (let k = 0; k < K; k++) want += av_[i * K + k]! * bv_[k * N + j]!;
  if (Math.abs(got_[i * N + j]! - want) > 1e-4 * Math.max(1, Math.abs(want))) throw new Error(\`c[\${i}, \${j}] is \${got_[i * N + j]}, expected \${want}\`);
}
console.log('autotuned matmul: ok');
`;
      ex.write('autotune.ts', `${ex.block("import { autotune, cdiv, empty, randn } from 'kt';")}${check}`);
      // The first launch tunes (KT_PRINT_AUTOTUNING=1 says so); a new process uses the stored best without tuning.
      await ex.sh('tsx autotune.ts', { env: { KT_PRINT_AUTOTUNING: '1' }, expect: ["kt: tuned 'matmul' for {\"M\":128,\"N\":128,\"K\":128}", '(2 configs measured)', 'autotuned matmul: ok'] });
      const again = await ex.sh('tsx autotune.ts', { env: { KT_PRINT_AUTOTUNING: '1' }, expect: ['autotuned matmul: ok'] });
      if (again.includes('kt: tuned')) ex.fail('the second process tuned again instead of using the stored best');
    },
  },
  {
    name: 'kt compile and kt opt, with the output the README shows',
    items: [
      '$ npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024',
      'npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024',
      '$ npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024 > add.mlir',
      'npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024 > add.mlir',
      'npx kt opt add.mlir --passes "specialize-arguments{facts=ddd-},convert-to-gpu{num-warps=8},coalesce,remove-layout-conversions"',
      'kt compile --emit gpu-ir',
    ],
    async run(ex) {
      for (const key of ['$ npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024', '$ npx kt compile add -s "*f32,*f32,*f32,i32" -c BLOCK=1024 > add.mlir']) {
        // An output block: its `$ ` lines run in order, and the output of the last must begin as the block shows.
        const lines = ex.block(key).replace(/\n$/, '').split('\n');
        const commands = lines.filter((l) => l.startsWith('$ ')).map((l) => ex.command(l.slice(2)));
        let out = '';
        for (const command of commands) out = await ex.sh(command);
        ex.startsLike(out, lines.filter((l) => !l.startsWith('$ ')));
      }
      // "The schedule is visible in the IR": the library's matmul, f16, for sm_90 (kt compile's default target).
      await ex.cmd('kt compile --emit gpu-ir', {
        as: 'npx kt compile matmul --emit gpu-ir --dtype f16',
        quiet: true,
        expect: ['ttg.async_copy_global_to_local', 'ttg.async_wait', 'ttg.memdesc_index', 'ttng.warp_group_dot_wait', 'tt.pipelined = 3'],
      });
    },
  },
  {
    name: 'kt run on the GPU and on the interpreter: --check, --repeat, --sanitize',
    items: ['kt run --check', 'kt run --repeat', 'kt run matmul --dtype f16 --size M=N=K=4096 --repeat 100', 'kt run add --sanitize', 'kt run --sanitize --timeout 10s'],
    async run(ex) {
      // --check compares the GPU with the interpreter: without a GPU, a one-line refusal with exit code 2.
      if (ex.gpu) await ex.cmd('kt run --check', { as: 'npx kt run add --check', expect: ['PASS'] });
      else await ex.cmd('kt run --check', { as: 'npx kt run add --check', failWith: ['error: --check needs a GPU: no CUDA driver found'] });
      // A GPU benchmark; without a GPU it times the interpreter, at 64^3 (4096^3 would take hours there).
      await ex.cmd(['kt run matmul --dtype f16 --size M=N=K=4096 --repeat 100', 'kt run --repeat'], {
        as: 'npx kt run matmul --dtype f16 --size M=N=K=64 --repeat 3',
        expect: ['then median', 'over 3 runs', 'PASS', ...ex.noGpuNote],
      });
      await ex.cmd('kt run add --sanitize', { expect: ['add  N=98432  f32', 'PASS'] });
      await ex.cmd('kt run --sanitize --timeout 10s', { as: 'npx kt run add --sanitize --timeout 10s --size N=4096', expect: ['PASS'] });
    },
  },
  {
    name: 'doBench',
    items: ["import { cdiv, doBench } from 'kt';"],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts')); // the kernel of "A kernel", which it imports
      ex.write('do-bench.ts', `${kernelPrelude}${ex.block("import { cdiv, doBench } from 'kt';")}console.log(\`doBench: timer \${t.timer}, \${t.samples.length} runs, \${gbPerS > 0 && Number.isFinite(gbPerS) ? 'a bandwidth' : \`a bandwidth of \${gbPerS}\`}\`);\n`);
      await ex.sh('tsx do-bench.ts', { expect: [`doBench: timer ${ex.gpu ? 'gpu' : 'wall'}`, 'a bandwidth'] });
    },
  },
  {
    name: 'Benchmark and perfReport: kt bench',
    items: ['// bench-add.ts', "$ npx kt bench bench-add.ts --out bench-results      # in code: perfReport(vectorAdd, { out: 'bench-results' })", 'npx kt bench bench-add.ts --out bench-results'],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts')); // the kernel of "A kernel", which it imports
      ex.write('bench-add.ts', ex.block('// bench-add.ts'));
      const shown = ex.block("$ npx kt bench bench-add.ts --out bench-results      # in code: perfReport(vectorAdd, { out: 'bench-results' })").replace(/\n$/, '').split('\n');
      const out = await ex.cmd('npx kt bench bench-add.ts --out bench-results');
      // The README shows a run without a GPU: its title line (with the timers), its column headers and x values
      // (the bandwidths vary), and the files it writes.
      const got = out.split('\n').map((l) => l.trim().split(/\s+/));
      const table = shown.slice(1).map((l) => l.trim().split(/\s+/));
      if (!ex.gpu && !out.includes(shown[1])) ex.fail(`kt bench did not print '${shown[1]}'`);
      for (const row of table.slice(1)) {
        if (!got.some((g) => g[0] === row[0] && (row[0] === 'wrote' ? g.join(' ') === row.join(' ') : g.length === row.length))) ex.fail(`kt bench printed no row like '${row.join(' ')}'`);
      }
      for (const file of ['bench-results/vector-add.csv', 'bench-results/vector-add.svg']) if (!ex.exists(file)) ex.fail(`kt bench did not write ${file}`);
      if (!ex.read('bench-results/vector-add.csv').startsWith('n,kt (GB/s),plain JS (GB/s)\n4096,')) ex.fail('bench-results/vector-add.csv does not begin with its header and n = 4096');
    },
  },
  {
    name: 'assertClose, with the report the README shows',
    items: ['assertClose(out, want);                          // out: an f32 tensor of 98432 elements', 'AssertionError [ERR_ASSERTION]: tensors are not close: 2 of 98432 elements (0.00203%) differ by more than atol + rtol * |expected| (atol 0.00001, rtol 0.0001; by dtype: f32)'],
    async run(ex) {
      // out and want as the README's report has them: equal but for [40000] (2 against -1) and [17] (5 against 5.5).
      const prelude = `import { assertClose, tensor } from 'kt';\nconst out = tensor(new Float32Array(98432));\nconst want = new Array<number>(98432).fill(0);\n[out.data[40000], want[40000], out.data[17], want[17]] = [2, -1, 5, 5.5];\n`;
      ex.write('assert-close.ts', `${prelude}${ex.block('assertClose(out, want);                          // out: an f32 tensor of 98432 elements')}`);
      // Uncaught, as in a script: Node prints the error, which must read as the README shows.
      const out = await ex.sh('tsx assert-close.ts', { failWith: ['AssertionError [ERR_ASSERTION]: tensors are not close'] });
      ex.startsLike(out.slice(out.indexOf('AssertionError [ERR_ASSERTION]: ')), ex.block('AssertionError [ERR_ASSERTION]: tensors are not close: 2 of 98432 elements (0.00203%) differ by more than atol + rtol * |expected| (atol 0.00001, rtol 0.0001; by dtype: f32)').replace(/\n$/, '').split('\n'));
    },
  },
  {
    name: 'kernel.warmup, and the files KT_DUMP_DIR writes',
    items: ["const compiled = add.warmup(x, y, out, n, { BLOCK: 1024, numWarps: 4, target: 'sm_90' });", 'add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.ir.mlir                          IR after the passes, with source locations'],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts')); // the kernel of "A kernel", which it imports
      const block = ex.block("const compiled = add.warmup(x, y, out, n, { BLOCK: 1024, numWarps: 4, target: 'sm_90' });");
      // The block's comments give the values of its last two lines: print those lines' values to compare.
      const claims = [...block.matchAll(/^(\[.*\]);\s*\/\/\s*(\[.*?\])/gm)].map((m) => ({ expr: m[1], want: m[2] }));
      if (claims.length !== 2) ex.fail(`expected two lines "[...]; // [...]" in the warmup example, found ${claims.length}`);
      const checks = claims.map((c) => `console.log(${JSON.stringify(c.expr)}, '=', JSON.stringify(${c.expr}));`).join('\n');
      ex.write('warmup.ts', `${kernelPrelude}${block}console.log('ir:', compiled.ir.includes('tt.func public @add'), 'interpreter:', compiled.interpreterSource.length > 0, 'ptx:', g.ptx.includes('.target sm_90'), 'cubin:', g.cubin !== undefined);\n${checks}\n`);
      const out = await ex.sh('tsx warmup.ts', { env: { KT_DUMP_DIR: 'dump' }, expect: ['ir: true interpreter: true ptx: true'] });
      const ptxas = out.includes('cubin: true');
      for (const { expr, want } of claims) {
        const got = new RegExp(`^${expr.replace(/[[\]().*+?^$|\\]/g, '\\$&')} = (.*)$`, 'm').exec(out)?.[1];
        const normal = (s) => s?.replace(/'/g, '"').replace(/\s/g, '');
        // Registers come from ptxas: without it they are unknown.
        if (normal(got) !== normal(want) && !(expr.includes('registers') && !ptxas)) ex.fail(`${expr} is ${got}; the README says ${want}`);
      }
      // The dump: every file the README lists (the cubin and ptxas's report only with ptxas).
      const listed = ex.block('add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.ir.mlir                          IR after the passes, with source locations').split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]);
      const dumped = fs.readdirSync(path.join(ex.dir, 'dump'));
      const hasCubin = dumped.some((f) => f.endsWith('.cubin'));
      for (const file of listed) {
        if (!dumped.includes(file) && !(!hasCubin && /\.(cubin|ptxas\.txt)$/.test(file))) ex.fail(`KT_DUMP_DIR did not write ${file} (it wrote ${dumped.join(', ')})`);
      }
      ex.log(`      KT_DUMP_DIR wrote ${listed.length} of the files listed${hasCubin ? '' : ' (no ptxas here: no cubin)'}`);
    },
  },
  {
    name: 'Launch hooks',
    items: ["import { addLaunchHook } from 'kt';"],
    async run(ex) {
      ex.write('my-kernels.ts', ex.block('// my-kernels.ts')); // the kernel of "A kernel", which it imports
      // runMyModel: two launches of the kernel from "A kernel".
      const prelude = `${kernelPrelude}function runMyModel(): void {\n  add([cdiv_(n, 1024)], x, y, out, n, { BLOCK: 1024 });\n  add([cdiv_(n, 1024)], x, y, out, n, { BLOCK: 1024 });\n}\nimport { cdiv as cdiv_ } from 'kt';\n`;
      ex.write('hooks.ts', prelude + ex.block("import { addLaunchHook } from 'kt';"));
      const out = await ex.sh('tsx hooks.ts');
      if (!/│\s*add\s*│\s*2\s*│\s*[\d.e-]+\s*│/.test(out)) ex.fail('the table does not show 2 launches of add and their time');
    },
  },
  {
    name: 'Errors: the compile error and the out-of-bounds report the README shows',
    items: ['kernels/mine.ts:12:24: error: shapes [128] and [64] do not broadcast: dimension 0 is 128 in one and 64 in the other', "kernels/mine.ts:9:13: error: out-of-bounds load in kernel 'copy' (program (1, 0, 0), tile index [36] of 64): element offset 100 is outside tensor argument 'x' (f32, shape [100], 100 f32 elements)"],
    async run(ex) {
      // Kernels whose offending lines sit where the README's reports put them, launched uncaught.
      ex.write('errors/broadcast/kernels/mine.ts', broadcastKernel);
      ex.write('errors/broadcast/run.ts', `import { empty } from 'kt';\nimport { add } from './kernels/mine.ts';\n\nadd([1], empty([128]), empty([128]), empty([128]), 128, { BLOCK: 128 });\n`);
      ex.write('errors/bounds/kernels/mine.ts', boundsKernel);
      ex.write('errors/bounds/run.ts', `import { empty, tensor } from 'kt';\nimport { copy } from './kernels/mine.ts';\n\ncopy([2], tensor(new Float32Array(100)), empty([128]), { BLOCK: 64 });\n`);
      for (const [where, key] of [['broadcast', 'kernels/mine.ts:12:24: error: shapes [128] and [64] do not broadcast: dimension 0 is 128 in one and 64 in the other'], ['bounds', "kernels/mine.ts:9:13: error: out-of-bounds load in kernel 'copy' (program (1, 0, 0), tile index [36] of 64): element offset 100 is outside tensor argument 'x' (f32, shape [100], 100 f32 elements)"]]) {
        const out = await ex.sh(`cd errors/${where} && tsx run.ts`, { failWith: [key] });
        // The report as printed, without the error's class name.
        const report = out.slice(out.indexOf(key));
        ex.startsLike(report, ex.block(key).replace(/\n$/, '').split('\n'));
        // Uncaught, the report shows the user's frames only: none of kt's, though tsx maps kt's dist/ frames to src/.
        const ktFrame = out.split('\n').find((l) => /^\s+at .*node_modules\/kt\/(src|dist)\//.test(l));
        if (ktFrame) ex.fail(`the uncaught report shows kt's own frame ${ktFrame.trim()}`);
      }
    },
  },
  {
    name: "The sanitizer's reports",
    items: [
      "mine.ts:5:3: error: data race in kernel 'partialSums' on element offset 0 of tensor argument 'out' (f32, shape [1]): a store by program (1, 0, 0) and a store by program (0, 0, 0) (line 5), with nothing ordering them",
      "mine.ts:10:24: error: uninitialised read in kernel 'increment' (program (0, 0, 0), tile index [0] of 8): a load reads element offset 0 of tensor argument 'x' (f32, shape [8]), which nothing has written: it comes from empty()",
      "mine.ts:15:17: error: i32 overflow in index arithmetic in kernel 'strided' (program (0, 0, 0), tile index [2] of 8): 2 * 1073741824 = 2147483648 is outside i32 (it wraps to -2147483648)",
    ],
    skip: "output of kernels the README does not show; the sanitizer's reports are checked by test/interp/sanitizer.test.ts",
  },
];

// ---------------------------------------------------------------------------------------------------------------
// The runner.

class ExampleFailure extends Error {}

function runShell(command, { cwd, env }) {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (status) => resolve({ status, out }));
  });
}

// `npx kt` and `npx tsx` as npx runs them, the fresh project's node_modules/.bin on the PATH (without npx's half a
// second a call), which also runs the README's bare `kt ...`.
const local = (command) => command.replace(/(^|&& |; )npx (kt|tsx)\b/g, '$1$2');

async function main() {
  const [readmePath, dir] = process.argv.slice(2);
  if (!readmePath || !dir) throw new Error('usage: readme-examples.mjs <README.md> <work dir>');
  const text = fs.readFileSync(readmePath, 'utf8');
  const blocks = readmeBlocks(text);
  const items = readmeItems(text);
  const problems = coverageProblems(items);
  if (problems.length) throw new ExampleFailure(`README.md and test/package/readme-examples.mjs disagree:\n  ${problems.join('\n  ')}`);
  fs.mkdirSync(dir, { recursive: true });
  let bin = path.resolve(dir);
  while (!fs.existsSync(path.join(bin, 'node_modules/.bin/kt'))) {
    if (path.dirname(bin) === bin) throw new Error(`no node_modules/.bin/kt above ${dir}`);
    bin = path.dirname(bin);
  }
  const env = { ...process.env, FORCE_COLOR: '0', PATH: `${path.join(bin, 'node_modules/.bin')}${path.delimiter}${process.env.PATH}` };
  const gpu = (await runShell(`node -e "import('kt').then((kt) => console.log(kt.gpuAvailable()))"`, { cwd: dir, env })).out.trim() === 'true';
  console.log(`    (${gpu ? 'a GPU is here' : 'no GPU here: GPU-only examples must stop with kt\'s no-GPU message'})`);

  for (const example of examples) if (example.skip) console.log(`--- skipped: ${example.name} (${example.skip})`);
  // Two examples at a time (CI has two cores), each in a directory of its own; an example's log is printed whole
  // when it ends.
  const only = process.env.KT_README_ONLY ? new RegExp(process.env.KT_README_ONLY, 'i') : undefined;
  const queue = examples.filter((e) => !e.skip && (!only || only.test(e.name)));
  if (only) console.log(`    KT_README_ONLY=${process.env.KT_README_ONLY}: ${queue.length} of the examples`);
  let failures = 0;
  const lane = async () => {
    for (let example; (example = queue.shift()); ) {
      const log = [];
      const ok = await runExample(example, { blocks, items, gpu, env, dir: path.join(dir, example.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').toLowerCase()), log });
      console.log(log.join('\n'));
      if (!ok) failures++;
    }
  };
  await Promise.all([lane(), lane()]);
  if (failures) throw new ExampleFailure(`${failures} README example${failures > 1 ? 's' : ''} failed`);
  console.log(`    every README example ran or is skipped with its reason (${examples.filter((e) => !e.skip).length} run, ${examples.filter((e) => e.skip).length} skipped)`);
}

async function runExample(example, { blocks, items, gpu, env, dir, log }) {
  fs.mkdirSync(dir, { recursive: true });
  const started = Date.now();
  log.push(`--- ${example.name}`);
  const used = new Set();
  const fail = (message) => {
    throw new ExampleFailure(message);
  };
  // A README item this entry runs (or, with own = false, one of another entry's blocks that it builds on).
  const known = (key, own = true) => {
    if (!items.some((i) => i.key === key)) fail(`README.md has no example \`${key}\` (test/package/readme-examples.mjs is out of date)`);
    if (own && !example.items.includes(key)) fail(`\`${key}\` is not among the items of "${example.name}"`);
    if (own) used.add(key);
    return key;
  };
  const sh = async (command, { expect = [], env: extra = {}, failWith, quiet = false } = {}) => {
    const t = Date.now();
    const { status, out } = await runShell(local(command), { cwd: dir, env: { ...env, ...extra } });
    if (!quiet) log.push(`    $ ${command}   (${((Date.now() - t) / 1000).toFixed(1)} s)\n${out.replace(/\n$/, '').replace(/^/gm, '      ')}`);
    if (failWith) {
      if (status === 0) fail(`\`${command}\` was expected to fail (${failWith.join(', ')}) but exited with 0`);
      for (const want of failWith) if (!out.includes(want)) fail(`\`${command}\` did not fail with '${want}'`);
    } else if (status !== 0) fail(`\`${command}\` exited with ${status}${quiet ? `:\n${out}` : ''}`);
    for (const want of expect) if (!out.includes(want)) fail(`\`${command}\` did not print '${want}'`);
    return out;
  };
  const ex = {
    gpu,
    // What kt says on its first GPU query without a driver, then runs on the interpreter.
    noGpuNote: gpu ? [] : ['kt: no CUDA driver found', 'running on the CPU interpreter'],
    fail,
    log: (line) => log.push(line),
    use: (key) => known(key),
    block: (key) => blocks.find((b) => b.key === known(key, examples.find((e) => e.items.includes(key)) === example)).code,
    command: (key) => known(key),
    write: (file, content) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    },
    dir,
    // The output's first lines must be the README's (trailing spaces aside), up to a line of `...` there.
    startsLike: (out, shown) => {
      const got = out.split('\n').map((l) => l.trimEnd());
      for (const [i, line] of shown.entries()) {
        if (line.trim() === '...') return;
        if (got[i] !== line.trimEnd()) fail(`line ${i + 1} of the output differs from the README's:\n  README: ${line}\n  output: ${got[i]}`);
      }
    },
    read: (file) => fs.readFileSync(path.join(dir, file), 'utf8'),
    exists: (file) => fs.existsSync(path.join(dir, file)),
    sh,
    // Runs a README command (or, with `as`, the command the README's becomes here: the caller says why).
    cmd: async (keys, options = {}) => {
      for (const key of [keys].flat()) known(key);
      return sh(options.as ?? [keys].flat()[0], options);
    },
    // A GPU-only example: on a GPU it must pass (with `expect`), elsewhere stop with kt's no-GPU message.
    gpuOnly: (command, { expect = [], ...options } = {}) =>
      gpu ? sh(command, { expect, ...options }) : sh(command, { failWith: ['no CUDA driver found', 'Run with --interpret (or KT_INTERPRET=1)'], ...options }),
  };
  try {
    await example.run(ex);
    const unused = example.items.filter((k) => !used.has(k));
    if (unused.length) fail(`"${example.name}" names README items it did not run: ${unused.map((k) => `\`${k}\``).join(', ')}`);
    log.push(`    (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return true;
  } catch (e) {
    if (!(e instanceof ExampleFailure)) throw e;
    log.push(`README example FAILED: ${example.name}: ${e.message}`);
    return false;
  }
}

/** What keeps `examples` from covering the README's items exactly once (empty when they do). */
export function coverageProblems(items) {
  const problems = [];
  const owners = new Map();
  for (const example of examples) {
    for (const key of example.items) {
      if (owners.has(key)) problems.push(`\`${key}\` is named by both "${owners.get(key)}" and "${example.name}"`);
      owners.set(key, example.name);
      if (!items.some((i) => i.key === key)) problems.push(`"${example.name}" names \`${key}\`, which README.md does not have`);
    }
  }
  const seen = new Set();
  for (const item of items) {
    if (item.kind === 'block' && items.some((j) => j !== item && j.kind === 'block' && j.key === item.key)) problems.push(`README.md:${item.line}: two code blocks begin with \`${item.key}\`: give one a different first line`);
    if (seen.has(item.key)) continue;
    seen.add(item.key);
    if (!owners.has(item.key)) problems.push(`README.md:${item.line}: the ${item.kind} \`${item.key}\` is neither run nor skipped by an entry of test/package/readme-examples.mjs`);
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof ExampleFailure ? e.message : e);
    process.exit(1);
  });
}
