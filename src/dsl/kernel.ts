// kernel(fn): declares a kernel. The function is never run as JavaScript: kt finds its declaration in the
// .ts file that called kernel() (by the call site in the stack trace), compiles it per specialisation
// (argument dtypes and constexpr values) and runs it on a grid of programs.
//
//   export const add = kernel(function add(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) { ... });
//   add([cdiv(n, 1024)], x, y, out, n, { BLOCK: 1024 });
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { callerOutside } from './call-site.ts';
import { cacheKey, fileHash, readEntry, reportDamagedEntry, writeEntry } from '../compiler/cache.ts';
import { CompileError, type SourceSpan } from '../compiler/diagnostics.ts';
import { compileToIr, type CompiledIr, type CompileOptions } from '../compiler/compile.ts';
import type { ArgBinding } from '../compiler/frontend/codegen.ts';
import { readSignature, type KernelParam, type KernelSignature, type ParamKind } from '../compiler/frontend/signature.ts';
import { loadSource, type ResolvedFunction } from '../compiler/frontend/source.ts';
import { parseModule } from '../compiler/ir/parser.ts';
import { printOp } from '../compiler/ir/printer.ts';
import { verify } from '../compiler/ir/verifier.ts';
import { DType, PointerDType, dtypeByName, pointerTo, dtypes, type DTypeName } from '../compiler/semantic/dtype.ts';
import { Constexpr, KType, deserializeConstexpr, serializeConstexpr, type ConstValue, type SerializedConst } from '../compiler/semantic/values.ts';
import { buildGpuBinary, type GpuBuildOptions, type KernelBinary } from '../compiler/gpu/binary.ts';
import type { Operation } from '../compiler/ir/core.ts';
import type { Type } from '../compiler/ir/types.ts';
import { argumentFacts, factsKey, type ArgFact } from '../runtime/arg-facts.ts';
import { isPlainObject, resolveGrid, splitArguments, type Grid } from './launch-args.ts';

export { argumentFacts } from '../runtime/arg-facts.ts';
export { resolveGrid, splitArguments } from './launch-args.ts';
import { InterpretedKernel, type KernelArgValue, type RunOptions } from '../interp/interpreter.ts';
import { launchSanitize, sanitizeAll, type SanitizeOptions } from '../interp/sanitize-settings.ts';
import { DeviceAllocation, GpuStream, gpu } from '../runtime/gpu.ts';
import { LoadedKernel } from '../runtime/launcher.ts';
import { gpuTargetProblem } from '../gpu-targets.ts';
import { Tensor, copyWrittenBytes, markWritten } from '../runtime/tensor.ts';
import { CompiledGpuKernel, CompiledKernel } from '../tools/compiled-kernel.ts';
import { alwaysCompile } from '../tools/compile-settings.ts';
import { compileGpuStages } from '../tools/gpu-stages.ts';
import { launchesObserved, observeLaunch } from '../tools/launch-hooks.ts';
import { StageDump } from '../tools/stage-dump.ts';

const ktSourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type { Grid, GridDims } from './launch-args.ts';

/** Options accepted with the named arguments of a launch. */
export interface LaunchOptions {
  /** Warps per program on the GPU (4 by default); part of the specialisation. */
  numWarps?: number;
  /** Software-pipelining stages on the GPU (3 by default). */
  numStages?: number;
  /** The GPU stream to launch on (the default stream when not given). */
  stream?: GpuStream;
  /**
   * Run on the interpreter under the sanitizer (races, uninitialised reads, integer division by zero, overflow of
   * index arithmetic, hangs past `timeout` ms); `false` runs plainly even under KT_SANITIZE=1.
   */
  sanitize?: boolean | SanitizeOptions;
}

const launchOptionNames = new Set(['numWarps', 'numStages', 'stream', 'sanitize']);

/** One compiled specialisation of a kernel. */
export interface Specialization {
  readonly key: string;
  readonly bindings: readonly ArgBinding[];
  readonly ir: CompiledIr;
  /** The IR after the pass pipeline, as text. */
  irText(options?: { locations?: boolean }): string;
  interpreted(): InterpretedKernel;
  /** The specialisation compiled for the GPU with these argument facts and options (cached). */
  gpu(facts: readonly ArgFact[], options: GpuLaunchOptions): GpuKernel;
}

export interface GpuLaunchOptions {
  readonly numWarps: number;
  readonly numStages: number;
  /** sm_90, ...; the current GPU's when omitted. */
  readonly target?: string;
}

