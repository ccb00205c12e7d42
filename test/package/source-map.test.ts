// A kernel declared in JavaScript that tsc (or another compiler) emitted from TypeScript is read from the
// original .ts, found through the emitted source map: the JavaScript has lost the annotations (`BLOCK: constexpr`)
// and its lines are not the source's. test/package/check.sh runs the same from a packed kt with plain Node.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { originalSite } from '../../src/dsl/call-site.ts';
import { TS } from '../../src/compiler/frontend/typescript.ts';

const root = path.resolve(import.meta.dirname, '../..');
let base: string;

// Types first, so that the emitted JavaScript's lines differ from these; two anonymous kernels, so that only the
// line tells them apart.
const kernelSource = `import { kernel, tl, type Ptr, type i32, type constexpr } from 'kt';

export interface Options {
  readonly block: number;
}

export type Pair = readonly [number, number];

export const add = kernel((x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) => {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) + tl.load(y + offs, { mask: offs < n }), { mask: offs < n });
});

export const mul = kernel((x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) => {
  const offs = tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * tl.load(y + offs, { mask: offs < n }), { mask: offs < n });
});
`;

/** `source` compiled as tsc would (ES modules), with its map beside it or inline; returns the JavaScript's path. */
function compile(dir: string, options: { inline?: boolean; sourceRoot?: string } = {}): string {
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'build'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'src', 'k.ts'), kernelSource);
  const out = TS.transpileModule(kernelSource, {
    fileName: path.join(dir, 'src', 'k.ts'),
    compilerOptions: {
      module: TS.ModuleKind.ESNext,
      target: TS.ScriptTarget.ES2022,
      sourceMap: !options.inline,
      inlineSourceMap: !!options.inline,
      ...(options.sourceRoot === undefined ? {} : { sourceRoot: options.sourceRoot }),
    },
  });
  const js = path.join(dir, 'build', 'k.js');
  if (out.sourceMapText) {
    // transpileModule names the source by its file name alone; tsc names it relative to the map, as here.
    const map = JSON.parse(out.sourceMapText) as { sources: string[] };
    if (options.sourceRoot === undefined) map.sources = ['../src/k.ts'];
    fs.writeFileSync(`${js}.map`, JSON.stringify(map));
  } else {
    const [head, data] = out.outputText.split('base64,');
    const map = JSON.parse(Buffer.from(data!.trim(), 'base64').toString()) as { sources: string[] };
    map.sources = ['../src/k.ts'];
    out.outputText = `${head}base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  }
  fs.writeFileSync(js, out.outputText);
  return js;
}

/** Where `kernel(` of the n-th kernel is in a file: 1-based line and column. */
function kernelCall(file: string, n: number): { line: number; column: number } {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.flatMap((text, i) => (text.includes('= kernel(') ? [{ line: i + 1, column: text.indexOf('kernel(') + 1 }] : []));
  return found[n]!;
}

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-source-map-'));
});

afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('originalSite', () => {
  test.each([
    ['a map file beside the script', {}],
    ['an inline data: URL', { inline: true }],
    ['a sourceRoot', { sourceRoot: '../src/' }],
  ])('takes a call in compiled JavaScript to its line in the .ts, through %s', (_what, options) => {
    const dir = path.join(base, `unit-${Math.random().toString(36).slice(2)}`);
    const js = compile(dir, options);
    const ts = path.join(dir, 'src', 'k.ts');
    for (const n of [0, 1]) {
      const inJs = kernelCall(js, n);
      expect(inJs.line).not.toBe(kernelCall(ts, n).line);
      expect(originalSite({ file: js, ...inJs })).toEqual({ file: ts, line: kernelCall(ts, n).line });
    }
  });

  test('keeps the JavaScript site when there is no map, or the original file is gone', () => {
    const dir = path.join(base, 'unmapped');
    const js = compile(dir);
    const site = kernelCall(js, 1);
    fs.renameSync(path.join(dir, 'src', 'k.ts'), path.join(dir, 'src', 'moved.ts'));
    expect(originalSite({ file: js, ...site })).toEqual({ file: js, line: site.line });
    fs.writeFileSync(js, fs.readFileSync(js, 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, ''));
    fs.renameSync(path.join(dir, 'src', 'moved.ts'), path.join(dir, 'src', 'k.ts'));
    expect(originalSite({ file: js, ...site })).toEqual({ file: js, line: site.line });
  });

  test('leaves TypeScript sites alone', () => {
    expect(originalSite({ file: '/nowhere/k.ts', line: 3, column: 9 })).toEqual({ file: '/nowhere/k.ts', line: 3 });
  });
});

// Under kt/register Node maps stack frames itself (tsx turns source maps on); plain Node does not, and there
// kt reads the map with originalSite (above): test/package/check.sh runs that with a packed kt.
describe('a kernel launched from compiled JavaScript', () => {
  beforeAll(() => {
    fs.mkdirSync(path.join(base, 'app', 'node_modules'), { recursive: true });
    fs.symlinkSync(root, path.join(base, 'app', 'node_modules', 'kt'));
    fs.writeFileSync(path.join(base, 'app', 'package.json'), '{ "type": "module" }');
    compile(path.join(base, 'app'));
    fs.writeFileSync(
      path.join(base, 'app', 'app.mjs'),
      `import { tensor, empty } from 'kt';
import { add, mul } from './build/k.js';
const out = empty([3]);
mul([1], tensor([1, 2, 3]), tensor([4, 5, 6]), out, 3, { BLOCK: 4 });
const product = out.toArray().join(',');
add([1], tensor([1, 2, 3]), tensor([4, 5, 6]), out, 3, { BLOCK: 4 });
console.log(product, out.toArray().join(','));
`,
    );
  });

  const run = () => spawnSync(process.execPath, ['--import', 'kt/register', 'app.mjs'], { cwd: path.join(base, 'app'), encoding: 'utf8', env: { ...process.env, KT_INTERPRET: '1' } });

  test("compiles each kernel from the .ts the source map names, with its constexpr annotations", () => {
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('4,10,18 5,7,9');
  });

  test('without the map, the JavaScript alone has no constexprs (which is why kt reads the map)', () => {
    const js = path.join(base, 'app', 'build', 'k.js');
    const saved = fs.readFileSync(js, 'utf8');
    try {
      fs.writeFileSync(js, saved.replace(/\/\/# sourceMappingURL=.*$/m, ''));
      const r = run();
      expect(r.status).not.toBe(0);
      expect(r.stdout).not.toContain('4,10,18');
    } finally {
      fs.writeFileSync(js, saved);
    }
  });
});
