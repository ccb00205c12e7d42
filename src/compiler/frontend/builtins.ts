// The tl builtins as the frontend sees them: each names its parameters (filled by position or by an options
// object, as Triton's keyword arguments) and calls the semantic layer. The user-facing documentation of each
// lives in src/dsl/tl.ts; this table and that file list the same names (a test keeps them in step).
import type { ts } from 'ts-morph';
import { TS } from './typescript.ts';
import { DType, PointerDType, allDTypes, dtypes, pointerTo } from '../semantic/dtype.ts';
import { SemanticError } from '../semantic/errors.ts';
import { dot } from '../semantic/dot.ts';
import { atomicCas, atomicRmw, load, store, type AtomicKind } from '../semantic/memory.ts';
import { assume, debugBarrier, devicePrint, deviceAssert } from '../semantic/debug.ts';
import { DEFAULT_ROUNDS, normalPair, randint4x, uniformFromBits } from '../semantic/random.ts';
import { cumulative, minMax, minMaxWithIndices, reduce, scan, sum, xorSum, type Combine } from '../semantic/reduce.ts';
import { cat, flip, histogram, interleave, sort, swizzle2d } from '../semantic/standard.ts';
import { inlineAsmElementwise } from '../semantic/inline-asm.ts';
import { Constexpr, TValue, type Operand } from '../semantic/values.ts';
import type { Codegen } from './codegen.ts';
import { isTruthy } from './constexpr.ts';
import { Tuple, describeValue, isCallable, type KValue } from './scope.ts';
import { unwrap, type ResolvedFunction } from './source.ts';
import { roundTowardZero, type FloatFormatName } from '../../numerics.ts';

/** tl.float16, tl.f16, ...: every dtype under its Triton name and its kt name. */
export const tlDTypes: ReadonlyMap<string, DType> = new Map(allDTypes.flatMap((d) => [[d.tritonName, d] as const, [d.name, d] as const]));

interface BuiltinDef {
  /** Parameter names in positional order; 'x?' is optional, '...xs' takes the remaining positional arguments. */
  readonly params: readonly string[];
  readonly impl: (c: Call) => KValue;
}

/** One call of a builtin: its arguments by parameter name, with typed accessors that raise located errors. */
export class Call {
  private readonly args = new Map<string, { node: ts.Node; value: KValue }>();
  private readonly rest: { node: ts.Node; value: KValue }[] = [];
  constructor(
    readonly cg: Codegen,
    readonly name: string,
    readonly node: ts.CallExpression,
    def: BuiltinDef,
    self?: KValue,
    /** The method's name when called as one (`x.sum(0)`), for messages. */
    private readonly method?: string,
  ) {
    const params = def.params.map((p) => ({ name: p.replace(/^\.\.\.|\?$/g, ''), optional: p.endsWith('?'), rest: p.startsWith('...') }));
    // A method's first parameter is the tile it is called on.
    const shown = self === undefined ? def.params : def.params.slice(1);
    const argNodes = [...node.arguments];
    const last = argNodes.length ? unwrap(argNodes[argNodes.length - 1]!) : undefined;
    const options = last && TS.isObjectLiteralExpression(last) ? (argNodes.pop(), last) : undefined;
    let pi = 0;
    if (self !== undefined) this.args.set(params[pi++]!.name, { node: node.expression, value: self });
    for (const a of argNodes) {
      const p = params[pi];
      if (!p) throw cg.error(a, `${this.title} takes at most ${params.length - (self ? 1 : 0)} arguments`, `its parameters are (${shown.join(', ')})`);
      const value = cg.expr(a);
      if (p.rest) this.rest.push({ node: a, value });
      else {
        this.args.set(p.name, { node: a, value });
        pi++;
      }
    }
    if (options) {
      for (const prop of options.properties) {
        let key: string;
        let valueNode: ts.Expression;
        if (TS.isPropertyAssignment(prop) && (TS.isIdentifier(prop.name) || TS.isStringLiteral(prop.name))) {
          key = prop.name.text;
          valueNode = prop.initializer;
        } else if (TS.isShorthandPropertyAssignment(prop)) {
          key = prop.name.text;
          valueNode = prop.name;
        } else throw cg.error(prop, 'expected `name: value` or a shorthand `name`');
        const p = params.find((q) => q.name === key && !q.rest);
        if (!p) {
          const names = params.filter((q) => !q.rest).map((q) => q.name);
          throw cg.error(prop, `${this.title} has no option '${key}'`, `options are ${names.join(', ')}`);
        }
        if (this.args.has(key)) throw cg.error(prop, `${this.title}: '${key}' is given twice`);
        this.args.set(key, { node: valueNode, value: cg.expr(valueNode) });
      }
    }
    for (const p of params) {
      if (!p.optional && !p.rest && !this.args.has(p.name)) throw cg.error(node, `${this.title}: missing argument '${p.name}'`, `its parameters are (${shown.join(', ')})`);
    }
  }

