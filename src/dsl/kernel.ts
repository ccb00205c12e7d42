// kernel(fn): declares a kernel. The function is never run as JavaScript: kt finds its declaration in the
// .ts file that called kernel() (by the call site in the stack trace), compiles it per specialisation
// (argument dtypes and constexpr values) and runs it on a grid of programs.
//
//   export const add = kernel(function add(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) { ... });
//   add([cdiv(n, 1024)], x, y, out, n, { BLOCK: 1024 });
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompileError } from '../compiler/diagnostics.ts';
import { compileToIr, type CompiledIr, type CompileOptions } from '../compiler/compile.ts';
import { Codegen, type ArgBinding } from '../compiler/frontend/codegen.ts';
import { kernelParams, type KernelParam } from '../compiler/frontend/signature.ts';
import { loadSource, type ResolvedFunction } from '../compiler/frontend/source.ts';
import { printOp } from '../compiler/ir/printer.ts';
import { DType, PointerDType, pointerTo, dtypes } from '../compiler/semantic/dtype.ts';
import { Constexpr, KType, type ConstValue } from '../compiler/semantic/values.ts';
import { InterpretedKernel, type KernelArgValue, type RunOptions } from '../interp/interpreter.ts';
import { Tensor } from '../runtime/tensor.ts';

const ktSourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type GridDims = number | readonly number[];
/** A launch grid: up to three sizes, or a function of the launch's named values (Triton's `grid = lambda META: ...`). */
export type Grid = GridDims | ((meta: Record<string, unknown>) => GridDims);

/** Options accepted with the named arguments of a launch. */
export interface LaunchOptions {
  /** Warps per program on the GPU (4 by default); part of the specialisation. */
  numWarps?: number;
  /** Software-pipelining stages on the GPU (3 by default). */
  numStages?: number;
}

const launchOptionNames = new Set(['numWarps', 'numStages']);

/** One compiled specialisation of a kernel. */
export interface Specialization {
  readonly key: string;
  readonly bindings: readonly ArgBinding[];
  readonly ir: CompiledIr;
  /** The IR after the pass pipeline, as text. */
  irText(options?: { locations?: boolean }): string;
  interpreted(): InterpretedKernel;
}

export interface BoundLaunch {
  readonly bindings: ArgBinding[];
  /** The values of the run-time parameters, in order. */
  readonly runtime: KernelArgValue[];
  /** Every parameter by name, for grid functions. */
  readonly meta: Record<string, unknown>;
  readonly options: LaunchOptions;
}

