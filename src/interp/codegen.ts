// Compiles a kernel's IR into one JavaScript function that runs a single program over typed arrays.
//
// Every tile value has an access form:
//   uniform  one scalar expression for all elements (splats, splat constants)
//   buffer   a typed array in row-major order (allocated once per specialisation and reused)
//   lazy     an expression computed per element where it is used: elementwise ops, tl.arange, broadcasts,
//            transposes. Chains of these fuse into the loop of the op that consumes them (a load, a store,
//            a reduction), so `x + offs` never exists as a tile of pointers. A lazy value that is costly and
//            used more than once is stored in a buffer instead.
// Per-element semantics come from ir/elementwise.ts, shared with the constant folder.
// Each op compiles through a table keyed by op name (ProgramGen.handlers; one rule covers every elementwise op),
// which interpreterHandlerFor exposes so that a test can check every op that can reach the interpreter has a handler.
//
// A sanitized program (generateProgram(func, { sanitize: true })) is a separate specialisation with the checks of
// sanitizer.ts around each memory access, integer division and index arithmetic op, and loops that record where
// the program is; a plain program has none of them.
import { DenseAttr, FloatAttr, IntegerAttr } from '../compiler/ir/attributes.ts';
import { errorAt } from '../compiler/diagnostics.ts';
import { collectUses, type Block, type Operation, type Value } from '../compiler/ir/core.ts';
import { elementExpr, literal, pointeeBytes, roundTo, wrapInt } from '../compiler/ir/elementwise.ts';
import { hasTrait } from '../compiler/ir/ops.ts';
import { FloatType, IntType, PointerType, elementType, shapeOf, type ScalarType } from '../compiler/ir/types.ts';
import type { OpSite } from './memory.ts';
import { MAX_SANITIZED_LANES, indexArithmetic } from './sanitizer.ts';
import { F16_DOT_K_STEP } from '../numerics.ts';

interface Index {
  /** One loop variable (or literal) per dimension of the shape being indexed. */
  readonly vars: readonly string[];
  /** The row-major linear index, when the loop runs over exactly this shape. */
  readonly linear?: string;
}

interface Access {
  readonly shape: readonly number[];
  readonly elem: ScalarType;
  readonly scalar?: string;
  readonly buffer?: string;
  readonly lazy?: (ix: Index) => string;
  /** Rough size of a lazy expression (how much recomputing it costs). */
  readonly cost: number;
}

/** A lazy value at most this costly is recomputed at each use instead of stored. */
const CHEAP = 6;

/** The rough cost of computing one element of an op: transcendental functions and divisions weigh more. */
function opCost(name: string): number {
  if (name.startsWith('math.') && !['math.absf', 'math.absi', 'math.floor', 'math.ceil', 'math.fma'].includes(name)) return 8;
  if (/^arith\.(div|rem)/.test(name) || name === 'tt.mulhiui') return 4;
  return 1;
}
/** A lazy expression larger than this is stored even if used once (bounds code size). */
const MAX_FUSED = 40;

export interface ProgramOptions {
  /** Generate the sanitizer's checks (see sanitizer.ts). */
  readonly sanitize?: boolean;
}

export interface GeneratedProgram {
  /** Body of `new Function('$', 'mem0', source)`, returning the program function. */
  readonly source: string;
  readonly sites: readonly OpSite[];
}

export function arrayType(t: ScalarType): string {
  if (t instanceof PointerType) return 'Float64Array';
  if (t instanceof FloatType) return t.text === 'f64' ? 'Float64Array' : 'Float32Array';
  switch ((t as IntType).width) {
    case 1:
      return 'Uint8Array';
    case 8:
      return 'Int8Array';
    case 16:
      return 'Int16Array';
    case 32:
      return 'Int32Array';
    default:
      return 'BigInt64Array';
  }
}

const zeroOf = (t: ScalarType): string => (t instanceof IntType && t.width === 64 ? '0n' : '0');
const is64 = (t: ScalarType): boolean => t instanceof IntType && t.width === 64;

function linearize(vars: readonly string[], shape: readonly number[]): string {
  const terms: string[] = [];
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const v = vars[d]!;
    if (v !== '0' && shape[d] !== 1) terms.unshift(stride === 1 ? v : `${v} * ${stride}`);
    stride *= shape[d]!;
  }
  return terms.length ? terms.join(' + ') : '0';
}

/** The index `ix` with `v` inserted as the variable of dimension `axis` (the dimension a reduction removed). */
function withAxis(ix: Index, axis: number, v: string): Index {
  const vars = [...ix.vars];
  vars.splice(axis, 0, v);
  return { vars };
}

export function at(a: Access, ix: Index): string {
  if (a.scalar !== undefined) return a.scalar;
  if (a.buffer !== undefined) return `${a.buffer}[${ix.linear ?? linearize(ix.vars, a.shape)}]`;
  return a.lazy!(ix);
}

class ProgramGen {
  private readonly body: string[] = [];
  private readonly prologue: string[] = [];
  private depth = 1;
  private counter = 0;
  private readonly access = new Map<Value, Access>();
  private readonly uses: Map<Value, Operation[]>;
  readonly sites: OpSite[] = [];
  /** In a sanitized program: the integer ops that compute pointer offsets, checked for overflow. */
  private readonly indexOps: Set<Operation> | undefined;

  constructor(
    private readonly func: Operation,
    private readonly sanitize = false,
  ) {
    this.uses = collectUses(func);
    this.indexOps = sanitize ? indexArithmetic(func) : undefined;
  }