  /** How the user wrote the callee: tl.load, or .sum for the method x.sum(...). */
  get title(): string {
    return this.method ? `.${this.method}` : `tl.${this.name}`;
  }

  has(p: string): boolean {
    return this.args.has(p) && !(this.args.get(p)!.value instanceof Constexpr && (this.args.get(p)!.value as Constexpr).value === null);
  }

  nodeOf(p: string): ts.Node {
    return this.args.get(p)?.node ?? this.node;
  }

  error(p: string, message: string, hint?: string): never {
    throw this.cg.error(this.nodeOf(p), `${this.title}: ${message}`, hint);
  }

  raw(p: string): KValue | undefined {
    return this.has(p) ? this.args.get(p)!.value : undefined;
  }

  restValues(): { node: ts.Node; value: KValue }[] {
    return this.rest;
  }

  /** A number or tile argument. */
  operand(p: string): Operand {
    const v = this.raw(p);
    if (v === undefined) this.error(p, `missing argument '${p}'`);
    return this.cg.operand(this.nodeOf(p), v);
  }

  /** A run-time value argument (numbers become constants). */
  value(p: string): TValue {
    const v = this.operand(p);
    return v instanceof TValue ? v : this.sem(p, () => this.cg.s.toValue(v));
  }

  constexpr(p: string, what = `'${p}'`): Constexpr {
    const v = this.raw(p);
    if (!(v instanceof Constexpr)) {
      this.error(p, `${what} must be a compile-time value, got ${v === undefined ? 'nothing' : describeValue(v)}`, v instanceof TValue ? 'pass a constexpr parameter or a literal; run-time values cannot set shapes or axes' : undefined);
    }
    return v;
  }

  int(p: string, fallback?: number): number {
    if (!this.has(p) && fallback !== undefined) return fallback;
    const c = this.constexpr(p);
    const v = typeof c.value === 'bigint' ? Number(c.value) : c.value;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.error(p, `'${p}' must be an integer, got ${c}`, c.isFloat ? 'kt follows Triton: `/` is true division; use tl.floordiv or `>>` for integer results' : undefined);
    return v;
  }

  bool(p: string, fallback: boolean): boolean {
    if (!this.has(p)) return fallback;
    return isTruthy(this.constexpr(p));
  }

  string(p: string, fallback: string): string {
    if (!this.has(p)) return fallback;
    const c = this.constexpr(p);
    if (typeof c.value !== 'string') this.error(p, `'${p}' must be a string, got ${c}`);
    return c.value;
  }

  dtype(p: string): DType {
    const c = this.constexpr(p);
    if (c.value instanceof DType) return c.value;
    if (typeof c.value === 'string') {
      const d = tlDTypes.get(c.value);
      if (d) return d;
    }
    return this.error(p, `'${p}' must be a dtype such as tl.float32, got ${c}`);
  }

  elementType(p: string): DType | PointerDType {
    const c = this.constexpr(p);
    return c.value instanceof PointerDType ? c.value : this.dtype(p);
  }

  /** A shape: a list of compile-time integers (or one integer). */
  shape(p: string): number[] {
    const c = this.constexpr(p, 'a shape');
    const items = Array.isArray(c.value) ? c.value : [c.value];
    return items.map((d) => {
      const n = typeof d === 'bigint' ? Number(d) : d;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) this.error(p, `shape entries must be positive integers, got ${c}`);
      return n;
    });
  }

  ints(p: string): number[] {
    const c = this.constexpr(p);
    const items = Array.isArray(c.value) ? c.value : [c.value];
    return items.map((d) => {
      if (typeof d !== 'number' || !Number.isInteger(d)) this.error(p, `'${p}' must be integers, got ${c}`);
      return d;
    });
  }

  /** An axis, or null for "all axes". */
  axis(p: string, fallback: number | null): number | null {
    if (!this.has(p)) return fallback;
    return this.int(p);
  }

  fn(p: string): ResolvedFunction {
    const v = this.raw(p);
    if (v === undefined || !isCallable(v) || v.kind !== 'function') {
      this.error(p, `'${p}' must name a function declared at the top level, got ${v === undefined ? 'nothing' : describeValue(v)}`, 'closures are not supported: declare `function combine(a, b) { ... }` and pass combine');
    }
    return v.fn;
  }

  /** A tuple argument's values, or the single value. */
  values(p: string): TValue[] {
    const v = this.raw(p);
    if (v instanceof Tuple) return v.items.map((x) => (x instanceof TValue ? x : this.sem(p, () => this.cg.s.toValue(this.cg.operand(this.nodeOf(p), x)))));
    return [this.value(p)];
  }

  /** Runs semantic code with errors located at argument `p` (or at the call). */
  sem<T>(p: string | undefined, f: () => T): T {
    return this.cg.at(p ? this.nodeOf(p) : this.node, f);
  }
}

