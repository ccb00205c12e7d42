// Lowering of the GPU IR (tiles with layouts) to per-thread IR: each tile becomes the registers one thread holds
// (TileMap says which), elementwise ops become one scalar op per register, and the ops where threads cooperate
// use warp shuffles (gpu.shfl), shared memory (gpu.shared_load/store) and barriers. The result is a function
// of scalar ops and structured control flow that the PTX printer renders.
import { DenseAttr, FloatAttr, IntegerAttr, TypeAttr, type Attributes } from '../ir/attributes.ts';
import { Builder } from '../ir/builder.ts';
import { Block, Operation, Region, formatLocation, outermostLocation, type Location, type Value } from '../ir/core.ts';
import { hasTrait } from '../ir/ops.ts';
import { FloatType, IntType, MemDescType, TensorType, elementType, f32, f64, functionType, i1, i32, i64, i8, shapeOf, type ScalarType, type Type } from '../ir/types.ts';
import { AxisAnalysis } from './axis-info.ts';
import { expandF64Math, f64MathOps } from './f64-math.ts';
import { WARP_SIZE } from './layout-choice.ts';
import { elementBytes, exchangeOps } from './shared-memory.ts';
import { TileMap } from './tile-map.ts';

type Lowered = { readonly kind: 'scalar'; readonly v: Value } | { readonly kind: 'tile'; readonly map: TileMap; readonly regs: readonly Value[] } | { readonly kind: 'smem'; readonly offset: number; readonly type: MemDescType };

const log2 = (n: number): number => Math.round(Math.log2(n));

/** A dot's steps along k are unrolled up to this many (beyond, a loop). */
const MAX_UNROLLED_K = 64;

/** Scalar types that shuffles move as they are; others are widened to 32 bits first. */
const is32 = (t: ScalarType): boolean => (t instanceof IntType && t.width === 32) || (t instanceof FloatType && t.width === 32);

export class Lowering {
  private readonly b: Builder;
  private readonly values = new Map<Value, Lowered>();
  private readonly axis: AxisAnalysis;
  private readonly fn: Operation;
  private readonly entry: Block;
  private prologueEnd!: Operation;
  private readonly cache = new Map<string, Value>();
  private tid!: Value;
  private lane!: Value;
  private warp!: Value;
  private smemBase!: Value;

