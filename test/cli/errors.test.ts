// Bad command lines, run as a user runs kt (a subprocess): each ends in exit code 2 with one `error:` line
// (and at most one `= hint:` line under it), or a located diagnostic for a kernel file that does not parse,
// never a stack trace, and before any work is done. The cases are issue 11's list of 47 bad command lines
// that were handled poorly, and the like for every subcommand. None needs a GPU.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/kt.js');
let project: string;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kt(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Result {
  const env: Record<string, string | undefined> = { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_MAX_MEMORY: '', KT_STACK: '', NODE_OPTIONS: '', ...options.env };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? project, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A refused command line: exit code 2, nothing done (stdout empty), one error line and at most one hint, no stack. */
function refused(r: Result): { error: string; hint?: string } {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain('node:internal');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^error: /);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^ {2}= hint: /);
  return { error: lines[0]!.slice('error: '.length), hint: lines[1]?.slice('  = hint: '.length) };
}

const kernelHead = `import { defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';

export const fill = kernel(function fill(x: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(x + offs, 1.0, { mask: offs < n });
});
`;

/** A spec over the fill kernel with the given default N and reference. */
const fillSpec = (name: string, n: string, reference: string): string => `${kernelHead}
export const spec = defineSpec({
  name: '${name}',
  description: '${name}',
  kernels: [fill],
  sizes: { N: ${n} },
  dtypes: ['f32'],
  config: { BLOCK: 128 },
  inputs: ({ N }) => ({ x: empty([N!]) }),
  launch: ({ x }, { N }, { BLOCK }) => fill([Math.ceil(N! / (BLOCK as number))], x, N, { BLOCK }),
  reference: ${reference},
});
`;

beforeAll(() => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-errors-'));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(root, path.join(project, 'node_modules', 'kt'));
  fs.writeFileSync(path.join(project, 'package.json'), '{ "type": "module" }');
  fs.writeFileSync(path.join(project, 'notes.txt'), 'not a kernel\n');
  fs.mkdirSync(path.join(project, 'kernels-dir'));
  fs.writeFileSync(path.join(project, 'syntax.ts'), `import { tl } from 'kt';\nexport const broken = (;\n`);
  fs.writeFileSync(path.join(project, 'throws.ts'), `export const x = 1;\nthrow new Error('not ready');\n`);
  fs.writeFileSync(path.join(project, 'imports-missing.ts'), `import './missing.ts';\n`);
  fs.writeFileSync(path.join(project, 'fill.ts'), fillSpec('fill', '1000', '() => ({ x: new Array(1000).fill(1) })'));
  // Its default size asks for 4 TB at once: the allocation itself fails (kt estimates only sizes above the defaults).
  fs.writeFileSync(path.join(project, 'huge.ts'), fillSpec('huge', '2 ** 40', '() => ({})'));
  fs.writeFileSync(path.join(project, 'broken-reference.ts'), fillSpec('broken', '100', "() => {\n    throw new TypeError('the reference is broken');\n  }"));
  fs.writeFileSync(path.join(project, 'a-file'), '');
});

