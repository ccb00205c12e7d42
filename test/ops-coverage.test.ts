// Every op of the registry has a rule wherever it can reach, in each of the four places that dispatch on op names
// through tables:
//  - the interpreter (src/interp/codegen.ts) runs the target-independent IR: every op but the GPU-only dialects;
//  - the GPU lowering handles every op of the GPU IR (target-independent ops, ttg and ttng);
//  - the PTX printer and the SIMT simulator (test/support/simt.ts) each handle every op of the per-thread IR the
//    lowering emits (gpu ops, structured control flow, and the scalar arith/math/tt ops that survive lowering).
// A new op without them fails here, not in a kernel that happens to use it.
import { expect, test } from 'vitest';
import { Operation, unknownLoc } from '../src/compiler/ir/core.ts';
import { allOpDefs, hasTrait } from '../src/compiler/ir/ops.ts';
import { handlerFor } from '../src/compiler/gpu/lowering/handlers.ts';
import { hasPtxRule } from '../src/compiler/gpu/ptx.ts';
import { interpreterHandlerFor } from '../src/interp/codegen.ts';
import { simulatorHandles } from './support/simt.ts';

/** Ops that never reach a dispatch table: structure, terminators handled by their parents, calls inlined before. */
const structural = new Set(['builtin.module', 'tt.func', 'tt.call', 'scf.yield', 'scf.condition', 'tt.reduce.return', 'tt.scan.return']);

/** Dialects only the GPU path produces (accelerate-matmul, pipelining, the lowering): the interpreter never sees them. */
const gpuOnly = (name: string): boolean => /^(ttg|ttng|gpu)\./.test(name);

/** Ops of the GPU IR that the lowering replaces by others, so the per-thread IR never holds them. */
const loweredAway = (name: string): boolean => /^(tt|ttg|ttng)\./.test(name) && !['tt.return', 'tt.bitcast', 'tt.int_to_ptr', 'tt.ptr_to_int', 'tt.addptr', 'tt.mulhiui'].includes(name);

const opOf = (name: string): Operation => new Operation(name, [], [], {}, [], unknownLoc);

/** The ops of the per-thread IR: gpu ops, scf control flow, elementwise ops and constants that survive lowering, tt.return. */
const perThreadOps = (): string[] =>
  allOpDefs()
    .map((d) => d.name)
    .filter((name) => !structural.has(name) && !loweredAway(name))
    .filter((name) => /^(gpu|scf)\./.test(name) || hasTrait(opOf(name), 'elementwise') || name === 'arith.constant' || name === 'tt.return');

/**
 * Ops that can reach the interpreter but legitimately have no handler there, each with its reason. (None today;
 * an op listed here must really be unhandled, which the test checks too, so the list cannot go stale.)
 */
const notInterpreted: Readonly<Record<string, string>> = {};

/** Ops of the per-thread IR the simulator legitimately does not run, each with its reason. (None today.) */
const notSimulated: Readonly<Record<string, string>> = {};

test('the interpreter has a handler for every op that can reach it', () => {
  const names = allOpDefs()
    .map((d) => d.name)
    .filter((name) => !structural.has(name) && !gpuOnly(name));
  expect(names).toContain('tt.dot');
  expect(names.filter((name) => !interpreterHandlerFor(opOf(name)) && !Object.hasOwn(notInterpreted, name))).toEqual([]);
  expect(Object.keys(notInterpreted).filter((name) => interpreterHandlerFor(opOf(name)))).toEqual([]);
});

test('the GPU lowering has a handler for every op of the GPU IR', () => {
  const missing = allOpDefs()
    .map((d) => d.name)
    .filter((name) => !name.startsWith('gpu.') && !structural.has(name))
    .filter((name) => !handlerFor(opOf(name)));
  expect(missing).toEqual([]);
});

test('the PTX printer has a rule for every op of the per-thread IR', () => {
  const missing = perThreadOps().filter((name) => !hasPtxRule(name));
  expect(missing).toEqual([]);
});

test('the SIMT simulator has a handler for every op of the per-thread IR', () => {
  const names = perThreadOps();
  expect(names).toContain('gpu.mma_sync');
  expect(names.filter((name) => !simulatorHandles(name) && !Object.hasOwn(notSimulated, name))).toEqual([]);
  expect(Object.keys(notSimulated).filter((name) => simulatorHandles(name))).toEqual([]);
});
