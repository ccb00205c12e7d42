// Kernels shipped ahead of time. A bundle (written by `kt build`) holds, per kernel, the specialisations a build
// script launched: for each, the arguments it was built for (constexpr values, pointee and scalar dtypes, the
// divisibility facts), the launch options and the compiled binary (PTX, and the cubin when ptxas made one).
// loadBundle reads one and gives launchers that take the same call as kt's kernels, `k(grid, ...args, { ... })`,
// and launch the matching specialisation; it imports only the runtime (tensors and the driver), never the
// compiler, so a serving process starts in milliseconds and launches as cheaply as kt does.
import fs from 'node:fs';
import { FloatType, IntType, PointerType, type Type } from '../compiler/ir/types.ts';
import { DType, dtypeByName } from '../compiler/semantic/dtype.ts';
import { isPlainObject, resolveGrid, splitArguments, type Grid } from '../dsl/launch-args.ts';
import { argumentFacts, factsKey } from './arg-facts.ts';
import { GpuStream } from './gpu.ts';
import { LoadedKernel } from './launcher.ts';
import { Tensor } from './tensor.ts';
import { presentToUser } from '../user-errors.ts';
import type { KernelArgValue } from '../interp/interpreter.ts';

export const BUNDLE_FORMAT = 'kt-bundle-1';

/** A compile-time value as a bundle stores it: a dtype by name, anything else as JSON. */
export type BundleConst = number | boolean | string | null | { readonly dtype: string };

/** What a parameter was built for: a constexpr value, a pointer to elements of a dtype, or a scalar of a dtype. */
export type BundleArg = { readonly constexpr: BundleConst } | { readonly pointer: string } | { readonly scalar: string };

export interface BundleEntry {
  /** One per kernel parameter, in order. */
  readonly args: readonly BundleArg[];
  /** The divisibility facts of the runtime arguments (see arg-facts.ts). */
  readonly facts: string;
  readonly numWarps: number;
  readonly numStages: number;
  readonly binary: {
    readonly name: string;
    readonly ptx: string;
    /** base64 */
    readonly cubin?: string;
    readonly sharedBytes: number;
    readonly numThreads: number;
    readonly registers?: number;
    readonly spills?: number;
  };
}

export interface BundleKernel {
  /** The kernel's parameters, with the default values of the constexprs that have one. */
  readonly params: readonly { readonly name: string; readonly default?: BundleConst }[];
  readonly entries: readonly BundleEntry[];
}

export interface Bundle {
  readonly format: typeof BUNDLE_FORMAT;
  /** The kt that built it. */
  readonly kt: string;
  /** The GPU architecture its cubins are for (sm_90a, sm_80, ...); PTX is kept for newer ones. */
  readonly target: string;
  readonly kernels: Readonly<Record<string, BundleKernel>>;
}

/** A launcher of one of a bundle's kernels: `k(grid, ...args)`, as kt's kernels are called. */
export type BundledKernel = (grid: Grid, ...args: unknown[]) => void;

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
    presentToUser(this, []);
  }
}

/** The bundle's form of a compile-time value (dtypes by name). */
export function bundleConst(v: unknown): BundleConst | undefined {
  if (v instanceof DType) return { dtype: v.name };
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return undefined;
}

const sameConst = (a: BundleConst | undefined, b: BundleConst): boolean => (a !== null && typeof a === 'object' && b !== null && typeof b === 'object' ? a.dtype === b.dtype : a === b);

/** A compile-time value as messages show it: a dtype by name, anything else as JSON. */
export const showConst = (c: BundleConst | undefined): string => (c === undefined ? 'a value that is not a compile-time one' : c !== null && typeof c === 'object' ? c.dtype : JSON.stringify(c));

/** Reads a bundle written by `kt build`. */
export function readBundle(file: string | URL): Bundle {
  const where = file instanceof URL ? file.pathname : file;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BundleError(`cannot read the kt bundle ${where}: ${(e as Error).message.split('\n')[0]}`);
  }
  const b = parsed as Bundle;
  if (typeof b !== 'object' || b === null || b.format !== BUNDLE_FORMAT || typeof b.kernels !== 'object' || b.kernels === null) {
    throw new BundleError(`${where} is not a kt bundle of format ${BUNDLE_FORMAT}: rebuild it with this kt's \`kt build\``);
  }
  return b;
}

