// The GPU passes, each on IR text: specialisation on argument facts, layouts (convert-to-gpu), coalescing,
// conversion removal, shared-memory allocation and barrier insertion; and the GPU IR and per-thread IR
// printing and parsing back unchanged.
import { describe, expect, test } from 'vitest';
import { empty } from 'kt';
import { cumsum } from '../../kernels/cumsum.ts';
import { layernorm } from '../../kernels/layernorm.ts';
import { matmul } from '../../kernels/matmul.ts';
import { softmax } from '../../kernels/softmax.ts';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import type { Operation } from '../../src/compiler/ir/core.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';
import { allocateSharedMemoryPass } from '../../src/compiler/passes/allocate-shared-memory.ts';
import { canonicalizePass } from '../../src/compiler/passes/canonicalize.ts';
import { coalescePass } from '../../src/compiler/passes/coalesce.ts';
import { convertToGpu } from '../../src/compiler/passes/convert-to-gpu.ts';
import { dcePass } from '../../src/compiler/passes/dce.ts';
import { insertBarriersPass } from '../../src/compiler/passes/insert-barriers.ts';
import type { Pass } from '../../src/compiler/passes/pass-manager.ts';
import { removeLayoutConversionsPass } from '../../src/compiler/passes/remove-layout-conversions.ts';
import { specializeArguments } from '../../src/compiler/passes/specialize-arguments.ts';
import { mod } from './helpers.ts';

function run(text: string, passes: readonly Pass[]): string {
  const m = parseModule(text);
  verify(m);
  for (const p of passes) {
    p.run(m);
    verify(m);
  }
  return printOp(m);
}

const known = { divisibleBy16: true, equalsOne: false };
const none = { divisibleBy16: false, equalsOne: false };
const one = { divisibleBy16: false, equalsOne: true };

// out[i] = x[i * stride] for i < n, with 128-element blocks.
const strided = `tt.func public @copy(%x: !tt.ptr<f32>, %out: !tt.ptr<f32>, %n: i32, %stride: i32) {
  %pid = tt.get_program_id {axis = 0} : i32
  %c = arith.constant {value = 128 : i32} : i32
  %0 = arith.muli %pid, %c : i32
  %r = tt.make_range {start = 0, end = 128} : tensor<128xi32>
  %1 = tt.splat %0 : tensor<128xi32>
  %offs = arith.addi %1, %r : tensor<128xi32>
  %2 = tt.splat %n : tensor<128xi32>
  %mask = arith.cmpi %offs, %2 {predicate = "slt"} : tensor<128xi1>
  %3 = tt.splat %stride : tensor<128xi32>
  %4 = arith.muli %offs, %3 : tensor<128xi32>
  %5 = tt.splat %x : tensor<128x!tt.ptr<f32>>
  %p = tt.addptr %5, %4 : tensor<128x!tt.ptr<f32>>
  %v = tt.load %p, %mask : tensor<128xf32>
  %6 = tt.splat %out : tensor<128x!tt.ptr<f32>>
  %q = tt.addptr %6, %offs : tensor<128x!tt.ptr<f32>>
  tt.store %q, %v, %mask
  tt.return
}`;

describe('specialize-arguments', () => {
  test('records divisibility by 16 and replaces integers equal to 1 by the constant', () => {
    const out = run(mod(strided), [specializeArguments([known, known, known, one]), canonicalizePass, dcePass]);
    expect(out).toContain('attributes {tt.divisibility = [16, 16, 16, 1]}');
    // offs * 1 folded away: the load's pointers are x + offs.
    expect(out).not.toContain('%stride : tensor');
    expect(out).toMatch(/%p = tt.addptr %\d+, %offs/);
  });

  test('leaves what is not known alone', () => {
    const out = run(mod(strided), [specializeArguments([none, none, none, none])]);
    expect(out).toContain('tt.divisibility = [1, 1, 1, 1]');
    expect(out).toContain('%3 = tt.splat %stride');
  });
});

