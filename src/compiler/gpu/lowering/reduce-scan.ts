// Lowering of reductions and scans: within a thread, across lanes with shuffles, across warps through shared memory.
import type { Operation, Value } from '../../ir/core.ts';
import { TensorType, i1, i32 } from '../../ir/types.ts';
import { elementBytes, reductionBuffers } from '../shared-memory.ts';
import { LinearTileMap, TileMap } from '../tile-map.ts';
import { LANE, WARP } from '../linear-layout.ts';
import { keptDims, type Layout } from '../../ir/layouts.ts';
import { hasTrait } from '../../ir/ops.ts';
import type { Lowering } from './lowering.ts';
import { shuffle } from './shuffle.ts';

const log2 = (n: number): number => Math.round(Math.log2(n));

/**
 * Whether a reduction's combine commutes: one commutative op of the two block arguments (sum, max, min, and, or,
 * xor...). Others (tuple combines such as argmax's, where(), user functions) are reduced in element order.
 */
export function commutativeCombine(op: Operation): boolean {
  const body = op.regions[0]!.entry;
  if (body.args.length !== 2 || body.ops.length !== 2) return false;
  const [combineOp, ret] = body.ops as [Operation, Operation];
  return hasTrait(combineOp, 'commutative') && combineOp.operands.length === 2 && combineOp.operands.every((v) => body.args.includes(v)) && ret.operands[0] === combineOp.result;
}

/** How many repetitions of its layout a reduction reduces separately (1: all of a thread's elements at once). */
export function reductionReps(op: Operation): number {
  if (commutativeCombine(op)) return 1;
  const input = op.operands[0]!.type as TensorType;
  const map = new TileMap(input.encoding!, input.shape);
  return map.reps[keptDims(input.encoding!)[op.attrs['axis'] as number]!]!;
}

/**
 * Which lane and warp bits of a tensor-core (or other linearly mapped) layout step along a reduction's axis.
 * Each lane and warp basis must point along one dimension only, as every layout kt makes does; then the lanes
 * that differ in the axis bits hold the same line's elements and nothing else.
 */
export function linearReductionBits(layout: Layout, shape: readonly number[], axis: number): { laneBits: number[]; warpBits: number[] } {
  const map = new LinearTileMap(layout, shape);
  const along = (dim: typeof LANE | typeof WARP): number[] =>
    map.bases(dim).flatMap((b, bit) => {
      if (b[axis] === 0) return [];
      if (b.some((x, i) => i !== axis && x !== 0)) throw new Error(`lowering: a reduction along dimension ${axis} of a tile in ${layout.text}, whose ${dim} bit ${bit} steps along two dimensions, is not supported`);
      return [bit];
    });
  return { laneBits: along(LANE), warpBits: along(WARP) };
}

