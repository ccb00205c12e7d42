// Removes layout conversions that need not happen, by local rewrites repeated to a fixed point:
//   - a conversion to the layout the value already has, or of a conversion, folds away;
//   - cheap producers (constants, splats, ranges, and elementwise ops, broadcasts and expandDims of those)
//     are recomputed in the wanted layout instead of converted (rematerialisation); a conversion of a much
//     smaller tile on the way (a row of bias broadcast over a tile) is re-aimed at the layout wanted there;
//   - an elementwise op (or broadcast, or reduction) whose operands all come converted from one layout is
//     done in that layout (a reduction in a tensor-core layout only when its combine commutes), moving the
//     conversion after it, where it often meets another and cancels out;
//   - a tile copied into shared memory needs no conversion first;
//   - a tile a loop carries takes the layout of what the loop accumulates into it.
import { convertLayout } from '../ir/builder.ts';
import { Operation, type Block, type Value } from '../ir/core.ts';
import { isBlockedRooted, sliceLayout, type Layout } from '../ir/layouts.ts';
import { commutativeCombine, linearReductionBits } from '../gpu/lowering/reduce-scan.ts';
import { hasTrait } from '../ir/ops.ts';
import { TensorType, withEncoding } from '../ir/types.ts';
import { dce } from './dce.ts';
import type { Pass } from './pass-manager.ts';

/** Ops recomputed instead of converted, when everything they depend on is too. */
const MAX_REMATERIALIZED = 24;

const layoutOf = (v: Value): Layout | undefined => (v.type instanceof TensorType ? v.type.encoding : undefined);

function isConvert(v: Value): v is Value & { definingOp: Operation } {
  return v.definingOp?.name === 'ttg.convert_layout';
}

/**
 * A conversion that a recomputation may re-aim at another layout instead of recomputing what it converts: its
 * source is at most this fraction of the tile being recomputed (a row of bias, broadcast over the rows of a dot's
 * accumulator), so converting the source is cheaper than converting the result.
 */
const RETARGET_FRACTION = 1 / 4;

const numel = (v: Value): number => (v.type instanceof TensorType ? v.type.numel : 1);

/**
 * How many ops recomputing `v` takes, or Infinity if it cannot be recomputed (it reads memory, ...). `root` is
 * the tile whose recomputation asks: a conversion of a much smaller tile on the way counts as one op (it is
 * re-aimed, see RETARGET_FRACTION).
 */
function rematerializationCost(v: Value, budget = MAX_REMATERIALIZED, root = numel(v)): number {
  const op = v.definingOp;
  if (!(v.type instanceof TensorType)) return 0;
  // A tile that is a block argument (carried by a loop) exists only as it is.
  if (!op) return Infinity;
  if (op.name === 'arith.constant' || op.name === 'tt.splat' || op.name === 'tt.make_range') return 1;
  if (op.name === 'ttg.convert_layout') {
    const cost = rematerializationCost(op.operands[0]!, budget, root);
    return cost === Infinity && retargetable(op, root) ? 1 : cost;
  }
  const transparent = (hasTrait(op, 'elementwise') && hasTrait(op, 'pure')) || op.name === 'tt.broadcast' || op.name === 'tt.expand_dims';
  if (!transparent || op.results.length !== 1) return Infinity;
  let cost = 1;
  for (const x of op.operands) {
    cost += rematerializationCost(x, budget - cost, root);
    if (cost > budget) return Infinity;
  }
  return cost;
}

const retargetable = (convert: Operation, root: number): boolean => numel(convert.operands[0]!) <= root * RETARGET_FRACTION;

/**
 * Whether a reduction can run in `layout`: any blocked one; a tensor-core layout only for a combine that
 * commutes (element order is not kept there) along an axis its lanes and warps step along one at a time.
 */
function reducibleIn(op: Operation, layout: Layout): boolean {
  if (isBlockedRooted(layout)) return true;
  if (!commutativeCombine(op)) return false;
  const input = op.operands[0]!.type as TensorType;
  try {
    linearReductionBits(layout, input.shape, op.attrs['axis'] as number);
    return true;
  } catch {
    return false;
  }
}

/**
 * The one layout a loop-carried tile is read in within the body, when every read converts it to that layout
 * and its only other use computes its next value (pointers a load reads, advanced each iteration): carrying
 * it in that layout takes the conversion out of the loop.
 */
