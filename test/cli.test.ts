// The kt command, run as a subprocess the way users run it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { userProject } from './support/user-project.ts';
import { findPtxas } from '../src/compiler/gpu/ptxas.ts';
import { gpuAvailable } from '../src/runtime/gpu.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/kt.js');
let project: string;
const hasGpu = gpuAvailable();
const hasPtxas = findPtxas() !== undefined;

function kt(args: string[], cwd = root): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const userKernels = `import { defineSpec, empty, kernel, tl, tensor, type Ptr, type i32, type constexpr } from 'kt';

export const relu = kernel(function relu(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(out + offs, tl.maximum(tl.load(x + offs, { mask }), 0.0), { mask });
});

export const spec = defineSpec({
  name: 'relu',
  description: 'max(x, 0)',
  kernels: [relu],
  sizes: { N: 1000 },
  dtypes: ['f32', 'f16'],
  config: { BLOCK: 128 },
  inputs: ({ N }, dtype, rng) => ({ x: tensor(Array.from({ length: N! }, () => rng.normal()), { dtype }), out: empty([N!], dtype) }),
  launch: ({ x, out }, { N }, { BLOCK }) => relu([Math.ceil(N! / (BLOCK as number))], x, out, N, { BLOCK }),
  reference: ({ x }) => ({ out: x.toNumbers().map((v) => Math.max(v, 0)) }),
});

export const wrong = defineSpec({
  name: 'wrong',
  description: 'a spec whose reference disagrees',
  kernels: [relu],
  sizes: { N: 100 },
  dtypes: ['f32'],
  config: { BLOCK: 64 },
  inputs: ({ N }, dtype, rng) => ({ x: tensor(Array.from({ length: N! }, () => rng.normal()), { dtype }), out: empty([N!], dtype) }),
  launch: ({ x, out }, { N }, { BLOCK }) => relu([Math.ceil(N! / (BLOCK as number))], x, out, N, { BLOCK }),
  reference: ({ x }) => ({ out: x.toNumbers().map((v) => Math.abs(v)) }),
});
`;

const badKernel = `import { defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';

export const bad = kernel(function bad(x: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(x + offs, offs + tl.arange(0, 4));
});

export const oob = kernel(function oob(x: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  tl.store(x + offs, 1);
});

const make = (k: typeof bad, name: string) => defineSpec({
  name,
  description: name,
  kernels: [k],
  sizes: { N: 10 },
  dtypes: ['f32'],
  config: { BLOCK: 16 },
  inputs: ({ N }) => ({ x: empty([N!]) }),
  launch: ({ x }, { N }, { BLOCK }) => k([1], x, N, { BLOCK }),
  reference: () => ({}),
});
export const specs = [make(bad, 'bad'), make(oob, 'oob')];
`;

beforeAll(() => {
  // A user's project outside kt, with kt installed (as a link to this checkout).
  project = userProject('kt-user-', { 'my-kernels.ts': userKernels, 'bad-kernels.ts': badKernel });
});