describe('-c values are checked against the spec before anything runs', () => {
  test('-c BLOCK_M=abc: a number is wanted', () => {
    const r = refused(kt(['run', 'matmul', '--interpret', '-c', 'BLOCK_M=abc']));
    expect(r.error).toBe('-c BLOCK_M=abc: BLOCK_M must be a number');
    expect(r.hint).toMatch(/^for example -c BLOCK_M=\d+ \(matmul's BLOCK_M is \d+(, \d+)*\)$/);
  });

  test('-c BLOCK=0 and negative or fractional block sizes: a positive integer is wanted', () => {
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'BLOCK=0'])).error).toBe('-c BLOCK=0: BLOCK must be a positive integer');
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'BLOCK=-4'])).error).toBe('-c BLOCK=-4: BLOCK must be a positive integer');
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'BLOCK=1.5'])).error).toBe('-c BLOCK=1.5: BLOCK must be a positive integer');
  });

  test('booleans, text and launch options', () => {
    expect(refused(kt(['run', 'matmul', '--interpret', '-c', 'ACC_INT=1'])).error).toBe('-c ACC_INT=1: ACC_INT must be true or false');
    expect(refused(kt(['run', 'matmul', '--interpret', '-c', 'PRECISION=3'])).error).toBe('-c PRECISION=3: PRECISION must be text');
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'numWarps=3'])).error).toBe('-c numWarps=3: numWarps must be a power of two from 1 to 32');
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'numStages=0'])).error).toBe('-c numStages=0: numStages must be a positive integer (1: no software pipelining)');
  });

  test('an unknown name suggests the one meant; a run-time argument is named as such', () => {
    const r = refused(kt(['run', 'add', '--interpret', '-c', 'BLOK=256']));
    expect(r.error).toBe("-c BLOK=256: add has no constexpr or launch option 'BLOK'");
    expect(r.hint).toBe('did you mean BLOCK? its config names are BLOCK, numWarps, numStages');
    expect(refused(kt(['run', 'add', '--interpret', '-c', 'n=4'])).error).toBe('-c n=4: n is a run-time argument of add, not a constexpr that a config sets');
  });

  test('kt tune and kt compile check -c the same way', () => {
    expect(refused(kt(['tune', 'matmul', '--interpret', '-c', 'BLOCK_M=0'])).error).toBe('-c BLOCK_M=0: BLOCK_M must be a positive integer');
    expect(refused(kt(['compile', 'add', '-c', 'BLOCK=abc'])).error).toBe('-c BLOCK=abc: BLOCK must be a number');
    expect(refused(kt(['compile', 'kernels/add.ts', 'add', '-s', '*f32,*f32,*f32,i32', '-c', 'BLOCK=0'], { cwd: root })).error).toBe('-c BLOCK=0: BLOCK must be a positive integer');
  });

  test('good values still run', () => {
    const r = kt(['run', 'add', '--interpret', '-c', 'BLOCK=256', '-c', 'numWarps=8', '--size', 'N=1000']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('add  N=1000  f32  BLOCK=256 numWarps=8');
  });
});

describe('kernel files', () => {
  test('a file that is not TypeScript', () => {
    const r = refused(kt(['run', 'notes.txt']));
    expect(r.error).toBe('notes.txt is not a TypeScript file');
    expect(r.hint).toBe('kt loads kernels from .ts files (.mts, .js and .mjs work too)');
    expect(refused(kt(['run', './notes.txt'])).error).toBe('./notes.txt is not a TypeScript file');
    expect(refused(kt(['compile', 'notes.txt'])).error).toBe('notes.txt is not a TypeScript file');
  });

  test('a directory, and a missing file with any extension', () => {
    expect(refused(kt(['run', 'kernels-dir'])).error).toBe('kernels-dir is a directory');
    expect(refused(kt(['run', 'kernel.py'])).error).toBe('no such file: kernel.py');
  });

  test('a syntax error is shown at its line with a caret, for every command that loads the file', () => {
    for (const command of ['run', 'tune', 'compile']) {
      const r = kt([command, 'syntax.ts']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stderr.trimEnd().split('\n')).toEqual(['syntax.ts:2:24: error: syntax error: Unexpected ";"', '  |', '2 | export const broken = (;', `  | ${' '.repeat(23)}^`]);
    }
  });

  test('a file that throws while loading, or imports what is not there', () => {
    expect(refused(kt(['run', 'throws.ts'])).error).toBe('cannot load throws.ts: it threw Error: not ready (at throws.ts:2:7)');
    expect(refused(kt(['run', 'imports-missing.ts'])).error).toMatch(/^cannot load imports-missing\.ts: Cannot find module '.*missing\.ts' imported from /);
  });

  test('an error thrown by a spec while it runs: one line with where it was thrown; KT_STACK=1 gives the stack', () => {
    const r = refused(kt(['run', 'broken-reference.ts', '--interpret']));
    expect(r.error).toBe('TypeError: the reference is broken (at broken-reference.ts:18:11)');
    expect(r.hint).toBe('KT_STACK=1 prints the stack');
    const withStack = kt(['run', 'broken-reference.ts', '--interpret'], { env: { KT_STACK: '1' } });
    expect(withStack.code).toBe(2);
    expect(withStack.stderr).toMatch(/^error: TypeError: the reference is broken\n\s+at .*broken-reference\.ts:18:11/);
  });

  test('an allocation that fails is reported in one line', () => {
    const r = refused(kt(['run', 'huge.ts', '--interpret']));
    expect(r.error).toMatch(/^out of memory: (Array buffer allocation failed|Invalid typed array length: \d+)$/);
    expect(r.hint).toBe("the problem's tensors did not fit in memory: choose smaller sizes with --size");
  });
});

