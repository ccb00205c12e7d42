// Lowering of constants, index ranges, splats, broadcasts and elementwise ops: one scalar op per register.
import { DenseAttr, type FloatAttr, IntegerAttr } from '../../ir/attributes.ts';
import type { Operation, Value } from '../../ir/core.ts';
import { FloatType, TensorType, f64, i32, type Type } from '../../ir/types.ts';
import { expandF64Math, f64MathOps } from '../f64-math.ts';
import { truncToFp8TowardZero } from '../fp8-rtz.ts';
import { LinearTileMap, TileMap } from '../tile-map.ts';
import type { Lowering, LoweredTile } from './lowering.ts';

export function constantOp(lw: Lowering, op: Operation): void {
  const a = op.attrs['value'];
  if (a instanceof DenseAttr) {
    const map = lw.mapOf(op.result.type);
    const s = a.splat;
    const c = lw.constant(s instanceof IntegerAttr ? (s.type.width === 64 ? s.value : Number(s.value)) : (s as FloatAttr).value, s.type);
    return lw.setTile(op.result, map, Array(map.numRegs).fill(c));
  }
  const s = a as IntegerAttr | FloatAttr;
  lw.values.set(op.result, { kind: 'scalar', v: lw.constant(s instanceof IntegerAttr ? (s.type.width === 64 ? s.value : Number(s.value)) : s.value, s.type) });
}

export function elementwise(lw: Lowering, op: Operation): void {
  const rt = op.result.type;
  if (!(rt instanceof TensorType)) {
    const v = scalarOp(lw, op, op.operands.map((x) => lw.scalar(x)), rt);
    return void lw.values.set(op.result, { kind: 'scalar', v });
  }
  const map = lw.mapOf(rt);
  const args = op.operands.map((x) => lw.get(x));
  const regs = Array.from({ length: map.numRegs }, (_, r) =>
    scalarOp(lw, 
      op,
      args.map((a) => (a.kind === 'scalar' ? a.v : (a as { regs: readonly Value[] }).regs[r]!)),
      rt.element,
    ),
  );
  lw.setTile(op.result, map, regs);
}

/** One element of an elementwise op (f64 transcendentals, which PTX lacks, expanded into arithmetic). */
export function scalarOp(lw: Lowering, op: Operation, args: Value[], t: Type): Value {
  if (t === f64 && f64MathOps.has(op.name)) return expandF64Math(lw.b, (v, ty) => lw.constant(v, ty), op.name, args[0]!);
  // PTX converts to fp8 only to nearest: toward zero is written out.
  if (op.name === 'arith.truncf' && op.attrs['rounding'] === 'rtz' && t instanceof FloatType && t.width === 8) return truncToFp8TowardZero(lw, args[0]!, t);
  return lw.op1(op.name, args, t, { ...op.attrs });
}
export function programIndex(lw: Lowering, op: Operation): void {
  const name = op.name === 'tt.get_program_id' ? 'gpu.block_id' : 'gpu.grid_dim';
  lw.values.set(op.result, { kind: 'scalar', v: lw.op1(name, [], i32, { axis: op.attrs['axis']! }) });
}

export function makeRange(lw: Lowering, op: Operation): void {
  const map = lw.mapOf(op.result.type);
  const start = op.attrs['start'] as number;
  lw.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => (start ? lw.add(lw.coord(map, r, 0), lw.c32(start)) : lw.coord(map, r, 0))));
}

export function splat(lw: Lowering, op: Operation): void {
  const map = lw.mapOf(op.result.type);
  const s = lw.scalar(op.operands[0]!);
  lw.setTile(op.result, map, Array(map.numRegs).fill(s));
}

/** broadcast and expand_dims: each register takes the source register holding its element. */
export function broadcast(lw: Lowering, op: Operation): void {
  const src = lw.get(op.operands[0]!);
  const map = lw.mapOf(op.result.type);
  if (src.kind === 'scalar') return lw.setTile(op.result, map, Array(map.numRegs).fill(src.v));
  const s = src as LoweredTile;
  if (map instanceof TileMap && s.map instanceof TileMap) return lw.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => s.regs[map.sourceRegister(s.map as TileMap, r)]!));
  if (!(map instanceof LinearTileMap && s.map instanceof LinearTileMap)) throw new Error(`lowering: ${op.name} from ${s.map.layout.text} to ${map.layout.text}`);
  const srcShape = s.map.shape;
  const axis = op.attrs['axis'] as number;
  const project = op.name === 'tt.expand_dims' ? (c: readonly number[]) => c.filter((_, i) => i !== axis) : (c: readonly number[]) => c.map((x, i) => (srcShape[i] === 1 ? 0 : x));
  const from = s.map;
  lw.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => s.regs[map.sourceRegister(from, r, project)]!));
}