function readLayout(body: Block, arg: Value, next: Operation, from: Layout): Layout | undefined {
  const users: Operation[] = [];
  body.parent!.parent!.walk((op) => {
    if (op.operands.includes(arg)) users.push(op);
  });
  const reads = users.filter((op) => op !== next);
  if (!reads.length || !reads.every((op) => op.name === 'ttg.convert_layout')) return undefined;
  const wanted = new Set(reads.map((op) => layoutOf(op.result)));
  const [to] = wanted;
  return wanted.size === 1 && to !== from ? to : undefined;
}

class Rewriter {
  changed = false;
  private readonly remats = new Map<string, Value>();

  /** `v` recomputed in layout `l`, with new ops inserted before `at`. */
  private remat(v: Value, l: Layout, at: Operation): Value {
    if (!(v.type instanceof TensorType) || v.type.encoding === l) return v;
    const key = `${v.id}|${l.text}`;
    const known = this.remats.get(key);
    // Reuse an earlier recomputation only where it is visible: earlier in the same block.
    const def = known?.definingOp;
    if (known && (!def || (def.parent === at.parent && def.parent!.ops.indexOf(def) < at.parent!.ops.indexOf(at)))) return known;
    const op = v.definingOp!;
    let out: Value;
    if (op.name === 'ttg.convert_layout') {
      // What it converts is recomputed in `l` where that is possible, else converted to `l` itself (re-aimed).
      const source = op.operands[0]!;
      if (rematerializationCost(source) <= MAX_REMATERIALIZED) out = this.remat(source, l, at);
      else {
        const retargeted = convertLayout(source, l, op.loc);
        at.parent!.insertBefore(at, retargeted);
        out = retargeted.result;
      }
    } else {
      const operandLayout = (x: Value): Layout | undefined => {
        if (!(x.type instanceof TensorType)) return undefined;
        return op.name === 'tt.expand_dims' ? sliceLayout(op.attrs['axis'] as number, l) : l;
      };
      const operands = op.operands.map((x) => {
        const xl = operandLayout(x);
        return xl ? this.remat(x, xl, at) : x;
      });
      const clone = new Operation(op.name, operands, [withEncoding(v.type, l)], { ...op.attrs }, [], op.loc);
      clone.result.nameHint = v.nameHint;
      at.parent!.insertBefore(at, clone);
      out = clone.result;
    }
    this.remats.set(key, out);
    return out;
  }

  private replace(op: Operation, by: readonly Value[], root: Operation): void {
    const map = new Map(op.results.map((r, i) => [r, by[i]!] as const));
    root.walk((o) => {
      if (o !== op) o.operands = o.operands.map((v) => map.get(v) ?? v);
    });
    this.changed = true;
  }

  visit(op: Operation, root: Operation): void {
    if (!op.parent) return;
    if (op.name === 'ttg.convert_layout') return this.convert(op, root);
    if (op.name === 'ttg.local_alloc' && isConvert(op.operands[0]!)) {
      op.operands[0] = op.operands[0]!.definingOp!.operands[0]!;
      this.changed = true;
      return;
    }
    // Pure inline asm may move like any elementwise op. Asm with effects stays: each thread runs it once per element
    // it holds, copies included, so another layout (a reduction's slice, replicated across threads) would run its
    // effects more times.
    const pureAsm = op.name === 'tt.elementwise_inline_asm' && op.attrs['pure'] === true;
    if ((hasTrait(op, 'elementwise') && hasTrait(op, 'pure')) || pureAsm || op.name === 'tt.broadcast' || op.name === 'tt.reduce') this.hoist(op, root);
    if (op.name === 'scf.for') this.retypeLoopCarried(op, root);
  }