describe('kt run', () => {
  test('runs a library kernel on the interpreter and passes', () => {
    const r = kt(['run', 'add', '--interpret']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/add {2}N=98432 {2}f32 {2}BLOCK=1024/);
    expect(r.stdout).toMatch(/interpreter {2}compile [\d.]+ ms {2}run [\d.]+ ms/);
    expect(r.stdout).toMatch(/out {2}max abs err [\d.e+-]+ {2}max rel err [\d.e+-]+ {2}PASS/);
    expect(r.stdout.trim().endsWith('PASS')).toBe(true);
  });

  test.skipIf(hasGpu)('without --interpret on a machine without a GPU, says in one line that it falls back', () => {
    const r = kt(['run', 'add']);
    expect(r.code).toBe(0);
    const first = r.stdout.split('\n')[0]!;
    expect(first).toMatch(/^kt: no CUDA driver found .*; running on the CPU interpreter$/);
  });

  test.skipIf(hasGpu)('--check needs a GPU and says so', () => {
    const r = kt(['run', 'add', '--check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--check needs a GPU: no CUDA driver found/);
  });

  test('--check and --interpret do not go together', () => {
    const r = kt(['run', 'add', '--check', '--interpret']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be combined with --interpret/);
  });

  test('takes sizes as expressions, a dtype and config overrides', () => {
    const r = kt(['run', 'matmul', '--interpret', '--size', 'M=N=K=2**6', '--dtype', 'f16', '-c', 'BLOCK_M=32', '-c', 'BLOCK_K=16']);
    expect(r.code).toBe(0);
    // The overrides replace the spec's defaults for BLOCK_M and BLOCK_K and keep its others (whatever they are).
    expect(r.stdout).toMatch(/^matmul {2}M=64 N=64 K=64 {2}f16 {2}BLOCK_M=32 BLOCK_N=\d+ BLOCK_K=16 GROUP_M=\d+/m);
  });

  test("runs a user's own .ts file outside kt", () => {
    const r = kt(['run', 'my-kernels.ts', 'relu', '--interpret', '--dtype', 'f16'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('relu  N=1000  f16  BLOCK=128');
  });

  test('a mismatch prints the first differing elements and exits with 1', () => {
    const r = kt(['run', 'my-kernels.ts', 'wrong', '--interpret'], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL: \d+ of 100 elements differ/);
    expect(r.stdout).toMatch(/\[\d+\] {2}got 0 {2}expected [\d.]+/);
  });

  test('a compile error exits with 2, pointing at the line', () => {
    const r = kt(['run', 'bad-kernels.ts', 'bad', '--interpret'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad-kernels\.ts:5:22: error: shapes \[16\] and \[4\] do not broadcast/);
    expect(r.stderr).toContain('tl.store(x + offs, offs + tl.arange(0, 4));');
  });

  test('an out-of-bounds access exits with 2, naming the line', () => {
    const r = kt(['run', 'bad-kernels.ts', 'oob', '--interpret'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/out-of-bounds store in kernel 'oob'.*element offset 10 is outside tensor argument 'x'/);
    expect(r.stderr).toMatch(/bad-kernels\.ts:10:3/);
  });

  test.each([
    [['run', 'nosuch'], /unknown kernel 'nosuch'.*\n.*the library has add, cumsum, dropout/],
    [['run', 'add', '--dtype', 'f8'], /add does not support dtype 'f8'/],
    [['run', 'add', '--size', 'Q=3'], /add has no size 'Q'/],
    [['run', 'add', '--size', 'N=abc+'], /cannot evaluate size N/],
    [['run', 'add', '--size', 'N=0'], /size N must be a positive integer/],
    [['run', 'add', '-c', 'BLOCK'], /bad config entry 'BLOCK'/],
    [['run', 'missing.ts'], /no such file: missing\.ts/],
    [['run', 'add', '--frobnicate'], /unknown option --frobnicate for kt run/],
    [['launch'], /unknown command 'launch'/],
  ])('bad arguments %j exit with 2 and say why', (args, message) => {
    const r = kt(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('kt list and kt compile', () => {
  test('kt list shows every library kernel with its parameters', () => {
    const r = kt(['list']);
    expect(r.code).toBe(0);
    for (const name of ['add', 'softmax', 'matmul', 'layernorm', 'dropout', 'cumsum']) expect(r.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    expect(r.stdout).toContain('matmul(a: Ptr, b: Ptr, c: Ptr, M: i32, N: i32, K: i32');
    expect(r.stdout).toContain('BLOCK_M: constexpr');
  });

  test('kt compile prints the IR of the spec launch', () => {
    const r = kt(['compile', 'add']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^module \{\n {2}tt\.func public @add\(%x: !tt\.ptr<f32>, %y: !tt\.ptr<f32>, %out: !tt\.ptr<f32>, %n: i32\)/);
    expect(r.stdout).toContain('tt.make_range {start = 0, end = 1024}');
  });

  test('kt compile takes a signature and constexprs, and can show locations', () => {
    const r = kt(['compile', 'kernels/add.ts', 'add', '-s', '*f16,*f16,*f16,i32', '-c', 'BLOCK=256', '--locations']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('%x: !tt.ptr<f16>');
    expect(r.stdout).toContain('end = 256');
    expect(r.stdout).toMatch(/loc\(".*kernels\/add\.ts":\d+:\d+\)/);
  });

  test('kt compile --no-passes shows the frontend IR, --print-after-all each pass', () => {
    const raw = kt(['compile', 'softmax', '--no-passes']);
    const opt = kt(['compile', 'softmax']);
    expect(raw.code).toBe(0);
    expect(raw.stdout.length).toBeGreaterThan(opt.stdout.length);
    const all = kt(['compile', 'softmax', '--print-after-all']);
    for (const pass of ['inline', 'canonicalize', 'cse', 'unroll', 'dce']) expect(all.stdout).toContain(`// ----- IR after ${pass} -----`);
  });

  test('kt compile rejects a signature of the wrong length', () => {
    const r = kt(['compile', 'kernels/add.ts', 'add', '-s', '*f32,*f32,*f32,i32,i32,i32']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the signature has 6 entries but the kernel has 5 parameters/);
  });

  test('kt compile --emit gpu-ir shows layouts; --emit ptx the PTX for the target', () => {
    const gpuIr = kt(['compile', 'add', '--emit', 'gpu-ir']);
    expect(gpuIr.code).toBe(0);
    expect(gpuIr.stdout).toMatch(/^#blocked = #ttg\.blocked<\{sizePerThread = \[4\]/m);
    expect(gpuIr.stdout).toContain('module attributes {ttg.num-warps = 4');
    const ptx = kt(['compile', 'add', '--emit', 'ptx', '--target', 'sm_80', '--num-warps', '8']);
    expect(ptx.code).toBe(0);
    expect(ptx.stdout).toContain('.target sm_80');
    expect(ptx.stdout).toContain('.maxntid 256, 1, 1');
    expect(ptx.stdout).toContain('ld.global.v4.f32');
  });

  test.skipIf(!hasPtxas)('kt compile --emit cubin writes the cubin and shows registers and spills', () => {
    const out = path.join(project, 'add.cubin');
    const r = kt(['compile', 'add', '--emit', 'cubin', '-o', out]);
    expect(r.code).toBe(0);
    expect(fs.statSync(out).size).toBeGreaterThan(1000);
    expect(r.stdout).toMatch(/registers \d+, spill stores 0 bytes, spill loads 0 bytes/);
    expect(r.stdout).toContain("Compiling entry function 'add' for 'sm_90'");
  });

  test("kt compile takes the launch's warps and stages (from -c or the spec's config) unless --num-warps/--num-stages say otherwise", () => {
    const ir = (extra: string[]): string => kt(['compile', 'matmul', '--emit', 'gpu-ir', '--dtype', 'f16', '--size', 'M=N=K=256', '-c', 'BLOCK_N=128', ...extra]).stdout;
    expect(ir([])).toMatch(/ttg\.num-warps = 8\b/);
    expect(ir(['-c', 'numWarps=4'])).toMatch(/ttg\.num-warps = 4\b/);
    expect(ir(['--num-warps', '4'])).toMatch(/ttg\.num-warps = 4\b/);
    expect(ir(['-c', 'numStages=2'])).toMatch(/tt\.pipelined = 2\b/);
  });

  test('kt compile rejects a bad target or warp count', () => {
    expect(kt(['compile', 'add', '--emit', 'ptx', '--target', 'volta']).stderr).toMatch(/--target volta: not an NVIDIA GPU architecture/);
    expect(kt(['compile', 'add', '--emit', 'ptx', '--num-warps', '3']).stderr).toMatch(/--num-warps must be a power of two from 1 to 32/);
  });

  test('kt doctor says what it found', () => {
    const r = kt(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Node\.js +v\d+/m);
    expect(r.stdout).toMatch(hasGpu ? /^CUDA driver +ok/m : /^GPU +no: no CUDA driver found.*kernels run on the CPU interpreter/m);
    expect(r.stdout).toMatch(hasPtxas ? /^ptxas +ok: /m : /^ptxas +no: /m);
    expect(r.stdout).toMatch(/^cache +\//m);
  });

  test.each(['run', 'tune', 'bench', 'list', 'compile', 'opt', 'doctor'])('kt %s --help', (cmd) => {
    const r = kt([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kt ${cmd}`);
  });
});

describe('kernels from plain Node code', () => {
  test('node --import kt/register runs a .mjs file that imports kernels from a .ts file', () => {
    fs.writeFileSync(
      path.join(project, 'app.mjs'),
      `import { tensor, empty, cdiv } from 'kt';
import { relu } from './my-kernels.ts';
const x = tensor([-1, 2, -3, 4, 5]);
const out = empty([5]);
relu([cdiv(5, 4)], x, out, 5, { BLOCK: 4 });
console.log(Array.from(out.toArray()).join(','));
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'kt/register', 'app.mjs'], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('0,2,0,4,5');
  });
});