const combineWith = (c: Call, fn: ResolvedFunction): Combine => (accs, xs) => {
  const r = c.cg.callHelper(c.node, fn, [...accs, ...xs]);
  const items = r instanceof Tuple ? r.items : [r];
  return items.map((v) => {
    if (!(v instanceof TValue)) throw c.cg.error(c.nodeOf('combineFn'), `${fn.name} must return tiles or numbers, got ${describeValue(v)}`);
    return v;
  });
};

const unaryMath = (name: string): BuiltinDef => ({ params: ['x'], impl: (c) => c.sem(undefined, () => c.cg.s.math(name, c.operand('x'))) });

const atomic = (kind: AtomicKind): BuiltinDef => ({
  params: ['pointer', 'val', 'mask?', 'sem?', 'scope?'],
  impl: (c) =>
    c.sem(undefined, () =>
      atomicRmw(c.cg.s, kind, c.operand('pointer'), c.operand('val'), {
        mask: c.raw('mask') && c.operand('mask'),
        sem: c.string('sem', 'acq_rel'),
        scope: c.string('scope', 'gpu'),
      }),
    ),
});

/** x / y on floats, correctly rounded (fdiv, divRn). */
function floatDivision(c: Call): KValue {
  return c.sem(undefined, () => {
    const [x, y] = [c.value('x'), c.value('y')];
    if (x.type.isPointer || y.type.isPointer || !x.type.dtype.isFloat || !y.type.dtype.isFloat) throw new SemanticError(`${c.name} needs floating-point operands, got ${x.type} and ${y.type}`, 'convert them first, e.g. x.to(tl.float32)');
    return c.cg.s.truediv(x, y);
  });
}

function propagateNan(c: Call): boolean {
  const v = c.raw('propagateNan');
  if (v === undefined) return false;
  if (v instanceof Constexpr && (v.value === 'all' || v.value === 'none')) return v.value === 'all';
  return c.bool('propagateNan', false);
}

function randomBuiltin(kind: 'rand' | 'randn' | 'randint' | 'randint4x' | 'rand4x' | 'randn4x'): BuiltinDef {
  return {
    params: ['seed', 'offset', 'nRounds?'],
    impl: (c) =>
      c.sem(undefined, () => {
        const s = c.cg.s;
        let offset = c.operand('offset');
        // rand reads offsets as unsigned, as Triton's tl.rand does.
        if (kind !== 'randint' && kind !== 'randint4x' && offset instanceof TValue && offset.type.dtype.bits === 32) offset = s.cast(offset, dtypes.u32, true);
        const bits = randint4x(s, c.operand('seed'), offset, c.int('nRounds', DEFAULT_ROUNDS));
        switch (kind) {
          case 'randint':
            return bits[0]!;
          case 'randint4x':
            return new Tuple(bits);
          case 'rand':
            return uniformFromBits(s, bits[0]!);
          case 'rand4x':
            return new Tuple(bits.map((x) => uniformFromBits(s, x)));
          case 'randn':
            return normalPair(s, uniformFromBits(s, bits[0]!), uniformFromBits(s, bits[1]!))[0];
          case 'randn4x': {
            const u = bits.map((x) => uniformFromBits(s, x));
            return new Tuple([...normalPair(s, u[0]!, u[1]!), ...normalPair(s, u[2]!, u[3]!)]);
          }
        }
      }),
  };
}

const hintBuiltin = (attr: string, what: string): BuiltinDef => ({
  params: ['input', 'values'],
  impl: (c) => {
    const v = c.raw('input');
    if (!(v instanceof TValue)) return c.error('input', `needs a run-time value, got ${v === undefined ? 'nothing' : describeValue(v)}`);
    return c.sem('input', () => c.cg.s.hint(v, attr, c.ints('values'), what));
  },
});

/** tl.inlineAsmElementwise: one tile for one dtype, a tuple for a list of dtypes (Triton's tuple dtype). */
function inlineAsmBuiltin(c: Call): KValue {
  const asm = c.string('asm', '');
  const constraints = c.string('constraints', '');
  const argsValue = c.raw('args');
  const items: KValue[] = argsValue === undefined ? [] : argsValue instanceof Tuple ? [...argsValue.items] : argsValue instanceof Constexpr && Array.isArray(argsValue.value) ? argsValue.value.map((v) => new Constexpr(v)) : [argsValue];
  const args = items.map((v) => {
    if (v instanceof TValue) return v;
    if (v instanceof Constexpr && v.isNumber) return c.sem('args', () => c.cg.s.toValue(v));
    return c.error('args', `the arguments must be tiles or numbers, got ${describeValue(v)}`);
  });
  const dtypeValue = c.constexpr('dtype').value;
  const list = Array.isArray(dtypeValue) ? dtypeValue : [dtypeValue];
  const resultDTypes = list.map((d) => (d instanceof DType ? d : typeof d === 'string' && tlDTypes.get(d) ? tlDTypes.get(d)! : c.error('dtype', `'dtype' must be a dtype or a list of dtypes, got ${c.constexpr('dtype')}`)));
  const results = c.sem(undefined, () => inlineAsmElementwise(c.cg.s, { asm, constraints, args, dtypes: resultDTypes, isPure: c.bool('isPure', false), pack: c.int('pack', 1) }));
  return Array.isArray(dtypeValue) ? new Tuple(results) : results[0]!;
}

