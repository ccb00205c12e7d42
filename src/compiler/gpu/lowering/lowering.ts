// Lowering of the GPU IR (tiles with layouts) to per-thread IR: each tile becomes the registers one thread holds
// (TileMap says which), elementwise ops become one scalar op per register, and the ops where threads cooperate
// use warp shuffles (gpu.shfl), shared memory (gpu.shared_load/store) and barriers. The result is a function
// of scalar ops and structured control flow that the PTX printer renders.
//
// This file holds what every op family shares (the thread's indices, coordinates of registers, ownership,
// shared-memory addressing, emitting regions); each family's ops are lowered in a module of its own, found
// through the table in handlers.ts.
import { TypeAttr, type Attributes } from '../../ir/attributes.ts';
import { Builder } from '../../ir/builder.ts';
import { Block, Operation, Region, type Value } from '../../ir/core.ts';
import { FloatType, MemDescType, TensorType, functionType, i1, i32, i8, type ScalarType, type Type } from '../../ir/types.ts';
import { AxisAnalysis } from '../axis-info.ts';
import { WARP_SIZE } from '../layout-choice.ts';
import { SharedLayout } from '../../ir/layouts.ts';
import { LANE, OFFSET, REGISTER, WARP } from '../linear-layout.ts';
import { sharedPlacement as sharedPlacementOf } from '../vectorize.ts';
import { LinearTileMap, TileMap, tileMapOf, type AnyTileMap } from '../tile-map.ts';
import { handlerFor } from './handlers.ts';
import { orderedIndex, rowMajor, valueArith, type LinearForm } from './index-arith.ts';

/**
 * A buffer of shared memory: its allocation's byte offset, and for a slot of a multi-buffered allocation chosen
 * at run time (a pipeline stage), the slot's byte offset from it.
 */
export type LoweredSmem = { readonly kind: 'smem'; readonly offset: number; readonly type: MemDescType; readonly dynamic?: Value };

export type Lowered = { readonly kind: 'scalar'; readonly v: Value } | { readonly kind: 'tile'; readonly map: AnyTileMap; readonly regs: readonly Value[] } | LoweredSmem;

/** A tile lowered to the registers one thread holds. */
export type LoweredTile = { readonly map: AnyTileMap; readonly regs: readonly Value[] };

export class Lowering {
  readonly b: Builder;
  readonly values = new Map<Value, Lowered>();
  readonly axis: AxisAnalysis;
  readonly fn: Operation;
  readonly entry: Block;
  prologueEnd!: Operation;
  readonly cache = new Map<string, Value>();
  tid!: Value;
  lane!: Value;
  warp!: Value;
  smemBase!: Value;

  constructor(readonly src: Operation) {
    this.axis = new AxisAnalysis(src);
    const srcEntry = src.regions[0]!.entry;
    this.entry = new Block(
      srcEntry.args.map((a) => a.type),
      srcEntry.args.map((a) => a.nameHint),
    );
    srcEntry.args.forEach((a, i) => this.values.set(a, { kind: 'scalar', v: this.entry.args[i]! }));
    const attrs: Attributes = { sym_name: src.attrs['sym_name']!, function_type: new TypeAttr(functionType(this.entry.args.map((a) => a.type), [])) };
    this.fn = new Operation('tt.func', [], [], attrs, [new Region([this.entry])], src.loc);
    this.b = new Builder(this.entry, src.loc);
  }

  lower(): Operation {
    const tid = this.b.value('gpu.thread_id', [], i32);
    this.tid = tid;
    this.prologueEnd = tid.definingOp!;
    this.lane = this.at(() => this.b.value('arith.andi', [tid, this.c32(WARP_SIZE - 1)], i32));
    this.warp = this.at(() => this.b.value('arith.shrui', [tid, this.c32(5)], i32));
    this.smemBase = this.at(() => this.b.value('gpu.shared_base', [], i32));
    this.block(this.src.regions[0]!.entry);
    return this.fn;
  }

  // ---- small helpers -----------------------------------------------------------------------------------

  /** Emits into the prologue (after the thread index computations) so values are computed once per thread. */
  at<T>(f: () => T): T {
    const saved = [this.b.block, this.b.before] as const;
    const block = this.entry;
    const idx = block.ops.indexOf(this.prologueEnd);
    this.b.block = block;
    this.b.before = block.ops[idx + 1];
    try {
      const v = f();
      const last = this.b.before ? block.ops[block.ops.indexOf(this.b.before) - 1]! : block.ops[block.ops.length - 1]!;
      this.prologueEnd = last;
      return v;
    } finally {
      [this.b.block, this.b.before] = saved;
    }
  }

