// The frontend: walks a kernel's TypeScript AST and builds IR through the semantic layer.
// Constexprs are evaluated here (as TypeScript evaluates them); everything that runs per program becomes
// IR. Control flow on run-time values becomes scf.if / scf.for / scf.while; variables that a branch or
// loop assigns become the op's results, so the IR stays in SSA form.
import type { ts } from 'ts-morph';
import { TS } from './typescript.ts';
import { SymbolRefAttr, TypeAttr } from '../ir/attributes.ts';
import { Builder } from '../ir/builder.ts';
import { Block, Operation, Region, unknownLoc, type Location, type Value } from '../ir/core.ts';
import { functionType } from '../ir/types.ts';
import { DType, dtypes, PointerDType } from '../semantic/dtype.ts';
import { SemanticError } from '../semantic/errors.ts';
import { literalDType } from '../semantic/promotion.ts';
import { Semantic, type ComparisonOp } from '../semantic/semantic.ts';
import { Constexpr, KType, TValue, type ConstValue, type Operand } from '../semantic/values.ts';
import { callBuiltin, callMethod, isBuiltin, isTileMethod, tileMethodNames, tlMemberNames, tlDTypes } from './builtins.ts';
import { CompileError, displayPath } from '../diagnostics.ts';
import { evalConstBinary, evalConstUnary, isTruthy, mathConstant, mathFunction } from './constexpr.ts';
import { Binding, Scope, Tuple, describeValue, isCallable, type FunctionContext, type KValue } from './scope.ts';
import { unwrap, type KernelSource, type ResolvedFunction } from './source.ts';

/** How a kernel parameter is bound for one specialisation. */
export type ArgBinding = { readonly kind: 'constexpr'; readonly value: Constexpr } | { readonly kind: 'runtime'; readonly type: KType };

const NOT_RETURNED = new Constexpr(null);
const RETURNED_VOID = new Constexpr(null);

type Returns = 'none' | 'some' | 'all';

/** Compiles the code that follows a statement, up to the end of the function. */
type Continuation = () => Returns;

interface HelperInfo {
  readonly symbol: string;
  readonly results: readonly KType[];
  /** How the returned values regroup: a single value, a tuple of n, or nothing. */
  readonly shape: 'none' | 'single' | 'tuple';
}

/** What kernels may read of a dtype at compile time (`x.dtype.bits`, `x.dtype.isFloat`): DType's plain properties. */
const DTYPE_PROPERTIES = new Set(['name', 'tritonName', 'kind', 'bits', 'bytes', 'isFloat', 'isInt', 'isSigned', 'isUnsigned', 'isBool', 'isFp8', 'intMin', 'intMax']);

/** The members of tiles that are values rather than methods. */
const TILE_PROPERTIES = new Set(['dtype', 'shape', 'numel', 'T']);

const GLOBAL_HINTS: Record<string, string> = {
  console: 'use tl.staticPrint (at compile time) or tl.devicePrint (at run time) inside kernels',
  Number: 'convert with x.to(tl.float32) or tl.cast inside kernels',
  Array: 'tiles are made with tl.arange, tl.zeros or tl.full',
};

export class Codegen {
  readonly module: Operation;
  readonly b: Builder;
  readonly s: Semantic;
  /** Messages from tl.staticPrint, in order. */
  readonly staticPrints: string[] = [];
  /** Every source file the compiled functions come from (the kernel's and its helpers'). */
  readonly sources = new Set<string>();
  private ctx!: FunctionContext;
  private readonly helpers = new Map<string, HelperInfo>();
  private readonly symbols = new Set<string>();
  private readonly inProgress: string[] = [];
  private dryRuns = 0;
  private readonly moduleConstants = new Map<ts.Expression, KValue>();

  constructor() {
    this.module = new Operation('builtin.module', [], [], {}, [new Region([new Block()])], unknownLoc);
    this.b = new Builder(this.module.regions[0]!.entry, unknownLoc);
    this.s = new Semantic(this.b);
  }

  get source(): KernelSource {
    return this.ctx.source;
  }

  // ---- functions ----------------------------------------------------------------------------------

  /** Compiles the kernel for one specialisation; constexpr arguments are baked in. */
  compileKernel(fn: ResolvedFunction, paramNames: readonly string[], args: readonly ArgBinding[]): Operation {
    const bound = paramNames.map((name, i) => {
      const a = args[i]!;
      return { name, value: a.kind === 'constexpr' ? a.value : a.type };
    });
    return this.compileFunction(fn, this.uniqueSymbol(fn.name), bound, 'public').op;
  }

  private compileFunction(
    fn: ResolvedFunction,
    symbol: string,
    params: readonly { name: string; value: Constexpr | KType }[],
    visibility: 'public' | 'private',
  ): { op: Operation; info: HelperInfo } {
    const entry = new Block();
    const scope = new Scope();
    for (const p of params) {
      if (p.value instanceof KType) scope.vars.set(p.name, new Binding(p.name, new TValue(entry.addArg(p.value.ir, p.name), p.value), true));
      else scope.vars.set(p.name, new Binding(p.name, p.value, false, true));
    }
    const saved = this.ctx;
    this.ctx = { source: fn.source, name: fn.name, scope, returned: new Binding('<return>', NOT_RETURNED, true), loopDepth: 0 };
    this.sources.add(fn.source.path);
    const savedLoc = this.b.loc;
    try {
      const body = fn.node.body;
      let info: HelperInfo = { symbol, results: [], shape: 'none' };
      this.b.inBlock(entry, () => {
        this.b.loc = fn.source.loc(fn.node);
        if (!body) throw fn.source.error(fn.node, `function ${fn.name} has no body`);
        if (TS.isBlock(body)) this.statements(body.statements);
        else this.assignReturn(body, this.expr(body));
        const ret = this.ctx.returned.value;
        const values = this.returnValues(fn, ret, visibility === 'public');
        info = { symbol, results: values.map((v) => v.type), shape: ret instanceof Tuple ? 'tuple' : values.length ? 'single' : 'none' };
        this.b.create('tt.return', values.map((v) => v.ir), []);
      });
      const attrs: Record<string, string | TypeAttr> = {
        sym_name: symbol,
        function_type: new TypeAttr(functionType(entry.args.map((a) => a.type), info.results.map((t) => t.ir))),
      };
      if (visibility === 'private') attrs['sym_visibility'] = 'private';
      const op = new Operation('tt.func', [], [], attrs, [new Region([entry])], fn.source.loc(fn.node));
      this.module.regions[0]!.entry.append(op);
      return { op, info };
    } finally {
      this.ctx = saved;
      this.b.loc = savedLoc;
    }
  }

  private returnValues(fn: ResolvedFunction, ret: KValue, isKernel: boolean): TValue[] {
    if (ret === NOT_RETURNED || ret === RETURNED_VOID) return [];
    if (isKernel) throw fn.source.error(fn.node, `kernel ${fn.name} returns a value; kernels write their results through pointers`);
    const items = ret instanceof Tuple ? ret.items : [ret];
    return items.map((v) => {
      if (v instanceof TValue) return v;
      if (v instanceof Constexpr && v.isNumber) return this.s.toValue(v);
      throw fn.source.error(fn.node, `helper ${fn.name} returns ${describeValue(v)}, which is not a number or tile`);
    });
  }

  private uniqueSymbol(base: string): string {
    let name = base;
    for (let i = 1; this.symbols.has(name); i++) name = `${base}_${i}`;
    this.symbols.add(name);
    return name;
  }