  generate(): GeneratedProgram {
    const entry = this.func.regions[0]!.entry;
    const params = entry.args.map((a) => {
      const name = this.fresh('a');
      this.access.set(a, { shape: [], elem: elementType(a.type), scalar: name, cost: 0 });
      return name;
    });
    this.block(entry);
    const source = [
      '"use strict";',
      'const f16dec = $.f16dec, bf16dec = $.bf16dec, f16enc = $.f16enc, bf16enc = $.bf16enc;',
      'const e4m3dec = $.e4m3dec, e5m2dec = $.e5m2dec, e4m3enc = $.e4m3enc, e5m2enc = $.e5m2enc;',
      ...this.prologue,
      `return function program(mem, pid0, pid1, pid2, np0, np1, np2${params.map((p) => `, ${p}`).join('')}) {`,
      ...this.body,
      '};',
    ].join('\n');
    return { source, sites: this.sites };
  }

  // ---- emission helpers ----

  private fresh(prefix: string): string {
    return `${prefix}${this.counter++}`;
  }

  private line(s: string): void {
    this.body.push(`${'  '.repeat(this.depth)}${s}`);
  }

  private indent<T>(f: () => T): T {
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private alloc(elem: ScalarType, numel: number): string {
    const name = this.fresh('B');
    this.prologue.push(`const ${name} = new ${arrayType(elem)}(${numel});`);
    return name;
  }

  /** Emits loops over `shape` (row-major) around `inner`. */
  private loop(shape: readonly number[], inner: (ix: Index) => void): void {
    const k = this.counter++;
    const vars = shape.map((_, d) => `i${k}_${d}`);
    if (shape.length === 1) {
      this.line(`for (let ${vars[0]} = 0; ${vars[0]} < ${shape[0]}; ${vars[0]}++) {`);
      this.indent(() => inner({ vars, linear: vars[0] }));
      this.line('}');
      return;
    }
    const o = `o${k}`;
    this.line(`let ${o} = 0;`);
    shape.forEach((n, d) => {
      this.line(`${'  '.repeat(d)}for (let ${vars[d]} = 0; ${vars[d]} < ${n}; ${vars[d]}++) {`);
    });
    this.depth += shape.length;
    inner({ vars, linear: o });
    this.line(`${o}++;`);
    this.depth -= shape.length;
    for (let d = shape.length - 1; d >= 0; d--) this.line(`${'  '.repeat(d)}}`);
  }

  private get(v: Value): Access {
    const a = this.access.get(v);
    if (!a) throw new Error(`interpreter: value ${v.nameHint ?? v.id} used before it is defined`);
    return a;
  }

  private scalar(v: Value): string {
    const a = this.get(v);
    if (a.scalar === undefined) throw new Error('interpreter: expected a scalar');
    return a.scalar;
  }

  private defineScalar(v: Value, expr: string): void {
    const name = this.fresh('v');
    this.line(`const ${name} = ${expr};`);
    this.access.set(v, { shape: [], elem: elementType(v.type), scalar: name, cost: 0 });
  }

  /** Writes every element of `a` into buffer `dest`. */
  private fill(dest: string, a: Access): void {
    if (a.scalar !== undefined) this.line(`${dest}.fill(${a.scalar});`);
    else if (a.buffer !== undefined) {
      if (a.buffer !== dest) this.line(`${dest}.set(${a.buffer});`);
    } else this.loop(a.shape, (ix) => this.line(`${dest}[${ix.linear}] = ${at(a, ix)};`));
  }

  /** A buffer holding `a` (itself, if it is one). */
  private materialize(a: Access): string {
    if (a.buffer !== undefined) return a.buffer;
    const dest = this.alloc(a.elem, a.shape.reduce((p, q) => p * q, 1));
    this.fill(dest, a);
    return dest;
  }

  /** Records a tile value's access, storing a lazy one when recomputing it would cost too much. */
  private defineTile(v: Value, a: Access): void {
    if (a.lazy) {
      const uses = this.uses.get(v) ?? [];
      const def = v.definingOp?.parent;
      const elsewhere = uses.some((u) => u.parent !== def);
      if (a.cost > MAX_FUSED || ((uses.length > 1 || elsewhere) && a.cost > CHEAP)) {
        this.access.set(v, { shape: a.shape, elem: a.elem, buffer: this.materialize(a), cost: 1 });
        return;
      }
    }
    this.access.set(v, a);
  }

  private site(kind: OpSite['kind'], op: Operation, element: ScalarType | undefined, shape: readonly number[]): number {
    const bytes = element instanceof FloatType ? element.width / 8 : element instanceof IntType ? Math.max(1, element.width / 8) : 8;
    if (this.sanitize && shape.reduce((p, q) => p * q, 1) > MAX_SANITIZED_LANES) {
      throw new Error(`the sanitizer handles tiles of up to ${MAX_SANITIZED_LANES} elements, and ${op.name} has [${shape.join(', ')}]`);
    }
    const rmw = op.attrs['atomic_rmw_op'];
    this.sites.push({ kind, loc: op.loc, element: element?.text ?? '', bytes, shape, op: op.name, ...(typeof rmw === 'string' ? { rmw } : {}) });
    return this.sites.length - 1;
  }

  // ---- blocks and ops ----

  private block(b: Block): void {
    for (const op of b.ops) this.op(op);
  }

  private op(op: Operation): void {
    const handler = interpreterHandlerFor(op);
    if (!handler) throw new Error(`the interpreter cannot run ${op.name}`);
    handler(this, op);
  }

  /** How each op compiles, by name (elementwise ops go through `elementwise`, see interpreterHandlerFor). */
  static readonly handlers: Readonly<Record<string, InterpreterHandler>> = {
    'arith.constant': (g, op) => g.constant(op),
    'tt.get_program_id': (g, op) => void g.access.set(op.result, { shape: [], elem: elementType(op.result.type), scalar: `pid${op.attrs['axis']}`, cost: 0 }),
    'tt.get_num_programs': (g, op) => void g.access.set(op.result, { shape: [], elem: elementType(op.result.type), scalar: `np${op.attrs['axis']}`, cost: 0 }),
    'tt.make_range': (g, op) => {
      const start = op.attrs['start'] as number;
      g.defineTile(op.result, { shape: shapeOf(op.result.type), elem: elementType(op.result.type), lazy: (ix) => (start ? `(${start} + ${ix.vars[0]})` : ix.vars[0]!), cost: 1 });
    },
    'tt.splat': (g, op) => void g.access.set(op.result, { shape: shapeOf(op.result.type), elem: elementType(op.result.type), scalar: g.scalar(op.operands[0]!), cost: 0 }),
    'tt.broadcast': (g, op) => g.broadcast(op),
    'tt.expand_dims': (g, op) => g.expandDims(op),
    'tt.reshape': (g, op) => g.reshape(op),
    'tt.trans': (g, op) => g.trans(op),
    'tt.join': (g, op) => g.join(op),
    'tt.split': (g, op) => g.split(op),
    'tt.gather': (g, op) => g.gather(op),
    'tt.histogram': (g, op) => g.histogram(op),
    'tt.load': (g, op) => g.load(op),
    'tt.store': (g, op) => g.store(op),
    'tt.atomic_rmw': (g, op) => g.atomic(op),
    'tt.atomic_cas': (g, op) => g.atomic(op),
    'tt.dot': (g, op) => g.dot(op),
    'tt.reduce': (g, op) => g.reduce(op),
    'tt.scan': (g, op) => g.scan(op),
    'tt.print': (g, op) => g.print(op),
    'tt.assert': (g, op) => g.assert(op),
    'tt.assume': (g, op) => g.assert(op),
    // PTX has no meaning on the CPU: the kernel is refused before it runs, at the call.
    'tt.elementwise_inline_asm': (_g, op) => {
      throw errorAt(
        op.loc,
        'tl.inlineAsmElementwise runs inline PTX, which only the GPU backend can execute: the interpreter cannot run this kernel',
        'launch it on the GPU (GPU tensors, without KT_INTERPRET=1 or --interpret), or write the computation with tl functions where it must also run on the interpreter',
      );
    },
    // tl.debugBarrier: the interpreter runs a program's lanes in order, so only the sanitizer, which checks the
    // order of their accesses, needs to know where the barriers are.
    'gpu.barrier': (g) => {
      if (g.sanitize) g.line('mem.barrier();');
    },
    'scf.for': (g, op) => g.forLoop(op),
    'scf.if': (g, op) => g.ifOp(op),
    'scf.while': (g, op) => g.whileLoop(op),
    'tt.return': (g) => g.line('return;'),
  };

  /** The one rule for every op with the 'elementwise' trait. */
  static readonly elementwiseHandler: InterpreterHandler = (g, op) => g.elementwise(op);

  private constant(op: Operation): void {
    const a = op.attrs['value'];
    const s = a instanceof DenseAttr ? a.splat : (a as IntegerAttr | FloatAttr);
    const el = s.type;
    const value = s instanceof IntegerAttr ? (el instanceof IntType && el.width === 64 ? s.value : Number(s.value)) : s.value;
    this.access.set(op.result, { shape: shapeOf(op.result.type), elem: el, scalar: literal(el, value), cost: 0 });
  }

  private elementwise(op: Operation): void {
    const args = op.operands.map((v) => this.get(v));
    const shape = shapeOf(op.result.type);
    const elem = elementType(op.result.type);
    const checked = this.sanitize ? this.checkedExpr(op, shape) : undefined;
    if (checked) {
      if (args.every((a) => a.scalar !== undefined)) {
        const expr = checked(args.map((a) => a.scalar!), '0');
        if (!shape.length) return this.defineScalar(op.result, expr);
        const name = this.fresh('u');
        this.line(`const ${name} = ${expr};`);
        return void this.access.set(op.result, { shape, elem, scalar: name, cost: 0 });
      }
      // The plain program's cost, so that the same values are fused (and the same lanes computed) in both.
      const cost = opCost(op.name) + args.reduce((sum, a) => sum + (a.lazy ? a.cost : a.buffer ? 1 : 0), 0);
      return this.defineTile(op.result, { shape, elem, lazy: (ix) => checked(args.map((a) => at(a, ix)), ix.linear ?? linearize(ix.vars, shape)), cost });
    }
    if (args.every((a) => a.scalar !== undefined)) {
      const expr = pointerOrElementExpr(op, args.map((a) => a.scalar!));
      if (expr === undefined) throw new Error(`the interpreter cannot run ${op.name}`);
      if (!shape.length) return this.defineScalar(op.result, expr);
      const name = this.fresh('u');
      this.line(`const ${name} = ${expr};`);
      return void this.access.set(op.result, { shape, elem, scalar: name, cost: 0 });
    }
    const cost = opCost(op.name) + args.reduce((sum, a) => sum + (a.lazy ? a.cost : a.buffer ? 1 : 0), 0);
    this.defineTile(op.result, {
      shape,
      elem,
      lazy: (ix) => pointerOrElementExpr(op, args.map((a) => at(a, ix)))!,
      cost,
    });
  }

  /**
   * In a sanitized program, the checked expression of an integer division or remainder (divisor not 0), of index
   * arithmetic in i32 or i64 (no overflow), or of an addptr with i64 offsets (byte offset within i64); given the
   * operands' expressions and the lane. Undefined for ops with no check.
   */
  private checkedExpr(op: Operation, shape: readonly number[]): ((args: readonly string[], lane: string) => string) | undefined {
    const rt = elementType(op.result.type);
    if (/^arith\.(div|rem)[su]i$/.test(op.name)) {
      const id = this.site('division', op, rt, shape);
      return (xs, lane) => `(mem.divisor(${xs[1]}, ${id}, ${lane}), ${elementExpr(op, xs)})`;
    }
    if (this.indexOps!.has(op)) {
      const fn = `${op.name.slice('arith.'.length, -1)}${(rt as IntType).width}`;
      const id = this.site('arithmetic', op, rt, shape);
      return (xs, lane) => `mem.${fn}(${xs[0]}, ${xs[1]}, ${id}, ${lane})`;
    }
    const off = op.operands[1] ? elementType(op.operands[1].type) : undefined;
    if (op.name === 'tt.addptr' && off instanceof IntType && off.width === 64) {
      const id = this.site('arithmetic', op, off, shape);
      const bytes = pointeeBytes(rt as PointerType);
      return (xs, lane) => elementExpr(op, [xs[0]!, `mem.offset64(${xs[1]}, ${bytes}, ${id}, ${lane})`])!;
    }
    return undefined;
  }

  private broadcast(op: Operation): void {
    const src = this.get(op.operands[0]!);
    const shape = shapeOf(op.result.type);
    if (src.scalar !== undefined) return void this.access.set(op.result, { ...src, shape });
    const from = src.shape;
    this.defineTile(op.result, {
      shape,
      elem: src.elem,
      lazy: (ix) => at(src, { vars: ix.vars.map((v, d) => (from[d] === 1 && shape[d] !== 1 ? '0' : v)) }),
      cost: src.lazy ? src.cost : 1,
    });
  }

  private expandDims(op: Operation): void {
    const src = this.get(op.operands[0]!);
    const shape = shapeOf(op.result.type);
    const axis = op.attrs['axis'] as number;
    if (src.scalar !== undefined || src.buffer !== undefined) return void this.access.set(op.result, { ...src, shape });
    this.defineTile(op.result, { shape, elem: src.elem, lazy: (ix) => at(src, { vars: ix.vars.filter((_, d) => d !== axis), linear: ix.linear }), cost: src.cost });
  }

  private reshape(op: Operation): void {
    const src = this.get(op.operands[0]!);
    const shape = shapeOf(op.result.type);
    if (src.scalar !== undefined) return void this.access.set(op.result, { ...src, shape });
    this.access.set(op.result, { shape, elem: src.elem, buffer: this.materialize(src), cost: 1 });
  }

  private trans(op: Operation): void {
    const src = this.get(op.operands[0]!);
    const shape = shapeOf(op.result.type);
    const order = op.attrs['order'] as number[];
    if (src.scalar !== undefined) return void this.access.set(op.result, { ...src, shape });
    this.defineTile(op.result, {
      shape,
      elem: src.elem,
      lazy: (ix) => {
        const vars: string[] = [];
        order.forEach((o, i) => (vars[o] = ix.vars[i]!));
        return at(src, { vars });
      },
      cost: src.lazy ? src.cost : 1,
    });
  }

  private join(op: Operation): void {
    const [a, b] = op.operands.map((v) => this.get(v)) as [Access, Access];
    const shape = shapeOf(op.result.type);
    this.defineTile(op.result, {
      shape,
      elem: a.elem,
      lazy: (ix) => {
        const inner = { vars: ix.vars.slice(0, -1) };
        return `(${ix.vars[ix.vars.length - 1]} === 0 ? ${at(a, inner)} : ${at(b, inner)})`;
      },
      cost: 2 + (a.lazy ? a.cost : 1) + (b.lazy ? b.cost : 1),
    });
  }

  private gather(op: Operation): void {
    const [src, index] = op.operands.map((v) => this.get(v)) as [Access, Access];
    const shape = shapeOf(op.result.type);
    if (src.scalar !== undefined) return void this.access.set(op.result, { ...src, shape });
    const axis = op.attrs['axis'] as number;
    const n = src.shape[axis]!;
    const from = this.materialize(src);
    this.defineTile(op.result, {
      shape,
      elem: src.elem,
      lazy: (ix) => {
        // The index is taken modulo the axis size (a power of two), as on the GPU.
        const vars = [...ix.vars];
        vars[axis] = `(${at(index, ix)} & ${n - 1})`;
        return `${from}[${linearize(vars, src.shape)}]`;
      },
      cost: 2 + (index.lazy ? index.cost : 1),
    });
  }

  private histogram(op: Operation): void {
    const [input, mask] = op.operands.map((v) => this.get(v)) as [Access, Access];
    const bins = shapeOf(op.result.type)[0]!;
    const out = this.alloc(elementType(op.result.type), bins);
    this.line(`${out}.fill(0);`);
    this.loop(input.shape, (ix) => {
      const b = this.fresh('b');
      this.line(`const ${b} = ${at(input, ix)};`);
      // Unsigned, so that negative values are out of range too.
      this.line(`if (${at(mask, ix)} && ${b} >>> 0 < ${bins}) ${out}[${b}]++;`);
    });
    this.access.set(op.result, { shape: [bins], elem: elementType(op.result.type), buffer: out, cost: 1 });
  }

  private split(op: Operation): void {
    const src = this.get(op.operands[0]!);
    op.results.forEach((r, k) => {
      const shape = shapeOf(r.type);
      if (!shape.length) return this.defineScalar(r, at(src, { vars: [String(k)] }));
      this.defineTile(r, { shape, elem: src.elem, lazy: (ix) => at(src, { vars: [...ix.vars, String(k)] }), cost: src.lazy ? src.cost : 1 });
    });
  }

  // ---- memory ----

  /** Declares the cursor locals of a memory op; returns their names. */
  private cursor(siteId: number): { c: string; base: string; n: string; arr: string } {
    const c = `c${siteId}`;
    const names = { c, base: `cb${siteId}`, n: `cn${siteId}`, arr: `ca${siteId}` };
    this.line(`const ${c} = mem.cursors[${siteId}]; let ${names.base} = ${c}.base, ${names.n} = ${c}.n, ${names.arr} = ${c}.arr;`);
    return names;
  }

  /** Statements setting `j` to the element index of address `addr`, checking bounds. */
  private resolve(cur: { c: string; base: string; n: string; arr: string }, siteId: number, addr: string, lane: string, bytes: number): void {
    this.line(`const ad = ${addr};`);
    this.line(`let j = (ad - ${cur.base}) * ${1 / bytes};`);
    this.line(`if (j !== (j | 0) || j < 0 || j >= ${cur.n}) { j = mem.resolve(${cur.c}, ad, ${siteId}, ${lane}); ${cur.base} = ${cur.c}.base; ${cur.n} = ${cur.c}.n; ${cur.arr} = ${cur.c}.arr; }`);
  }

  /** A value from its memory form: 16- and 8-bit floats are stored as their bits. */
  private decode(elem: ScalarType, e: string): string {
    if (elem.text === 'f16') return `f16dec[${e}]`;
    if (elem.text === 'bf16') return `bf16dec[${e}]`;
    if (elem.text === 'f8E4M3FN') return `e4m3dec[${e}]`;
    if (elem.text === 'f8E5M2') return `e5m2dec[${e}]`;
    return e;
  }

  private encode(elem: ScalarType, e: string): string {
    if (elem.text === 'f16') return `f16enc(${e})`;
    if (elem.text === 'bf16') return `bf16enc(${e})`;
    if (elem.text === 'f8E4M3FN') return `e4m3enc(${e})`;
    if (elem.text === 'f8E5M2') return `e5m2enc(${e})`;
    return e;
  }

  /** Emits `each` for every element (or once for a scalar op), with the lane's index. */
  private perElement(shape: readonly number[], each: (ix: Index, lane: string) => void): void {
    if (!shape.length) {
      this.line('{');
      this.indent(() => each({ vars: [], linear: '0' }, '0'));
      this.line('}');
      return;
    }
    this.loop(shape, (ix) => each(ix, ix.linear!));
  }

  private load(op: Operation): void {
    const [ptr, mask, other] = op.operands.map((v) => this.get(v));
    const elem = elementType(op.result.type);
    const shape = shapeOf(op.result.type);
    const id = this.site('load', op, elem, shape);
    const bytes = this.sites[id]!.bytes;
    const out = shape.length ? this.alloc(elem, shape.reduce((p, q) => p * q, 1)) : this.fresh('v');
    if (!shape.length) this.line(`let ${out} = ${zeroOf(elem)};`);
    const cur = this.cursor(id);
    this.perElement(shape, (ix, lane) => {
      const dest = shape.length ? `${out}[${lane}]` : out;
      const read = (): void => {
        this.resolve(cur, id, at(ptr!, ix), lane, bytes);
        if (this.sanitize) this.line(`mem.checkLoad(${cur.c}, j, ${id}, ${lane});`);
        this.line(`${dest} = ${this.decode(elem, `${cur.arr}[j]`)};`);
      };
      if (!mask) return read();
      this.line(`if (${at(mask, ix)}) {`);
      this.indent(read);
      this.line(`} else ${dest} = ${other ? at(other, ix) : zeroOf(elem)};`);
    });
    this.access.set(op.result, shape.length ? { shape, elem, buffer: out, cost: 1 } : { shape, elem, scalar: out, cost: 0 });
  }

  private store(op: Operation): void {
    const [ptr, value, mask] = op.operands.map((v) => this.get(v));
    const elem = elementType(op.operands[1]!.type);
    const shape = shapeOf(op.operands[0]!.type);
    const id = this.site('store', op, elem, shape);
    const bytes = this.sites[id]!.bytes;
    const cur = this.cursor(id);
    this.perElement(shape, (ix, lane) => {
      const write = (): void => {
        this.resolve(cur, id, at(ptr!, ix), lane, bytes);
        if (this.sanitize) this.line(`mem.checkStore(${cur.c}, j, ${id}, ${lane});`);
        this.line(`${cur.arr}[j] = ${this.encode(elem, at(value!, ix))};`);
      };
      if (!mask) return write();
      this.line(`if (${at(mask, ix)}) {`);
      this.indent(write);
      this.line('}');
    });
  }

  private atomic(op: Operation): void {
    const isCas = op.name === 'tt.atomic_cas';
    const [ptr, a, b] = op.operands.map((v) => this.get(v));
    const mask = isCas ? undefined : b;
    const elem = elementType(op.result.type);
    const shape = shapeOf(op.result.type);
    const id = this.site('atomic', op, elem, shape);
    const bytes = this.sites[id]!.bytes;
    const out = shape.length ? this.alloc(elem, shape.reduce((p, q) => p * q, 1)) : this.fresh('v');
    if (!shape.length) this.line(`let ${out} = ${zeroOf(elem)};`);
    const cur = this.cursor(id);
    this.perElement(shape, (ix, lane) => {
      const dest = shape.length ? `${out}[${lane}]` : out;
      const body = (): void => {
        this.resolve(cur, id, at(ptr!, ix), lane, bytes);
        if (this.sanitize) this.line(`mem.checkAtomic(${cur.c}, j, ${id}, ${lane});`);
        this.line(`const old = ${this.decode(elem, `${cur.arr}[j]`)};`);
        if (isCas) {
          const same = elem instanceof FloatType ? `$.floatToBits(old, '${elem.text}') === $.floatToBits(${at(a!, ix)}, '${elem.text}')` : `old === ${at(a!, ix)}`;
          this.line(`if (${same}) ${cur.arr}[j] = ${this.encode(elem, at(b!, ix))};`);
        } else {
          this.line(`${cur.arr}[j] = ${this.encode(elem, rmwExpr(op.attrs['atomic_rmw_op'] as string, elem, 'old', at(a!, ix)))};`);
        }
        this.line(`${dest} = old;`);
      };
      if (!mask) return body();
      this.line(`if (${at(mask, ix)}) {`);
      this.indent(body);
      this.line(`} else ${dest} = ${zeroOf(elem)};`);
    });
    this.access.set(op.result, shape.length ? { shape, elem, buffer: out, cost: 1 } : { shape, elem, scalar: out, cost: 0 });
  }

  // ---- compute ----

  private dot(op: Operation): void {
    const [a, b, c] = op.operands.map((v) => this.get(v)) as [Access, Access, Access];
    const [M, K] = a.shape as [number, number];
    const N = b.shape[1]!;
    const acc = elementType(op.result.type);
    const tf32 = op.attrs['inputPrecision'] === 'tf32';
    let A = this.materialize(a);
    let B = this.materialize(b);
    if (tf32) {
      // Tensor cores read f32 inputs as tf32, dropping the low 13 mantissa bits; do the same so results agree.
      const [ta, tb] = [this.alloc(a.elem, M * K), this.alloc(b.elem, K * N)];
      this.line(`for (let q = 0; q < ${M * K}; q++) ${ta}[q] = $.tf32(${A}[q]);`);
      this.line(`for (let q = 0; q < ${K * N}; q++) ${tb}[q] = $.tf32(${B}[q]);`);
      [A, B] = [ta, tb];
    }
    const D = this.alloc(acc, M * N);
    this.fill(D, c);
    // Accumulators round on each store into their typed array: f32 and f64 to their own precision, and f16 ones
    // (a Float32Array) to f32 as well. An f16 accumulator is rounded to f16 once per step of F16_DOT_K_STEP along k,
    // as the tensor cores' f16 dots do (mma.sync and wgmma with an f16 accumulator add one instruction's 16 products
    // before rounding once): f32 sums within a step, which the GPU's FMA path computes the same way (dot-fma.ts).
    const update = (row: string, e: string) => `${D}[${row} + n] += ${e};`;
    const f16Step = acc.text === 'f16' ? Math.min(F16_DOT_K_STEP, K) : 0;
    // Tiles are powers of two, so K is a whole number of steps; the rounding below lands at each step's end.
    if (f16Step && K % f16Step !== 0) throw new Error(`interpreter: an f16-accumulated dot's K (${K}) is not a multiple of its step (${f16Step})`);
    const aAt = (row: string): string => (is64(a.elem) ? `BigInt(${A}[${row} + k])` : `${A}[${row} + k]`);
    // Rows go four at a time so that each element of B is loaded once per four products. Every product is
    // still added to its accumulator in k order, one rounding each, as in the plain triple loop.
    const rows = M % 4 === 0 ? 4 : 1;
    this.line(`for (let m = 0; m < ${M}; m += ${rows}) {`);
    this.indent(() => {
      for (let r = 0; r < rows; r++) this.line(`const dr${r} = (m + ${r}) * ${N}, ar${r} = (m + ${r}) * ${K};`);
      this.line(`for (let k = 0; k < ${K}; k++) {`);
      this.indent(() => {
        this.line(`const br = k * ${N}${Array.from({ length: rows }, (_, r) => `, av${r} = ${aAt(`ar${r}`)}`).join('')};`);
        this.line(`for (let n = 0; n < ${N}; n++) {`);
        this.indent(() => {
          this.line(`const bv = ${B}[br + n];`);
          for (let r = 0; r < rows; r++) this.line(update(`dr${r}`, `av${r} * bv`));
        });
        this.line('}');
        if (f16Step) {
          this.line(`if (k % ${f16Step} === ${f16Step - 1}) {`);
          this.indent(() => {
            this.line(`for (let n = 0; n < ${N}; n++) {`);
            this.indent(() => {
              for (let r = 0; r < rows; r++) this.line(`${D}[dr${r} + n] = $.f16(${D}[dr${r} + n]);`);
            });
            this.line('}');
          });
          this.line('}');
        }
      });
      this.line('}');
    });
    this.line('}');
    this.access.set(op.result, { shape: [M, N], elem: acc, buffer: D, cost: 1 });
  }

  /** Emits a combine region's body on scalars; returns the expressions of its terminator's operands. */
  private combine(region: Block, args: readonly string[]): string[] {
    region.args.forEach((a, i) => this.access.set(a, { shape: [], elem: elementType(a.type), scalar: args[i]!, cost: 0 }));
    for (const op of region.ops.slice(0, -1)) this.op(op);
    return region.terminator!.operands.map((v) => this.scalar(v));
  }

  /** Emits one step of a reduction or scan: reads each input at `ix` and combines it into the accumulators. */
  private combineStep(region: Block, inputs: readonly Access[], accs: readonly string[], ix: Index): void {
    const xs = inputs.map((a) => {
      const x = this.fresh('x');
      this.line(`const ${x} = ${at(a, ix)};`);
      return x;
    });
    const next = this.combine(region, [...accs, ...xs]);
    // Assign through temporaries: a combine may return its arguments in another order.
    const tmps = next.map((e) => {
      const t = this.fresh('t');
      this.line(`const ${t} = ${e};`);
      return t;
    });
    accs.forEach((acc, i) => this.line(`${acc} = ${tmps[i]};`));
  }

  private reduce(op: Operation): void {
    const inputs = op.operands.map((v) => this.get(v));
    const axis = op.attrs['axis'] as number;
    const len = inputs[0]!.shape[axis]!;
    const outShape = inputs[0]!.shape.filter((_, d) => d !== axis);
    const region = op.regions[0]!.entry;
    const accs = inputs.map(() => this.fresh('acc'));
    const reduceAt = (ix: Index): void => {
      inputs.forEach((a, i) => this.line(`let ${accs[i]} = ${at(a, withAxis(ix, axis, '0'))};`));
      this.line(`for (let r = 1; r < ${len}; r++) {`);
      this.indent(() => this.combineStep(region, inputs, accs, withAxis(ix, axis, 'r')));
      this.line('}');
    };
    if (!outShape.length) {
      reduceAt({ vars: [] });
      op.results.forEach((r, i) => this.access.set(r, { shape: [], elem: elementType(r.type), scalar: accs[i]!, cost: 0 }));
      return;
    }
    const outs = op.results.map((r) => this.alloc(elementType(r.type), outShape.reduce((p, q) => p * q, 1)));
    this.loop(outShape, (ix) => {
      reduceAt(ix);
      outs.forEach((o, i) => this.line(`${o}[${ix.linear}] = ${accs[i]};`));
    });
    op.results.forEach((r, i) => this.access.set(r, { shape: outShape, elem: elementType(r.type), buffer: outs[i]!, cost: 1 }));
  }

  private scan(op: Operation): void {
    const inputs = op.operands.map((v) => this.get(v));
    const axis = op.attrs['axis'] as number;
    const reverse = op.attrs['reverse'] === true;
    const shape = inputs[0]!.shape;
    const len = shape[axis]!;
    const outShape = shape.filter((_, d) => d !== axis);
    const region = op.regions[0]!.entry;
    const outs = op.results.map((r) => this.alloc(elementType(r.type), shape.reduce((p, q) => p * q, 1)));
    const accs = inputs.map(() => this.fresh('acc'));
    const scanAt = (ix: Index): void => {
      const store = (pos: string): void => accs.forEach((acc, i) => this.line(`${outs[i]}[${linearize(withAxis(ix, axis, pos).vars, shape)}] = ${acc};`));
      const first = reverse ? String(len - 1) : '0';
      inputs.forEach((a, i) => this.line(`let ${accs[i]} = ${at(a, withAxis(ix, axis, first))};`));
      store(first);
      this.line(reverse ? `for (let r = ${len - 2}; r >= 0; r--) {` : `for (let r = 1; r < ${len}; r++) {`);
      this.indent(() => {
        this.combineStep(region, inputs, accs, withAxis(ix, axis, 'r'));
        store('r');
      });
      this.line('}');
    };
    if (!outShape.length) scanAt({ vars: [] });
    else this.loop(outShape, (ix) => scanAt(ix));
    op.results.forEach((r, i) => this.access.set(r, { shape, elem: elementType(r.type), buffer: outs[i]!, cost: 1 }));
  }

  // ---- debugging ----

  private print(op: Operation): void {
    const args = op.operands.map((v) => this.get(v));
    const shapes = args.map((a) => a.shape.join('x'));
    const shape = args.length && shapes.every((s) => s === shapes[0]) ? args[0]!.shape : [];
    const id = this.site('print', op, undefined, shape);
    const signed = (op.attrs['isSigned'] as number[]) ?? [];
    const show = (a: Access, ix: Index, i: number): string => {
      const e = at(a, ix);
      if (a.elem instanceof IntType && !signed[i] && a.elem.width > 1) return a.elem.width === 64 ? `BigInt.asUintN(64, ${e})` : `(${e}) >>> 0 & ${2 ** a.elem.width - 1}`;
      return e;
    };
    const prefix = JSON.stringify(op.attrs['prefix'] ?? '');
    const hex = op.attrs['hex'] === true;
    if (args.length && !shapes.every((s) => s === shapes[0])) {
      // Arguments of different shapes print one after the other.
      args.forEach((a, i) => {
        const sid = this.site('print', op, undefined, a.shape);
        this.perElement(a.shape, (ix, lane) => this.line(`mem.print(${sid}, ${lane}, ${prefix}, [${show(a, ix, i)}], ${hex});`));
      });
      return;
    }
    this.perElement(shape, (ix, lane) => this.line(`mem.print(${id}, ${lane}, ${prefix}, [${args.map((a, i) => show(a, ix, i)).join(', ')}], ${hex});`));
  }

  /** tt.assert, and tt.assume, whose promise the interpreter checks the same way. */
  private assert(op: Operation): void {
    const cond = this.get(op.operands[0]!);
    const id = this.site(op.name === 'tt.assume' ? 'assume' : 'assert', op, undefined, cond.shape);
    const msg = JSON.stringify(op.attrs['message']);
    this.perElement(cond.shape, (ix, lane) => this.line(`if (!(${at(cond, ix)})) mem.assertFailed(${id}, ${lane}, ${msg});`));
  }

  // ---- control flow ----

  /** The storage of a loop- or branch-carried value: a `let` for scalars, a buffer for tiles. */
  private carrier(v: Value): Access {
    const shape = shapeOf(v.type);
    const elem = elementType(v.type);
    if (!shape.length) {
      const name = this.fresh('s');
      this.line(`let ${name};`);
      return { shape, elem, scalar: name, cost: 0 };
    }
    return { shape, elem, buffer: this.alloc(elem, shape.reduce((p, q) => p * q, 1)), cost: 1 };
  }

  /**
   * Assigns `values` to `carriers` as one parallel assignment: values that read a carrier being assigned go
   * through a temporary first.
   */
  private assign(carriers: readonly Access[], values: readonly Access[]): void {
    const targets = new Set(carriers.map((c) => c.buffer ?? c.scalar));
    const staged = values.map((v, i) => {
      const c = carriers[i]!;
      if (c.scalar !== undefined) {
        const t = this.fresh('t');
        this.line(`const ${t} = ${at(v, { vars: [], linear: '0' })};`);
        return { shape: [], elem: v.elem, scalar: t, cost: 0 } as Access;
      }
      const fresh = v.buffer !== undefined && !targets.has(v.buffer);
      return fresh || v.buffer === c.buffer || v.scalar !== undefined ? v : { ...v, buffer: this.materialize(v), lazy: undefined };
    });
    carriers.forEach((c, i) => {
      const v = staged[i]!;
      if (c.scalar !== undefined) this.line(`${c.scalar} = ${v.scalar};`);
      else this.fill(c.buffer!, v);
    });
  }

  private forLoop(op: Operation): void {
    const [lb, ub, step, ...inits] = op.operands.map((v) => this.get(v));
    const body = op.regions[0]!.entry;
    const carriers = op.results.map((r) => this.carrier(r));
    this.assign(carriers, inits);
    const iv = this.fresh('iv');
    const restore = this.enterLoop(op);
    this.line(`for (let ${iv} = ${lb!.scalar}; ${iv} < ${ub!.scalar}; ${iv} += ${step!.scalar}) {`);
    this.indent(() => {
      this.access.set(body.args[0]!, { shape: [], elem: elementType(body.args[0]!.type), scalar: iv, cost: 0 });
      body.args.slice(1).forEach((a, i) => this.access.set(a, carriers[i]!));
      for (const inner of body.ops.slice(0, -1)) this.op(inner);
      this.assign(carriers, body.terminator!.operands.map((v) => this.get(v)));
    });
    this.line('}');
    restore();
    op.results.forEach((r, i) => this.access.set(r, carriers[i]!));
  }

  /** In a sanitized program, records that the program is in this loop (for hang reports); returns the exit's emitter. */
  private enterLoop(op: Operation): () => void {
    if (!this.sanitize) return () => {};
    const id = this.site('loop', op, undefined, []);
    this.line(`const outer${id} = mem.loop; mem.loop = ${id};`);
    return () => this.line(`mem.loop = outer${id};`);
  }

  private ifOp(op: Operation): void {
    const cond = this.scalar(op.operands[0]!);
    const carriers = op.results.map((r) => this.carrier(r));
    const branch = (b: Block): void => {
      this.indent(() => {
        for (const inner of b.ops.slice(0, -1)) this.op(inner);
        this.assign(carriers, b.terminator!.operands.map((v) => this.get(v)));
      });
    };
    this.line(`if (${cond}) {`);
    branch(op.regions[0]!.entry);
    this.line('} else {');
    branch(op.regions[1]!.entry);
    this.line('}');
    op.results.forEach((r, i) => this.access.set(r, carriers[i]!));
  }

  private whileLoop(op: Operation): void {
    const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
    const state = before.args.map((a) => this.carrier(a));
    this.assign(state, op.operands.map((v) => this.get(v)));
    const results = op.results.map((r) => this.carrier(r));
    const restore = this.enterLoop(op);
    this.line('for (;;) {');
    this.indent(() => {
      before.args.forEach((a, i) => this.access.set(a, state[i]!));
      for (const inner of before.ops.slice(0, -1)) this.op(inner);
      const [cond, ...forwarded] = before.terminator!.operands.map((v) => this.get(v));
      this.line(`if (!(${cond!.scalar})) {`);
      this.indent(() => {
        this.assign(results, forwarded);
        this.line('break;');
      });
      this.line('}');
      after.args.forEach((a, i) => this.access.set(a, forwarded[i]!));
      for (const inner of after.ops.slice(0, -1)) this.op(inner);
      this.assign(state, after.terminator!.operands.map((v) => this.get(v)));
    });
    this.line('}');
    restore();
    op.results.forEach((r, i) => this.access.set(r, results[i]!));
  }
}

/** The new memory contents of an atomic read-modify-write. */
function rmwExpr(kind: string, elem: ScalarType, old: string, v: string): string {
  const w = elem instanceof IntType ? elem.width : 0;
  const u = (e: string): string => (w === 64 ? `BigInt.asUintN(64, ${e})` : `(${e} >>> 0)`);
  switch (kind) {
    case 'add':
      return wrapInt(w, `${old} + ${v}`);
    case 'fadd':
      return roundTo(elem, `${old} + ${v}`);
    case 'max':
      return `(${old} >= ${v} ? ${old} : ${v})`;
    case 'min':
      return `(${old} <= ${v} ? ${old} : ${v})`;
    case 'umax':
      return `(${u(old)} >= ${u(v)} ? ${old} : ${v})`;
    case 'umin':
      return `(${u(old)} <= ${u(v)} ? ${old} : ${v})`;
    case 'xchg':
      return v;
    case 'and':
      return `(${old} & ${v})`;
    case 'or':
      return `(${old} | ${v})`;
    case 'xor':
      return `(${old} ^ ${v})`;
  }
  throw new Error(`unknown atomic ${kind}`);
}

/**
 * An elementwise op's expression (elementExpr's), except that conversions between int64 and pointers go through
 * the launch's memory, which keeps every int64 exact (see memory.ts).
 */
function pointerOrElementExpr(op: Operation, args: readonly string[]): string | undefined {
  if (op.name === 'tt.int_to_ptr' && is64(elementType(op.operands[0]!.type))) return `mem.intToPtr(${args[0]})`;
  if (op.name === 'tt.ptr_to_int' && is64(elementType(op.result.type))) return `mem.ptrToInt(${args[0]})`;
  return elementExpr(op, args);
}

/** Emits the JavaScript of one op into a program being generated. */
export type InterpreterHandler = (gen: ProgramGen, op: Operation) => void;

/**
 * The handler of `op` in the interpreter: one per op name, or the elementwise rule for ops with the
 * 'elementwise' trait; undefined when the interpreter cannot run it. (ops-coverage.test.ts checks that every
 * op that can reach the interpreter has one.)
 */
export function interpreterHandlerFor(op: Operation): InterpreterHandler | undefined {
  if (Object.hasOwn(ProgramGen.handlers, op.name)) return ProgramGen.handlers[op.name];
  return hasTrait(op, 'elementwise') ? ProgramGen.elementwiseHandler : undefined;
}

export function generateProgram(func: Operation, options: ProgramOptions = {}): GeneratedProgram {
  if (func.name !== 'tt.func') throw new Error('generateProgram expects a tt.func');
  return new ProgramGen(func, options.sanitize === true).generate();
}