  /** Whether this is the program's first thread (which alone does scalar atomics and prints), computed once. */
  firstThread(): Value {
    const known = this.cache.get('first');
    if (known) return known;
    const v = this.at(() => this.op1('arith.cmpi', [this.tid, this.c32(0)], i1, { predicate: 'eq' }));
    this.cache.set('first', v);
    return v;
  }

  c32(n: number): Value {
    return this.constant(n, i32);
  }

  constant(n: number | bigint, t: ScalarType): Value {
    const key = `c|${t.text}|${String(n)}`;
    const known = this.cache.get(key);
    if (known && known.definingOp?.parent) return known;
    const v = this.at(() => this.b.constant(t instanceof FloatType ? Number(n) : n, t));
    this.cache.set(key, v);
    return v;
  }

  op1(name: string, operands: Value[], t: Type, attrs: Attributes = {}): Value {
    return this.b.value(name, operands, t, attrs);
  }

  add(a: Value, b: Value): Value {
    return this.op1('arith.addi', [a, b], i32);
  }

  mul(a: Value, n: number): Value {
    return n === 1 ? a : this.op1('arith.muli', [a, this.c32(n)], i32);
  }

  and(a: Value, mask: number): Value {
    return this.op1('arith.andi', [a, this.c32(mask)], i32);
  }

  shr(a: Value, n: number): Value {
    return n === 0 ? a : this.op1('arith.shrui', [a, this.c32(n)], i32);
  }

  get(v: Value): Lowered {
    const l = this.values.get(v);
    if (!l) throw new Error(`lowering: ${v.nameHint ?? v.id} used before it is defined`);
    return l;
  }

  scalar(v: Value): Value {
    const l = this.get(v);
    if (l.kind !== 'scalar') throw new Error('lowering: expected a scalar');
    return l.v;
  }

  tile(v: Value): LoweredTile {
    const l = this.get(v);
    if (l.kind === 'tile') return l;
    throw new Error('lowering: expected a tile');
  }

  mapOf(t: Type): AnyTileMap {
    const tt = t as TensorType;
    if (!tt.encoding) throw new Error(`lowering: ${t.text} has no layout`);
    return tileMapOf(tt.encoding, tt.shape);
  }

  /** The map of a tile an op needs in a blocked layout (reductions, scans, the FMA dot): the GPU passes see to that. */
  blockedMap(map: AnyTileMap, what: string): TileMap {
    if (map instanceof TileMap) return map;
    throw new Error(`lowering: ${what} on a tile in ${map.layout.text} is not supported; the GPU passes should have converted it to a blocked layout`);
  }

  /** Lane and warp index along root dimension d of a layout, and the thread's offset there, computed once. */
  threadOffset(map: TileMap, d: number): Value {
    const root = map.root;
    const key = `off|${root.text}|${d}`;
    const known = this.cache.get(key);
    if (known) return known;
    const v = this.at(() => {
      const tpw = root.threadsPerWarp[d]!;
      const wpc = root.warpsPerCTA[d]!;
      const parts: Value[] = [];
      if (wpc > 1) parts.push(this.mul(this.and(this.shr(this.warp, map.warpShift[d]!), wpc - 1), tpw * root.sizePerThread[d]!));
      if (tpw > 1) parts.push(this.mul(this.and(this.shr(this.lane, map.laneShift[d]!), tpw - 1), root.sizePerThread[d]!));
      return parts.length === 0 ? this.c32(0) : parts.length === 1 ? parts[0]! : this.add(parts[0]!, parts[1]!);
    });
    this.cache.set(key, v);
    return v;
  }

  /** The index of this thread's lane (or warp) along root dimension d. */
  laneIndex(map: TileMap, d: number): Value {
    return this.at(() => this.and(this.shr(this.lane, map.laneShift[d]!), map.root.threadsPerWarp[d]! - 1));
  }

  warpIndex(map: TileMap, d: number): Value {
    return this.at(() => this.and(this.shr(this.warp, map.warpShift[d]!), map.root.warpsPerCTA[d]! - 1));
  }

  /** The coordinate along tile dimension i of register r. */
  coord(map: AnyTileMap, r: number, i: number): Value {
    if (map instanceof LinearTileMap) return this.linearCoord(map, r, i);
    const d = map.dims[i]!;
    const local = map.local(r)[d]!;
    const key = `coord|${map.layout.text}|${map.shape.join('x')}|${d}|${local}`;
    const known = this.cache.get(key);
    if (known) return known;
    const v = this.at(() => {
      const off = this.threadOffset(map, d);
      const c = map.constOffset(d, local);
      const x = c === 0 ? off : this.add(off, this.c32(c));
      return map.wraps(d) ? this.and(x, map.extent[d]! - 1) : x;
    });
    this.cache.set(key, v);
    return v;
  }