  /** Calls a helper: compiles (or reuses) its specialisation for these argument types and emits tt.call. */
  callHelper(node: ts.Node, fn: ResolvedFunction, args: readonly KValue[]): KValue {
    const params = fn.node.parameters;
    if (args.length > params.length) throw this.source.error(node, `${fn.name} takes ${params.length} arguments, got ${args.length}`);
    const bound: { name: string; value: Constexpr | KType }[] = [];
    const runtime: TValue[] = [];
    const keyParts: string[] = [];
    params.forEach((p, i) => {
      if (!TS.isIdentifier(p.name)) throw fn.source.error(p, 'destructured parameters are not supported');
      let a = args[i];
      if (a === undefined) {
        if (!p.initializer) throw this.source.error(node, `${fn.name}: missing argument '${p.name.text}'`);
        a = this.withFunctionSource(fn, () => this.constexprOf(p.initializer!, `default value of '${(p.name as ts.Identifier).text}'`));
      }
      const declaredConstexpr = p.type && /^constexpr\b/.test(p.type.getText(fn.source.sf));
      if (a instanceof TValue) {
        if (declaredConstexpr) throw this.source.error(node, `${fn.name}: parameter '${p.name.text}' is constexpr, but the argument is a run-time ${a.type}`, 'pass a compile-time value');
        bound.push({ name: p.name.text, value: a.type });
        runtime.push(a);
        keyParts.push(a.type.toString());
      } else if (a instanceof Constexpr) {
        bound.push({ name: p.name.text, value: a });
        keyParts.push(`c:${a.toString()}`);
      } else {
        throw this.source.error(node, `${fn.name}: argument '${p.name.text}' is ${describeValue(a)}; helpers take tiles, scalars and compile-time values`);
      }
    });
    const key = `${fn.source.path}#${fn.name}(${keyParts.join(',')})`;
    let info = this.helpers.get(key);
    if (!info) {
      if (this.inProgress.includes(key)) throw this.source.error(node, `${fn.name} calls itself; recursive helpers are not supported`);
      this.inProgress.push(key);
      const callerLoc = this.source.loc(node);
      try {
        info = this.compileFunction(fn, this.uniqueSymbol(fn.name), bound, 'private').info;
      } catch (e) {
        if (e instanceof CompileError) e.addNote(`in ${fn.name}, called from ${displayPath(callerLoc.file)}:${callerLoc.line}:${callerLoc.col}`);
        throw e;
      } finally {
        this.inProgress.pop();
      }
      this.helpers.set(key, info);
    }
    const op = this.at(node, () => this.b.create('tt.call', runtime.map((v) => v.ir), info!.results.map((t) => t.ir), { callee: new SymbolRefAttr(info!.symbol) }));
    const results = op.results.map((r, i) => new TValue(r, info!.results[i]!));
    if (info.shape === 'none') return RETURNED_VOID;
    return info.shape === 'tuple' ? new Tuple(results) : results[0]!;
  }

  /** Evaluates a parameter's default value: a compile-time expression in `fn`'s file. */
  defaultArgument(fn: ResolvedFunction, init: ts.Expression): Constexpr {
    this.ctx = { source: fn.source, name: fn.name, scope: new Scope(), returned: new Binding('<return>', NOT_RETURNED, true), loopDepth: 0 };
    return this.constexprOf(init, 'a default value');
  }

  private withFunctionSource<T>(fn: ResolvedFunction, f: () => T): T {
    if (fn.source === this.ctx.source) return f();
    const saved = this.ctx;
    this.ctx = { ...saved, source: fn.source, scope: new Scope() };
    try {
      return f();
    } finally {
      this.ctx = saved;
    }
  }

  // ---- helpers for errors and locations ----------------------------------------------------------------

  /** Runs `f` with `node`'s location on the ops it creates, turning semantic errors into located ones. */
  at<T>(node: ts.Node, f: () => T): T {
    const saved = this.b.loc;
    this.b.loc = this.source.loc(node);
    try {
      return f();
    } catch (e) {
      if (e instanceof SemanticError) throw this.source.error(node, e.message, e.hint);
      throw e;
    } finally {
      this.b.loc = saved;
    }
  }

  error(node: ts.Node, message: string, hint?: string): CompileError {
    return this.source.error(node, message, hint);
  }

  get isDryRun(): boolean {
    return this.dryRuns > 0;
  }

  // ---- statements -----------------------------------------------------------------------------------

  /**
   * Compiles a statement list, then `rest` (what follows the list up to the end of the function, given when
   * the list may return early); reports whether every path returned.
   */
  private statements(list: readonly ts.Statement[], rest?: Continuation): Returns {
    for (let i = 0; i < list.length; i++) {
      const st = list[i]!;
      const follow = this.continuation(list.slice(i + 1), rest);
      // A statement that returns on some paths only takes what follows it into its non-returning paths, so that
      // the rest of the function runs only where nothing returned (as Triton lowers early returns).
      if (follow && returnsOf(st) === 'some') return this.statement(st, follow);
      const r = this.statement(st);
      if (r !== 'none') return r;
    }
    return rest ? rest() : 'none';
  }

  /** The code after a statement: `after` (in a scope of its own under the current one), then `rest`. */
  private continuation(after: readonly ts.Statement[], rest: Continuation | undefined): Continuation | undefined {
    if (!after.length) return rest;
    const scope = this.ctx.scope;
    return () => this.inScope(new Scope(scope), () => this.statements(after, rest));
  }

  private block(list: readonly ts.Statement[], rest?: Continuation): Returns {
    return this.inScope(new Scope(this.ctx.scope), () => this.statements(list, rest));
  }

  private inScope<T>(scope: Scope, f: () => T): T {
    const saved = this.ctx.scope;
    this.ctx.scope = scope;
    try {
      return f();
    } finally {
      this.ctx.scope = saved;
    }
  }

  /** Compiles one statement; `rest` (only for blocks and ifs that may return early) runs on its non-returning paths. */
  private statement(st: ts.Statement, rest?: Continuation): Returns {
    if (TS.isVariableStatement(st)) {
      this.variableDeclarations(st.declarationList);
      return 'none';
    }
    if (TS.isExpressionStatement(st)) {
      this.expr(st.expression);
      return 'none';
    }
    if (TS.isBlock(st)) return this.block(st.statements, rest);
    if (TS.isIfStatement(st)) return this.ifStatement(st, rest);
    if (TS.isReturnStatement(st)) {
      if (this.ctx.loopDepth > 0) throw this.error(st, 'return inside a loop is not supported', 'end the loop with its condition, then return after it');
      if (st.expression) this.assignReturn(st.expression, this.expr(st.expression));
      else this.ctx.returned.value = RETURNED_VOID;
      return 'all';
    }
    if (TS.isForStatement(st)) return this.forStatement(st);
    if (TS.isForOfStatement(st)) return this.forOf(st);
    if (TS.isWhileStatement(st)) return this.whileLoop(st, st.expression, st.statement, false);
    if (TS.isDoStatement(st)) return this.whileLoop(st, st.expression, st.statement, true);
    if (TS.isEmptyStatement(st)) return 'none';
    if (TS.isBreakStatement(st) || TS.isContinueStatement(st)) {
      throw this.error(st, `'${st.getText(this.source.sf).split(/[\s;]/)[0]}' is not supported in kernels`, 'express the exit in the loop condition, e.g. a while loop whose condition tracks a flag');
    }
    if (TS.isFunctionDeclaration(st) || TS.isClassDeclaration(st)) {
      throw this.error(st, 'declarations of functions or classes inside a kernel are not supported', 'declare helper functions at the top level of the file');
    }
    throw this.error(st, `unsupported statement: ${TS.SyntaxKind[st.kind]}`, 'kernels use const/let, if/else, for, while, do-while, return and expressions');
  }

  private assignReturn(node: ts.Node, v: KValue): void {
    if (isCallable(v)) throw this.error(node, `cannot return ${describeValue(v)}`);
    this.ctx.returned.value = v;
  }

  private variableDeclarations(list: ts.VariableDeclarationList): void {
    const isConst = (list.flags & TS.NodeFlags.Const) !== 0;
    const isLet = (list.flags & TS.NodeFlags.Let) !== 0;
    if (!isConst && !isLet) throw this.error(list, '`var` is not supported in kernels', 'use `let` or `const`');
    for (const d of list.declarations) {
      if (!d.initializer) {
        if (isConst || !TS.isIdentifier(d.name)) throw this.error(d, 'a declaration without a value needs `let` and a plain name');
        this.declare(d.name, new Constexpr(null), true, true);
        continue;
      }
      const value = this.expr(d.initializer);
      this.bindPattern(d.name, value, !isConst, true);
    }
  }

  private declare(name: ts.Identifier, value: KValue, mutable: boolean, unassigned = false): void {
    const scope = this.ctx.scope;
    if (scope.vars.has(name.text)) throw this.error(name, `'${name.text}' is already declared in this scope`);
    scope.vars.set(name.text, new Binding(name.text, value, mutable, false, unassigned));
    if (value instanceof TValue && !value.ir.nameHint) value.ir.nameHint = name.text;
  }

  /** Binds (declaring) or assigns a name or array pattern to a value. */
  private bindPattern(target: ts.BindingName | ts.Expression, value: KValue, mutable: boolean, declaring: boolean): void {
    if (TS.isIdentifier(target)) {
      if (declaring) this.declare(target, value, mutable);
      else this.assign(target, value);
      return;
    }
    const elements = TS.isArrayBindingPattern(target) ? target.elements : TS.isArrayLiteralExpression(target) ? target.elements : undefined;
    if (!elements) throw this.error(target, 'only names and [a, b] patterns can be bound');
    const items = value instanceof Tuple ? value.items : value instanceof Constexpr && Array.isArray(value.value) ? value.value.map((v) => new Constexpr(v)) : undefined;
    if (!items) throw this.error(target, `cannot destructure ${describeValue(value)}`, 'only tuples (such as the result of tl.split) and constant arrays destructure');
    if (elements.length > items.length) throw this.error(target, `pattern has ${elements.length} names but the value has ${items.length} items`);
    elements.forEach((el, i) => {
      if (TS.isOmittedExpression(el)) return;
      const name = TS.isBindingElement(el) ? el.name : el;
      this.bindPattern(name as ts.BindingName, items[i]!, mutable, declaring);
    });
  }