function formatStatic(v: KValue): string {
  if (v instanceof Constexpr) return typeof v.value === 'string' ? v.value : v.toString();
  return describeValue(v);
}

const builtins: Record<string, BuiltinDef> = {
  programId: { params: ['axis'], impl: (c) => c.sem('axis', () => c.cg.s.programId(c.int('axis'))) },
  numPrograms: { params: ['axis'], impl: (c) => c.sem('axis', () => c.cg.s.numPrograms(c.int('axis'))) },
  cdiv: {
    params: ['x', 'div'],
    impl: (c) => {
      const [x, d] = [c.raw('x'), c.raw('div')];
      if (x instanceof Constexpr && d instanceof Constexpr) {
        const [a, b] = [c.int('x'), c.int('div')];
        if (b === 0) c.error('div', 'division by zero');
        return new Constexpr(Math.trunc((a + b - 1) / b));
      }
      const s = c.cg.s;
      return c.sem(undefined, () => s.floordiv(s.add(c.operand('x'), s.sub(c.operand('div'), new Constexpr(1))), c.operand('div')));
    },
  },
  arange: { params: ['start', 'end'], impl: (c) => c.sem(undefined, () => c.cg.s.arange(c.int('start'), c.int('end'))) },
  zeros: { params: ['shape', 'dtype?'], impl: (c) => c.sem(undefined, () => c.cg.s.full(c.shape('shape'), new Constexpr(0), c.has('dtype') ? c.dtype('dtype') : dtypes.f32)) },
  full: {
    params: ['shape', 'value', 'dtype?'],
    impl: (c) => {
      const value = c.operand('value');
      const dtype = c.has('dtype') ? c.dtype('dtype') : value instanceof TValue ? value.type.dtype : c.sem('value', () => c.cg.s.toValue(value).type.dtype);
      return c.sem(undefined, () => c.cg.s.full(c.shape('shape'), value, dtype));
    },
  },
  zerosLike: {
    params: ['input'],
    impl: (c) => {
      const x = c.value('input');
      if (x.type.isPointer) c.error('input', 'zerosLike of pointers');
      return c.sem(undefined, () => c.cg.s.full(x.type.shape, new Constexpr(0), x.type.dtype));
    },
  },
  cast: {
    params: ['input', 'dtype', 'bitcast?', 'fpDowncastRounding?'],
    impl: (c) => {
      const to = c.elementType('dtype');
      const x = c.raw('input');
      let rounding: 'rtne' | 'rtz' | undefined;
      if (c.has('fpDowncastRounding')) {
        const r = c.string('fpDowncastRounding', 'rtne');
        if (r !== 'rtne' && r !== 'rtz') c.error('fpDowncastRounding', `unknown rounding mode "${r}"`, 'use "rtne" (round to nearest even, the default) or "rtz" (round toward zero)');
        rounding = r as 'rtne' | 'rtz';
      }
      // A compile-time number converted to a dtype becomes a constant of that dtype, rounded once from the exact
      // number (to nearest, or toward zero with 'rtz'), whether or not a rounding mode is given. A mode gets
      // Triton's checks first, as for the literal's own dtype (f32 for a float, i32 for an integer): the
      // conversion this builds for them is never used, and goes with dead code.
      if (x instanceof Constexpr && !c.bool('bitcast', false) && x.isNumber && to instanceof DType) {
        if (rounding !== undefined) c.sem(undefined, () => c.cg.s.cast(c.value('input'), to, false, rounding));
        const exact = x.value as number;
        const value = rounding === 'rtz' && to.isFloat ? roundTowardZero(exact, to.ir.text as FloatFormatName) : exact;
        return c.sem('input', () => c.cg.s.constant(value, to));
      }
      return c.sem(undefined, () => c.cg.s.cast(c.value('input'), to, c.bool('bitcast', false), rounding));
    },
  },
  pointerType: { params: ['dtype'], impl: (c) => new Constexpr(pointerTo(c.dtype('dtype'))) },
  broadcastTo: {
    params: ['input', '...shape'],
    impl: (c) => {
      const shape = shapeArgs(c);
      return c.sem(undefined, () => {
        c.cg.s.validateShape(shape);
        return c.cg.s.broadcastTo(c.value('input'), shape);
      });
    },
  },
  broadcast: { params: ['input', 'other'], impl: (c) => c.sem(undefined, () => new Tuple(c.cg.s.broadcastPair(c.value('input'), c.value('other')))) },
  expandDims: {
    params: ['input', 'axis'],
    impl: (c) =>
      c.sem(undefined, () => {
        let x = c.value('input');
        const axes = c.ints('axis');
        const rank = x.type.shape.length + axes.length;
        // As Triton: each axis names a dimension of the result (-rank <= axis < rank), and no two the same one.
        for (const a of axes) if (a < -rank || a >= rank) c.error('axis', `axis ${a} is out of range: expandDims of a rank-${x.type.shape.length} value to rank ${rank} takes axes from ${-rank} to ${rank - 1}`);
        const norm = axes.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q);
        if (new Set(norm).size !== norm.length) c.error('axis', `expandDims got the same axis twice ([${axes.join(', ')}] names dimensions [${norm.join(', ')}])`, 'give each new dimension once');
        for (const a of norm) x = c.cg.s.expandDims(x, a);
        return x;
      }),
  },
  reshape: { params: ['input', '...shape', 'canReorder?'], impl: (c) => c.sem(undefined, () => c.cg.s.reshape(c.value('input'), shapeArgs(c), c.bool('canReorder', false))) },
  ravel: { params: ['input'], impl: (c) => c.sem(undefined, () => c.cg.s.reshape(c.value('input'), [c.value('input').type.numel], true)) },
  trans: {
    params: ['input', '...dims'],
    impl: (c) => {
      const x = c.value('input');
      const dims = permutationArgs(c);
      if (!dims.length) {
        if (x.type.shape.length !== 2) c.error('input', `with no dims, trans swaps the two dimensions of a 2-D tile; got ${x.type}`, 'pass the permutation, e.g. tl.trans(x, [0, 2, 1])');
        return c.sem(undefined, () => c.cg.s.permute(x, [1, 0]));
      }
      return c.sem(undefined, () => c.cg.s.permute(x, dims));
    },
  },
  permute: { params: ['input', '...dims'], impl: (c) => c.sem(undefined, () => c.cg.s.permute(c.value('input'), permutationArgs(c))) },
  join: { params: ['a', 'b'], impl: (c) => c.sem(undefined, () => c.cg.s.join(c.value('a'), c.value('b'))) },
  split: { params: ['a'], impl: (c) => c.sem(undefined, () => new Tuple(c.cg.s.split(c.value('a')))) },
  cat: {
    params: ['input', 'other', 'canReorder?'],
    impl: (c) => {
      // canReorder lets Triton give the elements in any order; kt always gives the concatenation's, so it is only checked.
      c.bool('canReorder', false);
      return c.sem(undefined, () => cat(c.cg.s, c.value('input'), c.value('other')));
    },
  },
  interleave: { params: ['a', 'b'], impl: (c) => c.sem(undefined, () => interleave(c.cg.s, c.value('a'), c.value('b'))) },
  flip: { params: ['x', 'dim?'], impl: (c) => c.sem(undefined, () => flip(c.cg.s, c.value('x'), c.axis('dim', null))) },
  gather: { params: ['src', 'index', 'axis'], impl: (c) => c.sem(undefined, () => c.cg.s.gather(c.value('src'), c.value('index'), c.int('axis'))) },
  histogram: {
    params: ['input', 'numBins', 'mask?'],
    impl: (c) => c.sem(undefined, () => histogram(c.cg.s, c.value('input'), c.int('numBins'), c.raw('mask') && c.operand('mask'))),
  },
  sort: { params: ['x', 'dim?', 'descending?'], impl: (c) => c.sem(undefined, () => sort(c.cg.s, c.value('x'), c.axis('dim', null), c.bool('descending', false))) },
  swizzle2d: {
    params: ['i', 'j', 'sizeI', 'sizeJ', 'sizeG'],
    impl: (c) => {
      const names = ['i', 'j', 'sizeI', 'sizeJ', 'sizeG'];
      if (names.every((p) => c.raw(p) instanceof Constexpr)) {
        // On compile-time integers, the same arithmetic at compile time (Triton's // on non-negative integers).
        const [i, j, sizeI, sizeJ, sizeG] = names.map((p) => c.int(p)) as [number, number, number, number, number];
        if (sizeJ <= 0 || sizeG <= 0) c.error(sizeJ <= 0 ? 'sizeJ' : 'sizeG', 'sizes must be positive');
        const ij = i * sizeJ + j;
        const offI = Math.trunc(ij / (sizeG * sizeJ)) * sizeG;
        const rows = Math.min(sizeI - offI, sizeG);
        const inGroup = ij % (sizeG * sizeJ);
        return new Tuple([new Constexpr(offI + (inGroup % rows)), new Constexpr(Math.trunc(inGroup / rows))]);
      }
      return c.sem(undefined, () => new Tuple(swizzle2d(c.cg.s, c.operand('i'), c.operand('j'), c.operand('sizeI'), c.operand('sizeJ'), c.operand('sizeG'))));
    },
  },

  load: {
    params: ['pointer', 'mask?', 'other?', 'cacheModifier?', 'evictionPolicy?', 'volatile?'],
    impl: (c) =>
      c.sem(undefined, () =>
        load(c.cg.s, c.operand('pointer'), {
          mask: c.raw('mask') && c.operand('mask'),
          other: c.raw('other') && c.operand('other'),
          cacheModifier: c.string('cacheModifier', ''),
          evictionPolicy: c.string('evictionPolicy', ''),
          volatile: c.bool('volatile', false),
        }),
      ),
  },
  store: {
    params: ['pointer', 'value', 'mask?', 'cacheModifier?', 'evictionPolicy?'],
    impl: (c) => {
      c.sem(undefined, () =>
        store(c.cg.s, c.operand('pointer'), c.operand('value'), {
          mask: c.raw('mask') && c.operand('mask'),
          cacheModifier: c.string('cacheModifier', ''),
          evictionPolicy: c.string('evictionPolicy', ''),
        }),
      );
      return new Constexpr(null);
    },
  },

  exp: unaryMath('exp'),
  exp2: unaryMath('exp2'),
  log: unaryMath('log'),
  log2: unaryMath('log2'),
  sqrt: unaryMath('sqrt'),
  rsqrt: unaryMath('rsqrt'),
  sin: unaryMath('sin'),
  cos: unaryMath('cos'),
  tanh: unaryMath('tanh'),
  floor: unaryMath('floor'),
  ceil: unaryMath('ceil'),
  erf: unaryMath('erf'),
  log1p: unaryMath('log1p'),
  sqrtRn: { params: ['x'], impl: (c) => c.sem(undefined, () => c.cg.s.math('sqrt', c.operand('x'), 'sqrtRn')) },
  abs: { params: ['x'], impl: (c) => c.sem(undefined, () => c.cg.s.abs(c.operand('x'))) },
  sigmoid: {
    params: ['x'],
    impl: (c) =>
      c.sem(undefined, () => {
        const s = c.cg.s;
        const x = c.value('x');
        if (x.type.isPointer || !x.type.dtype.isFloat) throw new SemanticError(`sigmoid needs a floating-point operand, got ${x.type}`);
        return s.truediv(new Constexpr(1), s.add(new Constexpr(1), s.math('exp', s.minus(x))));
      }),
  },
  fma: { params: ['x', 'y', 'z'], impl: (c) => c.sem(undefined, () => c.cg.s.fma(c.operand('x'), c.operand('y'), c.operand('z'))) },
  maximum: { params: ['x', 'y', 'propagateNan?'], impl: (c) => c.sem(undefined, () => c.cg.s.maximum(c.operand('x'), c.operand('y'), propagateNan(c))) },
  minimum: { params: ['x', 'y', 'propagateNan?'], impl: (c) => c.sem(undefined, () => c.cg.s.minimum(c.operand('x'), c.operand('y'), propagateNan(c))) },
  clamp: {
    params: ['x', 'min', 'max', 'propagateNan?'],
    impl: (c) => c.sem(undefined, () => c.cg.s.clamp(c.operand('x'), c.operand('min'), c.operand('max'), propagateNan(c))),
  },
  where: { params: ['condition', 'x', 'y'], impl: (c) => c.sem(undefined, () => c.cg.s.where(c.operand('condition'), c.operand('x'), c.operand('y'))) },
  floordiv: {
    params: ['x', 'y'],
    impl: (c) => {
      const [x, y] = [c.raw('x'), c.raw('y')];
      if (x instanceof Constexpr && y instanceof Constexpr) {
        const [a, b] = [c.int('x'), c.int('y')];
        if (b === 0) c.error('y', 'integer division by zero');
        return new Constexpr(Math.trunc(a / b));
      }
      return c.sem(undefined, () => c.cg.s.floordiv(c.operand('x'), c.operand('y')));
    },
  },
  // kt's division always rounds correctly (div.rn on the GPU), so ieeeRounding changes nothing.
  fdiv: { params: ['x', 'y', 'ieeeRounding?'], impl: (c) => floatDivision(c) },
  divRn: { params: ['x', 'y'], impl: (c) => floatDivision(c) },
  umulhi: { params: ['x', 'y'], impl: (c) => c.sem(undefined, () => c.cg.s.umulhi(c.operand('x'), c.operand('y'))) },
  inlineAsmElementwise: { params: ['asm', 'constraints', 'args', 'dtype', 'isPure?', 'pack?'], impl: (c) => inlineAsmBuiltin(c) },

  sum: {
    params: ['input', 'axis?', 'keepDims?', 'dtype?'],
    impl: (c) => c.sem(undefined, () => sum(c.cg.s, c.value('input'), c.axis('axis', null), c.bool('keepDims', false), c.has('dtype') ? c.dtype('dtype') : undefined)),
  },
  xorSum: { params: ['input', 'axis?', 'keepDims?'], impl: (c) => c.sem(undefined, () => xorSum(c.cg.s, c.value('input'), c.axis('axis', null), c.bool('keepDims', false))) },
  max: minMaxBuiltin('max'),
  min: minMaxBuiltin('min'),
  argmax: argBuiltin('max'),
  argmin: argBuiltin('min'),
  reduce: {
    params: ['input', 'axis', 'combineFn', 'keepDims?'],
    impl: (c) => {
      const inputs = c.values('input');
      const out = c.sem(undefined, () => reduce(c.cg.s, inputs, c.axis('axis', null), combineWith(c, c.fn('combineFn')), c.bool('keepDims', false)));
      return c.raw('input') instanceof Tuple ? new Tuple(out) : out[0]!;
    },
  },
  cumsum: {
    params: ['input', 'axis?', 'reverse?', 'dtype?'],
    impl: (c) => c.sem(undefined, () => cumulative(c.cg.s, 'sum', c.value('input'), c.int('axis', 0), c.bool('reverse', false), c.has('dtype') ? c.dtype('dtype') : undefined)),
  },
  cumprod: {
    params: ['input', 'axis?', 'reverse?', 'dtype?'],
    impl: (c) => c.sem(undefined, () => cumulative(c.cg.s, 'prod', c.value('input'), c.int('axis', 0), c.bool('reverse', false), c.has('dtype') ? c.dtype('dtype') : undefined)),
  },
  associativeScan: {
    params: ['input', 'axis', 'combineFn', 'reverse?'],
    impl: (c) => {
      const inputs = c.values('input');
      const out = c.sem(undefined, () => scan(c.cg.s, inputs, c.int('axis'), combineWith(c, c.fn('combineFn')), c.bool('reverse', false)));
      return c.raw('input') instanceof Tuple ? new Tuple(out) : out[0]!;
    },
  },
  dot: {
    params: ['input', 'other', 'acc?', 'inputPrecision?', 'maxNumImpreciseAcc?', 'outDtype?'],
    impl: (c) =>
      c.sem(undefined, () =>
        dot(c.cg.s, c.value('input'), c.value('other'), c.has('acc') ? c.value('acc') : undefined, {
          inputPrecision: c.has('inputPrecision') ? c.string('inputPrecision', 'ieee') : undefined,
          outDtype: c.has('outDtype') ? c.dtype('outDtype') : undefined,
          maxNumImpreciseAcc: c.has('maxNumImpreciseAcc') ? c.int('maxNumImpreciseAcc') : undefined,
        }),
      ),
  },

  atomicAdd: atomic('add'),
  atomicMax: atomic('max'),
  atomicMin: atomic('min'),
  atomicXchg: atomic('xchg'),
  atomicAnd: atomic('and'),
  atomicOr: atomic('or'),
  atomicXor: atomic('xor'),
  atomicCas: {
    params: ['pointer', 'cmp', 'val', 'sem?', 'scope?'],
    impl: (c) => c.sem(undefined, () => atomicCas(c.cg.s, c.operand('pointer'), c.operand('cmp'), c.operand('val'), { sem: c.string('sem', 'acq_rel'), scope: c.string('scope', 'gpu') })),
  },

  rand: randomBuiltin('rand'),
  randn: randomBuiltin('randn'),
  randint: randomBuiltin('randint'),
  randint4x: randomBuiltin('randint4x'),
  rand4x: randomBuiltin('rand4x'),
  randomUintToUniformFloat: { params: ['x'], impl: (c) => c.sem('x', () => uniformFromBits(c.cg.s, c.cg.s.toValue(c.operand('x')))) },
  randn4x: randomBuiltin('randn4x'),

  multipleOf: hintBuiltin('tt.divisibility', 'multipleOf'),
  maxContiguous: hintBuiltin('tt.contiguity', 'maxContiguous'),
  maxConstancy: hintBuiltin('tt.constancy', 'maxConstancy'),

  staticAssert: {
    params: ['cond', 'msg?'],
    impl: (c) => {
      const cond = c.raw('cond');
      if (!(cond instanceof Constexpr)) return c.error('cond', `needs a compile-time condition, got ${cond === undefined ? 'nothing' : describeValue(cond)}`, 'use tl.deviceAssert to check run-time values');
      if (!isTruthy(cond)) {
        const msg = c.string('msg', '');
        throw c.cg.error(c.node, `static assertion failed${msg ? `: ${msg}` : ''}`);
      }
      return new Constexpr(null);
    },
  },
  staticPrint: {
    params: ['...values'],
    impl: (c) => {
      const text = c.restValues().map((v) => formatStatic(v.value)).join(' ');
      if (!c.cg.isDryRun) {
        c.cg.staticPrints.push(text);
        console.log(text);
      }
      return new Constexpr(null);
    },
  },
  devicePrint: {
    params: ['prefix', '...args', 'hex?'],
    impl: (c) => {
      const prefix = c.string('prefix', '');
      const args = c.restValues().map((a) => c.cg.at(a.node, () => c.cg.s.toValue(c.cg.operand(a.node, a.value))));
      c.sem(undefined, () => devicePrint(c.cg.s, prefix, args, c.bool('hex', false)));
      return new Constexpr(null);
    },
  },
  debugBarrier: {
    params: [],
    impl: (c) => {
      c.sem(undefined, () => debugBarrier(c.cg.s));
      return new Constexpr(null);
    },
  },
  assume: {
    params: ['cond'],
    impl: (c) => {
      const cond = c.raw('cond');
      if (cond instanceof Constexpr) {
        if (!isTruthy(cond)) c.error('cond', 'the assumption is false at compile time');
        return new Constexpr(null);
      }
      c.sem('cond', () => assume(c.cg.s, c.value('cond')));
      return new Constexpr(null);
    },
  },
  deviceAssert: {
    params: ['cond', 'msg?'],
    impl: (c) => {
      c.sem('cond', () => deviceAssert(c.cg.s, c.value('cond'), c.string('msg', 'device assertion failed')));
      return new Constexpr(null);
    },
  },
  range: { params: [], impl: (c) => c.error('', 'tl.range can only be used as the iterable of a for-of loop', 'for (const i of tl.range(0, n)) { ... }') },
  staticRange: { params: [], impl: (c) => c.error('', 'tl.staticRange can only be used as the iterable of a for-of loop', 'for (const i of tl.staticRange(0, 4)) { ... }') },
};

