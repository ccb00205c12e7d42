// What compiling costs where it costs most: kernels whose PTX is largest, from TypeScript to PTX (kt) and PTX to
// cubin (ptxas), on this machine's CPU; no GPU needed.
//
//   node bin/run-ts.js bench/compile.ts [--json results.json]
//
// The cases are Triton's test_dot3d at its largest per thread (8 batches of 32 x 32 x 32 on one warp: the batched
// dot splits its operands with a chain of transposes, reshapes and splits through shared memory, and the f16
// accumulator keeps the dot on the FMA units). Prints the PTX's lines, kt's milliseconds, ptxas's seconds and its
// register report. Run it on two checkouts to compare a change.
import fs from 'node:fs';
import { empty, type Kernel } from 'kt';
import { compileToPtx } from '../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../src/compiler/gpu/ptxas.ts';
import { dtypes } from '../src/compiler/semantic/dtype.ts';
import { argumentFacts } from '../src/dsl/kernel.ts';
import { dot3d } from '../test/conformance/dot.ts';
import { arg } from './args.ts';

interface Case {
  name: string;
  kernel: Kernel;
  args: unknown[];
  numWarps: number;
}

function dot3dCase(B: number, numWarps: number, inType: 'f16' | 'f32' | 'i8', outType: 'f16' | 'f32' | 'i32'): Case {
  const [M, N, K] = [32, 32, 32];
  return {
    name: `test_dot3d ${B} x ${M}x${N}x${K} ${inType}->${outType}, ${numWarps} warp${numWarps > 1 ? 's' : ''}`,
    kernel: dot3d as unknown as Kernel,
    numWarps,
    args: [
      empty([B, M, K], inType), empty([B, K, N], inType), empty([B, M, N], outType),
      M * K, K, 1, K * N, N, 1, M * N, N, 1,
      { BLOCK_B: B, BLOCK_M: M, BLOCK_N: N, BLOCK_K: K, INPUT_PRECISION: inType === 'f32' ? 'tf32' : 'ieee', OUT_DTYPE: dtypes[outType], numWarps },
    ],
  };
}

const cases: Case[] = [dot3dCase(8, 1, 'f16', 'f16'), dot3dCase(8, 1, 'f16', 'f32'), dot3dCase(8, 1, 'f32', 'f32'), dot3dCase(8, 1, 'i8', 'i32'), dot3dCase(8, 4, 'f16', 'f16')];

const ptxas = findPtxas();
const rows: { case: string; ptxLines: number; ktMs: number; ptxasS?: number; registers?: number; spillBytes?: number }[] = [];
console.log(`${'case'.padEnd(44)} ${'PTX lines'.padStart(10)} ${'kt ms'.padStart(8)} ${'ptxas s'.padStart(8)} ${'regs'.padStart(5)} ${'spill B'.padStart(8)}`);
for (const c of cases) {
  const def = c.kernel.definition;
  const bound = def.bind(c.args);
  const t0 = performance.now();
  const spec = def.specialize(bound.bindings);
  const compiled = compileToPtx(spec.ir.module, { numWarps: c.numWarps, argFacts: argumentFacts(bound.runtime) });
  const ktMs = performance.now() - t0;
  const row: (typeof rows)[number] = { case: c.name, ptxLines: compiled.ptx.split('\n').length, ktMs };
  if (ptxas) {
    const t1 = performance.now();
    const out = assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
    row.ptxasS = (performance.now() - t1) / 1000;
    row.registers = out.registers;
    row.spillBytes = out.spillStores;
  }
  rows.push(row);
  console.log(`${c.name.padEnd(44)} ${String(row.ptxLines).padStart(10)} ${ktMs.toFixed(0).padStart(8)} ${row.ptxasS?.toFixed(1).padStart(8) ?? '       -'} ${String(row.registers ?? '-').padStart(5)} ${String(row.spillBytes ?? '-').padStart(8)}`);
}
if (!ptxas) console.log('ptxas not found: PTX only (set KT_PTXAS or put the CUDA toolkit on the PATH)');
const jsonOut = arg('json', '');
if (jsonOut) fs.writeFileSync(jsonOut, `${JSON.stringify(rows, null, 2)}\n`);