  /**
   * A coordinate of a linearly mapped register: the XOR of the bases of the lane and warp bits (computed once
   * per layout and dimension) and the register's own basis. Where they share no bits (the usual case) the XOR is
   * an addition, which ptxas folds into addresses.
   */
  private linearCoord(map: LinearTileMap, r: number, i: number): Value {
    const key = `lcoord|${map.layout.text}|${map.shape.join('x')}|${i}|${r}`;
    const known = this.cache.get(key);
    if (known) return known;
    const v = this.at(() => {
      const thread = this.threadPart(`lthread|${map.layout.text}|${map.shape.join('x')}|${i}`, (dim) => map.bases(dim).map((b) => b[i]!));
      return this.withConstant(thread, map.coordinates(r, 0, 0)[i]!);
    });
    this.cache.set(key, v);
    return v;
  }

  /** The XOR of `bases[i]` over the set bits i of the lane index, computed once per program. */
  lanePart(bases: readonly number[]): Value {
    return this.threadPart(`lanepart|${bases.join(',')}`, (dim) => (dim === LANE ? bases : [])).value;
  }

  /**
   * A linear function of the thread plus a constant: the XOR of laneBases[i] over the set bits i of the lane
   * index and of warpBases[j] over those of the warp index (computed once per program), XOR `constant`.
   */
  threadLinear(laneBases: readonly number[], warpBases: readonly number[], constant: number): Value {
    return this.withConstant(this.linearThreadPart(laneBases, warpBases), constant);
  }

  /**
   * The byte address in a buffer at `offset` of the element register r of a tile holds, where a linear form gives
   * the element's index (threadLinear of its bases and r's constant): the thread's part times the element size is
   * computed once, and the constant's bytes are added to it where they share no bits with it (ptxas folds that into
   * the access's immediate offset); elsewhere the element index is XORed.
   */
  linearAddress(form: LinearForm, r: number, offset: number, bytes: number): Value {
    const constant = form.constants[r]!;
    const thread = this.linearThreadPart(form.laneBases, form.warpBases);
    if ((constant & thread.bits) !== 0) return this.smemAddress(offset, this.withConstant(thread, constant), bytes);
    const addressKey = `threadaddress|${form.laneBases.join(',')}|${form.warpBases.join(',')}|${offset}|${bytes}`;
    let base = this.cache.get(addressKey);
    if (!base) {
      base = this.at(() => this.smemAddress(offset, thread.value, bytes));
      this.cache.set(addressKey, base);
    }
    return constant === 0 ? base : this.add(base, this.c32(constant * bytes));
  }

  /** The XOR of laneBases over the lane's set bits and of warpBases over the warp's, computed once per program. */
  private linearThreadPart(laneBases: readonly number[], warpBases: readonly number[]): { value: Value; bits: number } {
    return this.threadPart(`threadlinear|${laneBases.join(',')}|${warpBases.join(',')}`, (dim) => (dim === LANE ? laneBases : warpBases));
  }

  /**
   * The lane and warp part of a linear function of the thread (what bit k of the lane, or of the warp, adds),
   * computed once per `key` in the prologue, with the bits it can set.
   */
  private threadPart(key: string, contributions: (dim: typeof LANE | typeof WARP) => readonly number[]): { value: Value; bits: number } {
    const terms = ([LANE, WARP] as const).flatMap((dim) => contributions(dim).map((value, bit) => ({ source: dim === LANE ? this.lane : this.warp, bit, value })));
    const bits = terms.reduce((acc, t) => acc | t.value, 0);
    let value = this.cache.get(key);
    if (!value) {
      value = this.at(() => this.gf2Sum(terms.filter((t) => t.value !== 0)));
      this.cache.set(key, value);
    }
    return { value, bits };
  }

  /**
   * A thread part XOR a constant: an addition where they share no bits (the usual case, which ptxas folds into
   * addresses), else an XOR.
   */
  private withConstant(thread: { value: Value; bits: number }, c: number): Value {
    if (c === 0) return thread.value;
    return (c & thread.bits) === 0 ? this.add(thread.value, this.c32(c)) : this.op1('arith.xori', [thread.value, this.c32(c)], i32);
  }

