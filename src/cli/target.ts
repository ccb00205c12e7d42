// What `kt run` and `kt compile` work on: a library kernel by name (kernels/<name>.ts) or a user's .ts file,
// with the specs and kernels it exports.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kernel } from '../dsl/kernel.ts';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import type { KernelSpec, Sizes } from '../dsl/spec.ts';
import { UsageError, parseSizes } from './args.ts';

export const libraryDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../kernels');

export interface LoadedTarget {
  readonly file: string;
  readonly specs: readonly KernelSpec[];
  readonly kernels: readonly { readonly exportName: string; readonly kernel: Kernel }[];
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

export function resolveTargetFile(target: string): string {
  const looksLikePath = /[\\/]/.test(target) || /\.(m?ts|m?js)$/.test(target);
  if (looksLikePath) {
    const file = path.resolve(target);
    if (!fs.existsSync(file)) throw new UsageError(`no such file: ${target}`);
    return file;
  }
  const file = path.join(libraryDir, `${target}.ts`);
  if (!fs.existsSync(file) || !libraryNames().includes(target)) {
    throw new UsageError(`unknown kernel '${target}'`, `the library has ${libraryNames().join(', ')}; or give the path of a .ts file`);
  }
  return file;
}

export async function loadTarget(target: string): Promise<LoadedTarget> {
  const file = resolveTargetFile(target);
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const specs: KernelSpec[] = [];
  const kernels: { exportName: string; kernel: Kernel }[] = [];
  for (const [name, v] of Object.entries(mod)) {
    if (isSpec(v)) specs.push(v);
    else if (Array.isArray(v)) specs.push(...v.filter(isSpec));
    else if (isKernel(v)) kernels.push({ exportName: name, kernel: v });
  }
  return { file, specs, kernels };
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
  if (!found) throw new UsageError(`no spec or kernel named '${name}' in ${t.file}`, `it has ${t.specs.map((s) => s.name).join(', ')}`);
  return found;
}

/** The sizes (the spec's defaults with `--size` over them) and dtype a command line asks of a spec. */
export async function specProblemArgs(spec: KernelSpec, size: readonly string[], dtypeArg: string | undefined): Promise<{ sizes: Sizes; dtype: DTypeName }> {
  const given = await parseSizes(size);
  for (const k of Object.keys(given)) {
    if (!(k in spec.sizes)) throw new UsageError(`${spec.name} has no size '${k}'`, `its sizes are ${Object.keys(spec.sizes).join(', ')}`);
  }
  const dtype = (dtypeArg ?? spec.dtypes[0]) as DTypeName;
  if (!spec.dtypes.includes(dtype)) throw new UsageError(`${spec.name} does not support dtype '${dtypeArg}'`, `it supports ${spec.dtypes.join(', ')}`);
  return { sizes: { ...spec.sizes, ...given }, dtype };
}
