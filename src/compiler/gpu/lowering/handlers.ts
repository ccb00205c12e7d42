// Which function lowers each op: one table, filled by the op families' modules, so that a test can check that
// every op of the registry has a handler here (or is elementwise, which one rule covers).
import type { Operation } from '../../ir/core.ts';
import { hasTrait } from '../../ir/ops.ts';
import { forLoop, ifOp, returnOp, whileLoop } from './control-flow.ts';
import { assert, print } from './debug.ts';
import { dot as fmaDot } from './dot-fma.ts';
import { inlineAsm } from './inline-asm.ts';
import { isMmaSyncDot, mmaSyncDot } from './mma-sync.ts';
import { broadcast, constantOp, elementwise, makeRange, programIndex, splat } from './elementwise.ts';
import type { Lowering } from './lowering.ts';
import { atomic, load, store } from './memory.ts';
import { reduce, scan } from './reduce-scan.ts';
import { asyncCommitGroup, asyncCopy, asyncWait } from './async-copy.ts';
import { barrier, exchange, gather, histogram, localAlloc, localLoad, memdescIndex } from './shared.ts';
import { warpGroupDot, warpGroupDotWait } from './wgmma.ts';

export type Handler = (lw: Lowering, op: Operation) => void;

export const handlers: Readonly<Record<string, Handler>> = {
  'arith.constant': constantOp,
  'tt.get_program_id': programIndex,
  'tt.get_num_programs': programIndex,
  'tt.make_range': makeRange,
  'tt.splat': splat,
  'tt.broadcast': broadcast,
  'tt.expand_dims': broadcast,
  'tt.load': load,
  'tt.store': store,
  'tt.atomic_rmw': atomic,
  'tt.atomic_cas': atomic,
  'ttg.convert_layout': exchange,
  'tt.reshape': exchange,
  'tt.trans': exchange,
  'tt.join': exchange,
  'tt.split': exchange,
  'tt.gather': gather,
  'tt.histogram': histogram,
  'ttg.local_alloc': localAlloc,
  'ttg.local_load': localLoad,
  'ttg.memdesc_index': memdescIndex,
  'ttg.async_copy_global_to_local': asyncCopy,
  'ttg.async_commit_group': asyncCommitGroup,
  'ttg.async_wait': asyncWait,
  'gpu.barrier': barrier,
  // accelerate-matmul decides: operands in dot_operand registers go to mma.sync, operands in shared memory to the FMA units.
  'tt.dot': (lw, op) => (isMmaSyncDot(op) ? mmaSyncDot(lw, op) : fmaDot(lw, op)),
  'ttng.warp_group_dot': warpGroupDot,
  'ttng.warp_group_dot_wait': warpGroupDotWait,
  'tt.reduce': reduce,
  'tt.scan': scan,
  'tt.print': print,
  'tt.elementwise_inline_asm': inlineAsm,
  'tt.assert': assert,
  // A promise for the optimiser, which draws no conclusions from it yet: nothing to emit.
  'tt.assume': () => {},
  'scf.for': forLoop,
  'scf.if': ifOp,
  'scf.while': whileLoop,
  'tt.return': returnOp,
};

/** The handler of `op`, or undefined when the GPU backend cannot lower it. */
export function handlerFor(op: Operation): Handler | undefined {
  return handlers[op.name] ?? (hasTrait(op, 'elementwise') ? elementwise : undefined);
}