/**
 * Loads a bundle: `loadBundle(new URL('./kernels.ktb.json', import.meta.url)).matmul(grid, a, b, c, ...)`. A
 * kernel's specialisations are loaded into the driver on their first launch. The kernels the caller expects can
 * be named after the file, `loadBundle(url, 'matmul', 'softmax')`: a missing one is a BundleError when the bundle
 * loads rather than an undefined later, and TypeScript types exactly those as present (under a strict
 * configuration's noUncheckedIndexedAccess, an unnamed kernel is possibly undefined).
 */
export function loadBundle<Names extends string = string>(file: string | URL, ...expected: Names[]): Readonly<Record<Names, BundledKernel>> {
  const bundle = readBundle(file);
  const where = file instanceof URL ? file.pathname : file;
  const missing = expected.filter((name) => !Object.hasOwn(bundle.kernels, name));
  if (missing.length) throw new BundleError(`${where} has no kernel ${missing.map((n) => `'${n}'`).join(', ')}; it has ${Object.keys(bundle.kernels).map((n) => `'${n}'`).join(', ') || 'none'}: rebuild it with \`kt build\` from a script that launches them`);
  return Object.fromEntries(Object.entries(bundle.kernels).map(([name, k]) => [name, bundledKernel(name, k, where)])) as Record<Names, BundledKernel>;
}

/** What a launch gives for each parameter, and how it compares with what an entry was built for. */
interface CallArgs {
  readonly values: readonly unknown[];
  readonly meta: Record<string, unknown>;
  readonly numWarps: number;
  readonly numStages: number;
  readonly stream?: GpuStream;
}

function bundledKernel(name: string, k: BundleKernel, where: string): BundledKernel {
  const loaded = new Map<BundleEntry, { kernel: LoadedKernel; runtime: number[] }>();
  const params = k.params;
  const readCall = (args: readonly unknown[]): CallArgs => {
    const { positional, named } = splitArguments(args);
    if (positional.length > params.length) throw new BundleError(`kernel '${name}' takes ${params.length} arguments (${params.map((p) => p.name).join(', ')}), got ${positional.length}`);
    for (const key of Object.keys(named)) {
      if (!['numWarps', 'numStages', 'stream'].includes(key) && !params.some((p) => p.name === key)) {
        throw new BundleError(`kernel '${name}' has no parameter '${key}'; its parameters are ${params.map((p) => p.name).join(', ')}`);
      }
    }
    const meta: Record<string, unknown> = {};
    const values = params.map((p, i) => {
      const v = i < positional.length ? positional[i] : p.name in named ? named[p.name] : p.default;
      if (v === undefined && !(p.name in named) && p.default === undefined) throw new BundleError(`kernel '${name}': missing argument '${p.name}'`);
      meta[p.name] = v;
      return v;
    });
    const stream = named['stream'];
    if (stream !== undefined && !(stream instanceof GpuStream)) throw new BundleError(`kernel '${name}': stream must be a GpuStream`);
    return { values, meta, numWarps: (named['numWarps'] as number | undefined) ?? 4, numStages: (named['numStages'] as number | undefined) ?? 3, stream: stream as GpuStream | undefined };
  };
  // The previous launch: a launch whose arguments are the very same values (the same tensors, numbers, strings;
  // named ones too) runs what it ran, without matching again.
  // (The named values are compared as they are now, not by their object, which may have been changed since.)
  let previous: { args: readonly unknown[]; keys: readonly string[]; named: readonly unknown[]; run: (grid: Grid) => void } | undefined;
  const repeats = (args: readonly unknown[]): boolean => {
    if (!previous || args.length !== previous.args.length) return false;
    const last = args.length - 1;
    for (let i = 0; i < last; i++) if (args[i] !== previous.args[i]) return false;
    const tail = args[last];
    if (!isPlainObject(tail)) return previous.keys.length === 0 && tail === previous.args[last];
    const keys = Object.keys(tail);
    return keys.length === previous.keys.length && keys.every((key, i) => key === previous!.keys[i] && tail[key] === previous!.named[i]);
  };
  return (grid: Grid, ...args: unknown[]): void => {
    if (repeats(args)) return previous!.run(grid);
    const call = readCall(args);
    const entry = k.entries.find((e) => mismatches(k, e, call).length === 0);
    if (!entry) throw noEntry(name, k, call, where);
    const onHost = k.params.find((_, i) => call.values[i] instanceof Tensor && !(call.values[i] as Tensor).isCuda);
    if (onHost) throw new BundleError(`kernel '${name}': ${onHost.name} is on the CPU; bundled kernels run on the GPU (pass .cuda() tensors)`);
    let l = loaded.get(entry);
    if (!l) {
      const runtime = entry.args.flatMap((a, i) => ('constexpr' in a ? [] : [i]));
      const kernel = new LoadedKernel(
        { ...entry.binary, cubin: entry.binary.cubin === undefined ? undefined : Buffer.from(entry.binary.cubin, 'base64') },
        runtime.map((i) => irType(entry.args[i]!)),
        runtime.map((i) => params[i]!.name),
      );
      loaded.set(entry, (l = { kernel, runtime }));
    }
    const runtimeValues = l.runtime.map((i) => call.values[i] as KernelArgValue);
    const kernel = l.kernel;
    const run = (g: Grid): void => kernel.launch(resolveGrid(g, call.meta, name), runtimeValues, call.stream);
    const tail = args[args.length - 1];
    previous = { args, keys: isPlainObject(tail) ? Object.keys(tail) : [], named: isPlainObject(tail) ? Object.values(tail) : [], run };
    run(grid);
  };
}