  /**
   * A tile carried by a loop takes the layout of what is accumulated into it: when the yielded value is a
   * conversion from layout L (a dot's result), or an elementwise op of the carried tile and a conversion from L,
   * the tile is carried in L instead.
   * Conversions are placed at the loop's edges (init, body start, yield, result); the other rules then move
   * them out of the body, so the accumulation needs none (a reduction over loads no longer converts each
   * loaded tile through shared memory).
   */
  private retypeLoopCarried(loop: Operation, root: Operation): void {
    const body = loop.regions[0]!.entry;
    const yieldOp = body.terminator!;
    loop.results.forEach((res, i) => {
      const arg = body.args[i + 1]!;
      const from = layoutOf(arg);
      const y = yieldOp.operands[i]!;
      const def = y.definingOp;
      if (!from || !def || def.parent !== body) return;
      let to: Layout | undefined;
      // The yielded tile was computed in L and converted back (a dot's accumulator): carry it in L.
      if (isConvert(y) && layoutOf(def.operands[0]!) !== from) to = layoutOf(def.operands[0]!);
      else if (hasTrait(def, 'elementwise') && hasTrait(def, 'pure') && def.operands.includes(arg)) {
        const source = def.operands.find((v) => isConvert(v) && layoutOf(v.definingOp.operands[0]!) !== from);
        if (source) to = layoutOf(source.definingOp!.operands[0]!);
        else to = readLayout(body, arg, def, from);
      }
      if (!to) return;
      const convert = (x: Value, l: Layout): Operation => convertLayout(x, l, loop.loc);
      // Init: converted before the loop.
      const init = convert(loop.operands[3 + i]!, to);
      loop.parent!.insertBefore(loop, init);
      loop.operands[3 + i] = init.result;
      // Body: the argument in the new layout, converted back for its uses.
      arg.type = withEncoding(arg.type as TensorType, to);
      const back = convert(arg, from);
      body.insertBefore(body.ops[0]!, back);
      for (const op of body.ops) if (op !== back) op.operands = op.operands.map((v) => (v === arg ? back.result : v));
      // Yield: the new layout.
      const yielded = convert(y, to);
      body.insertBefore(yieldOp, yielded);
      yieldOp.operands[i] = yielded.result;
      // Result: in the new layout, converted back for its uses after the loop.
      res.type = withEncoding(res.type as TensorType, to);
      const after = convert(res, from);
      loop.parent!.insertAfter(loop, after);
      root.walk((op) => {
        if (op !== after) op.operands = op.operands.map((v) => (v === res ? after.result : v));
      });
      this.changed = true;
    });
  }

  private convert(op: Operation, root: Operation): void {
    const src = op.operands[0]!;
    const want = layoutOf(op.result)!;
    if (src.type === op.result.type) return this.replace(op, [src], root);
    if (isConvert(src)) {
      op.operands[0] = src.definingOp.operands[0]!;
      this.changed = true;
      return;
    }
    if (rematerializationCost(src) <= MAX_REMATERIALIZED) this.replace(op, [this.remat(src, want, op)], root);
  }

  /** Moves conversions from the operands of `op` to its results, when they all come from one layout. */
  private hoist(op: Operation, root: Operation): void {
    const tensors = op.operands.filter((v) => v.type instanceof TensorType);
    const converted = tensors.filter((v) => isConvert(v) && rematerializationCost(v.definingOp!.operands[0]!) === Infinity);
    if (!converted.length) return;
    const from = layoutOf(converted[0]!.definingOp!.operands[0]!)!;
    const cur = layoutOf(tensors[0]!)!;
    if (from === cur) return;
    if (op.name === 'tt.reduce' && !reducibleIn(op, from)) return;
    // Every other operand must come from `from` too, or be cheap to recompute in it.
    const ok = tensors.every((v) => (isConvert(v) && layoutOf(v.definingOp.operands[0]!) === from) || rematerializationCost(v) <= MAX_REMATERIALIZED);
    if (!ok) return;
    const operands = op.operands.map((v) => {
      if (!(v.type instanceof TensorType)) return v;
      if (isConvert(v) && layoutOf(v.definingOp.operands[0]!) === from) return v.definingOp.operands[0]!;
      return this.remat(v, from, op);
    });
    const axis = op.attrs['axis'] as number | undefined;
    const resultLayout = (r: Value): Layout | undefined => (r.type instanceof TensorType ? (op.name === 'tt.reduce' ? sliceLayout(axis!, from) : from) : undefined);
    const clone = new Operation(op.name, operands, op.results.map((r) => (resultLayout(r) ? withEncoding(r.type as TensorType, resultLayout(r)!) : r.type)), { ...op.attrs }, op.regions, op.loc);
    op.regions = [];
    for (const r of clone.regions) r.parent = clone;
    clone.results.forEach((r, i) => (r.nameHint = op.results[i]!.nameHint));
    op.parent!.insertBefore(op, clone);
    const back = clone.results.map((r, i) => (r.type instanceof TensorType && r.type !== op.results[i]!.type ? op.parent!.insertAfter(clone, convertLayout(r, layoutOf(op.results[i]!)!, clone.loc)).result : r));
    this.replace(op, back, root);
    op.erase();
  }
}

export const removeLayoutConversionsPass: Pass = {
  name: 'remove-layout-conversions',
  run(module: Operation): Operation {
    for (let round = 0; round < 50; round++) {
      const rw = new Rewriter();
      module.walk((op) => rw.visit(op, module));
      dce(module);
      if (!rw.changed) break;
    }
    return module;
  },
};