  constructor(private readonly src: Operation) {
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
  private at<T>(f: () => T): T {
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
  private firstThread(): Value {
    const known = this.cache.get('first');
    if (known) return known;
    const v = this.at(() => this.op1('arith.cmpi', [this.tid, this.c32(0)], i1, { predicate: 'eq' }));
    this.cache.set('first', v);
    return v;
  }

  private c32(n: number): Value {
    return this.constant(n, i32);
  }

  private constant(n: number | bigint, t: ScalarType): Value {
    const key = `c|${t.text}|${String(n)}`;
    const known = this.cache.get(key);
    if (known && known.definingOp?.parent) return known;
    const v = this.at(() => this.b.constant(t instanceof FloatType ? Number(n) : n, t));
    this.cache.set(key, v);
    return v;
  }

  private op1(name: string, operands: Value[], t: Type, attrs: Attributes = {}): Value {
    return this.b.value(name, operands, t, attrs);
  }

  private add(a: Value, b: Value): Value {
    return this.op1('arith.addi', [a, b], i32);
  }

  private mul(a: Value, n: number): Value {
    return n === 1 ? a : this.op1('arith.muli', [a, this.c32(n)], i32);
  }

  private and(a: Value, mask: number): Value {
    return this.op1('arith.andi', [a, this.c32(mask)], i32);
  }

  private shr(a: Value, n: number): Value {
    return n === 0 ? a : this.op1('arith.shrui', [a, this.c32(n)], i32);
  }

  private get(v: Value): Lowered {
    const l = this.values.get(v);
    if (!l) throw new Error(`lowering: ${v.nameHint ?? v.id} used before it is defined`);
    return l;
  }

  private scalar(v: Value): Value {
    const l = this.get(v);
    if (l.kind !== 'scalar') throw new Error('lowering: expected a scalar');
    return l.v;
  }

  private tile(v: Value): { map: TileMap; regs: readonly Value[] } {
    const l = this.get(v);
    if (l.kind === 'tile') return l;
    throw new Error('lowering: expected a tile');
  }

  private mapOf(t: Type): TileMap {
    const tt = t as TensorType;
    if (!tt.encoding) throw new Error(`lowering: ${t.text} has no layout`);
    return new TileMap(tt.encoding, tt.shape);
  }

  /** Lane and warp index along root dimension d of a layout, and the thread's offset there, computed once. */
  private threadOffset(map: TileMap, d: number): Value {
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
  private laneIndex(map: TileMap, d: number): Value {
    return this.at(() => this.and(this.shr(this.lane, map.laneShift[d]!), map.root.threadsPerWarp[d]! - 1));
  }

  private warpIndex(map: TileMap, d: number): Value {
    return this.at(() => this.and(this.shr(this.warp, map.warpShift[d]!), map.root.warpsPerCTA[d]! - 1));
  }

  /** The coordinate along tile dimension i of register r. */
  private coord(map: TileMap, r: number, i: number): Value {
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

  /** Whether this thread owns register r's element (true for one thread among those holding it), or undefined if every thread does. */
  private owner(map: TileMap, r: number): Value | undefined {
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

  private andPred(a: Value | undefined, b: Value | undefined): Value | undefined {
    if (!a) return b;
    if (!b) return a;
    return this.op1('arith.andi', [a, b], i1);
  }

  // ---- blocks and ops ------------------------------------------------------------------------------------

  private block(b: Block): void {
    for (const op of b.ops) {
      this.b.loc = op.loc;
      this.op(op);
    }
  }

  private setTile(v: Value, map: TileMap, regs: Value[]): void {
    this.values.set(v, { kind: 'tile', map, regs });
  }

  private op(op: Operation): void {
    switch (op.name) {
      case 'arith.constant':
        return this.constantOp(op);
      case 'tt.get_program_id':
        return void this.values.set(op.result, { kind: 'scalar', v: this.op1('gpu.block_id', [], i32, { axis: op.attrs['axis']! }) });
      case 'tt.get_num_programs':
        return void this.values.set(op.result, { kind: 'scalar', v: this.op1('gpu.grid_dim', [], i32, { axis: op.attrs['axis']! }) });
      case 'tt.make_range': {
        const map = this.mapOf(op.result.type);
        const start = op.attrs['start'] as number;
        return this.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => (start ? this.add(this.coord(map, r, 0), this.c32(start)) : this.coord(map, r, 0))));
      }
      case 'tt.splat': {
        const map = this.mapOf(op.result.type);
        const s = this.scalar(op.operands[0]!);
        return this.setTile(op.result, map, Array(map.numRegs).fill(s));
      }
      case 'tt.broadcast':
      case 'tt.expand_dims': {
        const src = this.get(op.operands[0]!);
        const map = this.mapOf(op.result.type);
        if (src.kind === 'scalar') return this.setTile(op.result, map, Array(map.numRegs).fill(src.v));
        const s = src as { map: TileMap; regs: readonly Value[] };
        return this.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => s.regs[map.sourceRegister(s.map, r)]!));
      }
      case 'tt.load':
        return this.load(op);
      case 'tt.store':
        return this.store(op);
      case 'tt.atomic_rmw':
      case 'tt.atomic_cas':
        return this.atomic(op);
      case 'ttg.local_alloc':
        return this.localAlloc(op);
      case 'ttg.local_load':
        return this.localLoad(op);
      case 'tt.dot':
        return this.dot(op);
      case 'tt.reduce':
        return this.reduce(op);
      case 'tt.scan':
        return this.scan(op);
      case 'tt.print':
        return this.print(op);
      case 'tt.assert':
        return this.assert(op);
      case 'gpu.barrier':
        return void this.b.create('gpu.barrier', [], []);
      case 'scf.for':
        return this.forLoop(op);
      case 'scf.if':
        return this.ifOp(op);
      case 'scf.while':
        return this.whileLoop(op);
      case 'tt.return':
        return void this.b.create('tt.return', [], []);
    }
    if (exchangeOps.has(op.name)) return this.exchange(op);
    if (hasTrait(op, 'elementwise')) return this.elementwise(op);
    throw new Error(`the GPU backend cannot lower ${op.name} yet`);
  }

  private constantOp(op: Operation): void {
    const a = op.attrs['value'];
    if (a instanceof DenseAttr) {
      const map = this.mapOf(op.result.type);
      const s = a.splat;
      const c = this.constant(s instanceof IntegerAttr ? (s.type.width === 64 ? s.value : Number(s.value)) : (s as FloatAttr).value, s.type);
      return this.setTile(op.result, map, Array(map.numRegs).fill(c));
    }
    const s = a as IntegerAttr | FloatAttr;
    this.values.set(op.result, { kind: 'scalar', v: this.constant(s instanceof IntegerAttr ? (s.type.width === 64 ? s.value : Number(s.value)) : s.value, s.type) });
  }

  private elementwise(op: Operation): void {
    const rt = op.result.type;
    if (!(rt instanceof TensorType)) {
      const v = this.scalarOp(op, op.operands.map((x) => this.scalar(x)), rt);
      return void this.values.set(op.result, { kind: 'scalar', v });
    }
    const map = this.mapOf(rt);
    const args = op.operands.map((x) => this.get(x));
    const regs = Array.from({ length: map.numRegs }, (_, r) =>
      this.scalarOp(
        op,
        args.map((a) => (a.kind === 'scalar' ? a.v : (a as { regs: readonly Value[] }).regs[r]!)),
        rt.element,
      ),
    );
    this.setTile(op.result, map, regs);
  }

  /** One element of an elementwise op (f64 transcendentals, which PTX lacks, expanded into arithmetic). */
  private scalarOp(op: Operation, args: Value[], t: Type): Value {
    if (t === f64 && f64MathOps.has(op.name)) return expandF64Math(this.b, (v, ty) => this.constant(v, ty), op.name, args[0]!);
    return this.op1(op.name, args, t, { ...op.attrs });
  }

  // ---- memory -----------------------------------------------------------------------------------------------

  /** Vector groups for a memory op: how many consecutive elements one instruction may move. */
  private vectorWidth(op: Operation, map: TileMap, bytes: number): number {
    const fastest = map.root.order[0]!;
    const i = map.dims.indexOf(fastest);
    if (i < 0) return 1;
    const ptr = this.axis.get(op.operands[0]!);
    let vec = Math.min(map.perRep[fastest]!, ptr.contiguity[i]!, Math.max(1, Math.floor(ptr.divisibility[i]! / bytes)), Math.max(1, 16 / bytes));
    const maskIndex = op.name === 'tt.load' ? 1 : 2;
    const mask = op.operands[maskIndex];
    if (mask) vec = Math.min(vec, this.axis.get(mask).constancy[i]!);
    return Math.max(1, vec);
  }

  private load(op: Operation): void {
    const [ptr, mask, other] = op.operands;
    const rt = op.result.type;
    const attrs: Attributes = {};
    for (const k of ['cache', 'evict', 'isVolatile']) if (op.attrs[k] !== undefined) attrs[k] = op.attrs[k]!;
    if (!(rt instanceof TensorType)) {
      const pred = mask ? this.scalar(mask) : this.constant(1, i1);
      const others = other ? [this.scalar(other)] : [];
      const v = this.b.create('gpu.load', [this.scalar(ptr!), pred, ...others], [rt], { vec: 1, ...attrs }).result;
      return void this.values.set(op.result, { kind: 'scalar', v });
    }
    const map = this.mapOf(rt);
    const p = this.tile(ptr!);
    const m = mask ? this.tile(mask) : undefined;
    const o = other ? this.get(other) : undefined;
    const vec = this.vectorWidth(op, map, elementBytes(rt.element));
    const regs: Value[] = Array(map.numRegs);
    for (const group of map.vectorGroups(vec)) {
      const pred = m ? m.regs[group[0]!]! : this.constant(1, i1);
      const others = o ? group.map((r) => (o.kind === 'scalar' ? o.v : (o as { regs: readonly Value[] }).regs[r]!)) : [];
      const ld = this.b.create('gpu.load', [p.regs[group[0]!]!, pred, ...others], group.map(() => rt.element), { vec: group.length, ...attrs });
      group.forEach((r, k) => (regs[r] = ld.results[k]!));
    }
    this.setTile(op.result, map, regs);
  }

  private store(op: Operation): void {
    const [ptr, value, mask] = op.operands;
    const vt = value!.type;
    const attrs: Attributes = {};
    for (const k of ['cache', 'evict']) if (op.attrs[k] !== undefined) attrs[k] = op.attrs[k]!;
    if (!(vt instanceof TensorType)) {
      const pred = mask ? this.scalar(mask) : this.constant(1, i1);
      this.b.create('gpu.store', [this.scalar(ptr!), pred, this.scalar(value!)], [], { vec: 1, ...attrs });
      return;
    }
    const map = this.mapOf(vt);
    const p = this.tile(ptr!);
    const v = this.tile(value!);
    const m = mask ? this.tile(mask) : undefined;
    const vec = this.vectorWidth(op, map, elementBytes(vt.element));
    for (const group of map.vectorGroups(vec)) {
      const pred = this.andPred(m?.regs[group[0]!], this.owner(map, group[0]!)) ?? this.constant(1, i1);
      this.b.create('gpu.store', [p.regs[group[0]!]!, pred, ...group.map((r) => v.regs[r]!)], [], { vec: group.length, ...attrs });
    }
  }

  private atomic(op: Operation): void {
    const isCas = op.name === 'tt.atomic_cas';
    const rt = op.result.type;
    const attrs: Attributes = isCas ? { sem: op.attrs['sem']!, scope: op.attrs['scope']! } : { atomic_rmw_op: op.attrs['atomic_rmw_op']!, sem: op.attrs['sem']!, scope: op.attrs['scope']! };
    const name = isCas ? 'gpu.atomic_cas' : 'gpu.atomic_rmw';
    if (!(rt instanceof TensorType)) {
      // One thread does a scalar atomic; the others read its result back through shared memory if they need it.
      const [ptr, a, b] = op.operands.map((x) => this.scalar(x));
      const first = this.firstThread();
      const pred = isCas ? first : this.andPred(b, first)!;
      const operands = isCas ? [ptr!, a!, b!, pred] : [ptr!, a!, pred];
      let v = this.b.create(name, operands, [rt], attrs).result;
      if (this.usedLater(op)) {
        const addr = this.smemAddress(op.attrs['allocation.offset'] as number, this.c32(0), elementBytes(rt as ScalarType));
        this.guarded(first, () => this.sharedStore(addr, [v], rt as ScalarType));
        this.b.create('gpu.barrier', [], []);
        v = this.sharedLoad(addr, [rt as ScalarType])[0]!;
      }
      return void this.values.set(op.result, { kind: 'scalar', v });
    }
    const map = this.mapOf(rt);
    const [ptr, a, b] = op.operands.map((x) => this.tile(x));
    const regs = Array.from({ length: map.numRegs }, (_, r) => {
      const mask = isCas ? undefined : b?.regs[r];
      const pred = this.andPred(mask, this.owner(map, r)) ?? this.constant(1, i1);
      const operands = isCas ? [ptr!.regs[r]!, a!.regs[r]!, b!.regs[r]!, pred] : [ptr!.regs[r]!, a!.regs[r]!, pred];
      return this.b.create(name, operands, [rt.element], attrs).result;
    });
    // Threads that hold a copy of an element without owning it did no atomic: they take the owner's result.
    const replicated = map.dims.length < map.root.rank || map.dims.some((d) => map.wraps(d));
    if (replicated && this.usedLater(op)) {
      const offset = op.attrs['allocation.offset'] as number;
      this.setTile(op.result, map, this.shareOwned(map, regs, rt.element, offset));
    } else this.setTile(op.result, map, regs);
  }

  private usedLater(op: Operation): boolean {
    let used = false;
    this.src.walk((o) => {
      if (o.operands.includes(op.result)) used = true;
    });
    return used;
  }

  /** Owners write their elements to shared memory and every holder reads them back. */
  private shareOwned(map: TileMap, regs: readonly Value[], el: ScalarType, offset: number): Value[] {
    const bytes = elementBytes(el);
    const addr = (r: number): Value => this.smemAddress(offset, this.linearIndex(map, r, map.shape), bytes);
    for (let r = 0; r < map.numRegs; r++) {
      const own = this.owner(map, r);
      this.guarded(own, () => this.sharedStore(addr(r), [regs[r]!], el));
    }
    this.b.create('gpu.barrier', [], []);
    return Array.from({ length: map.numRegs }, (_, r) => this.sharedLoad(addr(r), [el])[0]!);
  }

  // ---- shared memory -------------------------------------------------------------------------------------

  /** Row-major linear index of register r's element within a tile of `shape`. */
  private linearIndex(map: TileMap, r: number, shape: readonly number[], coords?: (i: number) => Value): Value {
    let acc: Value | undefined;
    let stride = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      const c = coords ? coords(i) : this.coord(map, r, i);
      const term = this.mul(c, stride);
      acc = acc ? this.add(acc, term) : term;
      stride *= shape[i]!;
    }
    return acc ?? this.c32(0);
  }

