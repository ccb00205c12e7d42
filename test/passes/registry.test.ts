// The pass registry: every pass the pipelines run is there under its own name, and pipeline text (MLIR-style,
// `name{option=value}`) reads into passes, with located errors that list what is valid.
import { describe, expect, test } from 'vitest';
import { defaultPipeline } from '../../src/compiler/compile.ts';
import { gpuPipeline } from '../../src/compiler/gpu/compile.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { PipelineError, allPasses, parsePipeline, passByName } from '../../src/compiler/passes/registry.ts';
import { fileCheck } from '../support/filecheck.ts';

/** The PipelineError that reading `text` throws. */
function pipelineError(text: string): PipelineError {
  try {
    parsePipeline(text);
  } catch (e) {
    expect(e).toBeInstanceOf(PipelineError);
    return e as PipelineError;
  }
  throw new Error(`expected '${text}' to be rejected`);
}

const kernel = `tt.func public @k(%x: !tt.ptr<f32>, %n: i32, %stride: i32) {
  %r = tt.make_range {start = 0, end = 128} : tensor<128xi32>
  %s = tt.splat %stride : tensor<128xi32>
  %o = arith.muli %r, %s : tensor<128xi32>
  %p = tt.splat %x : tensor<128x!tt.ptr<f32>>
  %q = tt.addptr %p, %o : tensor<128x!tt.ptr<f32>>
  %v = tt.load %q : tensor<128xf32>
  tt.store %q, %v
  tt.return
}`;

describe('the registry', () => {
  test('names every pass by the name it carries, once, with a description', () => {
    const names = allPasses().map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const info of allPasses()) {
      expect(passByName(info.name).name).toBe(info.name);
      expect(info.description.length).toBeGreaterThan(10);
    }
  });

  test('holds every pass of the target-independent and GPU pipelines', () => {
    const names = new Set(allPasses().map((p) => p.name));
    for (const p of [...defaultPipeline, ...gpuPipeline(4, [])]) expect(names, `pass '${p.name}' is not registered`).toContain(p.name);
  });

  test('the pipelines written as text read back to passes of the same names', () => {
    const text = defaultPipeline.map((p) => p.name).join(',');
    expect(parsePipeline(text).map((e) => e.pass.name)).toEqual(defaultPipeline.map((p) => p.name));
  });

  test('passByName takes options as text or numbers, and rejects unknown names', () => {
    const m = parseModule(kernel);
    passByName('convert-to-gpu', { 'num-warps': 2 }).run(m);
    expect(m.attrs['ttg.num-warps']).toBe(2);
    expect(() => passByName('convert-to-gpu', { 'num-warps': '3' })).toThrow('convert-to-gpu: num-warps must be a power of two from 1 to 32');
    expect(() => passByName('canonicalise')).toThrow(/^unknown pass 'canonicalise' \(did you mean 'canonicalize'\?\); passes are inline, decompose-tf32x3, canonicalize, /);
  });
});

describe('pipeline text', () => {
  test('reads names and options, with their columns and canonical text', () => {
    const entries = parsePipeline('canonicalize, cse,convert-to-gpu{num-warps=8},  coalesce');
    expect(entries.map((e) => [e.name, e.text, e.column])).toEqual([
      ['canonicalize', 'canonicalize', 1],
      ['cse', 'cse', 15],
      ['convert-to-gpu', 'convert-to-gpu{num-warps=8}', 19],
      ['coalesce', 'coalesce', 49],
    ]);
    expect(entries[2]!.options).toEqual({ 'num-warps': '8' });
  });

  test('options may be separated by commas or by spaces (as MLIR writes them), with spaces around', () => {
    for (const text of ['convert-to-gpu{num-warps=8}', 'convert-to-gpu { num-warps = 8 }', 'convert-to-gpu{num-warps=8,}', 'convert-to-gpu{}']) {
      const [e] = parsePipeline(text);
      const m = parseModule(kernel);
      e!.pass.run(m);
      expect(m.attrs['ttg.num-warps']).toBe(text.includes('8') ? 8 : 4);
    }
    expect(parsePipeline('specialize-arguments{facts=d-- }')[0]!.options).toEqual({ facts: 'd--' });
  });

  test('an empty pipeline is no passes', () => {
    expect(parsePipeline('')).toEqual([]);
    expect(parsePipeline('   ')).toEqual([]);
  });

  test.each([
    ['cse,canonicalise', 5, "unknown pass 'canonicalise' (did you mean 'canonicalize'?); passes are inline, decompose-tf32x3, canonicalize, cse"],
    ['frobnicate', 1, "unknown pass 'frobnicate'; passes are inline,"],
    ['convert-to-gpu{warps=8}', 16, "convert-to-gpu has no option 'warps'; its options are num-warps"],
    ['cse{x=1}', 5, "cse has no option 'x'; it takes no options"],
    ['convert-to-gpu{num-warps=3}', 26, "convert-to-gpu: num-warps must be a power of two from 1 to 32, got '3'"],
    ['convert-to-gpu{num-warps=8,num-warps=4}', 28, "option 'num-warps' of convert-to-gpu is given twice"],
    ['convert-to-gpu{num-warps}', 25, "option 'num-warps' of convert-to-gpu needs a value: num-warps=1|2|4|8|16|32"],
    ['convert-to-gpu{num-warps=}', 26, "option 'num-warps' of convert-to-gpu needs a value"],
    ['convert-to-gpu{num-warps=8', 27, "'{' after convert-to-gpu is not closed by '}'"],
    ['specialize-arguments{facts=d-x}', 28, "specialize-arguments: facts 'x' is not a fact"],
    ['accelerate-matmul{target=90}', 26, "accelerate-matmul: target must name an architecture such as sm_90, got '90'"],
    ['cse,', 5, "expected a pass name after ','"],
    [',cse', 1, "expected a pass name, found ','"],
    ['cse dce', 5, "expected ',' between passes, found 'd'"],
    ['cse}', 4, "expected ',' between passes, found '}'"],
  ])('rejects %j at column %i', (text, column, reason) => {
    const e = pipelineError(text);
    expect(e.column).toBe(column);
    expect(e.reason).toContain(reason);
    expect(e.message).toBe(`column ${column}: ${e.reason}`);
  });
});

describe('passes with options', () => {
  test('specialize-arguments{facts=...} marks divisible arguments and replaces ones equal to 1', () => {
    const m = parseModule(kernel);
    for (const e of parsePipeline('specialize-arguments{facts=d-1},canonicalize')) e.pass.run(m);
    fileCheck(printOp(m), `
      CHECK: tt.func public @k(%x: !tt.ptr<f32>, %n: i32, %stride: i32) attributes {tt.divisibility = [16, 1, 1]}
      CHECK-NOT: arith.muli
      CHECK: %[[R:.*]] = tt.make_range
      CHECK: tt.addptr %{{.*}}, %[[R]]
    `);
  });

  test('specialize-arguments without facts knows nothing about any argument', () => {
    const m = parseModule(kernel);
    parsePipeline('specialize-arguments')[0]!.pass.run(m);
    fileCheck(printOp(m), 'CHECK: attributes {tt.divisibility = [1, 1, 1]}\nCHECK: arith.muli');
  });

  test('passes that need GPU IR say so on target-independent IR', () => {
    for (const name of ['accelerate-matmul', 'coalesce', 'allocate-shared-memory', 'insert-barriers']) {
      expect(() => passByName(name).run(parseModule(kernel))).toThrow(`${name} works on GPU IR (a module with ttg.num-warps): run convert-to-gpu before it`);
    }
  });
});