/** The integers of a rest parameter, each argument a compile-time integer or a list of them: (x, 1, 0) or (x, [1, 0]). */
function restInts(c: Call, what: string): number[] {
  return c.restValues().flatMap((r) => {
    if (!(r.value instanceof Constexpr)) throw c.cg.error(r.node, `${c.title}: ${what} must be compile-time integers, got ${describeValue(r.value)}`);
    const items = Array.isArray(r.value.value) ? r.value.value : [r.value.value];
    return items.map((v) => {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw c.cg.error(r.node, `${c.title}: ${what} must be integers, got ${r.value}`);
      return n;
    });
  });
}

const permutationArgs = (c: Call): number[] => restInts(c, 'dims');

/** A shape given as a list or as dimensions: reshape(x, [4, 8]) or x.reshape(4, 8), as Triton takes both. */
function shapeArgs(c: Call): number[] {
  const shape = restInts(c, 'shape entries');
  if (!c.restValues().length) c.error('shape', 'missing the shape');
  for (const d of shape) if (d < 1) c.error('shape', `shape entries must be positive integers, got [${shape.join(', ')}]`);
  return shape;
}

function minMaxBuiltin(kind: 'max' | 'min'): BuiltinDef {
  return {
    params: ['input', 'axis?', 'returnIndices?', 'returnIndicesTieBreakLeft?', 'keepDims?'],
    impl: (c) =>
      c.sem(undefined, () => {
        const x = c.value('input');
        const axis = c.axis('axis', null);
        const keep = c.bool('keepDims', false);
        if (c.bool('returnIndices', false)) return new Tuple(minMaxWithIndices(c.cg.s, kind, x, axis, keep, c.bool('returnIndicesTieBreakLeft', true)));
        return minMax(c.cg.s, kind, x, axis, keep);
      }),
  };
}