  private assign(name: ts.Identifier, value: KValue): void {
    const binding = this.ctx.scope.lookup(name.text);
    if (!binding) throw this.error(name, `cannot assign to '${name.text}': it is not declared`, `declare it with let`);
    if (binding.isConstexprParam) throw this.error(name, `cannot assign to constexpr parameter '${name.text}'`, 'declare a new variable instead');
    if (!binding.mutable) throw this.error(name, `cannot assign to constant '${name.text}'`, 'declare it with let');
    if (isCallable(value)) throw this.error(name, `cannot store ${describeValue(value)} in a variable`);
    binding.value = value;
    binding.unassigned = false;
    if (value instanceof TValue && !value.ir.nameHint) value.ir.nameHint = name.text;
  }

  // ---- if -------------------------------------------------------------------------------------------

  private ifStatement(st: ts.IfStatement, rest: Continuation | undefined): Returns {
    const thenList = blockStatements(st.thenStatement);
    const elseList = st.elseStatement ? blockStatements(st.elseStatement) : [];
    const cond = this.expr(st.expression);
    if (!(cond instanceof TValue)) {
      // A compile-time condition: only the taken branch is compiled (as Triton does for constexprs).
      if (!(cond instanceof Constexpr)) throw this.error(st.expression, `a condition cannot be ${describeValue(cond)}`);
      return isTruthy(cond) ? this.block(thenList, rest) : this.block(elseList, rest);
    }
    if (cond.type.isBlock) throw this.error(st.expression, `an if condition must be a scalar, got ${cond.type}`, 'use tl.where(mask, a, b) to choose per element');
    const c = this.at(st.expression, () => this.s.toBool(cond));
    const results = this.branches(
      st,
      () => this.block(thenList, rest),
      () => this.block(elseList, rest),
    );
    const op = this.at(st, () => this.b.create('scf.if', [c.ir], results.types.map((t) => t.ir), {}, [new Region([results.thenBlock]), new Region([results.elseBlock])]));
    results.bind(op.results);
    return results.thenReturns === 'all' && results.elseReturns === 'all' ? 'all' : results.thenReturns === 'none' && results.elseReturns === 'none' ? 'none' : 'some';
  }

  /**
   * Compiles two alternative branches into blocks and works out which variables they change. Returns the
   * blocks (each ended by an scf.yield of the changed variables) and a function that binds the variables to
   * the op's results once the caller has created it.
   */
  private branches(node: ts.Node, thenFn: () => Returns, elseFn: () => Returns) {
    const visible = this.enclosingBindings();
    const before = snapshot(visible);
    const thenBlock = new Block();
    const elseBlock = new Block();
    const thenReturns = this.b.inBlock(thenBlock, thenFn);
    const afterThen = snapshot(visible);
    restore(before);
    const elseReturns = this.b.inBlock(elseBlock, elseFn);
    const afterElse = snapshot(visible);
    restore(before);

    const changed = visible.filter((b) => {
      const [t, e, o] = [afterThen.get(b)!, afterElse.get(b)!, before.get(b)!];
      return t.value !== o.value || e.value !== o.value;
    });
    const merged: { binding: Binding; type: KType }[] = [];
    const thenValues: TValue[] = [];
    const elseValues: TValue[] = [];
    for (const binding of changed) {
      const t = afterThen.get(binding)!;
      const e = afterElse.get(binding)!;
      if (t.value instanceof Constexpr && e.value instanceof Constexpr && sameConstexpr(t.value, e.value) && t.unassigned === e.unassigned) {
        binding.value = t.value;
        continue;
      }
      const label = binding.name === '<return>' ? 'the returned value' : `variable '${binding.name}'`;
      if (binding.name === '<return>' && (t.value === NOT_RETURNED || e.value === NOT_RETURNED)) {
        throw this.error(node, 'not every path through this if returns a value', 'return a value in both branches');
      }
      if (t.unassigned || e.unassigned) throw this.error(node, `${label} is assigned on one path through this if but not the other`, 'assign it before the if or in both branches');
      const type = this.mergeType(node, label, t.value, e.value);
      thenValues.push(this.b.inBlock(thenBlock, () => this.at(node, () => this.coerce(node, t.value, type, label))));
      elseValues.push(this.b.inBlock(elseBlock, () => this.at(node, () => this.coerce(node, e.value, type, label))));
      merged.push({ binding, type });
    }
    this.b.inBlock(thenBlock, () => this.at(node, () => this.b.create('scf.yield', thenValues.map((v) => v.ir), [])));
    this.b.inBlock(elseBlock, () => this.at(node, () => this.b.create('scf.yield', elseValues.map((v) => v.ir), [])));
    return {
      thenBlock,
      elseBlock,
      thenReturns,
      elseReturns,
      types: merged.map((m) => m.type),
      bind: (values: readonly Value[]) => {
        merged.forEach((m, i) => {
          m.binding.value = new TValue(values[i]!, m.type);
          m.binding.unassigned = false;
        });
      },
    };
  }

  /** The type two branch values share once constexprs become constants. */
  private mergeType(node: ts.Node, label: string, a: KValue, b: KValue): KType {
    for (const v of [a, b]) {
      if (v instanceof Tuple || isCallable(v)) throw this.error(node, `${label} holds ${describeValue(v)} and is changed under a run-time condition`, 'only numbers and tiles can change under a run-time condition');
    }
    const ta = a instanceof TValue ? a.type : undefined;
    const tb = b instanceof TValue ? b.type : undefined;
    if (ta && tb && !ta.equals(tb)) {
      throw this.error(node, `${label} is ${ta} on one path and ${tb} on the other`, 'convert one with .to(...) so both paths agree');
    }
    if (ta ?? tb) return (ta ?? tb)!;
    const da = this.literalType(node, a as Constexpr, label);
    const db = this.literalType(node, b as Constexpr, label);
    if (da !== db) throw this.error(node, `${label} is ${da.name} on one path and ${db.name} on the other`);
    return new KType(da, []);
  }

