// `kt bench <file.ts>`, run as a user runs it (a subprocess, in a project of their own): it runs the Benchmarks
// the file exports, prints their tables and writes their CSV and SVG files; bad command lines end in one line
// and exit code 2.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ktRoot, userProject } from '../support/user-project.ts';

const bin = path.join(ktRoot, 'bin/kt.js');
let project: string;

function kt(args: string[]): { code: number; stdout: string; stderr: string } {
  const env = { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_STACK: '', NODE_OPTIONS: '' };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: project, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const benchmarks = `import { Benchmark, cdiv, empty, kernel, tensor, tl, type Ptr, type i32, type constexpr } from 'kt';

export const negate = kernel(function negate(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, -tl.load(x + offs, { mask: offs < n }), { mask: offs < n });
});

const quick = { warmupMs: 0, repMs: 1, maxRuns: 3 };

export const negation = new Benchmark({
  name: 'negation',
  x: { name: 'n', values: [256, 512] },
  providers: {
    kt: ({ n }) => {
      const [x, out] = [tensor(new Float32Array(n as number)), empty([n as number])];
      return () => negate([cdiv(n as number, 256)], x, out, n, { BLOCK: 256 });
    },
    js: ({ n }) => {
      const x = new Float32Array(n as number);
      return () => void x.map((v) => -v);
    },
  },
  bench: quick,
});

export const others = [
  new Benchmark({ name: 'sleepless', x: { name: 'k', values: [1, 2, 3] }, providers: { noop: () => () => {} }, bench: quick }),
  new Benchmark({ name: 'broken', x: { name: 'k', values: [1, 2] }, providers: { thrower: ({ k }) => () => { if (k === 2) throw new Error('no memory left'); } }, bench: quick }),
];
`;

beforeAll(() => {
  project = userProject('kt-bench-cli-', { 'benchmarks.ts': benchmarks, 'none.ts': 'export const x = 1;\n', 'a-file': '' });
});

describe('kt bench', () => {
  test('runs the benchmarks named, prints their tables and writes their CSV and SVG files into --out', () => {
    const r = kt(['bench', 'benchmarks.ts', 'negation', 'sleepless', '--out', 'results']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('negation: time in ms (median; timed with kt: wall clock; js: wall clock)');
    expect(lines[1]).toMatch(/^ {2}n +kt +js$/);
    expect(lines[2]).toMatch(/^256 +[\d.e-]+ +[\d.e-]+$/);
    expect(lines[4]).toBe(`wrote ${path.join('results', 'negation.csv')} and ${path.join('results', 'negation.svg')}`);
    expect(r.stdout).toContain('sleepless: time in ms');
    expect(fs.readFileSync(path.join(project, 'results', 'negation.csv'), 'utf8')).toMatch(/^n,kt \(ms\),js \(ms\)\n256,[\d.e-]+,[\d.e-]+\n512,[\d.e-]+,[\d.e-]+\n$/);
    expect(fs.readFileSync(path.join(project, 'results', 'sleepless.svg'), 'utf8')).toContain('>time (ms)</text>');
    expect(fs.existsSync(path.join(project, 'results', 'broken.csv'))).toBe(false);
  });

  test('a provider that throws ends the run with exit code 2, naming the benchmark, the provider and the x value', () => {
    const r = kt(['bench', 'benchmarks.ts', 'broken']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toBe("error: benchmark 'broken', provider 'thrower' at k=2: no memory left");
  });

  test.each([
    [['bench', 'benchmarks.ts', 'negatoin'], "no benchmark named 'negatoin' in benchmarks.ts", 'did you mean negation? it has negation, sleepless, broken'],
    [['bench', 'none.ts'], 'none.ts exports no benchmarks', /^export one: export const bench = new Benchmark\(/],
    [['bench', 'benchmarks.ts', '--out', 'a-file'], '--out a-file is a file, not a directory', 'give --out a directory you can write to'],
    [['bench', 'benchmarks.ts', '--out', ''], '--out needs a directory', 'for example --out results'],
    [['bench'], 'kt bench needs a .ts file that exports benchmarks', 'kt bench --help lists its options'],
    [['bench', 'missing.ts'], 'no such file: missing.ts', undefined],
  ])('%j is refused in one line with exit code 2', (args, error, hint) => {
    const r = kt(args as string[]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const [first, second, ...rest] = r.stderr.trimEnd().split('\n');
    expect(first).toBe(`error: ${error}`);
    if (hint === undefined) expect(second).toBeUndefined();
    else expect(second?.replace(/^ {2}= hint: /, '')).toMatch(hint);
    expect(rest).toEqual([]);
  });

  test('kt bench --help', () => {
    const r = kt(['bench', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('kt bench <file> [benchmark..]');
  });
});
