// Every op of the registry has a rule wherever it can reach: the GPU lowering handles every op of the GPU IR
// (target-independent ops, ttg and ttng), and the PTX printer every op of the per-thread IR the lowering emits
// (gpu ops, and the scalar arith/math/tt ops that survive lowering). A new op without them fails here, not on a
// GPU. (The interpreter and the simulator dispatch through switches; their coverage is what their suites run.)
import { expect, test } from 'vitest';
import { Operation, unknownLoc } from '../src/compiler/ir/core.ts';
import { allOpDefs, hasTrait } from '../src/compiler/ir/ops.ts';
import { handlerFor } from '../src/compiler/gpu/lowering/handlers.ts';
import { hasPtxRule } from '../src/compiler/gpu/ptx.ts';

/** Ops that never reach the lowering: structure, terminators handled by their parents, calls inlined before. */
const structural = new Set(['builtin.module', 'tt.func', 'tt.call', 'scf.yield', 'scf.condition', 'tt.reduce.return', 'tt.scan.return']);

/** Ops of the GPU IR that the lowering replaces by others, so the printer never sees them. */
const loweredAway = (name: string): boolean => /^(tt|ttg|ttng|scf)\./.test(name) && !['tt.return', 'tt.bitcast', 'tt.int_to_ptr', 'tt.ptr_to_int', 'tt.addptr', 'tt.mulhiui'].includes(name);

const opOf = (name: string): Operation => new Operation(name, [], [], {}, [], unknownLoc);

test('the GPU lowering has a handler for every op of the GPU IR', () => {
  const missing = allOpDefs()
    .map((d) => d.name)
    .filter((name) => !name.startsWith('gpu.') && !structural.has(name))
    .filter((name) => !handlerFor(opOf(name)));
  expect(missing).toEqual([]);
});

test('the PTX printer has a rule for every op of the per-thread IR', () => {
  const missing = allOpDefs()
    .filter((d) => !structural.has(d.name) && !loweredAway(d.name))
    .filter((d) => d.name.startsWith('gpu.') || hasTrait(opOf(d.name), 'elementwise') || d.name === 'arith.constant' || d.name === 'tt.return')
    .map((d) => d.name)
    .filter((name) => !hasPtxRule(name));
  expect(missing).toEqual([]);
});