function irType(a: BundleArg): Type {
  const dtype = dtypeByName('pointer' in a ? a.pointer : (a as { scalar: string }).scalar)!;
  return 'pointer' in a ? new PointerType(dtype.ir, 1) : (dtype.ir as IntType | FloatType);
}

/** How a call differs from what an entry was built for: one line per difference (none: it matches). */
function mismatches(k: BundleKernel, e: BundleEntry, call: CallArgs): string[] {
  const out: string[] = [];
  const runtime: { name: string; value: unknown }[] = [];
  e.args.forEach((a, i) => {
    const name = k.params[i]!.name;
    const v = call.values[i];
    if ('constexpr' in a) {
      const c = bundleConst(v);
      if (c === undefined || !sameConst(c, a.constexpr)) out.push(`${name} is ${showConst(c)}, built for ${showConst(a.constexpr)}`);
      return;
    }
    runtime.push({ name, value: v });
    if ('pointer' in a) {
      if (!(v instanceof Tensor)) out.push(`${name} is not a Tensor`);
      else if (v.dtype.name !== a.pointer) out.push(`${name} is a ${v.dtype.name} tensor, built for ${a.pointer}`);
      return;
    }
    if (!fitsScalar(v, a.scalar)) out.push(`${name} is ${typeof v === 'object' ? 'an object' : String(v)}, built for a ${a.scalar}`);
  });
  if (call.numWarps !== e.numWarps) out.push(`numWarps is ${call.numWarps}, built for ${e.numWarps}`);
  if (call.numStages !== e.numStages) out.push(`numStages is ${call.numStages}, built for ${e.numStages}`);
  if (out.length) return out;
  // What the code was built to rely on: a value that is 1, or a multiple of 16 (an address 16-byte aligned).
  const facts = factsKey(argumentFacts(runtime.map((r) => r.value)));
  runtime.forEach((r, i) => {
    const built = e.facts[i];
    if (built === facts[i] || built === '-') return;
    const was = built === '1' ? 'equal to 1' : r.value instanceof Tensor ? '16-byte aligned' : 'a multiple of 16';
    out.push(`${r.name} is not ${was} in this call, and the code was built on it being so`);
  });
  return out;
}

function fitsScalar(v: unknown, dtypeName: string): boolean {
  const d = dtypeByName(dtypeName);
  if (!d) return false;
  if (d.isBool) return typeof v === 'boolean';
  if (d.isFloat) return typeof v === 'number';
  if (typeof v === 'bigint') return d.bits === 64;
  if (typeof v !== 'number' || !Number.isInteger(v)) return false;
  const lo = d.isUnsigned ? 0 : -(2 ** (d.bits - 1));
  const hi = d.isUnsigned ? 2 ** d.bits - 1 : 2 ** (d.bits - 1) - 1;
  return v >= lo && v <= hi;
}

function noEntry(name: string, k: BundleKernel, call: CallArgs, where: string): BundleError {
  if (!k.entries.length) return new BundleError(`kernel '${name}' in ${where} has no specialisation`);
  // The specialisations with the fewest differences, each with what differs (at most three).
  const all = k.entries.map((e) => mismatches(k, e, call));
  const fewest = Math.min(...all.map((m) => m.length));
  const nearest = all.filter((m) => m.length === fewest).slice(0, 3);
  const differs = nearest.length === 1 ? `the nearest differs: ${nearest[0]!.join('; ')}` : `the nearest ${nearest.length} differ: ${nearest.map((m) => `(${m.join('; ')})`).join(' or ')}`;
  return new BundleError(
    `kernel '${name}' in ${where} was not built for this call (${k.entries.length} specialisation${k.entries.length === 1 ? '' : 's'}); ${differs}\n` +
      `  hint: launch it this way in the build script and run \`kt build\` again`,
  );
}