  private smemAddress(offset: number, index: Value, bytes: number): Value {
    return this.add(this.smemBase, this.add(this.mul(index, bytes), this.c32(offset)));
  }

  /** Shared memory holds booleans as bytes. */
  private sharedStore(addr: Value, vals: Value[], el: ScalarType): void {
    const stored = el === i1 ? vals.map((v) => this.op1('arith.extui', [v], i8)) : vals;
    this.b.create('gpu.shared_store', [addr, ...stored], [], { vec: vals.length });
  }

  private sharedLoad(addr: Value, els: ScalarType[]): Value[] {
    const el = els[0]!;
    if (el === i1) {
      const raw = this.b.create('gpu.shared_load', [addr], els.map(() => i8), { vec: els.length }).results;
      return raw.map((v) => this.op1('arith.cmpi', [v, this.constant(0, i8)], i1, { predicate: 'ne' }));
    }
    return this.b.create('gpu.shared_load', [addr], els, { vec: els.length }).results;
  }

  /** Runs `f` only where `pred` holds (structured: an scf.if without results). */
  private guarded(pred: Value | undefined, f: () => void): void {
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
   * convert_layout, reshape, trans, join and split: every thread writes the elements it owns to shared memory
   * (row-major in the source's coordinates), waits, and reads those of its destination registers.
   */
  private exchange(op: Operation): void {
    const offset = op.attrs['allocation.offset'] as number;
    // The source is a tile, or a scalar (join of two scalars into a [2] tile).
    const srcType = op.operands[0]!.type;
    const el = elementType(srcType);
    const bytes = elementBytes(el);
    const sources = op.name === 'tt.join' ? [this.get(op.operands[0]!), this.get(op.operands[1]!)] : [this.get(op.operands[0]!)];
    const srcShape = shapeOf(srcType);
    const tileElems = srcShape.reduce((a, b) => a * b, 1);
    sources.forEach((s, k) => {
      if (s.kind === 'scalar') {
        this.sharedStore(this.smemAddress(offset, this.c32(k), bytes), [s.v], el);
        return;
      }
      const t = s as { map: TileMap; regs: readonly Value[] };
      for (let r = 0; r < t.map.numRegs; r++) {
        const own = this.owner(t.map, r);
        const idx = this.linearIndex(t.map, r, srcShape);
        const base = k ? this.add(idx, this.c32(k * tileElems)) : idx;
        this.guarded(own, () => this.sharedStore(this.smemAddress(offset, base, bytes), [t.regs[r]!], el));
      }
    });
    this.b.create('gpu.barrier', [], []);
    op.results.forEach((res, k) => {
      const rt = res.type;
      if (!(rt instanceof TensorType)) {
        // split of a [2] tile: scalar halves.
        const v = this.sharedLoad(this.smemAddress(offset, this.c32(k), bytes), [el])[0]!;
        return this.values.set(res, { kind: 'scalar', v });
      }
      const map = this.mapOf(rt);
      const regs = Array.from({ length: map.numRegs }, (_, r) => {
        const idx = this.sourceIndex(op, map, r, k, srcShape, tileElems);
        return this.sharedLoad(this.smemAddress(offset, idx, bytes), [el])[0]!;
      });
      this.setTile(res, map, regs);
    });
  }

  /** For result k's register r of an exchange op, the linear index of its element in shared memory. */
  private sourceIndex(op: Operation, map: TileMap, r: number, k: number, srcShape: readonly number[], tileElems: number): Value {
    switch (op.name) {
      case 'ttg.convert_layout':
      case 'tt.reshape':
        // Row-major order is what both shapes share.
        return this.linearIndex(map, r, map.shape);
      case 'tt.trans': {
        const order = op.attrs['order'] as number[];
        // Result dimension i is source dimension order[i].
        return this.linearIndex(map, r, srcShape, (j) => this.coord(map, r, order.indexOf(j)));
      }
      case 'tt.join': {
        // Result [..., 2]: the last coordinate picks the operand.
        const last = map.shape.length - 1;
        const inner = this.linearIndex(map, r, srcShape, (j) => this.coord(map, r, j));
        const which = this.coord(map, r, last);
        return this.add(inner, this.mul(which, tileElems));
      }
      case 'tt.split':
        // Source [..., 2]: element (c..., k).
        return this.add(this.mul(this.linearIndex(map, r, map.shape), 2), this.c32(k));
    }
    throw new Error(`no exchange for ${op.name}`);
  }

  private localAlloc(op: Operation): void {
    const mt = op.result.type as MemDescType;
    const offset = op.attrs['allocation.offset'] as number;
    const s = this.tile(op.operands[0]!);
    const bytes = elementBytes(mt.element);
    // Registers consecutive along the buffer's fastest dimension are stored as one vector (up to 16 bytes).
    const map = s.map;
    const fastest = map.root.order[0]!;
    const along = map.dims.indexOf(fastest);
    const vec = along === mt.encoding.order[0] && !map.wraps(fastest) && mt.element !== i1 ? Math.min(map.perRep[fastest]!, 16 / bytes) : 1;
    for (const group of map.vectorGroups(vec)) {
      const r = group[0]!;
      const own = this.owner(map, r);
      const idx = this.sharedIndex(mt, (i) => this.coord(map, r, i));
      this.guarded(own, () => this.sharedStore(this.smemAddress(offset, idx, bytes), group.map((g) => s.regs[g]!), mt.element));
    }
    this.values.set(op.result, { kind: 'smem', offset, type: mt });
  }

  /** The element index of coordinates in a shared buffer laid out along its order (fastest first). */
  private sharedIndex(mt: MemDescType, coord: (i: number) => Value): Value {
    let acc: Value | undefined;
    let stride = 1;
    for (const d of mt.encoding.order) {
      const term = this.mul(coord(d), stride);
      acc = acc ? this.add(acc, term) : term;
      stride *= mt.shape[d]!;
    }
    return acc ?? this.c32(0);
  }

  private localLoad(op: Operation): void {
    const src = this.get(op.operands[0]!) as { kind: 'smem'; offset: number; type: MemDescType };
    const map = this.mapOf(op.result.type);
    const bytes = elementBytes(src.type.element);
    const regs = Array.from({ length: map.numRegs }, (_, r) => this.sharedLoad(this.smemAddress(src.offset, this.sharedIndex(src.type, (i) => this.coord(map, r, i)), bytes), [src.type.element])[0]!);
    this.setTile(op.result, map, regs);
  }

  // ---- dot ------------------------------------------------------------------------------------------------

  /**
   * The FMA dot: A and B are in shared memory; for each k, a thread reads A[m, k] for each of its accumulator
   * rows and B[k, n] for each of its columns, and adds their products into its accumulators.
   */
  private dot(op: Operation): void {
    const a = this.get(op.operands[0]!) as { offset: number; type: MemDescType };
    const bm = this.get(op.operands[1]!) as { offset: number; type: MemDescType };
    const acc = this.tile(op.operands[2]!);
    const map = acc.map;
    const accType = (op.result.type as TensorType).element;
    const inEl = a.type.element;
    const K = a.type.shape[1]!;
    const [dm, dn] = [map.dims[0]!, map.dims[1]!];
    const rowsLocal = map.counts[dm]!;
    const colsLocal = map.counts[dn]!;
    // Registers of the accumulator, by (local row, local column).
    const regOf = (lm: number, ln: number): number => {
      const local = Array<number>(map.root.rank).fill(0);
      local[dm] = lm;
      local[dn] = ln;
      return map.register(local);
    };
    const rowCoord = (lm: number): Value => this.coord(map, regOf(lm, 0), 0);
    const colCoord = (ln: number): Value => this.coord(map, regOf(0, ln), 1);
    const tf32 = op.attrs['inputPrecision'] !== 'ieee' && inEl instanceof FloatType && inEl.width === 32;
    const toAcc = (v: Value): Value => {
      let x = v;
      if (tf32) x = this.op1('gpu.round_tf32', [x], x.type);
      if (inEl !== accType) x = this.op1(accType instanceof FloatType ? 'arith.extf' : 'arith.extsi', [x], accType);
      return x;
    };
    const inBytes = elementBytes(inEl);
    // A thread's rows of A (and columns of B) come in runs of consecutive coordinates, which A's column-major
    // (B's row-major) buffer holds consecutively: read them as vectors of up to 16 bytes.
    const operand = (desc: { offset: number; type: MemDescType }, d: number, count: number, coordOf: (l: number) => Value, at: (c: Value) => (i: number) => Value): Value[] => {
      const vec = map.wraps(d) ? 1 : Math.min(map.perRep[d]!, 16 / inBytes, map.extent[d]!);
      const vals: Value[] = [];
      for (let l = 0; l < count; l += vec) {
        const idx = this.sharedIndex(desc.type, at(coordOf(l)));
        vals.push(...this.sharedLoad(this.smemAddress(desc.offset, idx, inBytes), Array(vec).fill(inEl)).map(toAcc));
      }
      return vals;
    };
    /** One step along k: the products of column k of A and row k of B, added into the accumulators. */
    const step = (k: Value, accs: readonly Value[]): Value[] => {
      const aVals = operand(a, dm, rowsLocal, rowCoord, (c) => (i) => (i === 0 ? c : k));
      const bVals = operand(bm, dn, colsLocal, colCoord, (c) => (i) => (i === 0 ? k : c));
      return accs.map((c, r) => {
        const local = map.local(r);
        const x = aVals[local[dm]!]!;
        const y = bVals[local[dn]!]!;
        if (accType instanceof FloatType) return this.op1('math.fma', [x, y, c], accType);
        return this.op1('arith.addi', [c, this.op1('arith.muli', [x, y], accType)], accType);
      });
    };
    const init = Array.from({ length: map.numRegs }, (_, r) => acc.regs[r]!);
    if (K <= MAX_UNROLLED_K) {
      // Unrolled: shared-memory addresses become constant offsets, and ptxas schedules loads across steps.
      let accs: Value[] = init;
      for (let kk = 0; kk < K; kk++) accs = step(this.c32(kk), accs);
      return this.setTile(op.result, map, accs);
    }
    const body = new Block([i32, ...init.map((v) => v.type)]);
    this.b.inBlock(body, () => this.b.create('scf.yield', step(body.args[0]!, body.args.slice(1)), []));
    const loop = this.b.create('scf.for', [this.c32(0), this.c32(K), this.c32(1), ...init], init.map((v) => v.type), {}, [new Region([body])]);
    this.setTile(op.result, map, [...loop.results]);
  }

  // ---- reductions and scans -------------------------------------------------------------------------------

  /** Emits the combine region on scalars; returns its results. */
  private combine(region: Block, args: readonly Value[]): Value[] {
    region.args.forEach((a, i) => this.values.set(a, { kind: 'scalar', v: args[i]! }));
    for (const inner of region.ops.slice(0, -1)) {
      this.b.loc = inner.loc;
      this.op(inner);
    }
    return region.terminator!.operands.map((v) => this.scalar(v));
  }

  /** A 32-bit-or-narrower value shuffled from another lane (wider values in two halves). */
  private shuffle(v: Value, mode: string, arg: Value): Value {
    const t = v.type as ScalarType;
    if (is32(t)) return this.op1('gpu.shfl', [v, arg], t, { mode });
    if (t instanceof IntType && t.width === 64) {
      const lo = this.op1('arith.trunci', [v], i32);
      const hi = this.op1('arith.trunci', [this.op1('arith.shrui', [v, this.constant(32, i64)], i64)], i32);
      const [slo, shi] = [this.op1('gpu.shfl', [lo, arg], i32, { mode }), this.op1('gpu.shfl', [hi, arg], i32, { mode })];
      return this.op1('arith.ori', [this.op1('arith.extui', [slo], i64), this.op1('arith.shli', [this.op1('arith.extui', [shi], i64), this.constant(32, i64)], i64)], i64);
    }
    if (t instanceof FloatType && t.width === 64) {
      const bits = this.op1('tt.bitcast', [v], i64);
      return this.op1('tt.bitcast', [this.shuffle(bits, mode, arg)], t);
    }
    if (t instanceof FloatType) {
      const wide = this.op1('arith.extf', [v], f32);
      return this.op1('arith.truncf', [this.op1('gpu.shfl', [wide, arg], f32, { mode })], t);
    }
    // Narrow integers (and booleans) travel sign-extended in 32 bits.
    const wide = t === i1 ? this.op1('arith.extui', [v], i32) : this.op1('arith.extsi', [v], i32);
    const s = this.op1('gpu.shfl', [wide, arg], i32, { mode });
    return t === i1 ? this.op1('arith.cmpi', [s, this.c32(0)], i1, { predicate: 'ne' }) : this.op1('arith.trunci', [s], t);
  }

  private reduce(op: Operation): void {
    const inputs = op.operands.map((v) => this.tile(v));
    const map = inputs[0]!.map;
    const axis = op.attrs['axis'] as number;
    const d = map.dims[axis]!;
    const region = op.regions[0]!.entry;
    const els = op.operands.map((v) => (v.type as TensorType).element);
    // Results: one per combination of the other root dimensions' local indices.
    const outKeys = new Map<string, number[]>();
    for (let r = 0; r < map.numRegs; r++) {
      const local = map.local(r);
      local[d] = 0;
      const key = local.join(',');
      const list = outKeys.get(key) ?? [];
      list.push(r);
      outKeys.set(key, list);
    }
    // 1. Within each thread, along the axis in register order.
    const partial = new Map<string, Value[]>();
    for (const [key, regs] of outKeys) {
      let acc = inputs.map((t) => t.regs[regs[0]!]!);
      for (const r of regs.slice(1)) acc = this.combine(region, [...acc, ...inputs.map((t) => t.regs[r]!)]);
      partial.set(key, acc);
    }
    // 2. Across the lanes that hold distinct elements along the axis: butterfly shuffles.
    const uniqueLanes = map.uniqueLanes(d);
    for (const [key, acc] of partial) {
      let cur = acc;
      for (let bit = 0; bit < log2(uniqueLanes); bit++) {
        const arg = this.c32(1 << (map.laneShift[d]! + bit));
        cur = this.combine(region, [...cur, ...cur.map((v) => this.shuffle(v, 'bfly', arg))]);
      }
      partial.set(key, cur);
    }
    // 3. Across warps: each warp's result through shared memory.
    const uniqueWarps = map.uniqueWarps(d);
    const outType = op.results[0]!.type;
    const outMap = outType instanceof TensorType ? this.mapOf(outType) : undefined;
    if (uniqueWarps > 1) {
      const offset = op.attrs['allocation.offset'] as number;
      const lines = outMap ? outMap.shape.reduce((a, b) => a * b, 1) : 1;
      const sizes = els.map((e) => lines * uniqueWarps * elementBytes(e));
      const bases = sizes.map((_, k) => offset + sizes.slice(0, k).reduce((a, b) => a + b, 0));
      const warpIdx = this.warpIndex(map, d);
      const laneIdx = this.laneIndex(map, d);
      const first = this.op1('arith.cmpi', [laneIdx, this.c32(0)], i1, { predicate: 'eq' });
      const writer = map.root.warpsPerCTA[d]! > uniqueWarps ? this.op1('arith.andi', [first, this.op1('arith.cmpi', [warpIdx, this.c32(uniqueWarps), ], i1, { predicate: 'slt' })], i1) : first;
      const lineIndex = (key: string): Value => {
        if (!outMap) return this.c32(0);
        const reg = outKeys.get(key)![0]!;
        return this.linearIndex(map, reg, outMap.shape, (j) => this.coord(map, reg, j < axis ? j : j + 1));
      };
      for (const [key, acc] of partial) {
        const line = lineIndex(key);
        this.guarded(writer, () =>
          acc.forEach((v, k) => this.sharedStore(this.smemAddress(bases[k]!, this.add(this.mul(line, uniqueWarps), warpIdx), elementBytes(els[k]!)), [v], els[k]!)),
        );
      }
      this.b.create('gpu.barrier', [], []);
      for (const [key] of partial) {
        const line = lineIndex(key);
        let acc: Value[] | undefined;
        for (let w = 0; w < uniqueWarps; w++) {
          const vals = els.map((e, k) => this.sharedLoad(this.smemAddress(bases[k]!, this.add(this.mul(line, uniqueWarps), this.c32(w)), elementBytes(e)), [e])[0]!);
          acc = acc ? this.combine(region, [...acc, ...vals]) : vals;
        }
        partial.set(key, acc!);
      }
    }
    if (!outMap) {
      const acc = [...partial.values()][0]!;
      op.results.forEach((r, k) => this.values.set(r, { kind: 'scalar', v: acc[k]! }));
      return;
    }
    // The result layout is the input's sliced along the axis: its registers follow the other local indices.
    op.results.forEach((res, k) => {
      const regs = Array.from({ length: outMap.numRegs }, (_, r) => {
        const local = outMap.local(r);
        local[d] = 0;
        return partial.get(local.join(','))![k]!;
      });
      this.setTile(res, outMap, regs);
    });
  }

  /**
   * Inclusive scan along an axis. The axis is covered chunk by chunk (repetitions of the program-wide tile, in
   * order); within a chunk: each thread scans its own elements, lanes scan their totals with shuffles, warps
   * combine the totals of the warps before them through shared memory, and the chunk starts from the carry of
   * the chunks before it.
   */
  private scan(op: Operation): void {
    const inputs = op.operands.map((v) => this.tile(v));
    const map = inputs[0]!.map;
    const axis = op.attrs['axis'] as number;
    const reverse = op.attrs['reverse'] === true;
    const d = map.dims[axis]!;
    const region = op.regions[0]!.entry;
    const els = op.operands.map((v) => (v.type as TensorType).element);
    const n = inputs.length;
    const out: Value[][] = inputs.map(() => Array(map.numRegs));
    // A reverse scan is the forward scan of the flipped axis (as in Triton): every combine below takes what comes
    // first in scan order (for a reverse scan, the higher index) as its first operand, in both directions.
    const combine = (a: Value[], b: Value[]): Value[] => this.combine(region, [...a, ...b]);
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
    const laneIdx = this.laneIndex(map, d);
    const warpIdx = this.warpIndex(map, d);
    const perRep = map.perRep[d]!;
    const reps = map.reps[d]!;
    const offset = op.attrs['allocation.offset'] as number;
    // Each line's slots in shared memory are at its row-major index among all lines of the tile (threads
    // holding copies of a line write the same totals to the same slots).
    const lineShape = map.shape.filter((_, i) => i !== axis);
    for (const [, regs] of lines) {
      const line = uniqueWarps > 1 ? this.linearIndex(map, regs[0]!, lineShape, (j) => this.coord(map, regs[0]!, j < axis ? j : j + 1)) : undefined;
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
        const uniqueIdx = this.and(laneIdx, uniqueLanes - 1);
        for (let k = 1; k < uniqueLanes; k *= 2) {
          const arg = this.c32(k << map.laneShift[d]!);
          const other = total.map((v) => this.shuffle(v, mode, arg));
          const has = reverse ? this.op1('arith.cmpi', [uniqueIdx, this.c32(uniqueLanes - k)], i1, { predicate: 'slt' }) : this.op1('arith.cmpi', [uniqueIdx, this.c32(k)], i1, { predicate: 'sge' });
          const merged = combine(other, total);
          total = total.map((v, i) => this.op1('arith.select', [has, merged[i]!, v], v.type));
        }
        let before: Value[] | undefined;
        let hasBefore: Value | undefined;
        if (uniqueLanes > 1) {
          const arg = this.c32(1 << map.laneShift[d]!);
          before = total.map((v) => this.shuffle(v, mode, arg));
          hasBefore = reverse ? this.op1('arith.cmpi', [uniqueIdx, this.c32(uniqueLanes - 1)], i1, { predicate: 'slt' }) : this.op1('arith.cmpi', [uniqueIdx, this.c32(0)], i1, { predicate: 'sgt' });
        }
        // The warp total: what the last lane (along the axis) holds.
        const lastLane = this.c32((reverse ? 0 : uniqueLanes - 1) << map.laneShift[d]!);
        const laneBase = this.op1('arith.andi', [this.lane, this.c32(~(((map.root.threadsPerWarp[d]! - 1) << map.laneShift[d]!) >>> 0) | 0)], i32);
        const warpTotal = total.map((v) => this.shuffle(v, 'idx', this.op1('arith.ori', [laneBase, lastLane], i32)));
        // c. Across warps, through shared memory.
        let warpBefore: Value[] | undefined;
        let hasWarpBefore: Value | undefined;
        let chunkTotal = warpTotal;
        if (uniqueWarps > 1) {
          const slot = (w: Value, k: number): Value => this.smemAddress(offset, this.add(this.mul(line!, uniqueWarps * n), this.add(this.mul(w, n), this.c32(k))), 8);
          const writer = this.op1('arith.cmpi', [this.and(laneIdx, uniqueLanes - 1), this.c32(0)], i1, { predicate: 'eq' });
          // Warps past the unique ones hold copies: they write the same totals to the same slots.
          const uniqueWarp = this.and(warpIdx, uniqueWarps - 1);
          this.b.create('gpu.barrier', [], []);
          this.guarded(writer, () => warpTotal.forEach((v, k) => this.sharedStore(slot(uniqueWarp, k), [v], els[k]!)));
          this.b.create('gpu.barrier', [], []);
          const totals = Array.from({ length: uniqueWarps }, (_, w) => els.map((e, k) => this.sharedLoad(slot(this.c32(w), k), [e])[0]!));
          const ws = reverse ? [...totals.keys()].reverse() : [...totals.keys()];
          for (const w of ws) {
            const cond = reverse ? this.op1('arith.cmpi', [uniqueWarp, this.c32(w)], i1, { predicate: 'slt' }) : this.op1('arith.cmpi', [uniqueWarp, this.c32(w)], i1, { predicate: 'sgt' });
            if (!warpBefore) {
              warpBefore = totals[w]!;
              hasWarpBefore = cond;
            } else {
              const merged = combine(warpBefore, totals[w]!);
              warpBefore = warpBefore.map((v, i) => this.op1('arith.select', [cond, merged[i]!, v], v.type));
              hasWarpBefore = this.op1('arith.ori', [hasWarpBefore!, cond], i1);
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
            v = part.cond ? v.map((x, k) => this.op1('arith.select', [part.cond!, merged[k]!, x], x.type)) : merged;
          }
          v.forEach((x, k) => (out[k]![r] = x));
        });
        carry = carry ? combine(carry, chunkTotal) : chunkTotal;
      }
    }
    op.results.forEach((res, k) => this.setTile(res, map, out[k]!));
  }

  // ---- debugging --------------------------------------------------------------------------------------------

  private print(op: Operation): void {
    const prefix = (op.attrs['prefix'] as string) ?? '';
    const hex = op.attrs['hex'] === true;
    const signed = (op.attrs['isSigned'] as number[]) ?? [];
    const pid = [0, 1, 2].map((axis) => this.op1('gpu.block_id', [], i32, { axis }));
    // printf's arguments: narrow unsigned integers zero-extended (registers hold them sign-extended).
    const operand = (v: Value, i: number): Value => {
      const t = v.type as ScalarType;
      return t instanceof IntType && (t.width === 8 || t.width === 16) && !signed[i] ? this.op1('arith.extui', [v], i32) : v;
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
      this.guarded(pred, () => this.b.create('gpu.printf', [...pid, ...idx, ...vals.map(({ v, i }) => operand(v, i))], [], { format: fmt }));
    };
    const args = op.operands.map((v) => this.get(v));
    // As the interpreter: arguments of one shape print element by element together; else one after another.
    const group = (items: { a: Lowered; i: number }[]): void => {
      const first = items[0]?.a;
      if (first?.kind !== 'tile') return emit([], items.map(({ a, i }) => ({ v: (a as { v: Value }).v, i })), this.firstThread());
      const map = first.map;
      for (let r = 0; r < map.numRegs; r++) {
        const idx = map.shape.map((_, d) => this.coord(map, r, d));
        emit(idx, items.map(({ a, i }) => ({ v: (a as { regs: readonly Value[] }).regs[r]!, i })), this.owner(map, r));
      }
    };
    const items = args.map((a, i) => ({ a, i }));
    const shapeOfArg = (a: Lowered): string => (a.kind === 'tile' ? a.map.shape.join('x') : '');
    if (new Set(args.map(shapeOfArg)).size <= 1) group(items);
    else for (const item of items) group([item]);
  }

  private assert(op: Operation): void {
    const c = this.get(op.operands[0]!);
    const loc: Location = outermostLocation(op.loc);
    const attrs = { message: op.attrs['message']!, file: formatLocation(op.loc).split(':')[0]!, line: loc.line, function: this.src.attrs['sym_name']! };
    if (c.kind === 'scalar') return void this.b.create('gpu.assert', [c.v], [], attrs);
    const t = c as { regs: readonly Value[] };
    for (const v of t.regs) this.b.create('gpu.assert', [v], [], attrs);
  }

  // ---- control flow ----------------------------------------------------------------------------------------

  /** Flattens lowered values to scalars (a tile to its registers), for structured control flow. */
  private flatten(vs: readonly Value[]): Value[] {
    return vs.flatMap((v) => {
      const l = this.get(v);
      return l.kind === 'scalar' ? [l.v] : l.kind === 'tile' ? [...l.regs] : [];
    });
  }

  /** Binds source values to consecutive scalars (the inverse of flatten). */
  private bind(targets: readonly Value[], scalars: readonly Value[]): void {
    let k = 0;
    for (const t of targets) {
      if (t.type instanceof TensorType) {
        const map = this.mapOf(t.type);
        this.setTile(t, map, scalars.slice(k, k + map.numRegs) as Value[]);
        k += map.numRegs;
      } else this.values.set(t, { kind: 'scalar', v: scalars[k++]! });
    }
  }

  private scalarTypes(vs: readonly Value[]): Type[] {
    return vs.flatMap((v) => (v.type instanceof TensorType ? Array(this.mapOf(v.type).numRegs).fill(v.type.element) : [v.type]));
  }

  private region(src: Block, argTypes: readonly Type[], bindArgs: (args: readonly Value[]) => void): Block {
    const b = new Block(argTypes);
    this.b.inBlock(b, () => {
      bindArgs(b.args);
      for (const op of src.ops.slice(0, -1)) {
        this.b.loc = op.loc;
        this.op(op);
      }
      const term = src.terminator!;
      this.b.loc = term.loc;
      this.b.create(term.name, this.flatten(term.operands), [], { ...term.attrs });
    });
    return b;
  }

  private forLoop(op: Operation): void {
    const [lb, ub, step] = op.operands.slice(0, 3).map((v) => this.scalar(v));
    const inits = this.flatten(op.operands.slice(3));
    const src = op.regions[0]!.entry;
    const types = this.scalarTypes(op.results);
    const body = this.region(src, [src.args[0]!.type, ...types], (args) => {
      this.values.set(src.args[0]!, { kind: 'scalar', v: args[0]! });
      this.bind(src.args.slice(1), args.slice(1));
    });
    const loop = this.b.create('scf.for', [lb!, ub!, step!, ...inits], types, {}, [new Region([body])]);
    this.bind(op.results, loop.results);
  }

  private ifOp(op: Operation): void {
    const types = this.scalarTypes(op.results);
    const [thenB, elseB] = op.regions.map((r) => this.region(r.entry, [], () => undefined));
    const res = this.b.create('scf.if', [this.scalar(op.operands[0]!)], types, {}, [new Region([thenB!]), new Region([elseB!])]);
    this.bind(op.results, res.results);
  }

  private whileLoop(op: Operation): void {
    const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
    const inits = this.flatten(op.operands);
    const beforeTypes = this.scalarTypes(before.args);
    const afterTypes = this.scalarTypes(after.args);
    const b = this.region(before, beforeTypes, (args) => this.bind(before.args, args));
    const a = this.region(after, afterTypes, (args) => this.bind(after.args, args));
    const res = this.b.create('scf.while', inits, this.scalarTypes(op.results), {}, [new Region([b]), new Region([a])]);
    this.bind(op.results, res.results);
  }
}