export function reduce(lw: Lowering, op: Operation): void {
  const inputs = op.operands.map((v) => lw.tile(v));
  if (inputs[0]!.map instanceof LinearTileMap) return reduceLinear(lw, op, inputs[0]!.map);
  const map = lw.blockedMap(inputs[0]!.map, op.name);
  const axis = op.attrs['axis'] as number;
  const d = map.dims[axis]!;
  const region = op.regions[0]!.entry;
  const els = op.operands.map((v) => (v.type as TensorType).element);
  // Results: one per combination of the other root dimensions' local indices. A combine that may not commute
  // must see the elements in order: a thread's elements along the axis are contiguous only within one repetition
  // of the layout, so each repetition is reduced on its own (thread, lanes, warps) and the repetitions last, in
  // order. A commutative combine reduces all of a thread's elements first (fewer shuffles).
  const reps = reductionReps(op);
  const perRep = map.perRep[d]!;
  const outKeys = new Map<string, number[]>();
  const partKeys = new Map<string, number[]>();
  for (let r = 0; r < map.numRegs; r++) {
    const local = map.local(r);
    const rep = reps > 1 ? Math.floor(local[d]! / perRep) : 0;
    local[d] = 0;
    const key = local.join(',');
    outKeys.set(key, [...(outKeys.get(key) ?? []), r]);
    const part = `${key}|${rep}`;
    partKeys.set(part, [...(partKeys.get(part) ?? []), r]);
  }
  // 1. Within each thread, along the axis in register order (within a repetition, for an ordered reduction).
  const partial = new Map<string, Value[]>();
  for (const [part, regs] of partKeys) {
    let acc = inputs.map((t) => t.regs[regs[0]!]!);
    for (const r of regs.slice(1)) acc = lw.combine(region, [...acc, ...inputs.map((t) => t.regs[r]!)]);
    partial.set(part, acc);
  }
  // 2. Across the lanes that hold distinct elements along the axis: butterfly shuffles. Both lanes of a pair
  // combine (lower lane's group, higher lane's group), so that they agree and the combine sees the elements in
  // order even when it does not commute.
  const uniqueLanes = map.uniqueLanes(d);
  for (const [key, acc] of partial) {
    let cur = acc;
    for (let bit = 0; bit < log2(uniqueLanes); bit++) {
      const mask = 1 << (map.laneShift[d]! + bit);
      const other = cur.map((v) => shuffle(lw, v, 'bfly', lw.c32(mask)));
      const higher = lw.op1('arith.cmpi', [lw.and(lw.lane, mask), lw.c32(0)], i1, { predicate: 'ne' });
      const pick = (a: Value, b: Value): Value => lw.op1('arith.select', [higher, a, b], a.type);
      cur = lw.combine(region, [...cur.map((v, k) => pick(other[k]!, v)), ...cur.map((v, k) => pick(v, other[k]!))]);
    }
    partial.set(key, cur);
  }
  // 3. Across warps: each warp's result through shared memory.
  const uniqueWarps = map.uniqueWarps(d);
  const outType = op.results[0]!.type;
  const outMap = outType instanceof TensorType ? lw.mapOf(outType) : undefined;
  if (uniqueWarps > 1) {
    const lines = (outMap ? outMap.shape.reduce((a, b) => a * b, 1) : 1) * reps;
    const { bases } = reductionBuffers(op.attrs['allocation.offset'] as number, els, lines * uniqueWarps);
    const warpIdx = lw.warpIndex(map, d);
    const laneIdx = lw.laneIndex(map, d);
    const first = lw.op1('arith.cmpi', [laneIdx, lw.c32(0)], i1, { predicate: 'eq' });
    const writer = map.root.warpsPerCTA[d]! > uniqueWarps ? lw.op1('arith.andi', [first, lw.op1('arith.cmpi', [warpIdx, lw.c32(uniqueWarps), ], i1, { predicate: 'slt' })], i1) : first;
    // A line of slots per result and repetition.
    const lineIndex = (part: string): Value => {
      const [key, rep] = part.split('|') as [string, string];
      if (!outMap) return lw.c32(Number(rep));
      const reg = outKeys.get(key)![0]!;
      const line = lw.linearIndex(map, reg, outMap.shape, (j) => lw.coord(map, reg, j < axis ? j : j + 1));
      return reps > 1 ? lw.add(lw.mul(line, reps), lw.c32(Number(rep))) : line;
    };
    for (const [key, acc] of partial) {
      const line = lineIndex(key);
      lw.guarded(writer, () =>
        acc.forEach((v, k) => lw.sharedStore(lw.smemAddress(bases[k]!, lw.add(lw.mul(line, uniqueWarps), warpIdx), elementBytes(els[k]!)), [v], els[k]!)),
      );
    }
    lw.b.create('gpu.barrier', [], []);
    for (const [key] of partial) {
      const line = lineIndex(key);
      let acc: Value[] | undefined;
      for (let w = 0; w < uniqueWarps; w++) {
        const vals = els.map((e, k) => lw.sharedLoad(lw.smemAddress(bases[k]!, lw.add(lw.mul(line, uniqueWarps), lw.c32(w)), elementBytes(e)), [e])[0]!);
        acc = acc ? lw.combine(region, [...acc, ...vals]) : vals;
      }
      partial.set(key, acc!);
    }
  }
  // The repetitions, in order.
  const combined = new Map<string, Value[]>();
  for (const key of outKeys.keys()) {
    let acc: Value[] | undefined;
    for (let rep = 0; rep < Math.max(1, reps); rep++) {
      const part = partial.get(`${key}|${rep}`);
      if (part) acc = acc ? lw.combine(region, [...acc, ...part]) : part;
    }
    combined.set(key, acc!);
  }
  if (!outMap) {
    const acc = [...combined.values()][0]!;
    op.results.forEach((r, k) => lw.values.set(r, { kind: 'scalar', v: acc[k]! }));
    return;
  }
  // The result layout is the input's sliced along the axis: its registers follow the other local indices.
  const outBlocked = lw.blockedMap(outMap, 'a reduction');
  op.results.forEach((res, k) => {
    const regs = Array.from({ length: outBlocked.numRegs }, (_, r) => {
      const local = outBlocked.local(r);
      local[d] = 0;
      return combined.get(local.join(','))![k]!;
    });
    lw.setTile(res, outBlocked, regs);
  });
}

