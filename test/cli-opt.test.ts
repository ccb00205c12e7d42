// `kt opt`, run as a subprocess the way users run it: a pipeline over a file and over stdin, --list,
// --print-after-all, and every kind of bad input ending in exit code 2 with a short message and no stack trace.
// Then optimizeIr, the function behind it, in-process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { optimizeIr } from '../src/cli/opt.ts';
import { UsageError } from '../src/cli/args.ts';
import { compileErrorOf } from './support/located-errors.ts';
import { Operation } from '../src/compiler/ir/core.ts';
import { allPasses, parsePipeline, type PipelineEntry } from '../src/compiler/passes/registry.ts';
import { fileCheck } from './support/filecheck.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin/kt.js');
let dir: string;

function kt(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A bad input: exit code 2, nothing on stdout, and on stderr one `error:` line and no stack trace. */
function expectOneLineError(r: { code: number; stdout: string; stderr: string }): string {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at /m);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

// out[i] = x[i] * 1 + 0 for 128 elements, with a duplicated splat.
const kernel = `tt.func public @scale(%x: !tt.ptr<f32>, %out: !tt.ptr<f32>) {
  %r = tt.make_range {start = 0, end = 128} : tensor<128xi32>
  %px = tt.splat %x : tensor<128x!tt.ptr<f32>>
  %qx = tt.addptr %px, %r : tensor<128x!tt.ptr<f32>>
  %v = tt.load %qx : tensor<128xf32>
  %one = arith.constant {value = 1 : i32} : i32
  %zero = arith.constant {value = 0 : i32} : i32
  %z = arith.muli %zero, %one : i32
  %zs = tt.splat %z : tensor<128xi32>
  %r2 = arith.addi %r, %zs : tensor<128xi32>
  %po = tt.splat %out : tensor<128x!tt.ptr<f32>>
  %qo = tt.addptr %po, %r2 : tensor<128x!tt.ptr<f32>>
  tt.store %qo, %v
  tt.return
}
`;

// A helper whose result type disagrees with its call's: the input verifies (calls are not checked against
// their callees), and inlining it leaves an arith.addi of f32 and i32, which the verifier rejects.
const badCall = `tt.func private @half(%a: i32) -> (f32) {
  %c = arith.constant {value = 0.5 : f32} : f32
  tt.return %c
}
tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
  %r = tt.call %x {callee = @half} : i32
  %s = arith.addi %r, %x : i32
  tt.store %p, %s
  tt.return
}
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-opt-'));
  fs.writeFileSync(path.join(dir, 'scale.mlir'), kernel);
  fs.writeFileSync(path.join(dir, 'bad-call.mlir'), badCall);
  // A missing comma between the operands of arith.muli, on line 3.
  fs.writeFileSync(path.join(dir, 'syntax.mlir'), 'tt.func public @f(%x: i32) {\n  %a = arith.addi %x, %x : i32\n  %b = arith.muli %a %x : i32\n  tt.return\n}\n');
  // Well formed, but arith.addi of i32 operands claims an f32 result.
  fs.writeFileSync(path.join(dir, 'invalid.mlir'), 'tt.func public @f(%x: i32) {\n  %a = arith.addi %x, %x : f32\n  tt.return\n}\n');
});

describe('kt opt', () => {
  test('runs a pipeline over a file and prints the IR', () => {
    const r = kt(['opt', 'scale.mlir', '--passes', 'canonicalize,cse,dce']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    fileCheck(r.stdout, `
      CHECK:      module {
      CHECK-NEXT:   tt.func public @scale(%x: !tt.ptr<f32>, %out: !tt.ptr<f32>) {
      CHECK-NEXT:     %[[R:.*]] = tt.make_range {start = 0, end = 128} : tensor<128xi32>
      CHECK-NEXT:     %[[PX:.*]] = tt.splat %x
      CHECK-NEXT:     %[[QX:.*]] = tt.addptr %[[PX]], %[[R]]
      CHECK-NEXT:     %[[V:.*]] = tt.load %[[QX]]
      CHECK-NEXT:     %[[PO:.*]] = tt.splat %out
      CHECK-NEXT:     %[[QO:.*]] = tt.addptr %[[PO]], %[[R]]
      CHECK-NEXT:     tt.store %[[QO]], %[[V]]
      CHECK-NEXT:     tt.return
    `);
  });

  test('reads stdin, given as - or by default, and takes pass options', () => {
    for (const args of [['opt', '-', '-p', 'convert-to-gpu{num-warps=8}'], ['opt', '--passes', 'convert-to-gpu{num-warps=8}']]) {
      const r = kt(args, kernel);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      fileCheck(r.stdout, `
        CHECK:      #[[L:blocked[0-9]*]] = #ttg.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [8], order = [0]}>
        CHECK:      module attributes {ttg.num-warps = 8} {
        CHECK:      tt.make_range {start = 0, end = 128} : tensor<128xi32, #[[L]]>
      `);
    }
  });

  test('with an empty pipeline, prints the IR it read (verified)', () => {
    const r = kt(['opt', 'scale.mlir']);
    expect(r.code).toBe(0);
    fileCheck(r.stdout, 'CHECK: %z = arith.muli %zero, %one : i32');
  });

  test('--list lists every pass with its description and options', () => {
    const r = kt(['opt', '--list']);
    expect(r.code).toBe(0);
    for (const p of allPasses()) expect(r.stdout).toMatch(new RegExp(`^  ${p.name} +${p.description.replace(/[()]/g, '\\$&')}$`, 'm'));
    fileCheck(r.stdout, `
      CHECK:      convert-to-gpu
      CHECK-NEXT: {num-warps=1|2|4|8|16|32} warps per program{{.*}}(default 4)
    `);
  });

  test('--print-after-all prints the IR after each pass under a header naming it, and not again at the end', () => {
    const r = kt(['opt', 'scale.mlir', '--passes', 'canonicalize, convert-to-gpu{num-warps=2}', '--print-after-all']);
    expect(r.code).toBe(0);
    fileCheck(r.stdout, `
      CHECK:      // ----- IR after canonicalize -----
      CHECK-NEXT: module {
      CHECK-NOT:  ttg.num-warps
      CHECK:      // ----- IR after convert-to-gpu{num-warps=2} -----
      CHECK-NEXT: #blocked = #ttg.blocked
      CHECK:      module attributes {ttg.num-warps = 2} {
    `);
    expect(r.stdout.match(/^module/gm)).toHaveLength(2);
  });

  test('--help describes the command', () => {
    const r = kt(['opt', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--passes');
    expect(r.stdout).toContain('--print-after-all');
  });
});

describe('kt opt on bad input: exit code 2, one line, no stack trace', () => {
  test('an unknown pass, located in --passes, with a suggestion and the valid names', () => {
    const line = expectOneLineError(kt(['opt', 'scale.mlir', '--passes', 'cse,canonicalise']));
    expect(line).toMatch(/^error: --passes column 5: unknown pass 'canonicalise' \(did you mean 'canonicalize'\?\); passes are inline, decompose-tf32x3, canonicalize, cse, /);
  });

  test('an unknown option, listing the valid ones', () => {
    const line = expectOneLineError(kt(['opt', 'scale.mlir', '--passes', 'convert-to-gpu{warps=8}']));
    expect(line).toBe("error: --passes column 16: convert-to-gpu has no option 'warps'; its options are num-warps");
  });

  test('a bad option value', () => {
    const line = expectOneLineError(kt(['opt', 'scale.mlir', '--passes', 'convert-to-gpu{num-warps=3}']));
    expect(line).toBe("error: --passes column 26: convert-to-gpu: num-warps must be a power of two from 1 to 32, got '3'");
  });

  test('a malformed pipeline', () => {
    const line = expectOneLineError(kt(['opt', 'scale.mlir', '--passes', 'cse dce']));
    expect(line).toBe("error: --passes column 5: expected ',' between passes, found 'd'");
  });

  test('IR that does not parse: file:line:col, then the line and a caret under the column', () => {
    const r = kt(['opt', 'syntax.mlir', '--passes', 'cse']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^syntax\.mlir:3:\d+: error: /);
    const col = Number(/^syntax\.mlir:3:(\d+)/.exec(lines[0]!)![1]);
    expect(lines.slice(1)).toEqual(['  |', '3 |   %b = arith.muli %a %x : i32', `  | ${' '.repeat(col - 1)}^`]);
  });

  test('IR that does not parse, from stdin', () => {
    const r = kt(['opt', '-', '--passes', 'cse'], 'tt.func public @f() {\n  tt.nonsense\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^<stdin>:\d+:\d+: error: /);
  });

  test('input IR that the verifier rejects', () => {
    const line = expectOneLineError(kt(['opt', 'invalid.mlir', '--passes', 'cse']));
    expect(line).toBe('error: invalid.mlir: the input IR does not verify: arith.addi: expects all operands and results to have one type, got i32 and f32, in: %a = arith.addi %x, %x : f32');
  });

  test('IR that the verifier rejects after a pass names the pass', () => {
    const line = expectOneLineError(kt(['opt', 'bad-call.mlir', '--passes', 'cse,inline,canonicalize']));
    expect(line).toMatch(/^error: the IR after pass 'inline' \(2 of 3 in --passes\) does not verify: arith\.addi: .*, in: %s = arith\.addi %c, %x : i32$/);
  });

  test('a pass that cannot run on its input names the pass', () => {
    const line = expectOneLineError(kt(['opt', 'scale.mlir', '--passes', 'coalesce']));
    expect(line).toBe("error: pass 'coalesce' (1 of 1 in --passes) failed: coalesce works on GPU IR (a module with ttg.num-warps): run convert-to-gpu before it");
  });

  test('a file that does not exist', () => {
    expect(expectOneLineError(kt(['opt', 'missing.mlir', '--passes', 'cse']))).toBe("error: cannot read 'missing.mlir': no such file");
  });
});

describe('optimizeIr', () => {
  test('runs the pipeline and returns the IR text', () => {
    fileCheck(optimizeIr(kernel, 'canonicalize,dce'), 'CHECK-NOT: arith.muli\nCHECK: tt.store');
  });

  test('takes a parsed pipeline and calls printAfter with each entry', () => {
    const seen: string[] = [];
    optimizeIr(kernel, parsePipeline('cse,dce'), { printAfter: (e, ir) => seen.push(`${e.text}:${ir.startsWith('module')}`) });
    expect(seen).toEqual(['cse:true', 'dce:true']);
  });

  test('names the pass after which the IR stops verifying', () => {
    // A pass that breaks the IR on purpose: it appends an op the verifier does not know.
    const breaker: PipelineEntry = {
      name: 'break',
      text: 'break',
      options: {},
      column: 1,
      pass: {
        name: 'break',
        run(m) {
          const fn = m.regions[0]!.entry.ops[0]!;
          const body = fn.regions[0]!.entry;
          body.insertBefore(body.terminator!, new Operation('test.bogus', [], [], {}, [], fn.loc));
          return m;
        },
      },
    };
    const entries = [...parsePipeline('cse'), breaker];
    expect(() => optimizeIr(kernel, entries)).toThrow(UsageError);
    expect(() => optimizeIr(kernel, entries)).toThrow("the IR after pass 'break' (2 of 2 in --passes) does not verify: test.bogus: unknown op");
  });

  test('a parse error is a located diagnostic naming the file', () => {
    const err = compileErrorOf(() => optimizeIr('tt.func public @f() {\n  %a = arith.addi %nope, %nope : i32\n}', 'cse', { file: 'k.mlir' }));
    expect(err.message).toMatch(/^k\.mlir:2:\d+: error: use of undefined value %nope\n/);
  });
});