describe('convert-to-gpu and coalesce', () => {
  const layouts = (text: string): string[] => [...text.matchAll(/^#\w+ = (#ttg\.blocked<.*>)$/gm)].map((m) => m[1]!);

  test('every tile gets a blocked layout over the warps', () => {
    const out = run(mod(strided), [convertToGpu(4)]);
    expect(layouts(out)).toEqual(['#ttg.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>']);
    expect(out).toContain('%v = tt.load %p, %mask : tensor<128xf32, #blocked>');
    expect(out).toContain('module attributes {ttg.num-warps = 4}');
  });

  test('aligned contiguous accesses get 16-byte vectors; the rest stay scalar', () => {
    // With stride 1 and aligned pointers and n, both accesses are contiguous and aligned: 4 f32 per thread
    // (128 elements over the 32 threads of one warp).
    const vec = run(mod(strided), [specializeArguments([known, known, known, one]), canonicalizePass, dcePass, convertToGpu(1), coalescePass, removeLayoutConversionsPass]);
    expect(layouts(vec)).toEqual(['#ttg.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>']);
    const ptx = (facts: (typeof known)[]): string => compileToPtx(parseModule(mod(strided)), { numWarps: 1, argFacts: facts }).ptx;
    const aligned = ptx([known, known, known, one]);
    expect(aligned).toContain('ld.global.v4.f32');
    expect(aligned).toContain('st.global.v4.f32');
    // Unknown stride: the load gathers one element at a time; the store still writes vectors.
    const gather = ptx([known, known, known, none]);
    expect(gather).not.toContain('ld.global.v4');
    expect(gather).toContain('st.global.v4.f32');
    // n not known to be a multiple of 16: the mask may change inside a vector, so neither access uses vectors.
    expect(ptx([known, known, none, one])).not.toMatch(/(ld|st)\.global\.v\d/);
    // Pointers not known to be aligned: no vectors either.
    expect(ptx([none, none, known, one])).not.toMatch(/(ld|st)\.global\.v\d/);
  });
});

describe('remove-layout-conversions', () => {
  const a = '#ttg.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>';
  const b = '#ttg.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>';

  test('folds conversions of conversions and recomputes cheap producers in the wanted layout', () => {
    const out = run(
      `#a = ${a}
#b = ${b}
module attributes {ttg.num-warps = 4} {
  tt.func public @f(%p: !tt.ptr<i32>) {
    %r = tt.make_range {start = 0, end = 512} : tensor<512xi32, #a>
    %c1 = ttg.convert_layout %r : tensor<512xi32, #b>
    %c2 = ttg.convert_layout %c1 : tensor<512xi32, #a>
    %s = tt.splat %p : tensor<512x!tt.ptr<i32>, #b>
    %q = tt.addptr %s, %c1 : tensor<512x!tt.ptr<i32>, #b>
    %c3 = ttg.convert_layout %c2 : tensor<512xi32, #b>
    tt.store %q, %c3
    tt.return
  }
}`,
      [removeLayoutConversionsPass],
    );
    expect(out).not.toContain('convert_layout');
    expect(out).toContain('tt.make_range {start = 0, end = 512} : tensor<512xi32, #blocked>');
  });

  test('a tile a loop accumulates into takes the layout of what is accumulated', () => {
    const out = run(
      `#a = ${a}
#b = ${b}
module attributes {ttg.num-warps = 4} {
  tt.func public @f(%x: !tt.ptr<f32>, %out: !tt.ptr<f32>, %n: i32) {
    %zero = arith.constant {value = dense<0.0> : tensor<512xf32>} : tensor<512xf32, #a>
    %lb = arith.constant {value = 0 : i32} : i32
    %step = arith.constant {value = 512 : i32} : i32
    %sum = scf.for %lb, %n, %step, %zero : tensor<512xf32, #a> {
    ^bb0(%off: i32, %acc: tensor<512xf32, #a>):
      %r = tt.make_range {start = 0, end = 512} : tensor<512xi32, #b>
      %o = tt.splat %off : tensor<512xi32, #b>
      %i = arith.addi %o, %r : tensor<512xi32, #b>
      %s = tt.splat %x : tensor<512x!tt.ptr<f32>, #b>
      %p = tt.addptr %s, %i : tensor<512x!tt.ptr<f32>, #b>
      %v = tt.load %p : tensor<512xf32, #b>
      %cv = ttg.convert_layout %v : tensor<512xf32, #a>
      %next = arith.addf %acc, %cv : tensor<512xf32, #a>
      scf.yield %next
    }
    %r2 = tt.make_range {start = 0, end = 512} : tensor<512xi32, #a>
    %s2 = tt.splat %out : tensor<512x!tt.ptr<f32>, #a>
    %q = tt.addptr %s2, %r2 : tensor<512x!tt.ptr<f32>, #a>
    tt.store %q, %sum
    tt.return
  }
}`,
      [removeLayoutConversionsPass],
    );
    // The loop carries the tile in the loads' layout: no conversion inside it, one after it (for the store).
    const body = out.slice(out.indexOf('scf.for'), out.indexOf('scf.yield'));
    expect(body).not.toContain('convert_layout');
    const loadLayout = /^#(\w+) = #ttg\.blocked<\{sizePerThread = \[4\]/m.exec(out)![1];
    expect(out).toMatch(new RegExp(`scf\\.for %lb, %n, %step, %\\w+ : tensor<512xf32, #${loadLayout}>`));
    expect(out.match(/convert_layout/g)?.length).toBe(1);
  });
});

describe('shared memory: allocation and barriers', () => {
  const blocked = '#ttg.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>';
  const other = '#ttg.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>';
  const twoConversions = `#a = ${blocked}
#b = ${other}
module attributes {ttg.num-warps = 4} {
  tt.func public @f(%p: !tt.ptr<f32>) {
    %r = tt.make_range {start = 0, end = 512} : tensor<512xi32, #a>
    %x = arith.sitofp %r : tensor<512xf32, #a>
    %c1 = ttg.convert_layout %x : tensor<512xf32, #b>
    %y = arith.addf %c1, %c1 : tensor<512xf32, #b>
    %c2 = ttg.convert_layout %y : tensor<512xf32, #a>
    %s = tt.splat %p : tensor<512x!tt.ptr<f32>, #a>
    %q = tt.addptr %s, %r : tensor<512x!tt.ptr<f32>, #a>
    tt.store %q, %c2
    tt.return
  }
}`;

  test('scratch buffers whose lifetimes do not overlap share space', () => {
    const out = run(twoConversions, [allocateSharedMemoryPass]);
    expect(out).toContain('%c1 = ttg.convert_layout %x {allocation.offset = 0}');
    expect(out).toContain('%c2 = ttg.convert_layout %y {allocation.offset = 0}');
    expect(out).toContain('ttg.shared = 2048');
  });

  test('buffers alive at once get disjoint space', () => {
    const out = run(
      `#a = ${blocked}
#s = #ttg.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [1, 0]}>
#b = #ttg.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {ttg.num-warps = 4} {
  tt.func public @f(%p: !tt.ptr<f32>) {
    %z = arith.constant {value = dense<1.0> : tensor<16x16xf32>} : tensor<16x16xf32, #b>
    %m1 = ttg.local_alloc %z : !ttg.memdesc<16x16xf32, #s>
    %m2 = ttg.local_alloc %z : !ttg.memdesc<16x16xf32, #s>
    %d = tt.dot %m1, %m2, %z {inputPrecision = "ieee"} : tensor<16x16xf32, #b>
    tt.return
  }
}`,
      [allocateSharedMemoryPass],
    );
    expect(out).toContain('%m1 = ttg.local_alloc %z {allocation.offset = 0}');
    expect(out).toContain('%m2 = ttg.local_alloc %z {allocation.offset = 1024}');
    expect(out).toContain('ttg.shared = 2048');
  });

  test('a barrier separates reuse of the same space by two ops, none is added where nothing overlaps', () => {
    const out = run(twoConversions, [allocateSharedMemoryPass, insertBarriersPass]);
    const lines = out.split('\n').map((l) => l.trim());
    const barrierAt = lines.indexOf('gpu.barrier');
    expect(barrierAt).toBeGreaterThan(lines.findIndex((l) => l.startsWith('%c1 =')));
    expect(barrierAt).toBeLessThan(lines.findIndex((l) => l.startsWith('%c2 =')));
    expect(lines.filter((l) => l === 'gpu.barrier')).toHaveLength(1);
    // One conversion alone synchronises inside itself: no barrier around it.
    const single = run(twoConversions.replace('%c2 = ttg.convert_layout %y : tensor<512xf32, #a>', '%c2 = arith.sitofp %r : tensor<512xf32, #a>'), [allocateSharedMemoryPass, insertBarriersPass]);
    expect(single).not.toContain('gpu.barrier');
  });
});

describe('GPU IR and per-thread IR print and parse back unchanged', () => {
  const f32 = (shape: number[]) => empty(shape);
  const cases: [string, () => Operation][] = [
    ['softmax', () => softmax.definition.specialize(softmax.definition.bind([f32([4, 100]), f32([4, 100]), 100, 100, 100, { BLOCK: 128 }]).bindings).ir.module],
    ['layernorm', () => layernorm.definition.specialize(layernorm.definition.bind([f32([4, 300]), f32([4, 300]), f32([300]), f32([300]), f32([4]), f32([4]), 300, 300, 1e-5, { BLOCK: 128 }]).bindings).ir.module],
    ['cumsum', () => cumsum.definition.specialize(cumsum.definition.bind([f32([4, 300]), f32([4, 300]), 300, 300, { BLOCK: 512 }]).bindings).ir.module],
    [
      'matmul',
      () => {
        const [a, b, c] = [f32([64, 64]), f32([64, 64]), f32([64, 64])];
        return matmul.definition.specialize(matmul.definition.bind([a, b, c, 64, 64, 64, 64, 1, 64, 1, 64, 1, { BLOCK_M: 32, BLOCK_N: 32, BLOCK_K: 16, GROUP_M: 2 }]).bindings).ir.module;
      },
    ],
  ];
  for (const [name, module] of cases) {
    test(name, () => {
      const g = compileToPtx(module(), { numWarps: 4 });
      for (const ir of [g.gpuIr, g.threadIr]) {
        const text = printOp(ir);
        const again = parseModule(text);
        verify(again);
        expect(printOp(again)).toBe(text);
      }
    });
  }
});