/** A specialisation compiled for the GPU; loaded into the driver on its first launch. */
export class GpuKernel {
  private loaded?: LoadedKernel;

  constructor(
    readonly binary: KernelBinary,
    private readonly func: { readonly paramTypes: readonly Type[]; readonly paramNames: readonly string[] },
  ) {}

  /** Loads the kernel into the driver, if it is not yet: launches do on their first, warm-ups before any. */
  load(): LoadedKernel {
    this.loaded ??= new LoadedKernel(this.binary, this.func.paramTypes, this.func.paramNames);
    return this.loaded;
  }

  launch(grid: readonly [number, number, number], args: readonly KernelArgValue[], stream?: GpuStream): void {
    (this.loaded ?? this.load()).launch(grid, args, stream);
  }
}


let interpretAll: boolean | undefined;

/** KT_INTERPRET=1: every launch runs on the interpreter (read once, as Triton reads TRITON_INTERPRET). */
function forceInterpreter(): boolean {
  interpretAll ??= process.env['KT_INTERPRET'] === '1';
  return interpretAll;
}

/** Where a launch runs: on the GPU when its tensors are GPU tensors (unless KT_INTERPRET=1), else on the interpreter. */
export function runsOnGpu(runtime: readonly KernelArgValue[], params: readonly KernelParam[], kernelName: string): boolean {
  let cuda: number | undefined;
  let host: number | undefined;
  runtime.forEach((v, i) => {
    if (v instanceof Tensor) {
      if (v.isCuda) {
        cuda ??= i;
        if ((v.storage as DeviceAllocation).isFreed) {
          throw new Error(`kernel '${kernelName}': argument '${runtimeParamNames(params)[i]}': the tensor's GPU memory was freed by dispose()`);
        }
      } else host ??= i;
    }
  });
  if (cuda === undefined || forceInterpreter()) return false;
  if (host !== undefined) {
    const names = runtimeParamNames(params);
    throw new CompileError(`kernel '${kernelName}': '${names[cuda]}' is a GPU tensor but '${names[host]}' is on the CPU`, undefined, `move it to the GPU with .cuda(), or keep every tensor on the CPU to run on the interpreter`);
  }
  return true;
}

const runtimeParamNames = (params: readonly KernelParam[]): string[] => params.filter((p) => p.kind !== 'constexpr').map((p) => p.name);

/**
 * Host copies of the tensors among `values` (GPU tensors, and CPU ones too when `all`): one copy per storage, so
 * that views stay views of one buffer; other values are passed through. `copies` pairs each original with its copy.
 */
export function copiesOnHost(values: readonly unknown[], all: boolean): { hostValues: unknown[]; copies: { original: Tensor; host: ArrayBuffer }[] } {
  const copies = new Map<unknown, { original: Tensor; host: ArrayBuffer }>();
  const hostValues = values.map((v) => {
    if (!(v instanceof Tensor) || (!v.isCuda && !all)) return v;
    let c = copies.get(v.storage);
    if (!c) {
      // (cpu() carries over the sanitizer's record of what is written; a host copy is given it here.)
      // A GPU tensor that nothing can have written yet is not read (its contents are undefined): zeros stand in.
      const untouched = v.storage instanceof DeviceAllocation && v.storage.untouched;
      c = { original: v, host: untouched ? new ArrayBuffer(v.storage.bytes) : v.isCuda ? v.cpu().hostBuffer() : v.hostBuffer().slice(0) };
      if (!v.isCuda || untouched) copyWrittenBytes(v.storage, c.host);
      copies.set(v.storage, c);
    }
    return new Tensor(v.dtype, v.shape, c.host, v.strides, v.offset);
  });
  return { hostValues, copies: [...copies.values()] };
}

/** Runs an interpreter launch on GPU tensors (KT_INTERPRET=1): on host copies, copied back once it is done. */
function stagedOnHost(values: readonly KernelArgValue[], run: (hostValues: KernelArgValue[]) => void): void {
  const { hostValues, copies } = copiesOnHost(values, false);
  run(hostValues as KernelArgValue[]);
  for (const { original, host } of copies) original.copyStorageFrom(new Tensor(original.dtype, [host.byteLength / original.dtype.bytes], host));
}

export interface BoundLaunch {
  readonly bindings: ArgBinding[];
  /** The values of the run-time parameters, in order. */
  readonly runtime: KernelArgValue[];
  /** Every parameter by name, for grid functions. */
  readonly meta: Record<string, unknown>;
  readonly options: LaunchOptions;
}


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

