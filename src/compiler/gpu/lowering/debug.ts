// Lowering of tt.print (printf per owned element) and tt.assert.
import { type Operation, formatLocation, outermostLocation, type Location, type Value } from '../../ir/core.ts';
import { FloatType, IntType, i32, type ScalarType } from '../../ir/types.ts';
import type { Lowering, Lowered } from './lowering.ts';

export function print(lw: Lowering, op: Operation): void {
  const prefix = (op.attrs['prefix'] as string) ?? '';
  const hex = op.attrs['hex'] === true;
  const signed = (op.attrs['isSigned'] as number[]) ?? [];
  const pid = [0, 1, 2].map((axis) => lw.op1('gpu.block_id', [], i32, { axis }));
  // printf's arguments: narrow unsigned integers zero-extended (registers hold them sign-extended).
  const operand = (v: Value, i: number): Value => {
    const t = v.type as ScalarType;
    return t instanceof IntType && (t.width === 8 || t.width === 16) && !signed[i] ? lw.op1('arith.extui', [v], i32) : v;
  };
  const spec = (v: Value, i: number): string => {
    const t = v.type as ScalarType;
    if (t instanceof FloatType) return '%f';
    if (hex) return t instanceof IntType && t.width === 64 ? '0x%llx' : '0x%x';
    const unsigned = !signed[i];
    return t instanceof IntType && t.width === 64 ? (unsigned ? '%llu' : '%lld') : unsigned ? '%u' : '%d';
  };
  const emit = (idx: Value[], vals: { v: Value; i: number }[], pred: Value | undefined): void => {
    const fmt = `pid (%d, %d, %d)${idx.length ? ` idx (${idx.map(() => '%d').join(', ')})` : ''} ${prefix}${vals.map(({ v, i }) => spec(v, i)).join(', ')}\n`;
    lw.guarded(pred, () => lw.b.create('gpu.printf', [...pid, ...idx, ...vals.map(({ v, i }) => operand(v, i))], [], { format: fmt }));
  };
  const args = op.operands.map((v) => lw.get(v));
  // As the interpreter: arguments of one shape print element by element together; else one after another.
  const group = (items: { a: Lowered; i: number }[]): void => {
    const first = items[0]?.a;
    if (first?.kind !== 'tile') return emit([], items.map(({ a, i }) => ({ v: (a as { v: Value }).v, i })), lw.firstThread());
    const map = first.map;
    for (let r = 0; r < map.numRegs; r++) {
      const idx = map.shape.map((_, d) => lw.coord(map, r, d));
      emit(idx, items.map(({ a, i }) => ({ v: (a as { regs: readonly Value[] }).regs[r]!, i })), lw.owner(map, r));
    }
  };
  const items = args.map((a, i) => ({ a, i }));
  const shapeOfArg = (a: Lowered): string => (a.kind === 'tile' ? a.map.shape.join('x') : '');
  if (new Set(args.map(shapeOfArg)).size <= 1) group(items);
  else for (const item of items) group([item]);
}

export function assert(lw: Lowering, op: Operation): void {
  const c = lw.get(op.operands[0]!);
  const loc: Location = outermostLocation(op.loc);
  const attrs = { message: op.attrs['message']!, file: formatLocation(op.loc).split(':')[0]!, line: loc.line, function: lw.src.attrs['sym_name']! };
  if (c.kind === 'scalar') return void lw.b.create('gpu.assert', [c.v], [], attrs);
  const t = c as { regs: readonly Value[] };
  for (const v of t.regs) lw.b.create('gpu.assert', [v], [], attrs);
}
