// What `kt run`, `kt compile` and `kt bench` work on: a library kernel by name (kernels/<name>.ts) or a user's .ts
// file, with the specs, kernels and benchmarks it exports.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kernel } from '../dsl/kernel.ts';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import type { KernelSpec, Sizes } from '../dsl/spec.ts';
import { CompileError, displayPath } from '../compiler/diagnostics.ts';
import { Benchmark } from '../tools/benchmark.ts';
import { UsageError, didYouMean, parseSizes } from './args.ts';

export const libraryDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../kernels');

export interface LoadedTarget {
  readonly file: string;
  readonly specs: readonly KernelSpec[];
  readonly kernels: readonly { readonly exportName: string; readonly kernel: Kernel }[];
  readonly benchmarks: readonly Benchmark[];
  /** Everything the file exports (`kt build` calls its `build`). */
  readonly exports: Readonly<Record<string, unknown>>;
}

/** The names of the library's kernel families (files of kernels/ that export a spec). */
export function libraryNames(): string[] {
  return fs
    .readdirSync(libraryDir)
    .filter((f) => f.endsWith('.ts') && fs.readFileSync(path.join(libraryDir, f), 'utf8').includes('export const spec'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function isSpec(v: unknown): v is KernelSpec {
  const s = v as KernelSpec;
  return typeof v === 'object' && v !== null && typeof s.name === 'string' && typeof s.inputs === 'function' && typeof s.launch === 'function' && typeof s.reference === 'function';
}

export function isKernel(v: unknown): v is Kernel {
  return typeof v === 'function' && 'definition' in v;
}

/** The extensions kt's loader (tsx) imports kernel files from. */
const kernelFileExtension = /\.(m?ts|m?js)$/;

export function resolveTargetFile(target: string): string {
  // Library names have no dots or slashes: anything with either names a file, as does any other name that
  // exists here (a directory, say) and is not a library kernel's.
  const looksLikePath = /[\\/]/.test(target) || /\.\w+$/.test(target) || (fs.existsSync(target) && !libraryNames().includes(target));
  if (looksLikePath) {
    const file = path.resolve(target);
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${target}`);
    if (fs.statSync(file).isDirectory()) throw new UsageError(`${target} is a directory`, 'give a .ts file that exports a kernel spec, or the name of a library kernel');
    if (!kernelFileExtension.test(file)) throw new UsageError(`${target} is not a TypeScript file`, 'kt loads kernels from .ts files (.mts, .js and .mjs work too)');
    return file;
  }
  const file = path.join(libraryDir, `${target}.ts`);
  if (!fs.existsSync(file) || !libraryNames().includes(target)) {
    const guess = didYouMean(target, libraryNames());
    throw new UsageError(`unknown kernel '${target}'`, `${guess ? `did you mean ${guess}? ` : ''}the library has ${libraryNames().join(', ')}; or give the path of a .ts file`);
  }
  return file;
}

/**
 * Why a kernel file did not load, as one message: a syntax error (reported by esbuild, through tsx, as
 * `file:line:col: ERROR: reason` with a 0-based column) becomes a diagnostic with the line and a caret, as
 * kt's compile errors are; anything else (a missing import, an error thrown by the file's top-level code) one
 * line naming the file and, for a throw, where it was thrown.
 */
function loadError(file: string, e: unknown): Error {
  if (e instanceof CompileError || e instanceof UsageError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const syntax = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m.exec(err.message);
  if (err.name === 'TransformError' && syntax) {
    const [, where, line, col, reason] = syntax;
    const errors = Number(/failed with (\d+) error/.exec(err.message)?.[1] ?? 1);
    let lineText = '';
    try {
      lineText = fs.readFileSync(where!, 'utf8').split('\n')[Number(line) - 1]?.replace(/\r$/, '') ?? '';
    } catch {
      // The caret line is left out when the file cannot be read again.
    }
    const span = { file: where!, line: Number(line), col: Number(col) + 1, length: 1, lineText };
    return new CompileError(`syntax error: ${reason}`, span, errors > 1 ? `${errors - 1} more syntax error${errors > 2 ? 's' : ''} after this one` : undefined);
  }
  const name = displayPath(file);
  const first = err.message.split('\n')[0]!.trim();
  const thrownAt = userFrame(err);
  if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_')) return new UsageError(`cannot load ${name}: ${first}`);
  return new UsageError(`cannot load ${name}: it threw ${err.name}: ${first}${thrownAt ? ` (at ${thrownAt})` : ''}`);
}

/** kt's own code (its sources and launcher): a frame there is kt at work, not the user's code or a spec's. */
const ktCode = ['src', 'bin'].map((d) => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', d) + path.sep);

/**
 * Where an error was thrown, as `file:line:col`: its first stack frame in a kernel file or spec (outside kt's
 * code, Node and node_modules), else its first frame in kt's code.
 */
export function userFrame(e: Error): string | undefined {
  let firstInKt: string | undefined;
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    // `at f (/abs/file.ts:3:7)` or `at /abs/file.ts:3:7` (or file:// URLs); not `node:internal/...` frames.
    const m = /(?:\(|^at )((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!m || m[1]!.includes('/node_modules/')) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    const at = `${displayPath(file)}:${m[2]}:${m[3]}`;
    if (!ktCode.some((dir) => file.startsWith(dir))) return at;
    firstInKt ??= at;
  }
  return firstInKt;
}

export async function loadTarget(target: string): Promise<LoadedTarget> {
  const file = resolveTargetFile(target);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw loadError(file, e);
  }
  const specs: KernelSpec[] = [];
  const kernels: { exportName: string; kernel: Kernel }[] = [];
  const benchmarks: Benchmark[] = [];
  for (const [name, v] of Object.entries(mod)) {
    if (isSpec(v)) specs.push(v);
    else if (v instanceof Benchmark) benchmarks.push(v);
    else if (Array.isArray(v)) {
      specs.push(...v.filter(isSpec));
      benchmarks.push(...v.filter((b): b is Benchmark => b instanceof Benchmark));
    } else if (isKernel(v)) kernels.push({ exportName: name, kernel: v });
  }
  return { file, specs, kernels, benchmarks, exports: mod };
}

/** The spec `name` picks (by spec or kernel name), or the only one. */
export function pickSpec(t: LoadedTarget, name: string | undefined): KernelSpec {
  if (!t.specs.length) {
    throw new UsageError(`${path.relative(process.cwd(), t.file) || t.file} exports no kernel spec`, 'kt run needs a spec: export const spec = defineSpec({ name, inputs, launch, reference, ... }) (see the README)');
  }
  if (name === undefined) {
    if (t.specs.length === 1) return t.specs[0]!;
    throw new UsageError(`${t.file} has several specs: ${t.specs.map((s) => s.name).join(', ')}`, 'name the one to run: kt run <file> <name>');
  }
  const found = t.specs.find((s) => s.name === name) ?? t.specs.find((s) => s.kernels.some((k) => k.definition.name === name));
  if (!found) {
    const names = t.specs.map((s) => s.name);
    const guess = didYouMean(name, [...names, ...t.specs.flatMap((s) => s.kernels.map((k) => k.definition.name))]);
    throw new UsageError(`no spec or kernel named '${name}' in ${t.file}`, `${guess ? `did you mean ${guess}? ` : ''}it has ${names.join(', ')}`);
  }
  return found;
}

/** The sizes (the spec's defaults with `--size` over them) and dtype a command line asks of a spec. */
export async function specProblemArgs(spec: KernelSpec, size: readonly string[], dtypeArg: string | undefined): Promise<{ sizes: Sizes; dtype: DTypeName }> {
  const given = await parseSizes(size);
  for (const k of Object.keys(given)) {
    if (!(k in spec.sizes)) {
      const guess = didYouMean(k, Object.keys(spec.sizes));
      throw new UsageError(`${spec.name} has no size '${k}'`, `${guess ? `did you mean ${guess}? ` : ''}its sizes are ${Object.keys(spec.sizes).join(', ')}`);
    }
  }
  const dtype = (dtypeArg ?? spec.dtypes[0]) as DTypeName;
  if (!spec.dtypes.includes(dtype)) throw new UsageError(`${spec.name} does not support dtype '${dtypeArg}'`, `it supports ${spec.dtypes.join(', ')}`);
  return { sizes: { ...spec.sizes, ...given }, dtype };
}