/**
 * A reduction of a tile in a linearly mapped layout (a tensor-core dot's accumulator: the row max and row sum
 * of attention), without converting it first: registers holding one line combine within the thread, then the
 * lanes along the axis with butterfly shuffles, then the warps along it through shared memory. The result is in
 * the slice of the input's layout, whose registers are the input's lines. Only for combines that commute: the
 * bits of the axis coordinate interleave register, lane and warp bits, so element order is not kept
 * (remove-layout-conversions leaves other combines in blocked layouts).
 */
function reduceLinear(lw: Lowering, op: Operation, map: LinearTileMap): void {
  if (!commutativeCombine(op)) throw new Error(`lowering: a reduction whose combine may not commute needs a blocked layout, not ${map.layout.text}`);
  const inputs = op.operands.map((v) => lw.tile(v));
  const axis = op.attrs['axis'] as number;
  const region = op.regions[0]!.entry;
  const els = op.operands.map((v) => (v.type as TensorType).element);
  const { laneBits, warpBits } = linearReductionBits(map.layout, map.shape, axis);
  const lineKey = (c: readonly number[]): string => c.filter((_, i) => i !== axis).join(',');
  // 1. Within each thread: the registers of one line.
  const lines = new Map<string, number[]>();
  for (let r = 0; r < map.numRegs; r++) {
    const key = lineKey(map.coordinates(r, 0, 0));
    lines.set(key, [...(lines.get(key) ?? []), r]);
  }
  const partial = new Map<string, Value[]>();
  for (const [key, regs] of lines) {
    let acc = inputs.map((t) => t.regs[regs[0]!]!);
    for (const r of regs.slice(1)) acc = lw.combine(region, [...acc, ...inputs.map((t) => t.regs[r]!)]);
    // 2. Across the lanes along the axis.
    for (const bit of laneBits) acc = lw.combine(region, [...acc, ...acc.map((v) => shuffle(lw, v, 'bfly', lw.c32(1 << bit)))]);
    partial.set(key, acc);
  }
  // 3. Across the warps along the axis: a slot per line and warp, written by one lane of each.
  const outType = op.results[0]!.type;
  const outMap = outType instanceof TensorType ? lw.mapOf(outType) : undefined;
  if (warpBits.length) {
    const warps = 2 ** warpBits.length;
    const numLines = outType instanceof TensorType ? outType.numel : 1;
    const { bases } = reductionBuffers(op.attrs['allocation.offset'] as number, els, numLines * warps);
    const slotOfWarp = lw.gf2Sum(warpBits.map((bit, j) => ({ source: lw.warp, bit, value: 1 << j })));
    const laneMask = laneBits.reduce((m, b) => m | (1 << b), map.freeLaneMask);
    const none = (x: Value, mask: number): Value => lw.op1('arith.cmpi', [lw.and(x, mask), lw.c32(0)], i1, { predicate: 'eq' });
    const writer = lw.andPred(laneMask ? none(lw.lane, laneMask) : undefined, map.freeWarpMask ? none(lw.warp, map.freeWarpMask) : undefined);
    const outShape = map.shape.filter((_, i) => i !== axis);
    const lineIndex = (key: string): Value => {
      const reg = lines.get(key)![0]!;
      return lw.linearIndex(map, reg, outShape, (j) => lw.coord(map, reg, j < axis ? j : j + 1));
    };
    const slot = (key: string, k: number, w: Value): Value => lw.smemAddress(bases[k]!, lw.add(lw.mul(lineIndex(key), warps), w), elementBytes(els[k]!));
    for (const [key, acc] of partial) lw.guarded(writer, () => acc.forEach((v, k) => lw.sharedStore(slot(key, k, slotOfWarp), [v], els[k]!)));
    lw.b.create('gpu.barrier', [], []);
    for (const key of partial.keys()) {
      let acc: Value[] | undefined;
      for (let w = 0; w < warps; w++) {
        const vals = els.map((e, k) => lw.sharedLoad(slot(key, k, lw.c32(w)), [e])[0]!);
        acc = acc ? lw.combine(region, [...acc, ...vals]) : vals;
      }
      partial.set(key, acc!);
    }
  }
  if (!outMap) {
    const acc = [...partial.values()][0]!;
    op.results.forEach((r, k) => lw.values.set(r, { kind: 'scalar', v: acc[k]! }));
    return;
  }
  // The slice's registers are the input's lines.
  const regs = Array.from({ length: outMap.numRegs }, (_, r) => {
    const key = outMap.coordinates(r, 0, 0).join(',');
    const acc = partial.get(key);
    if (!acc) throw new Error(`lowering: no line of ${map.layout.text} gives register ${r} of the reduction's result`);
    return acc;
  });
  op.results.forEach((res, k) => lw.setTile(res, outMap, regs.map((acc) => acc[k]!)));
}