function callSite(): { file: string; line: number } | undefined {
  const stack = new Error().stack ?? '';
  for (const frame of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(frame.trim());
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (file.startsWith('node:') || file.startsWith(ktSourceDir + path.sep) || file.includes(`${path.sep}node_modules${path.sep}`)) continue;
    return { file, line: Number(m[2]) };
  }
  return undefined;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Tensor) && !ArrayBuffer.isView(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

function constexprOf(v: unknown): Constexpr | undefined {
  if (typeof v === 'number') return new Constexpr(v, !Number.isInteger(v));
  if (typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'string' || v === null || v instanceof DType || v instanceof PointerDType) return new Constexpr(v as ConstValue);
  if (v === undefined) return new Constexpr(null);
  if (Array.isArray(v) && v.every((x) => constexprOf(x) !== undefined)) return new Constexpr(v as ConstValue);
  return undefined;
}

function scalarBinding(p: KernelParam, v: unknown, declared: DType | undefined, error: (msg: string, hint?: string) => Error): KType {
  if (typeof v === 'boolean') return new KType(declared ?? dtypes.i1, []);
  if (typeof v === 'bigint') {
    if (declared && !declared.isInt) throw error(`'${p.name}' is declared ${declared.name} but got the bigint ${v}`);
    return new KType(declared ?? dtypes.i64, []);
  }
  if (typeof v !== 'number') throw error(`'${p.name}' must be a number, got ${describe(v)}`);
  if (declared) {
    if (declared.isInt && !Number.isInteger(v)) throw error(`'${p.name}' is declared ${declared.name} but got ${v}, which is not an integer`);
    if (declared.isInt && !declared.isBool && (BigInt(v) < declared.intMin || BigInt(v) > declared.intMax)) throw error(`'${p.name}' is declared ${declared.name} but ${v} is out of its range`);
    return new KType(declared, []);
  }
  if (!Number.isInteger(v)) return new KType(dtypes.f32, []);
  if (v >= -(2 ** 31) && v < 2 ** 31) return new KType(dtypes.i32, []);
  if (!Number.isSafeInteger(v)) throw error(`'${p.name}' = ${v} is too large to pass exactly as a number`, 'pass a bigint for 64-bit values');
  return new KType(dtypes.i64, []);
}

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.dtype.name} Tensor`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `${typeof v} ${String(v)}`;
}

export class KernelDefinition {
  private resolved?: { fn: ResolvedFunction; params: KernelParam[] };
  private readonly specializations = new Map<string, Specialization>();

  constructor(
    private readonly fn: (...args: never[]) => unknown,
    private readonly site: { file: string; line: number } | undefined,
  ) {}

  /** The kernel's source function and parameters (parsed on first use). */
  source(): { fn: ResolvedFunction; params: KernelParam[] } {
    if (!this.resolved) {
      const fnName = this.fn.name;
      if (!this.site) throw new CompileError(`kt could not find where kernel '${fnName || '(anonymous)'}' was declared`, undefined, 'declare kernels in .ts files loaded through tsx (npx tsx, npx kt)');
      const found = loadSource(this.site.file).findKernelFunction(this.site.line, fnName);
      if (!found) {
        throw new CompileError(`kt could not find the source of kernel '${fnName || '(anonymous)'}' in ${this.site.file}`, undefined, 'pass a function expression or the name of a function declared at the top level of that file to kernel()');
      }
      this.resolved = { fn: found, params: kernelParams(found) };
    }
    return this.resolved;
  }

  get name(): string {
    return this.source().fn.name;
  }

  get params(): readonly KernelParam[] {
    return this.source().params;
  }

  /** Matches a launch's arguments to parameters (positionally, then by name in a trailing object). */
  bind(args: readonly unknown[]): BoundLaunch {
    const { fn, params } = this.source();
    const positional = [...args];
    const named = positional.length && isPlainObject(positional[positional.length - 1]) ? (positional.pop() as Record<string, unknown>) : {};
    const error = (msg: string, hint?: string, p?: KernelParam): Error => (p ? fn.source.error(p.node, `kernel '${fn.name}': ${msg}`, hint) : new CompileError(`kernel '${fn.name}': ${msg}`, fn.source.span(fn.node), hint));
    if (positional.length > params.length) {
      throw error(`takes ${params.length} arguments (${params.map((p) => p.name).join(', ')}), got ${positional.length}`);
    }
    const options: LaunchOptions = {};
    for (const [k, v] of Object.entries(named)) {
      if (launchOptionNames.has(k)) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw error(`${k} must be a positive integer, got ${describe(v)}`);
        options[k as keyof LaunchOptions] = v;
      } else if (!params.some((p) => p.name === k)) {
        throw error(`has no parameter '${k}'`, `its parameters are ${params.map((p) => p.name).join(', ')}; launch options are numWarps and numStages`);
      }
    }
    if (options.numWarps !== undefined && (options.numWarps & (options.numWarps - 1)) !== 0) throw error(`numWarps must be a power of two, got ${options.numWarps}`);
    const bindings: ArgBinding[] = [];
    const runtime: KernelArgValue[] = [];
    const meta: Record<string, unknown> = {};
    params.forEach((p, i) => {
      if (i < positional.length && p.name in named) throw error(`'${p.name}' is given both by position and by name`, undefined, p);
      let v: unknown = i < positional.length ? positional[i] : named[p.name];
      if (v === undefined && !(p.name in named) && i >= positional.length) {
        if (!p.initializer) throw error(`missing argument '${p.name}'`, undefined, p);
        v = this.defaultValue(p).value;
      }
      meta[p.name] = v;
      const kind = p.kind === 'inferred' ? (v instanceof Tensor ? 'pointer' : v === null || v === undefined || typeof v === 'string' ? 'constexpr' : 'scalar') : p.kind;
      if (kind === 'constexpr') {
        const c = constexprOf(v);
        if (!c) throw error(`'${p.name}' is constexpr and needs a compile-time value (number, boolean, string, dtype), got ${describe(v)}`, undefined, p);
        bindings.push({ kind: 'constexpr', value: c });
      } else if (kind === 'pointer') {
        if (!(v instanceof Tensor)) throw error(`'${p.name}' is a pointer and needs a Tensor, got ${describe(v)}`, undefined, p);
        if (p.dtype && v.dtype !== p.dtype) throw error(`'${p.name}' is declared Ptr<${p.dtype.name}> but the tensor is ${v.dtype.name}`, `convert the tensor, or declare Ptr<${v.dtype.name}>`, p);
        bindings.push({ kind: 'runtime', type: new KType(pointerTo(v.dtype), []) });
        runtime.push(v);
      } else {
        if (v instanceof Tensor) throw error(`'${p.name}' is a scalar${p.dtype ? ` (${p.dtype.name})` : ''} but got a Tensor`, 'declare it Ptr to pass a tensor', p);
        bindings.push({ kind: 'runtime', type: scalarBinding(p, v, p.dtype, (m, h) => error(m, h, p)) });
        runtime.push(v as KernelArgValue);
      }
    });
    return { bindings, runtime, meta, options };
  }

  private defaultValue(p: KernelParam): Constexpr {
    const cg = new Codegen();
    return cg.defaultArgument(this.source().fn, p.initializer!);
  }

  /** Compiles (or fetches) the specialisation for these bindings. */
  specialize(bindings: readonly ArgBinding[], options: CompileOptions = {}): Specialization {
    const key = bindings.map((b) => (b.kind === 'constexpr' ? `c:${b.value.toString()}` : `r:${b.type.toString()}`)).join('|');
    const cached = this.specializations.get(key);
    if (cached && !options.printAfter && !options.noPasses) return cached;
    const { fn, params } = this.source();
    const ir = compileToIr(fn, params, bindings, options);
    let interp: InterpretedKernel | undefined;
    const spec: Specialization = {
      key,
      bindings,
      ir,
      irText: (o = {}) => printOp(ir.module, o),
      interpreted: () => (interp ??= new InterpretedKernel(fn.name, ir.kernel)),
    };
    if (!options.printAfter && !options.noPasses) this.specializations.set(key, spec);
    return spec;
  }

  /** Launches on `grid`: compiles on first use of these argument types and constexprs, then runs. */
  launch(grid: Grid, args: readonly unknown[], runOptions: RunOptions = {}): void {
    const bound = this.bind(args);
    const dims = resolveGrid(grid, bound.meta, this.name);
    const spec = this.specialize(bound.bindings);
    spec.interpreted().run(dims, bound.runtime, runOptions);
  }
}

/** Normalises a grid to three non-negative sizes. */
export function resolveGrid(grid: Grid, meta: Record<string, unknown>, kernelName: string): [number, number, number] {
  const g = typeof grid === 'function' ? grid(meta) : grid;
  const dims = typeof g === 'number' ? [g] : [...g];
  if (dims.length < 1 || dims.length > 3 || dims.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 0)) {
    throw new RangeError(`kernel '${kernelName}': the grid must be 1 to 3 non-negative integers, got ${JSON.stringify(g)}`);
  }
  return [dims[0]!, dims[1] ?? 1, dims[2] ?? 1];
}

/** A launchable kernel: call it with a grid and its arguments. */
export interface Kernel {
  (grid: Grid, ...args: unknown[]): void;
  readonly definition: KernelDefinition;
}

/**
 * Declares a kernel. Pass a function expression, or the name of a function declared at the top level of the
 * same file. Launch it as `k(grid, ...args, { CONSTEXPR: value, numWarps: 4 })`.
 */
export function kernel<F extends (...args: never[]) => unknown>(fn: F): Kernel {
  if (typeof fn !== 'function') throw new TypeError('kernel() takes a function');
  const definition = new KernelDefinition(fn, callSite());
  const launch = (grid: Grid, ...args: unknown[]): void => definition.launch(grid, args);
  return Object.assign(launch, { definition });
}