  private literalType(node: ts.Node, c: Constexpr, label: string): DType {
    const v = c.value;
    if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
      throw this.error(node, `${label} holds ${describeValue(c)}, which cannot become a run-time value`);
    }
    return literalDType(v, c.isFloat);
  }

  /** Turns a branch or loop value into a run-time value of exactly `type`. */
  private coerce(node: ts.Node, v: KValue, type: KType, label: string): TValue {
    if (v instanceof TValue) {
      if (!v.type.equals(type)) throw this.error(node, `${label} changes type from ${type} to ${v.type}`, `keep it ${type}, e.g. with .to(...)`);
      return v;
    }
    if (v instanceof Constexpr && v.isNumber) {
      if (type.isPointer) throw this.error(node, `${label} is a pointer on one path and ${describeValue(v)} on another`);
      return this.s.constant(v.value as number, type.dtype, type.shape);
    }
    throw this.error(node, `${label} holds ${describeValue(v)}, which cannot become a run-time value`);
  }

  private enclosingBindings(): Binding[] {
    return [...this.ctx.scope.all(), this.ctx.returned];
  }

  // ---- loops ----------------------------------------------------------------------------------------

  private forOf(st: ts.ForOfStatement): Returns {
    const init = st.initializer;
    if (!TS.isVariableDeclarationList(init) || init.declarations.length !== 1 || !TS.isIdentifier(init.declarations[0]!.name)) {
      throw this.error(init, 'a for-of loop declares one loop variable: for (const i of tl.range(...))');
    }
    const iv = init.declarations[0]!.name as ts.Identifier;
    // `let i of ...` may be reassigned for the rest of its iteration (as in TypeScript).
    const ivMutable = (init.flags & TS.NodeFlags.Const) === 0;
    const iterable = unwrap(st.expression);
    const callee = TS.isCallExpression(iterable) ? this.expr(iterable.expression) : undefined;
    const kind = callee && isCallable(callee) && callee.kind === 'builtin' ? callee.name : undefined;
    if (!TS.isCallExpression(iterable) || (kind !== 'range' && kind !== 'staticRange')) {
      throw this.error(st.expression, 'kernels loop over tl.range(...) or tl.staticRange(...)', 'for example: for (const k of tl.range(0, K, BLOCK_K))');
    }
    const args = iterable.arguments.filter((a) => !TS.isObjectLiteralExpression(unwrap(a)));
    const optsNode = iterable.arguments.find((a) => TS.isObjectLiteralExpression(unwrap(a)));
    if (args.length < 1 || args.length > 3) throw this.error(iterable, `tl.${kind} takes (end), (start, end) or (start, end, step)`);
    const vals = args.map((a) => this.expr(a));
    const [lb, ub, step] = vals.length === 1 ? [new Constexpr(0), vals[0]!, new Constexpr(1)] : [vals[0]!, vals[1]!, vals[2] ?? new Constexpr(1)];
    const attrs: Record<string, number | boolean> = {};
    if (kind === 'staticRange') {
      vals.forEach((v, i) => {
        if (!(v instanceof Constexpr)) throw this.error(args[i]!, `tl.staticRange bounds must be compile-time values, got ${describeValue(v)}`, 'use tl.range for bounds known only at run time');
      });
      attrs['tt.static_range'] = true;
    }
    if (optsNode) {
      const opts = unwrap(optsNode) as ts.ObjectLiteralExpression;
      for (const p of opts.properties) {
        if (!TS.isPropertyAssignment(p) || !TS.isIdentifier(p.name)) throw this.error(p, 'expected `name: value`');
        const key = p.name.text;
        const irName = { numStages: 'tt.num_stages', loopUnrollFactor: 'tt.loop_unroll_factor' }[key];
        if (!irName) throw this.error(p.name, `unknown tl.${kind} option '${key}'`, 'options are numStages and loopUnrollFactor');
        const v = this.expr(p.initializer);
        if (!(v instanceof Constexpr) || typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < 1) {
          throw this.error(p.initializer, `${key} must be a positive compile-time integer`);
        }
        attrs[irName] = v.value;
      }
    }
    const boundsNode = args[0] ?? st;
    if (step instanceof Constexpr) {
      const sv = step.value;
      if ((typeof sv === 'number' || typeof sv === 'bigint') && Number(sv) === 0) throw this.error(args[2] ?? iterable, `tl.${kind}'s step is 0: the loop would never end`, 'give a positive or negative step');
      if ((typeof sv === 'number' || typeof sv === 'bigint') && Number(sv) < 0) {
        // As Python's range and Triton: with a negative step the loop counts down from start while i > end.
        // scf.for counts up, so it runs over (end, start] by -step and the body sees i = start + end - j.
        const [lbT, ubT] = this.at(boundsNode, () => this.loopBounds(boundsNode, [lb, ub, new Constexpr(1)]));
        const down = (j: TValue): TValue => this.s.sub(this.s.add(lbT, ubT), j);
        this.countedLoop(st, iv, ivMutable, boundsNode, ub, lb, new Constexpr(typeof sv === 'bigint' ? -sv : -sv), st.statement, attrs, down);
        return 'none';
      }
      this.countedLoop(st, iv, ivMutable, boundsNode, lb, ub, step, st.statement, attrs);
      return 'none';
    }
    // A run-time step may have either sign: count iterations (Python's rule) and derive i from the count.
    const [lbT, ubT, stepT] = this.at(boundsNode, () => this.loopBounds(boundsNode, [lb, ub, step]));
    const trips = this.at(boundsNode, () => this.tripCount(lbT, ubT, stepT));
    const at = (j: TValue): TValue => this.s.add(lbT, this.s.mul(j, stepT));
    this.countedLoop(st, iv, ivMutable, boundsNode, new Constexpr(0), trips, new Constexpr(1), st.statement, attrs, at);
    return 'none';
  }

  /**
   * Iterations of Python's range(lb, ub, step) for a step of either sign known only at run time:
   * cdiv(ub - lb, step) when it is positive, cdiv(lb - ub, -step) when negative, 0 for an empty range or a
   * zero step (which run-time values cannot report).
   */
  private tripCount(lb: TValue, ub: TValue, step: TValue): TValue {
    const s = this.s;
    const t = lb.type.dtype;
    const zero = s.constant(0, t);
    const one = s.constant(1, t);
    const up = s.compare('>', step, zero);
    const span = s.where(up, s.sub(ub, lb), s.sub(lb, ub));
    const by = s.where(up, step, s.sub(zero, step));
    const safeBy = s.where(s.compare('==', by, zero), one, by);
    const n = s.floordiv(s.sub(s.add(span, safeBy), one), safeBy);
    return s.where(s.logicalOr(s.compare('<=', span, zero), s.compare('==', step, zero)), zero, n);
  }

  private forStatement(st: ts.ForStatement): Returns {
    const counted = st.initializer && st.condition && st.incrementor ? matchCountedLoop(st) : undefined;
    // `i = tl.multipleOf(i, 16)` in the body (Triton's flash attention does so) keeps the loop counted.
    if (counted && !assignedNames(st.statement, true).has(counted.iv.text)) {
      const lbVal = this.expr(counted.lb);
      const ubVal = this.expr(counted.ub);
      const stepVal = counted.step ? this.expr(counted.step) : new Constexpr(1);
      const stepPositive = !(stepVal instanceof Constexpr) || (typeof stepVal.value === 'number' && stepVal.value > 0);
      if (stepPositive) {
        const ub = counted.inclusive ? this.at(counted.ub, () => this.binary('+', counted.ub, ubVal, new Constexpr(1))) : ubVal;
        this.countedLoop(st, counted.iv, true, counted.lb, lbVal, ub, stepVal, st.statement, {});
        return 'none';
      }
    }
    // Any other shape of for loop is a while loop over its own variables.
    const saved = this.ctx.scope;
    this.ctx.scope = new Scope(saved);
    try {
      if (st.initializer) {
        if (TS.isVariableDeclarationList(st.initializer)) this.variableDeclarations(st.initializer);
        else this.expr(st.initializer);
      }
      return this.whileLoop(st, st.condition, st.statement, false, st.incrementor);
    } finally {
      this.ctx.scope = saved;
    }
  }

  /** scf.for over [lb, ub) by step, with the variables the body assigns carried through the loop. */
  private countedLoop(
    st: ts.Node,
    ivName: ts.Identifier,
    /** Whether the body may assign the loop variable (for the rest of an iteration). */
    ivMutable: boolean,
    boundsNode: ts.Node,
    lbV: KValue,
    ubV: KValue,
    stepV: KValue,
    body: ts.Statement,
    attrs: Record<string, number | boolean>,
    /** The loop variable the body sees, computed from the scf.for's (when the loop does not count up by step). */
    ivOf?: (counter: TValue) => TValue,
  ): void {
    const [lb, ub, step] = this.at(boundsNode, () => this.loopBounds(boundsNode, [lbV, ubV, stepV]));
    const carried = this.carriedBindings(body);
    const visitBody = (counter: TValue): void => {
      const saved = this.ctx.scope;
      this.ctx.scope = new Scope(saved);
      if (!counter.ir.nameHint) counter.ir.nameHint = ivName.text;
      const iv = ivOf ? this.at(st, () => ivOf(counter)) : counter;
      this.ctx.scope.vars.set(ivName.text, new Binding(ivName.text, iv, ivMutable));
      if (!iv.ir.nameHint) iv.ir.nameHint = ivName.text;
      this.ctx.loopDepth++;
      try {
        this.block(blockStatements(body));
      } finally {
        this.ctx.loopDepth--;
        this.ctx.scope = saved;
      }
    };
    const types = this.carriedTypes(st, carried, (args) => {
      visitBody(new TValue(args[0]!.ir, lb.type));
    }, [lb.type]);
    const inits = carried.map((b, i) => this.at(st, () => this.coerce(st, b.value, types[i]!, `loop variable '${b.name}'`)));
    const block = new Block([lb.type.ir, ...types.map((t) => t.ir)], [ivName.text, ...carried.map((b) => b.name)]);
    carried.forEach((b, i) => (b.value = new TValue(block.args[i + 1]!, types[i]!)));
    this.b.inBlock(block, () => {
      visitBody(new TValue(block.args[0]!, lb.type));
      const next = carried.map((b, i) => this.at(st, () => this.coerce(st, b.value, types[i]!, `loop-carried variable '${b.name}'`)));
      this.at(st, () => this.b.create('scf.yield', next.map((v) => v.ir), []));
    });
    const op = this.at(st, () => this.b.create('scf.for', [lb.ir, ub.ir, step.ir, ...inits.map((v) => v.ir)], types.map((t) => t.ir), attrs, [new Region([block])]));
    carried.forEach((b, i) => {
      b.value = new TValue(op.results[i]!, types[i]!);
      if (!op.results[i]!.nameHint) op.results[i]!.nameHint = b.name;
    });
  }

  /** Loop bounds as run-time integers of one type (i32 unless a bound is 64-bit). */
  private loopBounds(node: ts.Node, vals: KValue[]): [TValue, TValue, TValue] {
    const dts = vals.map((v) => {
      if (v instanceof TValue) {
        if (v.type.isBlock || v.type.isPointer || !v.type.dtype.isInt) throw this.error(node, `loop bounds must be scalar integers, got ${v.type}`);
        return v.type.dtype;
      }
      if (!(v instanceof Constexpr) || !(typeof v.value === 'number' || typeof v.value === 'bigint') || v.isFloat || !Number.isInteger(Number(v.value))) {
        throw this.error(node, `loop bounds must be integers, got ${describeValue(v)}`);
      }
      return literalDType(v.value, false);
    });
    const wide = dts.some((d) => d.bits === 64);
    const t = wide ? dtypes.i64 : dtypes.i32;
    const out = vals.map((v) => (v instanceof TValue ? this.s.cast(v, t) : this.s.constant((v as Constexpr).value as number, t)));
    return out as [TValue, TValue, TValue];
  }

  /** The variables declared outside `node` that it assigns: the values a loop carries. */
  private carriedBindings(...nodes: (ts.Node | undefined)[]): Binding[] {
    const names = new Set<string>();
    for (const n of nodes) if (n) for (const name of assignedNames(n)) names.add(name);
    const out: Binding[] = [];
    for (const name of names) {
      const b = this.ctx.scope.lookup(name);
      if (b) out.push(b);
    }
    return out;
  }

  /**
   * The type each carried variable has in the loop. A variable that enters the loop as a tile keeps its
   * type; one that enters as a literal (`let s = 0.0`) takes the type the body gives it, found by compiling
   * the body once into a throwaway block.
   */
  private carriedTypes(node: ts.Node, carried: Binding[], visit: (args: TValue[]) => void, leading: KType[]): KType[] {
    for (const b of carried) {
      if (b.unassigned) throw this.error(node, `'${b.name}' is assigned in the loop but has no value before it`, 'initialise it before the loop');
      if (b.value instanceof Tuple || isCallable(b.value)) throw this.error(node, `'${b.name}' holds ${describeValue(b.value)} and is assigned in a loop`, 'only numbers and tiles can be loop-carried');
      if (b.value instanceof Constexpr && !b.value.isNumber) throw this.error(node, `'${b.name}' holds ${describeValue(b.value)} and is assigned in a loop`);
    }
    let types = carried.map((b) => (b.value instanceof TValue ? b.value.type : new KType(this.literalType(node, b.value as Constexpr, b.name), [])));
    if (carried.every((b) => b.value instanceof TValue)) return types;
    for (let round = 0; round < 3; round++) {
      const block = new Block([...leading, ...types].map((t) => t.ir));
      const visible = this.enclosingBindings();
      const before = snapshot(visible);
      let next: KType[] | undefined;
      this.dryRuns++;
      try {
        carried.forEach((b, i) => (b.value = new TValue(block.args[i + leading.length]!, types[i]!)));
        this.b.inBlock(block, () => visit(block.args.map((a, i) => new TValue(a, [...leading, ...types][i]!))));
        next = carried.map((b, i) => (b.value instanceof TValue ? b.value.type : types[i]!));
      } catch (e) {
        if (!(e instanceof CompileError)) throw e;
      } finally {
        this.dryRuns--;
        restore(before);
      }
      if (!next) break;
      const updated = types.map((t, i) => (carried[i]!.value instanceof Constexpr ? next![i]! : t));
      if (updated.every((t, i) => t.equals(types[i]!))) break;
      types = updated;
    }
    return types;
  }

  private whileLoop(st: ts.Node, condNode: ts.Expression | undefined, body: ts.Statement, doWhile: boolean, incrementor?: ts.Expression): Returns {
    if (!condNode) throw this.error(st, 'a loop without a condition never ends', 'give the loop a condition');
    const carried = this.carriedBindings(body, condNode, incrementor);
    const runBody = (): void => {
      this.ctx.loopDepth++;
      try {
        this.block(blockStatements(body));
        if (incrementor) this.expr(incrementor);
      } finally {
        this.ctx.loopDepth--;
      }
    };
    const condition = (): TValue => {
      const c = this.expr(condNode);
      if (c instanceof Constexpr) throw this.error(condNode, `this loop condition is always ${isTruthy(c)} at compile time`, 'a while loop needs a condition that depends on run-time values');
      if (!(c instanceof TValue) || c.type.isBlock) throw this.error(condNode, `a loop condition must be a scalar, got ${describeValue(c)}`);
      return this.at(condNode, () => this.s.toBool(c));
    };
    const types = this.carriedTypes(st, carried, () => {
      if (doWhile) runBody();
      condition();
      if (!doWhile) runBody();
    }, []);
    const inits = carried.map((b, i) => this.at(st, () => this.coerce(st, b.value, types[i]!, `loop variable '${b.name}'`)));
    const label = (b: Binding): string => `loop-carried variable '${b.name}'`;
    // before: (optionally the body, for do-while) then the condition, forwarding the state.
    const names = carried.map((b) => b.name);
    const before = new Block(types.map((t) => t.ir), names);
    carried.forEach((b, i) => (b.value = new TValue(before.args[i]!, types[i]!)));
    this.b.inBlock(before, () => {
      if (doWhile) runBody();
      const c = condition();
      const state = carried.map((b, i) => this.at(st, () => this.coerce(st, b.value, types[i]!, label(b))));
      this.at(condNode, () => this.b.create('scf.condition', [c.ir, ...state.map((v) => v.ir)], []));
    });
    // after: the body (for while loops), yielding the next state.
    const after = new Block(types.map((t) => t.ir), names);
    carried.forEach((b, i) => (b.value = new TValue(after.args[i]!, types[i]!)));
    this.b.inBlock(after, () => {
      if (!doWhile) runBody();
      const next = carried.map((b, i) => this.at(st, () => this.coerce(st, b.value, types[i]!, label(b))));
      this.at(st, () => this.b.create('scf.yield', next.map((v) => v.ir), []));
    });
    const op = this.at(st, () => this.b.create('scf.while', inits.map((v) => v.ir), types.map((t) => t.ir), {}, [new Region([before]), new Region([after])]));
    carried.forEach((b, i) => {
      b.value = new TValue(op.results[i]!, types[i]!);
      if (!op.results[i]!.nameHint) op.results[i]!.nameHint = b.name;
    });
    return 'none';
  }

  // ---- expressions ----------------------------------------------------------------------------------

  expr(node: ts.Expression): KValue {
    const n = node;
    if (TS.isParenthesizedExpression(n) || TS.isAsExpression(n) || TS.isNonNullExpression(n) || TS.isSatisfiesExpression(n) || TS.isTypeAssertionExpression(n)) {
      return this.expr(n.expression);
    }
    // The source text, not `n.text` (which TypeScript normalises: `3.0` becomes "3"): a decimal point or exponent makes a float.
    if (TS.isNumericLiteral(n)) return numericLiteral(n.getText());
    if (TS.isBigIntLiteral(n)) return new Constexpr(BigInt(n.text.slice(0, -1).replace(/_/g, '')));
    if (n.kind === TS.SyntaxKind.TrueKeyword) return new Constexpr(true);
    if (n.kind === TS.SyntaxKind.FalseKeyword) return new Constexpr(false);
    if (n.kind === TS.SyntaxKind.NullKeyword) return new Constexpr(null);
    if (TS.isStringLiteral(n) || TS.isNoSubstitutionTemplateLiteral(n)) return new Constexpr(n.text);
    if (TS.isTemplateExpression(n)) return this.template(n);
    if (TS.isIdentifier(n)) return this.identifier(n);
    if (TS.isPropertyAccessExpression(n)) return this.property(n);
    if (TS.isElementAccessExpression(n)) return this.elementAccess(n);
    if (TS.isCallExpression(n)) return this.call(n);
    if (TS.isBinaryExpression(n)) return this.binaryExpression(n);
    if (TS.isPrefixUnaryExpression(n)) return this.prefixUnary(n);
    if (TS.isPostfixUnaryExpression(n)) return this.increment(n, n.operand, n.operator === TS.SyntaxKind.PlusPlusToken ? '+' : '-', true);
    if (TS.isConditionalExpression(n)) return this.conditional(n);
    if (TS.isArrayLiteralExpression(n)) return this.arrayLiteral(n);
    if (TS.isArrowFunction(n) || TS.isFunctionExpression(n)) {
      throw this.error(n, 'closures are not supported in kernels', 'declare the function at the top level of the file and pass it by name');
    }
    if (TS.isObjectLiteralExpression(n)) {
      throw this.error(n, 'object literals are only allowed as the options argument of a tl call', 'for example tl.load(ptr, { mask, other: 0 })');
    }
    if (n.kind === TS.SyntaxKind.ThisKeyword) throw this.error(n, '`this` is not available in kernels');
    if (TS.isNewExpression(n)) throw this.error(n, '`new` is not supported in kernels', 'tiles are made with tl.zeros, tl.full or tl.arange');
    if (TS.isAwaitExpression(n)) throw this.error(n, '`await` is not supported in kernels');
    if (TS.isSpreadElement(n)) throw this.error(n, 'spread (...) is not supported in kernels');
    throw this.error(n, `unsupported syntax in a kernel: ${TS.SyntaxKind[n.kind]}`);
  }

  /** Evaluates an expression that must be known at compile time. */
  constexprOf(node: ts.Expression, what: string): Constexpr {
    const v = this.expr(node);
    if (!(v instanceof Constexpr)) {
      throw this.error(node, `${what} must be a compile-time value, but this is a run-time ${describeValue(v)}`, 'use a constexpr parameter or a literal');
    }
    return v;
  }

  private template(n: ts.TemplateExpression): Constexpr {
    let text = n.head.text;
    for (const span of n.templateSpans) {
      const v = this.expr(span.expression);
      if (!(v instanceof Constexpr)) throw this.error(span.expression, `template strings can only hold compile-time values, got ${describeValue(v)}`);
      text += (typeof v.value === 'string' ? v.value : v.toString()) + span.literal.text;
    }
    return new Constexpr(text);
  }

  private identifier(n: ts.Identifier): KValue {
    const name = n.text;
    const binding = this.ctx.scope.lookup(name);
    if (binding) {
      if (binding.unassigned) throw this.error(n, `'${name}' is used before it is assigned`);
      return binding.value;
    }
    const src = this.source;
    const constInit = src.constants.get(name);
    if (constInit) return this.moduleConstant(name, constInit);
    const ktName = src.ktImports.get(name);
    if (ktName === 'tl') return { kind: 'namespace', name: 'tl' };
    if (ktName === '*') return { kind: 'namespace', name: 'kt' };
    if (ktName && tlDTypes.has(ktName)) return new Constexpr(tlDTypes.get(ktName)!);
    if (name === 'Math') return { kind: 'namespace', name: 'Math' };
    if (name === 'undefined') return new Constexpr(null);
    if (name === 'Infinity') return new Constexpr(Infinity, true);
    if (name === 'NaN') return new Constexpr(NaN, true);
    const fn = src.resolveFunction(name);
    if (fn) return { kind: 'function', fn };
    const hint = GLOBAL_HINTS[name] ?? (isBuiltin(name) ? `did you mean tl.${name}?` : suggest(name, this.ctx.scope.visible().map((b) => b.name)));
    throw this.error(n, `unknown name '${name}'`, hint);
  }

  private moduleConstant(name: string, init: ts.Expression): KValue {
    const cached = this.moduleConstants.get(init);
    if (cached) return cached;
    const saved = this.ctx;
    this.ctx = { ...saved, scope: new Scope() };
    try {
      const v = this.expr(init);
      if (v instanceof TValue) throw this.error(init, `top-level constant '${name}' must be a compile-time value`);
      this.moduleConstants.set(init, v);
      return v;
    } finally {
      this.ctx = saved;
    }
  }

  private property(n: ts.PropertyAccessExpression): KValue {
    const obj = this.expr(n.expression);
    const name = n.name.text;
    if (!(obj instanceof TValue || obj instanceof Constexpr || obj instanceof Tuple)) {
      if (obj.kind === 'namespace') {
        if (obj.name === 'kt') {
          if (name === 'tl') return { kind: 'namespace', name: 'tl' };
          throw this.error(n.name, `kt.${name} cannot be used inside a kernel`);
        }
        if (obj.name === 'Math') {
          const c = mathConstant(name);
          if (c !== undefined) return new Constexpr(c, true);
          if (mathFunction(name)) return { kind: 'builtin', name: `Math.${name}` };
          throw this.error(n.name, `Math.${name} is not available in kernels`, isBuiltin(name) ? `use tl.${name}(...)` : 'Math functions apply to compile-time numbers; use tl.exp, tl.sqrt, ... on tiles');
        }
        const dt = tlDTypes.get(name);
        if (dt) return new Constexpr(dt);
        if (isBuiltin(name)) return { kind: 'builtin', name };
        throw this.error(n.name, `tl has no member '${name}'`, suggest(name, tlMemberNames()));
      }
      throw this.error(n, `${describeValue(obj)} has no property '${name}'`);
    }
    if (name === 'to' && obj instanceof Constexpr) return { kind: 'method', name, self: obj };
    if (obj instanceof TValue) return this.tileMember(n, obj, name);
    if (name === 'length') {
      if (obj instanceof Tuple) return new Constexpr(obj.items.length);
      if (obj instanceof Constexpr && (Array.isArray(obj.value) || typeof obj.value === 'string')) return new Constexpr((obj.value as string).length);
    }
    if (obj instanceof Constexpr && obj.value instanceof PointerDType && (name === 'pointee' || name === 'elementTy')) return new Constexpr(obj.value.pointee);
    if (obj instanceof Constexpr && obj.value instanceof DType) {
      if (name === 'elementTy') throw this.error(n.name, `${obj.value.name} is not a pointer dtype, so it has no elementTy`, 'elementTy is what a pointer points to: x_ptr.dtype.elementTy');
      if (DTYPE_PROPERTIES.has(name)) {
        const v = obj.value[name as keyof DType] as string | number | boolean | bigint;
        return new Constexpr(typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
      }
    }
    if (obj instanceof Constexpr && obj.isNumber && TILE_PROPERTIES.has(name)) {
      throw this.error(n.name, `a compile-time number has no ${name}`, 'literals take a dtype when they meet a tile; make a tile with tl.full([], value, dtype) to give one');
    }
    throw this.error(n.name, `${describeValue(obj)} has no property '${name}'`);
  }

  /** A member of a tile: its dtype and shape (compile-time values), its transpose, or a method (Triton's tensor members). */
  private tileMember(n: ts.PropertyAccessExpression, x: TValue, name: string): KValue {
    switch (name) {
      case 'dtype':
        return new Constexpr(x.type.element);
      case 'shape':
        return new Constexpr([...x.type.shape]);
      case 'numel':
        return new Constexpr(x.type.numel);
      case 'T':
        if (x.type.shape.length !== 2) throw this.error(n.name, `.T transposes a 2-D tile; this is ${x.type}`, 'permute the dimensions with x.permute(...)');
        return this.at(n, () => this.s.permute(x, [1, 0]));
    }
    if (isTileMethod(name)) return { kind: 'method', name, self: x };
    throw this.error(n.name, `a tile has no member '${name}'`, suggest(name, [...TILE_PROPERTIES, ...tileMethodNames()]) ?? `tiles have ${[...TILE_PROPERTIES].join(', ')} and the methods ${tileMethodNames().join(', ')}; everything else is a tl function`);
  }

  private elementAccess(n: ts.ElementAccessExpression): KValue {
    const obj = this.expr(n.expression);
    const index = this.constexprOf(n.argumentExpression, 'an index');
    if (typeof index.value !== 'number' || !Number.isInteger(index.value)) throw this.error(n.argumentExpression, `an index must be an integer, got ${index}`);
    const items = obj instanceof Tuple ? obj.items : obj instanceof Constexpr && Array.isArray(obj.value) ? obj.value.map((v) => new Constexpr(v)) : undefined;
    if (!items) {
      throw this.error(n, `cannot index ${describeValue(obj)}`, obj instanceof TValue ? 'kernels cannot index into tiles; use masks, tl.where, tl.split or tl.reshape' : undefined);
    }
    const i = index.value < 0 ? index.value + items.length : index.value;
    if (i < 0 || i >= items.length) throw this.error(n.argumentExpression, `index ${index.value} is out of range for ${items.length} items`);
    return items[i]!;
  }

  private call(n: ts.CallExpression): KValue {
    const callee = this.expr(n.expression);
    if (!isCallable(callee)) throw this.error(n.expression, `${describeValue(callee)} is not a function`);
    switch (callee.kind) {
      case 'builtin':
        if (callee.name.startsWith('Math.')) return this.mathCall(n, callee.name.slice(5));
        return callBuiltin(this, callee.name, n);
      case 'method':
        return callMethod(this, callee.name, n, callee.self);
      case 'function':
        return this.callHelper(n, callee.fn, n.arguments.map((a) => this.expr(a)));
      case 'namespace':
        throw this.error(n.expression, `${callee.name} is not a function`);
    }
  }

  private mathCall(n: ts.CallExpression, name: string): KValue {
    const args = n.arguments.map((a) => this.expr(a));
    const runtime = args.findIndex((a) => !(a instanceof Constexpr));
    if (runtime < 0) {
      try {
        return mathFunction(name)!(args as Constexpr[]);
      } catch (e) {
        throw this.error(n, (e as Error).message, 'Math functions apply to compile-time numbers; use tl.exp, tl.sqrt, ... on run-time values');
      }
    }
    if (name === 'max' || name === 'min') {
      // Elementwise on run-time values, as Triton's builtin max and min are; with JavaScript's rule for NaN (a NaN
      // operand gives NaN), so that Math.max means the same on compile-time and run-time values.
      const operands = args.map((a, i) => this.operand(n.arguments[i]!, a));
      return this.at(n, () => operands.slice(1).reduce<Operand>((acc, x) => (name === 'max' ? this.s.maximum(acc, x, true) : this.s.minimum(acc, x, true)), operands[0]!));
    }
    const tlName = isBuiltin(name) ? `tl.${name}` : undefined;
    throw this.error(
      n.arguments[runtime]!,
      `Math.${name} applies to compile-time numbers, and this argument is a run-time ${describeValue(args[runtime]!)}`,
      tlName ? `use ${tlName}(...) on run-time values` : 'Math functions apply to compile-time numbers; use the tl functions (tl.exp, tl.sqrt, ...) on run-time values',
    );
  }

  private binaryExpression(n: ts.BinaryExpression): KValue {
    const op = n.operatorToken.kind;
    const K = TS.SyntaxKind;
    if (op === K.EqualsToken) {
      const v = this.expr(n.right);
      const target = unwrap(n.left);
      if (TS.isIdentifier(target) || TS.isArrayLiteralExpression(target)) {
        this.bindPattern(target, v, true, false);
        return v;
      }
      throw this.error(n.left, 'only variables can be assigned', TS.isElementAccessExpression(target) ? 'tiles cannot be updated element by element; build a new tile with tl.where' : undefined);
    }
    const compound: Partial<Record<ts.SyntaxKind, string>> = {
      [K.PlusEqualsToken]: '+',
      [K.MinusEqualsToken]: '-',
      [K.AsteriskEqualsToken]: '*',
      [K.SlashEqualsToken]: '/',
      [K.PercentEqualsToken]: '%',
      [K.AmpersandEqualsToken]: '&',
      [K.BarEqualsToken]: '|',
      [K.CaretEqualsToken]: '^',
      [K.LessThanLessThanEqualsToken]: '<<',
      [K.GreaterThanGreaterThanEqualsToken]: '>>',
      [K.GreaterThanGreaterThanGreaterThanEqualsToken]: '>>>',
      [K.AsteriskAsteriskEqualsToken]: '**',
    };
    const compoundOp = compound[op];
    if (compoundOp) {
      const target = unwrap(n.left);
      if (!TS.isIdentifier(target)) throw this.error(n.left, 'only variables can be assigned');
      const v = this.binary(compoundOp, n, this.expr(target), this.expr(n.right));
      this.assign(target, v);
      return v;
    }
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken || op === K.QuestionQuestionToken) {
      const left = this.expr(n.left);
      if (left instanceof Constexpr) {
        // Compile-time short circuit, as in TypeScript.
        if (op === K.AmpersandAmpersandToken) return isTruthy(left) ? this.expr(n.right) : left;
        if (op === K.BarBarToken) return isTruthy(left) ? left : this.expr(n.right);
        return left.value === null ? this.expr(n.right) : left;
      }
      if (op === K.QuestionQuestionToken) return left;
      const right = this.expr(n.right);
      return this.at(n, () => (op === K.AmpersandAmpersandToken ? this.s.logicalAnd(this.operand(n.left, left), this.operand(n.right, right)) : this.s.logicalOr(this.operand(n.left, left), this.operand(n.right, right))));
    }
    const text = n.operatorToken.getText(this.source.sf);
    const left = this.expr(n.left);
    const right = this.expr(n.right);
    return this.binary(text, n, left, right);
  }

  /** Applies a binary operator (by its TypeScript spelling) to two values. */
  binary(opText: string, node: ts.Node, left: KValue, right: KValue): KValue {
    if (left instanceof Constexpr && right instanceof Constexpr) {
      try {
        return evalConstBinary(opText, left, right);
      } catch (e) {
        throw this.error(node, (e as Error).message);
      }
    }
    const a = this.operand(node, left);
    const b = this.operand(node, right);
    const s = this.s;
    return this.at(node, () => {
      switch (opText) {
        case '+':
          return s.add(a, b);
        case '-':
          return s.sub(a, b);
        case '*':
          return s.mul(a, b);
        case '/':
          return s.truediv(a, b);
        case '%':
          return s.mod(a, b);
        case '&':
          return s.and(a, b);
        case '|':
          return s.or(a, b);
        case '^':
          return s.xor(a, b);
        case '<<':
          return s.shl(a, b);
        case '>>':
          return s.shr(a, b);
        case '>>>':
          return s.lshr(a, b);
        case '<':
        case '<=':
        case '>':
        case '>=':
          return s.compare(opText as ComparisonOp, a, b);
        case '==':
        case '===':
          return s.compare('==', a, b);
        case '!=':
        case '!==':
          return s.compare('!=', a, b);
        case '**':
          throw new SemanticError('** is only available on compile-time numbers', 'multiply, or use tl.exp2 / tl.exp for run-time powers');
        case 'in':
        case 'instanceof':
          throw new SemanticError(`'${opText}' is not supported in kernels`);
        default:
          throw new SemanticError(`operator '${opText}' is not supported in kernels`);
      }
    });
  }

  /** A value usable as an operand of arithmetic: a run-time value or a numeric constexpr. */
  operand(node: ts.Node, v: KValue): Operand {
    if (v instanceof TValue) return v;
    if (v instanceof Constexpr) {
      if (!v.isNumber) throw this.error(node, `${describeValue(v)} cannot be used in arithmetic`);
      return v;
    }
    throw this.error(node, `${describeValue(v)} cannot be used as a value`);
  }

  private prefixUnary(n: ts.PrefixUnaryExpression): KValue {
    const K = TS.SyntaxKind;
    if (n.operator === K.PlusPlusToken || n.operator === K.MinusMinusToken) {
      return this.increment(n, n.operand, n.operator === K.PlusPlusToken ? '+' : '-', false);
    }
    const v = this.expr(n.operand);
    const opText = { [K.MinusToken]: '-', [K.PlusToken]: '+', [K.ExclamationToken]: '!', [K.TildeToken]: '~' }[n.operator];
    if (!opText) throw this.error(n, 'unsupported unary operator');
    if (v instanceof Constexpr) {
      try {
        return evalConstUnary(opText, v);
      } catch (e) {
        throw this.error(n, (e as Error).message);
      }
    }
    const x = this.operand(n.operand, v);
    return this.at(n, () => {
      switch (opText) {
        case '-':
          return this.s.minus(x);
        case '+':
          return x;
        case '!':
          return this.s.logicalNot(x);
        default:
          return this.s.invert(x);
      }
    });
  }

  private increment(n: ts.Node, operand: ts.Expression, op: '+' | '-', postfix: boolean): KValue {
    const target = unwrap(operand);
    if (!TS.isIdentifier(target)) throw this.error(operand, 'only variables can be incremented');
    const old = this.expr(target);
    const v = this.binary(op, n, old, new Constexpr(1));
    this.assign(target, v);
    return postfix ? old : v;
  }

  private conditional(n: ts.ConditionalExpression): KValue {
    const c = this.expr(n.condition);
    if (c instanceof Constexpr) return isTruthy(c) ? this.expr(n.whenTrue) : this.expr(n.whenFalse);
    if (c instanceof TValue && !c.type.isBlock) return this.scalarConditional(n, c);
    const a = this.expr(n.whenTrue);
    const b = this.expr(n.whenFalse);
    for (const [side, v] of [[n.whenTrue, a], [n.whenFalse, b]] as const) {
      if (isVoid(v)) throw this.error(side, `this side of a conditional on a tile (${describeValue(c)}) gives nothing; such a conditional chooses per element between two values`, 'to store under a per-element condition, give tl.store a mask');
    }
    return this.at(n, () => this.s.where(this.operand(n.condition, c), this.operand(n.whenTrue, a), this.operand(n.whenFalse, b)));
  }

  /**
   * `c ? x : y` on a run-time scalar: as in Triton, only the chosen side runs. Sides that give nothing
   * (`c ? tl.store(p, a) : tl.store(p, b)`) are statements in an scf.if; sides that give values yield them from
   * one, when they have the type tl.where would give. Sides that compute nothing, or values that tl.where would
   * convert, are picked by tl.where.
   */
  private scalarConditional(n: ts.ConditionalExpression, c: TValue): KValue {
    const cond = this.at(n.condition, () => this.s.toBool(c));
    const sides: KValue[] = [];
    const side = (e: ts.Expression) => (): Returns => {
      sides.push(this.expr(e));
      return 'none';
    };
    const results = this.branches(n, side(n.whenTrue), side(n.whenFalse));
    const [a, b] = sides as [KValue, KValue];
    const scfIf = (valueType?: KType): Operation => {
      const types = [...results.types, ...(valueType ? [valueType] : [])];
      const op = this.at(n, () => this.b.create('scf.if', [cond.ir], types.map((t) => t.ir), {}, [new Region([results.thenBlock]), new Region([results.elseBlock])]));
      results.bind(op.results);
      return op;
    };
    if (isVoid(a) && isVoid(b)) {
      scfIf();
      return new Constexpr(null);
    }
    for (const [e, v] of [[n.whenTrue, a], [n.whenFalse, b]] as const) {
      if (isVoid(v)) throw this.error(e, 'this side of the conditional gives nothing, and the other a value', 'give both sides values, or make both statements (or use an if statement)');
    }
    const [x, y] = [this.operand(n.whenTrue, a), this.operand(n.whenFalse, b)];
    // The type tl.where gives, found in a block of its own that is dropped.
    const type = this.b.inBlock(new Block(), () => this.at(n, () => this.s.where(cond, x, y))).type;
    const computes = results.thenBlock.ops.length + results.elseBlock.ops.length > 2;
    const asIs = (v: Operand): boolean => !(v instanceof TValue) || v.type.equals(type);
    if (computes && asIs(x) && asIs(y)) {
      this.yieldAlso(results.thenBlock, n, x, type);
      this.yieldAlso(results.elseBlock, n, y, type);
      return new TValue(scfIf(type).results.at(-1)!, type);
    }
    if (results.types.length) throw this.error(n, 'a conditional on a run-time value whose sides assign variables must have sides of one type', 'use an if statement');
    this.hoist(results.thenBlock);
    this.hoist(results.elseBlock);
    return this.at(n, () => this.s.where(cond, x, y));
  }

  /** Appends `v` (as `type`) to what a branch block yields. */
  private yieldAlso(block: Block, node: ts.Node, v: Operand, type: KType): void {
    const yieldOp = block.ops.at(-1)!;
    yieldOp.erase();
    const value = this.b.inBlock(block, () => this.at(node, () => this.coerce(node, v, type, 'the conditional')));
    yieldOp.operands.push(value.ir);
    block.append(yieldOp);
  }

  /** Moves the ops of a branch block (but its scf.yield) to the insertion point: the branch is computed unconditionally. */
  private hoist(block: Block): void {
    for (const op of [...block.ops]) {
      op.erase();
      if (op.name === 'scf.yield') continue;
      if (this.b.before) this.b.block.insertBefore(this.b.before, op);
      else this.b.block.append(op);
    }
  }

  private arrayLiteral(n: ts.ArrayLiteralExpression): KValue {
    const items = n.elements.map((e) => this.expr(e));
    if (items.every((v) => v instanceof Constexpr)) return new Constexpr(items.map((v) => (v as Constexpr).value) as ConstValue[]);
    return new Tuple(items);
  }

  /** The location of `node` in the current source (for builtins that record locations). */
  loc(node: ts.Node): Location {
    return this.source.loc(node);
  }
}