/**
 * Inclusive scan along an axis. The axis is covered chunk by chunk (repetitions of the program-wide tile, in
 * order); within a chunk: each thread scans its own elements, lanes scan their totals with shuffles, warps
 * combine the totals of the warps before them through shared memory, and the chunk starts from the carry of
 * the chunks before it.
 */
export function scan(lw: Lowering, op: Operation): void {
  const inputs = op.operands.map((v) => lw.tile(v));
  const map = lw.blockedMap(inputs[0]!.map, op.name);
  const axis = op.attrs['axis'] as number;
  const reverse = op.attrs['reverse'] === true;
  const d = map.dims[axis]!;
  const region = op.regions[0]!.entry;
  const els = op.operands.map((v) => (v.type as TensorType).element);
  const n = inputs.length;
  const out: Value[][] = inputs.map(() => Array(map.numRegs));
  // A reverse scan is the forward scan of the flipped axis (as in Triton): every combine below takes what comes
  // first in scan order (for a reverse scan, the higher index) as its first operand, in both directions.
  const combine = (a: Value[], b: Value[]): Value[] => lw.combine(region, [...a, ...b]);
  // Lines: one per combination of the other root dimensions' local indices.
  const lines = new Map<string, number[]>();
  for (let r = 0; r < map.numRegs; r++) {
    const local = map.local(r);
    local[d] = 0;
    const key = local.join(',');
    lines.set(key, [...(lines.get(key) ?? []), r]);
  }
  const uniqueLanes = map.uniqueLanes(d);
  const uniqueWarps = map.uniqueWarps(d);
  const laneIdx = lw.laneIndex(map, d);
  const warpIdx = lw.warpIndex(map, d);
  const perRep = map.perRep[d]!;
  const reps = map.reps[d]!;
  const offset = op.attrs['allocation.offset'] as number;
  // Each line's slots in shared memory are at its row-major index among all lines of the tile (threads
  // holding copies of a line write the same totals to the same slots).
  const lineShape = map.shape.filter((_, i) => i !== axis);
  for (const [, regs] of lines) {
    const line = uniqueWarps > 1 ? lw.linearIndex(map, regs[0]!, lineShape, (j) => lw.coord(map, regs[0]!, j < axis ? j : j + 1)) : undefined;
    let carry: Value[] | undefined;
    const repOrder = Array.from({ length: reps }, (_, k) => (reverse ? reps - 1 - k : k));
    for (const rep of repOrder) {
      const chunk = regs.slice(rep * perRep, (rep + 1) * perRep);
      const order = reverse ? [...chunk].reverse() : chunk;
      // a. Within the thread.
      let run: Value[] = inputs.map((t) => t.regs[order[0]!]!);
      const local: Value[][] = [run];
      for (const r of order.slice(1)) {
        run = combine(run, inputs.map((t) => t.regs[r]!));
        local.push(run);
      }
      // b. Across lanes: an inclusive scan of the thread totals (Kogge-Stone), then the total of lanes before.
      let total = run;
      const mode = reverse ? 'down' : 'up';
      const uniqueIdx = lw.and(laneIdx, uniqueLanes - 1);
      for (let k = 1; k < uniqueLanes; k *= 2) {
        const arg = lw.c32(k << map.laneShift[d]!);
        const other = total.map((v) => shuffle(lw, v, mode, arg));
        const has = reverse ? lw.op1('arith.cmpi', [uniqueIdx, lw.c32(uniqueLanes - k)], i1, { predicate: 'slt' }) : lw.op1('arith.cmpi', [uniqueIdx, lw.c32(k)], i1, { predicate: 'sge' });
        const merged = combine(other, total);
        total = total.map((v, i) => lw.op1('arith.select', [has, merged[i]!, v], v.type));
      }
      let before: Value[] | undefined;
      let hasBefore: Value | undefined;
      if (uniqueLanes > 1) {
        const arg = lw.c32(1 << map.laneShift[d]!);
        before = total.map((v) => shuffle(lw, v, mode, arg));
        hasBefore = reverse ? lw.op1('arith.cmpi', [uniqueIdx, lw.c32(uniqueLanes - 1)], i1, { predicate: 'slt' }) : lw.op1('arith.cmpi', [uniqueIdx, lw.c32(0)], i1, { predicate: 'sgt' });
      }
      // The warp total: what the last lane (along the axis) holds.
      const lastLane = lw.c32((reverse ? 0 : uniqueLanes - 1) << map.laneShift[d]!);
      const laneBase = lw.op1('arith.andi', [lw.lane, lw.c32(~(((map.root.threadsPerWarp[d]! - 1) << map.laneShift[d]!) >>> 0) | 0)], i32);
      const warpTotal = total.map((v) => shuffle(lw, v, 'idx', lw.op1('arith.ori', [laneBase, lastLane], i32)));
      // c. Across warps, through shared memory.
      let warpBefore: Value[] | undefined;
      let hasWarpBefore: Value | undefined;
      let chunkTotal = warpTotal;
      if (uniqueWarps > 1) {
        const slot = (w: Value, k: number): Value => lw.smemAddress(offset, lw.add(lw.mul(line!, uniqueWarps * n), lw.add(lw.mul(w, n), lw.c32(k))), 8);
        const writer = lw.op1('arith.cmpi', [lw.and(laneIdx, uniqueLanes - 1), lw.c32(0)], i1, { predicate: 'eq' });
        // Warps past the unique ones hold copies: they write the same totals to the same slots.
        const uniqueWarp = lw.and(warpIdx, uniqueWarps - 1);
        lw.b.create('gpu.barrier', [], []);
        lw.guarded(writer, () => warpTotal.forEach((v, k) => lw.sharedStore(slot(uniqueWarp, k), [v], els[k]!)));
        lw.b.create('gpu.barrier', [], []);
        const totals = Array.from({ length: uniqueWarps }, (_, w) => els.map((e, k) => lw.sharedLoad(slot(lw.c32(w), k), [e])[0]!));
        const ws = reverse ? [...totals.keys()].reverse() : [...totals.keys()];
        for (const w of ws) {
          const cond = reverse ? lw.op1('arith.cmpi', [uniqueWarp, lw.c32(w)], i1, { predicate: 'slt' }) : lw.op1('arith.cmpi', [uniqueWarp, lw.c32(w)], i1, { predicate: 'sgt' });
          if (!warpBefore) {
            warpBefore = totals[w]!;
            hasWarpBefore = cond;
          } else {
            const merged = combine(warpBefore, totals[w]!);
            warpBefore = warpBefore.map((v, i) => lw.op1('arith.select', [cond, merged[i]!, v], v.type));
            hasWarpBefore = lw.op1('arith.ori', [hasWarpBefore!, cond], i1);
          }
        }
        chunkTotal = ws.slice(1).reduce((acc, w) => combine(acc, totals[w]!), totals[ws[0]!]!);
      }
      // Everything before this thread's elements, in this chunk and the chunks before.
      const prefixParts: { vals: Value[]; cond?: Value }[] = [];
      if (carry) prefixParts.push({ vals: carry });
      if (warpBefore) prefixParts.push({ vals: warpBefore, cond: hasWarpBefore });
      if (before) prefixParts.push({ vals: before, cond: hasBefore });
      order.forEach((r, i) => {
        let v = local[i]!;
        for (const part of [...prefixParts].reverse()) {
          const merged = combine(part.vals, v);
          v = part.cond ? v.map((x, k) => lw.op1('arith.select', [part.cond!, merged[k]!, x], x.type)) : merged;
        }
        v.forEach((x, k) => (out[k]![r] = x));
      });
      carry = carry ? combine(carry, chunkTotal) : chunkTotal;
    }
  }
  op.results.forEach((res, k) => lw.setTile(res, map, out[k]!));
}
