// Kernels shipped ahead of time: `kt build` compiles a build script's launches into a bundle, and kt/runtime's
// loadBundle matches a call against the specialisations it holds (constexprs, dtypes, scalars, launch options,
// alignment) — importing only the runtime, never the compiler. Launching a bundled kernel needs a GPU
// (test/gpu/bundle.test.ts); here the bundle is built with ptxas and every refusal is checked.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { empty } from 'kt';
import { findPtxas } from '../src/compiler/gpu/ptxas.ts';
import { loadBundle, readBundle, type BundledKernel } from '../src/runtime/bundle.ts';

const root = path.resolve(import.meta.dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bundle-'));
const file = path.join(dir, 'kernels.ktb.json');

function kt(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_CACHE_DIR: dir } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  const r = kt(['build', 'test/fixtures/bundle-build.ts', '--target', 'sm_90a', '-o', file]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}, 120_000);

describe('kt build', () => {
  test('writes each distinct launch of build() once, with its binary', () => {
    const b = readBundle(file);
    expect(b.target).toBe('sm_90a');
    expect(Object.keys(b.kernels).sort()).toEqual(['rowSum', 'scale']);
    expect(b.kernels['scale']!.params.map((p) => p.name)).toEqual(['x', 'out', 'n', 'factor', 'BLOCK']);
    expect(b.kernels['scale']!.params[4]).toEqual({ name: 'BLOCK', default: 1024 });
    const entries = b.kernels['scale']!.entries;
    expect(entries.map((e) => [e.args[0], e.args[4], e.numWarps])).toEqual([
      [{ pointer: 'f32' }, { constexpr: 1024 }, 4],
      [{ pointer: 'f16' }, { constexpr: 1024 }, 4],
      [{ pointer: 'f32' }, { constexpr: 256 }, 2],
    ]);
    expect(entries[0]!.args[2]).toEqual({ scalar: 'i32' });
    // The tensors are 16-byte aligned and n = 4096 a multiple of 16: the facts the code was built on.
    expect(entries[0]!.facts).toBe('ddd-');
    expect(entries[0]!.binary.ptx).toContain('.target sm_90a');
    if (findPtxas()) {
      expect(entries[0]!.binary.cubin!.length).toBeGreaterThan(100);
      expect(entries[0]!.binary.registers).toBeGreaterThan(0);
    }
  });

  test('bad command lines: one line, exit code 2', () => {
    const cases: [string[], RegExp][] = [
      [['build', 'test/fixtures/bundle-build.ts'], /there is no GPU here to take the target from/],
      [['build', 'test/fixtures/bundle-build.ts', '--target', 'sm_5'], /--target sm_5/],
      [['build', 'kernels/add.ts', '--target', 'sm_90a', '-o', path.join(dir, 'x.json')], /exports no build\(\) function/],
      [['build', 'test/fixtures/bundle-build.ts', '--target', 'sm_90a', '-o', '/proc/kt/x.json'], /--out/],
    ];
    for (const [args, message] of cases) {
      if (args.length === 2 && findPtxas() === undefined) continue;
      const r = kt(args);
      if (args.length === 2 && r.code === 0) continue; // a machine with a GPU takes the target from it
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  }, 120_000);
});

describe('loadBundle', () => {
  let scale: BundledKernel;
  let rowSum: BundledKernel;
  beforeAll(() => {
    ({ scale, rowSum } = loadBundle(file, 'scale', 'rowSum'));
  });

  test('a call is matched on its constexprs, dtypes, scalars and launch options, and told how it differs', () => {
    const [x, out] = [empty([4096]), empty([4096])];
    // Everything matches the first specialisation but the tensors' place: bundled kernels run on the GPU.
    expect(() => scale([4], x, out, 4096, 2.5)).toThrow(/x is on the CPU; bundled kernels run on the GPU/);
    expect(() => scale([4], x, out, 4096, 2.5, { BLOCK: 512 })).toThrow(/was not built for this call \(3 specialisations\); the nearest differs: BLOCK is 512, built for 1024/);
    expect(() => scale([4], empty([4096], 'bf16'), empty([4096], 'bf16'), 4096, 2.5)).toThrow(/x is a bf16 tensor, built for f32/);
    expect(() => scale([4], x, out, 2 ** 40, 2.5)).toThrow(/n is 1099511627776, built for a i32/);
    expect(() => scale([4], x, out, 4096, 2.5, { BLOCK: 256 })).toThrow(/numWarps is 4, built for 2/);
    expect(() => rowSum([64], x, out, 100)).toThrow(/missing argument 'BLOCK'/);
    expect(() => rowSum([64], x, out, 100, { BLOCK: 128, WIDTH: 3 })).toThrow(/has no parameter 'WIDTH'; its parameters are x, out, N, BLOCK/);
  });

  test('alignment the code was built on is required; a call without it is refused', () => {
    // n = 4004 is not a multiple of 16: the entries were built for 4096 (divisible), so none may run it.
    expect(() => scale([4], empty([4096]), empty([4096]), 4004, 2.5)).toThrow(/the nearest differs: n is not a multiple of 16 in this call, and the code was built on it being so/);
  });

  test('a file that is not a bundle is refused with a reason', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"format": "something"}');
    expect(() => loadBundle(bad)).toThrow(/is not a kt bundle of format kt-bundle-1/);
    expect(() => loadBundle(path.join(dir, 'missing.json'))).toThrow(/cannot read the kt bundle/);
    // A kernel the application expects and the bundle lacks: refused when it loads, with what the bundle has.
    expect(() => loadBundle(file, 'scale', 'softmax')).toThrow(/has no kernel 'softmax'; it has 'scale', 'rowSum'/);
  });
});

test('kt/runtime imports no part of the compiler', () => {
  // Every module reachable through value imports (type-only imports are erased) from the runtime's entry.
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^'"]*?\bfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(f), spec));
      else expect(['chalk', 'koffi'].includes(spec) || spec.startsWith('node:'), `${path.relative(root, f)} imports ${spec}`).toBe(true);
    }
  };
  visit(path.join(root, 'src/runtime/index.ts'));
  const modules = [...seen].map((f) => path.relative(root, f));
  expect(modules).toContain('src/runtime/bundle.ts');
  const compiler = modules.filter((m) => /^src\/(compiler\/(frontend|passes|gpu|ir\/(core|ops|parser|printer|verifier))|dsl\/kernel|interp\/(?!sanitize-settings))/.test(m));
  expect(compiler).toEqual([]);
});