function argBuiltin(kind: 'max' | 'min'): BuiltinDef {
  return {
    params: ['input', 'axis', 'tieBreakLeft?', 'keepDims?'],
    impl: (c) => c.sem(undefined, () => minMaxWithIndices(c.cg.s, kind, c.value('input'), c.axis('axis', null), c.bool('keepDims', false), c.bool('tieBreakLeft', true))[1]),
  };
}

export function isBuiltin(name: string): boolean {
  return Object.hasOwn(builtins, name);
}

/** Every name under tl: builtins and dtypes. */
export function tlMemberNames(): string[] {
  return [...Object.keys(builtins), ...tlDTypes.keys()];
}

/**
 * The members of tiles that are methods (Triton's tensor member functions) and the builtin each calls with the
 * tile as its first argument: `x.sum(1)` is `tl.sum(x, 1)`.
 */
const tileMethods: Readonly<Record<string, string>> = {
  to: 'cast',
  reshape: 'reshape',
  trans: 'trans',
  permute: 'permute',
  expandDims: 'expandDims',
  broadcastTo: 'broadcastTo',
  ravel: 'ravel',
  split: 'split',
  sum: 'sum',
  max: 'max',
  min: 'min',
  argmax: 'argmax',
  argmin: 'argmin',
  xorSum: 'xorSum',
  cumsum: 'cumsum',
  cumprod: 'cumprod',
  flip: 'flip',
  sort: 'sort',
  gather: 'gather',
  histogram: 'histogram',
  cast: 'cast',
};

export const isTileMethod = (name: string): boolean => Object.hasOwn(tileMethods, name);

/** The tile members that are methods, for messages. */
export const tileMethodNames = (): string[] => Object.keys(tileMethods);

export function callBuiltin(cg: Codegen, name: string, node: ts.CallExpression): KValue {
  const def = builtins[name];
  if (!def) throw cg.error(node.expression, `tl has no function '${name}'`);
  return def.impl(new Call(cg, name, node, def));
}

/** Calls method `method` of `self` (a tile, or a number for .to). */
export function callMethod(cg: Codegen, method: string, node: ts.CallExpression, self: KValue): KValue {
  const name = tileMethods[method]!;
  const def = builtins[name]!;
  return def.impl(new Call(cg, name, node, def, self, method));
}
