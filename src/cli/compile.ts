// `kt compile`: prints a kernel's IR for one specialisation, given by a signature or taken from the launch
// its spec makes.
import type { ArgBinding } from '../compiler/frontend/codegen.ts';
import type { KernelParam } from '../compiler/frontend/signature.ts';
import { dtypeByName, dtypeNames, pointerTo, type DTypeName } from '../compiler/semantic/dtype.ts';
import { Constexpr, KType } from '../compiler/semantic/values.ts';
import { captureLaunches, type KernelDefinition } from '../dsl/kernel.ts';
import type { Config } from '../dsl/spec.ts';
import { Random } from '../runtime/tensor.ts';
import { UsageError, parseConfig, parseSizes } from './args.ts';
import { loadTarget, type LoadedTarget } from './target.ts';

export interface CompileArgs {
  target: string;
  kernel?: string;
  emit: string;
  signature?: string;
  config: string[];
  size: string[];
  dtype?: string;
  locations: boolean;
  passes: boolean;
  printAfterAll: boolean;
}

function pickKernel(t: LoadedTarget, name: string | undefined): KernelDefinition {
  const all = new Map<KernelDefinition, string[]>();
  const add = (d: KernelDefinition, label: string): void => {
    all.set(d, [...(all.get(d) ?? []), label]);
  };
  for (const k of t.kernels) add(k.kernel.definition, k.exportName);
  for (const s of t.specs) for (const k of s.kernels) add(k.definition, s.name);
  const defs = [...all.keys()];
  if (!defs.length) throw new UsageError(`${t.file} exports no kernels`);
  if (name === undefined) {
    if (defs.length === 1) return defs[0]!;
    throw new UsageError(`${t.file} has several kernels: ${defs.map((d) => d.name).join(', ')}`, 'name the one to compile: kt compile <file> <kernel>');
  }
  const found = defs.find((d) => d.name === name || all.get(d)!.includes(name));
  if (!found) throw new UsageError(`no kernel named '${name}' in ${t.file}`, `it has ${defs.map((d) => d.name).join(', ')}`);
  return found;
}

/** Parses a signature: one entry per parameter, `*f16` (pointer), `i32` (scalar) or a literal (constexpr). */
export function parseSignature(sig: string, params: readonly KernelParam[], config: Config): ArgBinding[] {
  const entries = sig.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length > params.length) throw new UsageError(`the signature has ${entries.length} entries but the kernel has ${params.length} parameters`);
  return params.map((p, i) => {
    const e = entries[i];
    if (p.name in config) {
      if (e !== undefined && p.kind !== 'constexpr') throw new UsageError(`-c ${p.name} sets a run-time parameter; give its type in the signature`);
      return { kind: 'constexpr', value: new Constexpr(config[p.name]!, typeof config[p.name] === 'number' && !Number.isInteger(config[p.name])) };
    }
    if (e === undefined) {
      if (p.kind === 'constexpr' && p.defaultValue) return { kind: 'constexpr', value: p.defaultValue };
      throw new UsageError(`the signature gives no type for parameter '${p.name}'`, p.kind === 'constexpr' ? `pass -c ${p.name}=value` : 'list one entry per parameter, e.g. *f32,*f32,i32');
    }
    if (e.startsWith('*')) {
      const d = dtypeByName(e.slice(1));
      if (!d) throw new UsageError(`unknown pointee '${e.slice(1)}' for '${p.name}'`, `dtypes are ${dtypeNames()}`);
      return { kind: 'runtime', type: new KType(pointerTo(d), []) };
    }
    const d = dtypeByName(e);
    if (d && p.kind !== 'constexpr') return { kind: 'runtime', type: new KType(d, []) };
    const n = Number(e);
    const value = e === 'true' || e === 'false' ? e === 'true' : Number.isFinite(n) ? n : e.replace(/^["']|["']$/g, '');
    return { kind: 'constexpr', value: new Constexpr(value, typeof value === 'number' && /[.e]/.test(e)) };
  });
}

export async function compileCommand(args: CompileArgs): Promise<number> {
  const t = await loadTarget(args.target);
  const def = pickKernel(t, args.kernel);
  const config = await parseConfig(args.config);
  let bindings: ArgBinding[];
  if (args.signature !== undefined) {
    bindings = parseSignature(args.signature, def.params, config);
  } else {
    const spec = t.specs.find((s) => s.kernels.some((k) => k.definition === def));
    if (!spec) throw new UsageError(`no spec launches ${def.name}, so kt cannot tell its argument types`, 'give them with --signature, e.g. --signature "*f32,*f32,i32" -c BLOCK=1024');
    const sizes = { ...spec.sizes, ...(await parseSizes(args.size)) };
    const dtype = (args.dtype ?? spec.dtypes[0]) as DTypeName;
    if (!spec.dtypes.includes(dtype)) throw new UsageError(`${spec.name} does not support dtype '${dtype}'`, `it supports ${spec.dtypes.join(', ')}`);
    const launches = captureLaunches(() => spec.launch(spec.inputs(sizes, dtype, new Random(0)), sizes, { ...spec.config, ...config })).filter((l) => l.definition === def);
    if (!launches.length) throw new UsageError(`spec ${spec.name} does not launch ${def.name} at these sizes`);
    bindings = launches[0]!.bound.bindings;
  }
  const printAfter = args.printAfterAll ? (pass: string, text: string) => console.log(`// ----- IR after ${pass} -----\n${text}`) : undefined;
  const spec = def.specialize(bindings, { noPasses: !args.passes, printAfter });
  if (args.emit !== 'ir') throw new UsageError(`--emit ${args.emit} is not available`, 'this build emits ir');
  process.stdout.write(spec.irText({ locations: args.locations }));
  return 0;
}