  /**
   * XOR over terms "bit `bit` of `source` contributes `value`": runs of consecutive source bits landing on
   * consecutive powers of two are one shift and mask each.
   */
  gf2Sum(terms: readonly { source: Value; bit: number; value: number }[]): Value {
    const single: { source: Value; bit: number; out: number }[] = [];
    for (const t of terms) for (let o = 0; o < 31; o++) if ((t.value >> o) & 1) single.push({ source: t.source, bit: t.bit, out: o });
    single.sort((a, b) => (a.source.id - b.source.id) || (a.out - a.bit) - (b.out - b.bit) || a.bit - b.bit);
    const runs: { source: Value; bit: number; out: number; len: number }[] = [];
    for (const t of single) {
      const last = runs[runs.length - 1];
      if (last && last.source === t.source && t.bit === last.bit + last.len && t.out === last.out + last.len) last.len++;
      else runs.push({ ...t, len: 1 });
    }
    let acc: Value | undefined;
    for (const run of runs) {
      const field = this.and(this.shr(run.source, run.bit), (1 << run.len) - 1);
      const placed = run.out === 0 ? field : this.op1('arith.shli', [field, this.c32(run.out)], i32);
      acc = acc ? this.op1('arith.xori', [acc, placed], i32) : placed;
    }
    return acc ?? this.c32(0);
  }

  /** Whether this thread owns register r's element (true for one thread among those holding it), or undefined if every thread does. */
  owner(map: AnyTileMap, r: number): Value | undefined {
    if (map instanceof LinearTileMap) return this.linearOwner(map);
    const conds: Value[] = [];
    const local = map.local(r);
    const kept = new Set(map.dims);
    for (let d = 0; d < map.root.rank; d++) {
      if (!kept.has(d)) {
        // Sliced dimensions: only the first lane and warp along them.
        const tpw = map.root.threadsPerWarp[d]!;
        const wpc = map.root.warpsPerCTA[d]!;
        if (tpw > 1) conds.push(this.at(() => this.op1('arith.cmpi', [this.laneIndex(map, d), this.c32(0)], i1, { predicate: 'eq' })));
        if (wpc > 1) conds.push(this.at(() => this.op1('arith.cmpi', [this.warpIndex(map, d), this.c32(0)], i1, { predicate: 'eq' })));
      } else if (map.wraps(d)) {
        const c = map.constOffset(d, local[d]!);
        const key = `own|${map.root.text}|${d}|${map.extent[d]}|${c}`;
        let v = this.cache.get(key);
        if (!v) {
          v = this.at(() => this.op1('arith.cmpi', [this.threadOffset(map, d), this.c32(map.extent[d]! - c)], i1, { predicate: 'slt' }));
          this.cache.set(key, v);
        }
        conds.push(v);
      }
    }
    return conds.reduce<Value | undefined>((acc, c) => (acc ? this.op1('arith.andi', [acc, c], i1) : c), undefined);
  }

  /** Of the threads holding copies of an element (their lanes or warps differ only in free bits), the one with those bits zero owns it. */
  private linearOwner(map: LinearTileMap): Value | undefined {
    const key = `lowner|${map.freeLaneMask}|${map.freeWarpMask}`;
    const known = this.cache.get(key);
    if (known) return known;
    const conds: Value[] = [];
    const none = (x: Value, mask: number): Value => this.op1('arith.cmpi', [this.and(x, mask), this.c32(0)], i1, { predicate: 'eq' });
    const v = this.at(() => {
      if (map.freeLaneMask) conds.push(none(this.lane, map.freeLaneMask));
      if (map.freeWarpMask) conds.push(none(this.warp, map.freeWarpMask));
      return conds.reduce<Value | undefined>((acc, c) => (acc ? this.op1('arith.andi', [acc, c], i1) : c), undefined);
    });
    if (v) this.cache.set(key, v);
    return v;
  }

  andPred(a: Value | undefined, b: Value | undefined): Value | undefined {
    if (!a) return b;
    if (!b) return a;
    return this.op1('arith.andi', [a, b], i1);
  }

  // ---- blocks and ops ------------------------------------------------------------------------------------

  block(b: Block): void {
    for (const op of b.ops) {
      this.b.loc = op.loc;
      this.op(op);
    }
  }

  setTile(v: Value, map: AnyTileMap, regs: Value[]): void {
    this.values.set(v, { kind: 'tile', map, regs });
  }

  /** Lowers one op through the handler of its family (or the elementwise rule). */
  op(op: Operation): void {
    const handler = handlerFor(op);
    if (!handler) throw new Error(`the GPU backend cannot lower ${op.name} yet`);
    handler(this, op);
  }