/** A value as an error names it, briefly (a typed array of a million elements is not printed). */
function describe(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.dtype.name} Tensor`;
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of ${'length' in v ? (v as { length: number }).length : v.byteLength}`;
  if (typeof v === 'object') return `a ${v.constructor?.name ?? 'null-prototype'} object`;
  if (typeof v === 'function') return 'a function';
  const text = String(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** A launch recorded instead of run by captureLaunches. */
export interface CapturedLaunch {
  readonly definition: KernelDefinition;
  readonly bound: BoundLaunch;
  readonly grid: [number, number, number];
}

let capturing: CapturedLaunch[] | undefined;

/** Runs `f`, recording the kernel launches it makes instead of running them (for `kt compile`). */
export function captureLaunches(f: () => void): CapturedLaunch[] {
  const saved = capturing;
  capturing = [];
  try {
    f();
    return capturing;
  } finally {
    capturing = saved;
  }
}

interface SignatureEntry {
  name: string;
  span: SourceSpan;
  params: { name: string; kind: ParamKind; dtype?: DTypeName; defaultValue?: SerializedConst; span: SourceSpan }[];
}

interface IrEntry {
  /** The module's IR text, with locations. */
  ir: string;
  /** The kernel function's symbol in the module. */
  kernel: string;
  /** Helper files the kernel was compiled from, with their hashes at the time. */
  deps: { file: string; hash: string }[];
}

const isSignatureEntry = (v: unknown): v is SignatureEntry => typeof v === 'object' && v !== null && Array.isArray((v as SignatureEntry).params) && typeof (v as SignatureEntry).name === 'string';
const isIrEntry = (v: unknown): v is IrEntry => typeof v === 'object' && v !== null && typeof (v as IrEntry).ir === 'string' && typeof (v as IrEntry).kernel === 'string' && Array.isArray((v as IrEntry).deps);

const dtypeOf = (name: string): DType => {
  const d = dtypeByName(name);
  if (!d) throw new Error(`unknown dtype ${name} in the compilation cache`);
  return d;
};

export class KernelDefinition {
  private fnCache?: ResolvedFunction;
  private sig?: KernelSignature;
  private readonly specializations = new Map<string, Specialization>();
  /** GPU launches seen before, by launchKey: their compiled kernel and which parameters are run-time arguments. */
  private readonly gpuLaunches = new Map<string, KnownLaunch>();
  /** The last launch the fast path took, to recognise its repetition cheaply. */
  private previous?: { args: unknown[]; named: [string, unknown][] | undefined; kinds: (string | undefined)[]; entry: KnownLaunch };
  /** What launchKey prepares once: parameter names, declared integer ranges, and space for the values. */
  private fastPath?: { names: Set<string>; intRanges: readonly (readonly [number, number] | undefined)[]; values: unknown[]; named?: Record<string, unknown> };
  /** Time spent compiling specialisations of this kernel, in milliseconds. */
  compileMs = 0;

  /**
   * `functionName` is the declared function's name ('' for an anonymous function expression) and `site` where
   * kernel() was called; together they find the source.
   */
  constructor(
    readonly functionName: string,
    readonly site: { readonly file: string; readonly line: number } | undefined,
  ) {}

  private requireSite(): { file: string; line: number } {
    if (!this.site) throw new CompileError(`kt could not find where kernel '${this.functionName || '(anonymous)'}' was declared`, undefined, 'declare kernels in .ts files loaded through tsx (npx tsx, npx kt)');
    return this.site;
  }

  /** The kernel's source function (parsed with ts-morph on first use). */
  source(): ResolvedFunction {
    if (!this.fnCache) {
      const site = this.requireSite();
      const found = loadSource(site.file).findKernelFunction(site.line, this.functionName);
      if (!found) {
        throw new CompileError(`kt could not find the source of kernel '${this.functionName || '(anonymous)'}' in ${site.file}`, undefined, 'pass a function expression or the name of a function declared at the top level of that file to kernel()');
      }
      this.fnCache = found;
    }
    return this.fnCache;
  }

  /**
   * The kernel's name and parameters: from the compilation cache when its file is unchanged. The time this takes
   * the first time (reading the cache, or loading the TypeScript parser and reading the source) counts as
   * compile time, not as the launch's run time.
   */
  signature(): KernelSignature {
    if (this.sig) return this.sig;
    const start = performance.now();
    try {
      return this.readSignatureOnce();
    } finally {
      this.compileMs += performance.now() - start;
    }
  }

  private readSignatureOnce(): KernelSignature {
    const site = this.requireSite();
    const key = cacheKey('signature', site.file, fileHash(site.file) ?? '', String(site.line), this.functionName);
    const cached = alwaysCompile() ? undefined : readEntry('signatures', key, isSignatureEntry);
    if (cached) {
      try {
        this.sig = {
          name: cached.name,
          span: cached.span,
          params: cached.params.map((p) => ({ ...p, dtype: p.dtype ? dtypeOf(p.dtype) : undefined, defaultValue: p.defaultValue && deserializeConstexpr(p.defaultValue, dtypeOf) })),
        };
        return this.sig;
      } catch (e) {
        reportDamagedEntry('signatures', key, `it cannot be read back: ${(e as Error).message}`);
      }
    }
    this.sig = readSignature(this.source());
    writeEntry('signatures', key, {
      name: this.sig.name,
      span: this.sig.span,
      params: this.sig.params.map((p) => ({ ...p, dtype: p.dtype?.name, defaultValue: p.defaultValue && serializeConstexpr(p.defaultValue) })),
    } satisfies SignatureEntry);
    return this.sig;
  }

  get name(): string {
    return this.signature().name;
  }

  get params(): readonly KernelParam[] {
    return this.signature().params;
  }

  /**
   * A key for everything a GPU launch's compiled kernel depends on, from one pass over its arguments: tensor
   * dtypes and alignment, scalar kinds (and whether they are 1 or multiples of 16), constexpr values, launch
   * options. Leaves each parameter's value in launchValues. Undefined when the launch needs the full binding
   * (the first launch, CPU tensors, defaults, unusual values, errors).
   */
  private launchKey(args: readonly unknown[]): string | undefined {
    const params = this.sig?.params;
    if (!params) return undefined;
    if (!this.fastPath) {
      // Declared integer parameters: the range a value must be in to skip the binding's checks.
      const intRanges = params.map((p) => (p.kind === 'scalar' && p.dtype?.isInt && !p.dtype.isBool ? ([Number(p.dtype.intMin), Number(p.dtype.intMax)] as const) : undefined));
      this.fastPath = { names: new Set(params.map((p) => p.name)), intRanges, values: new Array<unknown>(params.length) };
    }
    const fast = this.fastPath;
    const { names, intRanges, values } = fast;
    const last = args[args.length - 1];
    const positional = isPlainObject(last) ? args.length - 1 : args.length;
    if (positional > params.length) return undefined;
    const named = positional < args.length ? (last as Record<string, unknown>) : undefined;
    fast.named = named;
    let key = '';
    let anyTensor = false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i]!;
      const v = i < positional ? args[i] : named?.[p.name];
      values[i] = v;
      if (v instanceof Tensor) {
        if (p.kind === 'constexpr' || !v.isCuda || (v.storage as DeviceAllocation).isFreed) return undefined;
        anyTensor = true;
        key += v.aligned16 ? `T${v.dtype.name}a|` : `T${v.dtype.name}u|`;
      } else if (typeof v === 'number') {
        if (p.kind === 'constexpr') key += `c${v}|`;
        else {
          const kind = numberKind(v, intRanges[i]);
          if (kind === undefined) return undefined;
          key += kind;
        }
      } else if (typeof v === 'string' && p.kind !== 'scalar') key += `s${v}|`;
      else if (typeof v === 'boolean') key += v ? 'bt|' : 'bf|';
      else if (v instanceof DType && p.kind !== 'scalar') key += `d${v.name}|`;
      else return undefined;
    }
    if (!anyTensor) return undefined;
    if (named) {
      for (const k in named) {
        if (k === 'numWarps' || k === 'numStages') key += `${k}=${String(named[k])}|`;
        else if (k === 'stream') {
          if (named[k] !== undefined && !(named[k] instanceof GpuStream)) return undefined;
        } else if (!names.has(k)) return undefined;
      }
    }
    return key;
  }

  /** Launches a known GPU launch with the values launchKey (or repeated) left in fastPath.values. */
  private launchKnown(grid: Grid, known: KnownLaunch): void {
    const { values, named } = this.fastPath!;
    const { runtime, runtimeParams } = known;
    for (let i = 0; i < runtimeParams.length; i++) runtime[i] = values[runtimeParams[i]!] as KernelArgValue;
    let dims: [number, number, number];
    if (typeof grid === 'function') {
      const meta: Record<string, unknown> = {};
      this.sig!.params.forEach((p, i) => (meta[p.name] = values[i]));
      dims = resolveGrid(grid, meta, this.name);
    } else dims = resolveGrid(grid, noMeta, this.name);
    this.launchGpu(known.kernel, dims, runtime, named?.stream as GpuStream | undefined);
  }

  /** Launches on the GPU: between the launch hooks' calls when any are registered, else straight. */
  private launchGpu(kernel: GpuKernel, grid: [number, number, number], runtime: readonly KernelArgValue[], stream: GpuStream | undefined): void {
    if (launchesObserved()) observeLaunch({ kernel: this.name, grid, backend: 'gpu' }, stream, () => kernel.launch(grid, runtime, stream));
    else kernel.launch(grid, runtime, stream);
  }

  /**
   * Records a launch the fast path took, for repeated(): its arguments and what may vary in them. (This keeps the
   * last launch's tensors referenced until the kernel's next launch; dispose() frees their memory regardless.)
   */
  private remember(args: readonly unknown[], entry: KnownLaunch): void {
    const fast = this.fastPath!;
    const params = this.sig!.params;
    const positional = fast.named ? args.length - 1 : args.length;
    // A run-time number may change its value but not its kind (what launchKey would make of it).
    const kinds = args.slice(0, positional).map((v, i) => (typeof v === 'number' && params[i]!.kind !== 'constexpr' ? numberKind(v, fast.intRanges[i]) : undefined));
    this.previous = { args: [...args], named: fast.named ? Object.entries(fast.named) : undefined, kinds, entry };
  }

  /** Whether `args` repeat the previous fast launch's (see remember); if so, their values are in fastPath.values. */
  private repeated(args: readonly unknown[]): boolean {
    const prev = this.previous;
    if (!prev || args.length !== prev.args.length || capturing) return false;
    const positional = prev.named ? args.length - 1 : args.length;
    for (let i = 0; i < positional; i++) {
      const a = args[i];
      if (a === prev.args[i]) continue;
      const kind = prev.kinds[i];
      if (kind === undefined || typeof a !== 'number' || numberKind(a, this.fastPath!.intRanges[i]) !== kind) return false;
    }
    let named: Record<string, unknown> | undefined;
    if (prev.named) {
      const n = args[positional];
      if (typeof n !== 'object' || n === null || Object.getPrototypeOf(n) !== Object.prototype) return false;
      named = n as Record<string, unknown>;
      let count = 0;
      for (const k in named) {
        if (!Object.hasOwn(named, k)) return false;
        count++;
      }
      if (count !== prev.named.length) return false;
      for (const [k, v] of prev.named) if (named[k] !== v) return false;
    }
    const fast = this.fastPath!;
    const params = this.sig!.params;
    for (let i = 0; i < params.length; i++) fast.values[i] = i < positional ? args[i] : named?.[params[i]!.name];
    fast.named = named;
    return true;
  }

  /** Matches a launch's arguments to parameters (positionally, then by name in a trailing object). */
  bind(args: readonly unknown[]): BoundLaunch {
    const sig = this.signature();
    const params = sig.params;
    const { positional, named } = splitArguments(args);
    const error = (msg: string, hint?: string, p?: KernelParam): Error => new CompileError(`kernel '${sig.name}': ${msg}`, p ? p.span : sig.span, hint);
    if (positional.length > params.length) {
      throw error(`takes ${params.length} arguments (${params.map((p) => p.name).join(', ')}), got ${positional.length}`);
    }
    const options: LaunchOptions = {};
    for (const [k, v] of Object.entries(named)) {
      if (k === 'stream') {
        if (v !== undefined && !(v instanceof GpuStream)) throw error(`stream must be a GpuStream, got ${describe(v)}`);
        options.stream = v as GpuStream | undefined;
      } else if (k === 'sanitize') {
        const t = isPlainObject(v) ? v['timeout'] : undefined;
        const ok = v === undefined || typeof v === 'boolean' || (isPlainObject(v) && Object.keys(v).every((o) => o === 'timeout') && (t === undefined || (typeof t === 'number' && t >= 0 && Number.isFinite(t))));
        if (!ok) throw error(`sanitize must be true, false or { timeout: ms } (0: no limit), got ${describe(v)}`);
        options.sanitize = v as LaunchOptions['sanitize'];
      } else if (launchOptionNames.has(k)) {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw error(`${k} must be a positive integer, got ${describe(v)}`);
        options[k as 'numWarps' | 'numStages'] = v;
      } else if (!params.some((p) => p.name === k)) {
        throw error(`has no parameter '${k}'`, `its parameters are ${params.map((p) => p.name).join(', ')}; launch options are numWarps, numStages, stream and sanitize`);
      }
    }
    if (options.numWarps !== undefined && ((options.numWarps & (options.numWarps - 1)) !== 0 || options.numWarps > 32)) {
      throw error(`numWarps must be a power of two from 1 to 32 (at most 1024 threads per program), got ${options.numWarps}`);
    }
    const bindings: ArgBinding[] = [];
    const runtime: KernelArgValue[] = [];
    const meta: Record<string, unknown> = {};
    params.forEach((p, i) => {
      if (i < positional.length && p.name in named) throw error(`'${p.name}' is given both by position and by name`, undefined, p);
      let v: unknown = i < positional.length ? positional[i] : named[p.name];
      if (v === undefined && !(p.name in named) && i >= positional.length) {
        if (!p.defaultValue) throw error(`missing argument '${p.name}'`, undefined, p);
        v = p.defaultValue.value;
      }
      meta[p.name] = v;
      const kind = p.kind === 'inferred' ? (v instanceof Tensor ? 'pointer' : v === null || v === undefined || typeof v === 'string' ? 'constexpr' : 'scalar') : p.kind;
      if (kind === 'constexpr') {
        const c = p.defaultValue && v === p.defaultValue.value ? p.defaultValue : constexprOf(v);
        if (!c) throw error(`'${p.name}' is constexpr and needs a compile-time value (number, boolean, string, dtype), got ${describe(v)}`, undefined, p);
        bindings.push({ kind: 'constexpr', value: c });
      } else if (kind === 'pointer') {
        if (!(v instanceof Tensor)) throw error(`'${p.name}' is a pointer and needs a Tensor, got ${describe(v)}`, Array.isArray(v) || ArrayBuffer.isView(v) ? 'make a Tensor of it: tensor(values) (then .cuda() to run on the GPU)' : undefined, p);
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

  /** Compiles (or fetches, from memory or the disk cache) the specialisation for these bindings. */
  specialize(bindings: readonly ArgBinding[], options: CompileOptions = {}): Specialization {
    const key = bindings.map((b) => (b.kind === 'constexpr' ? `c:${b.value.toString()}` : `r:${b.type.toString()}`)).join('|');
    const custom = options.printAfter !== undefined || options.noPasses === true;
    const cached = custom ? undefined : this.specializations.get(key);
    if (cached) return cached;
    const start = performance.now();
    const ir = custom ? compileToIr(this.source(), this.params, bindings, options) : this.compileCached(key, bindings);
    this.compileMs += performance.now() - start;
    const name = this.name;
    const dump = custom ? undefined : StageDump.of(name, this.params, bindings);
    dump?.ir(ir.module);
    let interp: InterpretedKernel | undefined;
    const gpuKernels = new Map<string, GpuKernel>();
    const entry = ir.kernel.regions[0]!.entry;
    const func = { paramTypes: entry.args.map((a) => a.type), paramNames: entry.args.map((a, i) => a.nameHint ?? `arg${i}`) };
    const spec: Specialization = {
      key,
      bindings,
      ir,
      irText: (o = {}) => printOp(ir.module, o),
      interpreted: () => {
        if (!interp) {
          const t = performance.now();
          interp = new InterpretedKernel(name, ir.kernel);
          this.compileMs += performance.now() - t;
          dump?.interpreter(interp.source);
        }
        return interp;
      },
      gpu: (facts, options) => {
        const target = options.target ?? gpu().info.target;
        const gpuKey = `${factsKey(facts)}|${options.numWarps}|${options.numStages}|${target}`;
        let k = gpuKernels.get(gpuKey);
        if (!k) {
          const t = performance.now();
          const build: GpuBuildOptions = { numWarps: options.numWarps, numStages: options.numStages, target, argFacts: facts };
          k = new GpuKernel(alwaysCompile() ? freshGpuBinary(ir.module, build, dump) : buildGpuBinary(ir.module, build), func);
          this.compileMs += performance.now() - t;
          gpuKernels.set(gpuKey, k);
        }
        return k;
      },
    };
    if (!custom) this.specializations.set(key, spec);
    return spec;
  }

  /** The optimised IR for a specialisation, from the disk cache if its sources are unchanged. */
  private compileCached(specKey: string, bindings: readonly ArgBinding[]): CompiledIr {
    const site = this.requireSite();
    const key = cacheKey('ir', site.file, fileHash(site.file) ?? '', String(site.line), this.functionName, specKey);
    const entry = alwaysCompile() ? undefined : readEntry('ir', key, isIrEntry);
    // An entry whose helper files changed since is outdated: compiled afresh and overwritten. One that passed
    // its checksum but does not parse, verify or hold its kernel is reported as damaged.
    if (entry && entry.deps.every((d) => fileHash(d.file) === d.hash)) {
      try {
        const module = parseModule(entry.ir);
        verify(module);
        const kernel = module.regions[0]!.entry.ops.find((op) => op.attrs['sym_name'] === entry.kernel);
        if (kernel) return { module, kernel, staticPrints: [], sources: entry.deps.map((d) => d.file) };
        reportDamagedEntry('ir', key, `its IR has no kernel '${entry.kernel}'`);
      } catch (e) {
        reportDamagedEntry('ir', key, `its IR does not parse or verify: ${(e as Error).message.split('\n')[0]}`);
      }
    }
    const ir = compileToIr(this.source(), this.params, bindings);
    const deps = ir.sources.filter((f) => f !== site.file).map((file) => ({ file, hash: fileHash(file) ?? '' }));
    writeEntry('ir', key, { ir: printOp(ir.module, { locations: true }), kernel: ir.kernel.attrs['sym_name'] as string, deps } satisfies IrEntry);
    return ir;
  }

  /** Launches on `grid`: compiles on first use of these argument types and constexprs, then runs. */
  launch(grid: Grid, args: readonly unknown[], runOptions: RunOptions = {}): void {
    // Launches on the GPU like one seen before go straight to its loaded kernel: this is the launch overhead.
    // A launch that repeats the previous one's arguments (the same tensors, scalars of the same kinds, the same
    // constexprs and options) skips even the key. (Under KT_SANITIZE=1 every launch goes the slow way.)
    const sanitizingAll = sanitizeAll() !== undefined;
    if (!sanitizingAll && this.repeated(args)) return this.launchKnown(grid, this.previous!.entry);
    const key = capturing || forceInterpreter() || sanitizingAll ? undefined : this.launchKey(args);
    const known = key === undefined ? undefined : this.gpuLaunches.get(key);
    if (known) {
      this.remember(args, known);
      return this.launchKnown(grid, known);
    }
    const bound = this.bind(args);
    const dims = resolveGrid(grid, bound.meta, this.name);
    if (capturing) {
      capturing.push({ definition: this, bound, grid: dims });
      return;
    }
    const spec = this.specialize(bound.bindings);
    // A sanitized launch runs on the interpreter, on host copies of GPU tensors.
    const sanitize = launchSanitize(bound.options.sanitize ?? runOptions.sanitize);
    if (!sanitize && runsOnGpu(bound.runtime, this.params, this.name)) {
      const options = { numWarps: bound.options.numWarps ?? 4, numStages: bound.options.numStages ?? 3 };
      const kernel = spec.gpu(argumentFacts(bound.runtime), options);
      // Under KT_SANITIZE=1 the sanitizer keeps a record of what GPU memory from empty() has been written; a plain
      // GPU launch may write any of its tensors.
      if (sanitizingAll) for (const v of bound.runtime) if (v instanceof Tensor) markWritten(v.storage);
      this.launchGpu(kernel, dims, bound.runtime, bound.options.stream);
      if (key !== undefined) {
        const runtimeParams = bound.bindings.flatMap((b, i) => (b.kind === 'runtime' ? [i] : []));
        this.gpuLaunches.set(key, { kernel, runtimeParams, runtime: new Array<KernelArgValue>(runtimeParams.length) } satisfies KnownLaunch);
      }
      return;
    }
    const interp = spec.interpreted();
    const options: RunOptions = { ...runOptions, sanitize: sanitize ? { timeout: sanitize.timeoutMs } : false };
    const run = (): void => {
      if (bound.runtime.some((v) => v instanceof Tensor && v.isCuda)) stagedOnHost(bound.runtime, (host) => interp.run(dims, host, options));
      else interp.run(dims, bound.runtime, options);
    };
    if (launchesObserved()) observeLaunch({ kernel: this.name, grid: dims, backend: 'interpreter' }, undefined, run);
    else run();
  }

  /**
   * Compiles what a launch with these arguments (a launch's, without the grid) would run, without launching it:
   * the specialisation's IR, and its GPU binary, loaded into the driver, when the tensors are GPU tensors; for
   * the GPU named by a `target` among the named arguments, even without one; else the interpreter's program.
   */
  warmup(args: readonly unknown[]): CompiledKernel {
    const { positional, named } = splitArguments(args);
    const target = takeTarget(named, this.name);
    const bound = this.bind([...positional, named]);
    const spec = this.specialize(bound.bindings);
    const onGpu = target !== undefined || (!launchSanitize(bound.options.sanitize) && runsOnGpu(bound.runtime, this.params, this.name));
    if (!onGpu) {
      spec.interpreted();
      return new CompiledKernel(this.name, spec, undefined);
    }
    const options: GpuBuildOptions = { numWarps: bound.options.numWarps ?? 4, numStages: bound.options.numStages ?? 3, target: target ?? gpu().info.target, argFacts: argumentFacts(bound.runtime) };
    const compiled = spec.gpu(options.argFacts, options);
    // Loading finds what the driver refuses (too much shared memory, say) now, and only for this GPU's own target.
    if (target === undefined) compiled.load();
    return new CompiledKernel(this.name, spec, new CompiledGpuKernel(spec.ir.module, options, compiled.binary));
  }
}

/** Takes warmup's `target` out of a launch's named arguments, checked: a GPU architecture such as sm_90. */
function takeTarget(named: Record<string, unknown>, kernelName: string): string | undefined {
  const target = named['target'];
  delete named['target'];
  if (target === undefined) return undefined;
  const shown = typeof target === 'string' ? `'${target}'` : describe(target);
  const problem = typeof target === 'string' ? gpuTargetProblem(target) : { why: 'not a GPU architecture', hint: "give one such as target: 'sm_90'" };
  if (problem) throw new CompileError(`kernel '${kernelName}': target ${shown}: ${problem.why}`, undefined, problem.hint);
  return target as string;
}

/** A GPU binary compiled afresh (KT_ALWAYS_COMPILE, KT_DUMP_DIR), its stages written to the dump when there is one. */
function freshGpuBinary(module: Operation, build: GpuBuildOptions, dump: StageDump | undefined): KernelBinary {
  const stages = compileGpuStages(module, build);
  dump?.gpu(build, stages);
  return stages.binary;
}

const noMeta: Record<string, unknown> = Object.freeze({});

/** A GPU launch seen before: its kernel, which parameters are run-time arguments, and room for their values. */
interface KnownLaunch {
  readonly kernel: GpuKernel;
  readonly runtimeParams: readonly number[];
  readonly runtime: KernelArgValue[];
}

/**
 * What a run-time number tells the compiler, as a piece of the launch key: a float, or an integer equal to 1, a
 * multiple of 16, or neither, and whether it needs 64 bits. Undefined when it is outside a declared range.
 */
function numberKind(v: number, range: readonly [number, number] | undefined): string | undefined {
  if (!Number.isInteger(v)) return 'f|';
  if (range && (v < range[0] || v > range[1])) return undefined;
  return v === 1 ? 'i1|' : v % 16 === 0 ? 'i16|' : v >= -2147483648 && v < 2147483648 ? 'i|' : 'iL|';
}

/** A launchable kernel: call it with a grid and its arguments. */
export interface Kernel {
  (grid: Grid, ...args: unknown[]): void;
  /**
   * Compiles the specialisation that a launch with these arguments (a launch's, without the grid) would run,
   * without launching it, and returns its stages: `k.warmup(x, y, out, n, { BLOCK: 1024 })`. A named
   * `target: 'sm_90'` compiles for that GPU, with or without one.
   */
  warmup(...args: unknown[]): CompiledKernel;
  readonly definition: KernelDefinition;
}

/**
 * Declares a kernel. Pass a function expression, or the name of a function declared at the top level of the
 * same file. Launch it as `k(grid, ...args, { CONSTEXPR: value, numWarps: 4 })`.
 */
export function kernel<F extends (...args: never[]) => unknown>(fn: F): Kernel {
  if (typeof fn !== 'function') throw new TypeError('kernel() takes a function');
  const definition = new KernelDefinition(fn.name, callerOutside(ktSourceDir, kernel));
  const launch = (grid: Grid, ...args: unknown[]): void => definition.launch(grid, args);
  return Object.assign(launch, { definition, warmup: (...args: unknown[]): CompiledKernel => definition.warmup(args) });
}