function numericLiteral(text: string): Constexpr {
  const t = text.replace(/_/g, '');
  if (/^0[xXoObB]/.test(t)) return new Constexpr(Number(t));
  const isFloat = /[.eE]/.test(t);
  const v = Number(t);
  if (!isFloat && !Number.isSafeInteger(v)) return new Constexpr(BigInt(t));
  return new Constexpr(v, isFloat);
}

/** What a call that returns nothing (tl.store, a helper without a return value) gives. */
function isVoid(v: KValue): boolean {
  return v instanceof Constexpr && v.value === null;
}

function blockStatements(st: ts.Statement): readonly ts.Statement[] {
  return TS.isBlock(st) ? st.statements : [st];
}

/** Whether a statement returns on every path, some paths, or none (by its syntax). */
function returnsOf(st: ts.Statement): Returns {
  if (TS.isReturnStatement(st)) return 'all';
  if (TS.isBlock(st)) {
    let acc: Returns = 'none';
    for (const s of st.statements) {
      const r = returnsOf(s);
      if (r === 'all') return 'all';
      if (r === 'some') acc = 'some';
    }
    return acc;
  }
  if (TS.isIfStatement(st)) {
    const a = returnsOf(st.thenStatement);
    const b = st.elseStatement ? returnsOf(st.elseStatement) : 'none';
    if (a === 'all' && b === 'all') return 'all';
    return a === 'none' && b === 'none' ? 'none' : 'some';
  }
  return 'none';
}

