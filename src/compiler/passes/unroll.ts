// Loop unrolling. Loops over tl.staticRange (tt.static_range) are unrolled completely; loops with
// tt.loop_unroll_factor = N become a loop whose body holds N copies, followed by a remainder loop.
import { constantAttr } from '../ir/builder.ts';
import { errorAt } from '../diagnostics.ts';
import { Block, Operation, Region, cloneOperation, replaceUses, type Value } from '../ir/core.ts';
import type { IntType } from '../ir/types.ts';
import { constantOf } from './canonicalize.ts';
import type { Pass } from './pass-manager.ts';

/** Most iterations a static loop may unroll to; beyond it the code would be unreasonably large. */
export const MAX_STATIC_UNROLL = 4096;

/** Copies `body` (the loop's block) before `anchor` or at the end of `into`, with the given iv and carried values. */
function cloneBody(body: Block, iv: Value, carried: readonly Value[], place: (op: Operation) => void): Value[] {
  const mapping = new Map<Value, Value>();
  mapping.set(body.args[0]!, iv);
  carried.forEach((v, i) => mapping.set(body.args[i + 1]!, v));
  let next: Value[] = [];
  for (const op of body.ops) {
    if (op.name === 'scf.yield') {
      next = op.operands.map((v) => mapping.get(v) ?? v);
      continue;
    }
    place(cloneOperation(op, mapping));
  }
  return next;
}

function emit(anchor: Operation, name: string, operands: Value[], type: IntType, attrs = {}): Value {
  const op = new Operation(name, operands, [type], attrs, [], anchor.loc);
  anchor.parent!.insertBefore(anchor, op);
  return op.result;
}

function constant(anchor: Operation, value: number | bigint, type: IntType): Value {
  return emit(anchor, 'arith.constant', [], type, { value: constantAttr(value, type) });
}

function fullUnroll(loop: Operation, module: Operation): void {
  const [lb, ub, step] = loop.operands.slice(0, 3).map(constantOf);
  if (!lb || !ub || !step) {
    throw errorAt(loop.loc, 'tl.staticRange needs bounds known at compile time', 'use tl.range for run-time bounds');
  }
  const [l, u, s] = [BigInt(lb.value), BigInt(ub.value), BigInt(step.value)];
  if (s <= 0n) throw errorAt(loop.loc, `tl.staticRange needs a positive step, got ${s}`);
  const trips = u > l ? (u - l + s - 1n) / s : 0n;
  if (trips > BigInt(MAX_STATIC_UNROLL)) {
    throw errorAt(loop.loc, `tl.staticRange of ${trips} iterations is too long to unroll (the limit is ${MAX_STATIC_UNROLL})`, 'use tl.range, optionally with { loopUnrollFactor }');
  }
  const body = loop.regions[0]!.entry;
  const ivType = loop.operands[0]!.type as IntType;
  let carried = loop.operands.slice(3);
  for (let k = 0n; k < trips; k++) {
    const iv = constant(loop, ivType.width === 64 ? l + k * s : Number(l + k * s), ivType);
    carried = cloneBody(body, iv, carried, (op) => loop.parent!.insertBefore(loop, op));
  }
  const replace = new Map<Value, Value>();
  loop.results.forEach((r, i) => replace.set(r, carried[i]!));
  loop.erase();
  replaceUses(module, replace);
}

function partialUnroll(loop: Operation, factor: number): void {
  const [lb, ub, step, ...inits] = loop.operands as Value[];
  const t = lb!.type as IntType;
  const c = (v: number): Value => constant(loop, v, t);
  // trips = max(0, ceil((ub - lb) / step)); the main loop runs floor(trips / factor) times.
  const span = emit(loop, 'arith.subi', [ub!, lb!], t);
  const trips = emit(loop, 'arith.maxsi', [emit(loop, 'arith.divsi', [emit(loop, 'arith.addi', [span, emit(loop, 'arith.subi', [step!, c(1)], t)], t), step!], t), c(0)], t);
  const bigStep = emit(loop, 'arith.muli', [step!, c(factor)], t);
  const mainUb = emit(loop, 'arith.addi', [lb!, emit(loop, 'arith.muli', [emit(loop, 'arith.divsi', [trips, c(factor)], t), bigStep], t)], t);
  const body = loop.regions[0]!.entry;
  const attrs = { ...loop.attrs };
  delete attrs['tt.loop_unroll_factor'];

  const mainBlock = new Block(body.args.map((a) => a.type), body.args.map((a) => a.nameHint));
  let carried: Value[] = mainBlock.args.slice(1);
  for (let k = 0; k < factor; k++) {
    let iv = mainBlock.args[0]!;
    if (k > 0) {
      const kStep = new Operation('arith.muli', [step!, constantIn(mainBlock, loop, k, t)], [t], {}, [], loop.loc);
      mainBlock.append(kStep);
      const add = new Operation('arith.addi', [mainBlock.args[0]!, kStep.result], [t], {}, [], loop.loc);
      mainBlock.append(add);
      iv = add.result;
    }
    carried = cloneBody(body, iv, carried, (op) => mainBlock.append(op));
  }
  mainBlock.append(new Operation('scf.yield', carried, [], {}, [], loop.loc));
  const main = new Operation('scf.for', [lb!, mainUb, bigStep, ...inits], loop.results.map((r) => r.type), attrs, [new Region([mainBlock])], loop.loc);
  loop.parent!.insertBefore(loop, main);
  // The remainder loop is the original loop, started where the main loop stopped.
  loop.operands = [mainUb, ub!, step!, ...main.results];
  delete loop.attrs['tt.loop_unroll_factor'];
}

function constantIn(block: Block, at: Operation, v: number, t: IntType): Value {
  const op = new Operation('arith.constant', [], [t], { value: constantAttr(v, t) }, [], at.loc);
  block.append(op);
  return op.result;
}

export function unroll(module: Operation): Operation {
  const loops: Operation[] = [];
  module.walk((op) => {
    if (op.name === 'scf.for' && (op.attrs['tt.static_range'] || (op.attrs['tt.loop_unroll_factor'] as number) > 1)) loops.push(op);
  });
  // Innermost first, so that an outer loop's copies contain already unrolled inner loops.
  for (const loop of loops.reverse()) {
    if (loop.attrs['tt.static_range']) fullUnroll(loop, module);
    else partialUnroll(loop, loop.attrs['tt.loop_unroll_factor'] as number);
  }
  return module;
}

export const unrollPass: Pass = { name: 'unroll', run: unroll };
