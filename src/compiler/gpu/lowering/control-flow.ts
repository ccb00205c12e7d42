// Lowering of structured control flow: tiles flatten to their registers as loop-carried values and results.
import { Block, type Operation, Region, type Value } from '../../ir/core.ts';
import { TensorType, type Type } from '../../ir/types.ts';
import type { Lowering } from './lowering.ts';

/** Flattens lowered values to scalars (a tile to its registers), for structured control flow. */
export function flatten(lw: Lowering, vs: readonly Value[]): Value[] {
  return vs.flatMap((v) => {
    const l = lw.get(v);
    return l.kind === 'scalar' ? [l.v] : l.kind === 'tile' ? [...l.regs] : [];
  });
}

/** Binds source values to consecutive scalars (the inverse of flatten). */
export function bind(lw: Lowering, targets: readonly Value[], scalars: readonly Value[]): void {
  let k = 0;
  for (const t of targets) {
    if (t.type instanceof TensorType) {
      const map = lw.mapOf(t.type);
      lw.setTile(t, map, scalars.slice(k, k + map.numRegs) as Value[]);
      k += map.numRegs;
    } else lw.values.set(t, { kind: 'scalar', v: scalars[k++]! });
  }
}

export function scalarTypes(lw: Lowering, vs: readonly Value[]): Type[] {
  return vs.flatMap((v) => (v.type instanceof TensorType ? Array(lw.mapOf(v.type).numRegs).fill(v.type.element) : [v.type]));
}

export function region(lw: Lowering, src: Block, argTypes: readonly Type[], bindArgs: (args: readonly Value[]) => void): Block {
  const b = new Block(argTypes);
  lw.b.inBlock(b, () => {
    bindArgs(b.args);
    for (const op of src.ops.slice(0, -1)) {
      lw.b.loc = op.loc;
      lw.op(op);
    }
    const term = src.terminator!;
    lw.b.loc = term.loc;
    lw.b.create(term.name, flatten(lw, term.operands), [], { ...term.attrs });
  });
  return b;
}

export function forLoop(lw: Lowering, op: Operation): void {
  const [lb, ub, step] = op.operands.slice(0, 3).map((v) => lw.scalar(v));
  const inits = flatten(lw, op.operands.slice(3));
  const src = op.regions[0]!.entry;
  const types = scalarTypes(lw, op.results);
  const body = region(lw, src, [src.args[0]!.type, ...types], (args) => {
    lw.values.set(src.args[0]!, { kind: 'scalar', v: args[0]! });
    bind(lw, src.args.slice(1), args.slice(1));
  });
  const loop = lw.b.create('scf.for', [lb!, ub!, step!, ...inits], types, {}, [new Region([body])]);
  bind(lw, op.results, loop.results);
}

export function ifOp(lw: Lowering, op: Operation): void {
  const types = scalarTypes(lw, op.results);
  const [thenB, elseB] = op.regions.map((r) => region(lw, r.entry, [], () => undefined));
  const res = lw.b.create('scf.if', [lw.scalar(op.operands[0]!)], types, {}, [new Region([thenB!]), new Region([elseB!])]);
  bind(lw, op.results, res.results);
}

export function whileLoop(lw: Lowering, op: Operation): void {
  const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
  const inits = flatten(lw, op.operands);
  const beforeTypes = scalarTypes(lw, before.args);
  const afterTypes = scalarTypes(lw, after.args);
  const b = region(lw, before, beforeTypes, (args) => bind(lw, before.args, args));
  const a = region(lw, after, afterTypes, (args) => bind(lw, after.args, args));
  const res = lw.b.create('scf.while', inits, scalarTypes(lw, op.results), {}, [new Region([b]), new Region([a])]);
  bind(lw, op.results, res.results);
}

export function returnOp(lw: Lowering): void {
  lw.b.create('tt.return', [], []);
}