const HINTS = new Set(['multipleOf', 'maxContiguous', 'maxConstancy']);

/** `x = tl.multipleOf(x, ...)` (or another hint): an assignment that leaves `x`'s value as it is. */
function isSelfHint(n: ts.BinaryExpression): boolean {
  const [target, value] = [unwrap(n.left), unwrap(n.right)];
  if (n.operatorToken.kind !== TS.SyntaxKind.EqualsToken || !TS.isIdentifier(target) || !TS.isCallExpression(value)) return false;
  const callee = unwrap(value.expression);
  const first = value.arguments[0] && unwrap(value.arguments[0]);
  return TS.isPropertyAccessExpression(callee) && HINTS.has(callee.name.text) && !!first && TS.isIdentifier(first) && first.text === target.text;
}

/** Names assigned anywhere in `node` (`x = `, `x += `, `x++`, `[a, b] = `), but by hints on themselves when `exceptSelfHints`. */
export function assignedNames(node: ts.Node, exceptSelfHints = false): Set<string> {
  const names = new Set<string>();
  const addTarget = (t: ts.Expression): void => {
    const e = unwrap(t);
    if (TS.isIdentifier(e)) names.add(e.text);
    else if (TS.isArrayLiteralExpression(e)) e.elements.forEach(addTarget);
  };
  const visit = (n: ts.Node): void => {
    if (TS.isBinaryExpression(n) && n.operatorToken.kind >= TS.SyntaxKind.FirstAssignment && n.operatorToken.kind <= TS.SyntaxKind.LastAssignment) {
      if (!(exceptSelfHints && isSelfHint(n))) addTarget(n.left);
    } else if ((TS.isPrefixUnaryExpression(n) || TS.isPostfixUnaryExpression(n)) && (n.operator === TS.SyntaxKind.PlusPlusToken || n.operator === TS.SyntaxKind.MinusMinusToken)) {
      addTarget(n.operand);
    }
    TS.forEachChild(n, visit);
  };
  visit(node);
  return names;
}