describe('problems too large for the machine are refused before anything is made', () => {
  test('kt run add --size N=2**31 says how much it would need', () => {
    const r = refused(kt(['run', 'add', '--interpret', '--size', 'N=2**31']));
    // What is exceeded first depends on the machine: its memory, or V8's array limit on a machine of terabytes.
    expect(r.error).toMatch(/^kt run add at N=2147483648 \(f32\) would (need about [\d.]+ [GTP]B of memory, more than the [\d.]+ [GT]B kt allows \(80% of this machine's [\d.]+ [GT]B\)|compute a reference of 2,147,483,648 numbers)/);
    expect(r.hint).toMatch(/^choose smaller sizes with --size \(add's defaults are N=98432\)/);
  });

  test('KT_MAX_MEMORY sets the limit: kt run and kt tune matmul at M=N=K=2**16', () => {
    const run = refused(kt(['run', 'matmul', '--interpret', '--size', 'M=N=K=2**16'], { env: { KT_MAX_MEMORY: '16GB' } }));
    // Three 2**32-element f32 matrices, as made, as the kernel's copies and as the output copied back.
    expect(run.error).toBe('kt run matmul at M=65536,N=65536,K=65536 (f32) would need about 154.6 GB of memory, more than the 16.0 GB kt allows (KT_MAX_MEMORY)');
    // Raising the limit is suggested only on a machine that has that much memory.
    expect(run.hint).toMatch(/^choose smaller sizes with --size \(matmul's defaults are M=512,N=512,K=512\)(, or set KT_MAX_MEMORY=155GB to try anyway)?$/);
    const tune = refused(kt(['tune', 'matmul', '--interpret', '--size', 'M=N=K=2**16'], { env: { KT_MAX_MEMORY: '16GB' } }));
    expect(tune.error).toMatch(/^kt tune matmul at M=65536,N=65536,K=65536 \(f32\) would need about 154\.6 GB of memory/);
    const compile = refused(kt(['compile', 'matmul', '--size', 'M=N=K=2**16'], { env: { KT_MAX_MEMORY: '16GB' } }));
    // kt compile makes the inputs once, and computes no reference.
    expect(compile.error).toMatch(/^kt compile matmul at M=65536,N=65536,K=65536 \(f32\) would need about 51\.5 GB of memory/);
  });

  test('the estimate follows the sizes: a small problem passes, the same under a tiny limit is refused', () => {
    const ok = kt(['run', 'add', '--interpret', '--size', 'N=2**17']);
    expect(ok.code, ok.stderr).toBe(0);
    const r = refused(kt(['run', 'add', '--interpret', '--size', 'N=2**17'], { env: { KT_MAX_MEMORY: '1MB' } }));
    // 3 f32 vectors of 2**17 (1.6 MB) three times over, and 24 bytes an element of reference arrays.
    expect(r.error).toBe('kt run add at N=131072 (f32) would need about 14.2 MB of memory, more than the 1.0 MB kt allows (KT_MAX_MEMORY)');
  });

  test("a reference larger than V8's heap or than one JavaScript array", () => {
    const heap = refused(kt(['run', 'add', '--interpret', '--size', 'N=2**24'], { env: { KT_MAX_MEMORY: '1TB', NODE_OPTIONS: '--max-old-space-size=1024' } }));
    expect(heap.error).toMatch(/^kt run add at N=16777216 \(f32\) would need about 1\.2 GB of JavaScript heap for its reference, more than the [\d.]+ (MB|GB) Node has left$/);
    expect(heap.hint).toMatch(/, or raise Node's limit with NODE_OPTIONS=--max-old-space-size=\d+$/);
    const array = refused(kt(['run', 'add', '--interpret', '--size', 'N=2**27'], { env: { KT_MAX_MEMORY: '1TB' } }));
    expect(array.error).toBe('kt run add at N=134217728 (f32) would compute a reference of 134,217,728 numbers in one JavaScript array, which holds at most about 100,000,000');
  });

  test('a bad KT_MAX_MEMORY, and sizes past 2**53', () => {
    expect(refused(kt(['run', 'add', '--interpret', '--size', 'N=2**20'], { env: { KT_MAX_MEMORY: 'lots' } })).error).toBe("KT_MAX_MEMORY must be a size such as 64GB, 500MB or 16GiB, got 'lots'");
    expect(refused(kt(['run', 'add', '--interpret', '--size', 'N=2**70'])).error).toBe('size N = 2**70 is too large');
  });
});

describe('option values', () => {
  test('--seed must be an integer', () => {
    expect(refused(kt(['run', 'add', '--interpret', '--seed', 'abc'])).error).toBe("--seed must be an integer from 0 to 4294967295, got 'abc'");
    expect(refused(kt(['run', 'add', '--interpret', '--seed', '-1'])).error).toBe("--seed must be an integer from 0 to 4294967295, got '-1'");
    expect(refused(kt(['run', 'add', '--interpret', '--seed'])).error).toBe('--seed needs a value');
    expect(refused(kt(['run', 'add', '--interpret', '--seed', '1', '--seed', '2'])).error).toBe('--seed is given 2 times (1, 2)');
    expect(refused(kt(['tune', 'matmul', '--show', '--seed', 'abc'])).error).toBe("--seed must be an integer from 0 to 4294967295, got 'abc'");
    expect(refused(kt(['run', 'add', '--interpret', '--repeat', 'x'])).error).toBe("--repeat must be an integer of at least 0, got 'x'");
  });

  test('--target must be a GPU architecture', () => {
    const r = refused(kt(['compile', 'add', '--emit', 'ptx', '--target', 'sm_5']));
    expect(r.error).toBe('--target sm_5: not an NVIDIA GPU architecture');
    expect(r.hint).toMatch(/^give one such as sm_80 \(A100\), sm_89 \(L40\), sm_90 \(H100\), sm_120; the architectures are sm_50, .*sm_121$/);
    expect(refused(kt(['compile', 'add', '--emit', 'ptx', '--target', 'sm_80a'])).error).toBe('--target sm_80a: sm_80 has no architecture-specific variant (sm_90a and later have)');
    expect(refused(kt(['compile', 'add', '--target'])).error).toBe('--target needs an architecture');
    const ok = kt(['compile', 'add', '--emit', 'ptx', '--target', 'sm_90a']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('.target sm_90a');
  });

  test('kt tune --out that cannot be written is refused before the sweep', () => {
    const file = path.join(project, 'a-file');
    const r = refused(kt(['tune', 'softmax', '--interpret', '--size', 'M=N=16', '--out', file]));
    expect(r.error).toBe(`--out ${file} is a file, not a directory`);
    expect(r.hint).toBe('give --out a directory you can write to');
    expect(refused(kt(['tune', 'softmax', '--interpret', '--out', `${file}/reports`])).error).toBe(`--out ${file}/reports cannot be created: ${file} is a file, not a directory`);
    expect(refused(kt(['tune', 'softmax', '--interpret', '--out'])).error).toBe('--out needs a directory');
  });

  test.skipIf(process.getuid?.() === 0)('kt tune --out into a directory without write permission', () => {
    const locked = fs.mkdtempSync(path.join(project, 'locked-'));
    fs.chmodSync(locked, 0o555);
    expect(refused(kt(['tune', 'softmax', '--interpret', '--out', path.join(locked, 'r')])).error).toBe(`--out ${path.join(locked, 'r')} cannot be written: ${locked}: permission denied`);
  });

  test('kt compile -o is checked before compiling, and only with --emit cubin', () => {
    const file = path.join(project, 'a-file');
    expect(refused(kt(['compile', 'add', '--emit', 'cubin', '-o', `${file}/add.cubin`])).error).toBe(`--output ${file}/add.cubin cannot be written: ${file} is a file, not a directory`);
    expect(refused(kt(['compile', 'add', '--emit', 'cubin', '-o', project])).error).toBe(`--output ${project} is a directory`);
    expect(refused(kt(['compile', 'add', '--emit', 'ptx', '-o', 'add.ptx'])).error).toBe('--output only applies to --emit cubin');
  });

  test('empty and repeated options', () => {
    expect(refused(kt(['run', 'add', '--interpret', '--size'])).error).toBe('--size needs a value');
    expect(refused(kt(['run', 'add', '--interpret', '-c'])).error).toBe('-c needs a value');
    expect(refused(kt(['run', 'add', '--interpret', '--dtype', 'f16', '--dtype', 'f32'])).error).toBe('--dtype is given 2 times (f16, f32)');
    expect(refused(kt(['tune', 'matmul', '--interpret', '--space'])).error).toBe("matmul has no tuning space ''");
  });

  test('kt compile checks its sizes and options like kt run', () => {
    expect(refused(kt(['compile', 'add', '--size', 'Q=1'])).error).toBe("add has no size 'Q'");
    expect(refused(kt(['compile', 'add', '--num-warps', 'abc'])).error).toBe("--num-warps must be an integer from 1 to 32, got 'abc'");
    expect(refused(kt(['compile', 'add', '-s', '*f32,*f32,*f32,i32', '--size', 'N=5'])).error).toBe('--size and --dtype choose the spec launch that kt compiles; with --signature they have nothing to do');
  });
});

describe('commands and options', () => {
  test('kt --version prints the version of package.json', () => {
    const r = kt(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  });

  test('an unknown command or option suggests the one meant, in one line', () => {
    const command = refused(kt(['lsit']));
    expect(command.error).toBe("unknown command 'lsit'");
    expect(command.hint).toBe('did you mean list? the commands are run, tune, bench, list, compile, opt, build, doctor; kt --help describes the commands');
    const option = refused(kt(['run', 'add', '--sede', '1']));
    expect(option.error).toBe('unknown option --sede for kt run');
    expect(option.hint).toBe('did you mean --seed? kt run --help lists its options');
    expect(refused(kt(['--frob'])).error).toBe('unknown option --frob');
    expect(refused(kt([])).error).toBe('give a command: run, tune, bench, list, compile, opt, build or doctor');
  });

  test('every subcommand refuses stray arguments and unknown options', () => {
    for (const command of ['list', 'doctor']) {
      expect(refused(kt([command, 'extra'])).error).toBe(`unexpected argument 'extra' for kt ${command}`);
      expect(refused(kt([command, '--frob'])).error).toBe(`unknown option --frob for kt ${command}`);
    }
    expect(refused(kt(['opt', '--passes', 'cse', '--passes', 'dce'])).error).toBe('--passes is given 2 times (cse, dce)');
    expect(refused(kt(['compile', 'add', '--emit', 'asm'])).error).toBe('Invalid values: Argument: emit, Given: "asm", Choices: "ir", "gpu-ir", "ptx", "cubin"');
  });

  test('a missing target', () => {
    for (const command of ['run', 'tune']) expect(refused(kt([command])).error).toBe(`kt ${command} needs a kernel spec: a library kernel (add, matmul, ...) or a .ts file`);
    expect(refused(kt(['compile'])).error).toBe('kt compile needs a kernel: a library kernel (add, matmul, ...) or a .ts file');
  });

  test('a mistyped kernel, spec or size suggests the one meant', () => {
    expect(refused(kt(['run', 'matmull'])).hint).toMatch(/^did you mean matmul\? the library has /);
    expect(refused(kt(['run', 'add', '--size', 'n=4'])).hint).toBe('did you mean N? its sizes are N');
    expect(refused(kt(['run', 'fill.ts', 'fil', '--interpret'])).hint).toBe('did you mean fill? it has fill');
  });

  test('--help lists the environment variables and exit codes', () => {
    const r = kt(['--help']);
    expect(r.code).toBe(0);
    for (const name of ['KT_INTERPRET', 'KT_CACHE_DIR', 'KT_ALWAYS_COMPILE', 'KT_DUMP_DIR', 'KT_MAX_MEMORY', 'KT_STACK']) expect(r.stdout).toMatch(new RegExp(`^ {2}${name} +\\S`, 'm'));
    expect(r.stdout).toMatch(/^Exit codes:\n {2}0 {2}success\n {2}1 {2}.*\n {2}2 {2}a bad command line, or an error$/m);
  });
});