  // ---- shared memory -------------------------------------------------------------------------------------

  /** Row-major linear index of register r's element within a tile of `shape`. */
  linearIndex(map: AnyTileMap, r: number, shape: readonly number[], coords?: (i: number) => Value): Value {
    return this.rowMajor(
      shape.map((_, i) => (coords ? coords(i) : this.coord(map, r, i))),
      shape,
    );
  }

  /** The row-major linear index of `coords` within a tile of `shape`. */
  rowMajor(coords: readonly Value[], shape: readonly number[]): Value {
    return rowMajor(valueArith(this), coords, shape);
  }

  smemAddress(offset: number, index: Value, bytes: number): Value {
    return this.add(this.smemBase, this.add(this.mul(index, bytes), this.c32(offset)));
  }

  /** Shared memory holds booleans as bytes. */
  sharedStore(addr: Value, vals: Value[], el: ScalarType): void {
    const stored = el === i1 ? vals.map((v) => this.op1('arith.extui', [v], i8)) : vals;
    this.b.create('gpu.shared_store', [addr, ...stored], [], { vec: vals.length });
  }

  sharedLoad(addr: Value, els: ScalarType[]): Value[] {
    const el = els[0]!;
    if (el === i1) {
      const raw = this.b.create('gpu.shared_load', [addr], els.map(() => i8), { vec: els.length }).results;
      return raw.map((v) => this.op1('arith.cmpi', [v, this.constant(0, i8)], i1, { predicate: 'ne' }));
    }
    return this.b.create('gpu.shared_load', [addr], els, { vec: els.length }).results;
  }

  /** Runs `f` only where `pred` holds (structured: an scf.if without results). */
  guarded(pred: Value | undefined, f: () => void): void {
    if (!pred) return f();
    const then = new Block();
    const els = new Block();
    this.b.inBlock(then, () => {
      f();
      this.b.create('scf.yield', [], []);
    });
    this.b.inBlock(els, () => this.b.create('scf.yield', [], []));
    this.b.create('scf.if', [pred], [], {}, [new Region([then]), new Region([els])]);
  }

  /**
   * Where register r of a tile in `map` goes in a shared buffer of type `mt` (whose encoding is not the plain
   * row-major SharedLayout): the composition of the register layout with the inverse of the buffer's layout
   * sends (register, lane, warp) to an element offset, linearly, so the offset is a per-thread part (computed
   * once) XOR a per-register constant; where they share no bits that XOR is an addition ptxas folds into the
   * address. Also returns how many consecutive registers land on consecutive offsets (a vector access).
   */
  sharedPlacement(mt: MemDescType, map: AnyTileMap): { offset: (r: number) => Value; run: number } {
    const { placed, run } = sharedPlacementOf(map.layout, map.shape, mt);
    const thread = this.threadPart(`splace|${mt.text}|${map.layout.text}|${map.shape.join('x')}`, (dim) => (placed.bases[dim] ?? []).map((b) => b[0]!));
    return { offset: (r) => this.withConstant(thread, placed.apply({ [REGISTER]: r })[OFFSET]!), run };
  }

  /** The shared buffer a memdesc value is. */
  smem(v: Value): LoweredSmem {
    const l = this.get(v);
    if (l.kind !== 'smem') throw new Error('lowering: expected a shared-memory buffer');
    return l;
  }

  /** The byte address of element offset `index` of a buffer (its allocation, slot and element). */
  bufferAddress(buffer: LoweredSmem, index: Value, bytes: number): Value {
    const at = this.smemAddress(buffer.offset, index, bytes);
    return buffer.dynamic ? this.add(at, buffer.dynamic) : at;
  }

  /** The element index of coordinates in a shared buffer laid out along its order (fastest first). */
  sharedIndex(mt: MemDescType, coord: (i: number) => Value): Value {
    if (!(mt.encoding instanceof SharedLayout)) throw new Error(`lowering: ${mt.encoding.text} buffers are addressed through sharedPlacement`);
    return orderedIndex(valueArith(this), mt.shape.map((_, d) => coord(d)), mt.shape, mt.encoding.order);
  }

  // ---- regions -------------------------------------------------------------------------------------------

  /** Emits the combine region on scalars; returns its results. */
  combine(region: Block, args: readonly Value[]): Value[] {
    region.args.forEach((a, i) => this.values.set(a, { kind: 'scalar', v: args[i]! }));
    for (const inner of region.ops.slice(0, -1)) {
      this.b.loc = inner.loc;
      this.op(inner);
    }
    return region.terminator!.operands.map((v) => this.scalar(v));
  }

}