/** Recognises `for (let i = lb; i < ub; i += step)` (also `<=`, `i++`, `i = i + step`). */
function matchCountedLoop(st: ts.ForStatement): { iv: ts.Identifier; lb: ts.Expression; ub: ts.Expression; step?: ts.Expression; inclusive: boolean } | undefined {
  const init = st.initializer;
  if (!init || !TS.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  const d = init.declarations[0]!;
  if (!TS.isIdentifier(d.name) || !d.initializer || !(init.flags & TS.NodeFlags.Let)) return undefined;
  const iv = d.name;
  const cond = st.condition && unwrap(st.condition);
  if (!cond || !TS.isBinaryExpression(cond)) return undefined;
  const K = TS.SyntaxKind;
  let ub: ts.Expression | undefined;
  let inclusive = false;
  const isIv = (e: ts.Expression): boolean => TS.isIdentifier(unwrap(e)) && (unwrap(e) as ts.Identifier).text === iv.text;
  if (isIv(cond.left) && (cond.operatorToken.kind === K.LessThanToken || cond.operatorToken.kind === K.LessThanEqualsToken)) {
    ub = cond.right;
    inclusive = cond.operatorToken.kind === K.LessThanEqualsToken;
  } else if (isIv(cond.right) && (cond.operatorToken.kind === K.GreaterThanToken || cond.operatorToken.kind === K.GreaterThanEqualsToken)) {
    ub = cond.left;
    inclusive = cond.operatorToken.kind === K.GreaterThanEqualsToken;
  }
  if (!ub || assignedNames(ub).size) return undefined;
  const inc = st.incrementor && unwrap(st.incrementor);
  if (!inc) return undefined;
  let step: ts.Expression | undefined;
  if ((TS.isPostfixUnaryExpression(inc) || TS.isPrefixUnaryExpression(inc)) && inc.operator === K.PlusPlusToken && isIv(inc.operand)) step = undefined;
  else if (TS.isBinaryExpression(inc) && inc.operatorToken.kind === K.PlusEqualsToken && isIv(inc.left)) step = inc.right;
  else if (TS.isBinaryExpression(inc) && inc.operatorToken.kind === K.EqualsToken && isIv(inc.left)) {
    const r = unwrap(inc.right);
    if (!TS.isBinaryExpression(r) || r.operatorToken.kind !== K.PlusToken) return undefined;
    if (isIv(r.left)) step = r.right;
    else if (isIv(r.right)) step = r.left;
    else return undefined;
  } else return undefined;
  if (step && assignedNames(step).size) return undefined;
  return { iv, lb: d.initializer, ub, step, inclusive };
}

interface BindingState {
  readonly value: KValue;
  readonly unassigned: boolean;
}

function snapshot(bindings: readonly Binding[]): Map<Binding, BindingState> {
  return new Map(bindings.map((b) => [b, { value: b.value, unassigned: b.unassigned }]));
}

function restore(state: Map<Binding, BindingState>): void {
  for (const [b, s] of state) {
    b.value = s.value;
    b.unassigned = s.unassigned;
  }
}

function sameConstexpr(a: Constexpr, b: Constexpr): boolean {
  return a === b || (a.isFloat === b.isFloat && a.toString() === b.toString() && typeof a.value === typeof b.value);
}

/** "did you mean ...?" for a misspelt name. */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best ? `did you mean '${best}'?` : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}
