// `kt compile`: prints one stage of a kernel's compilation for one specialisation (given by a signature or
// taken from the launch its spec makes): the IR, the GPU IR, the PTX, or a cubin with ptxas's report.
import type { ArgBinding } from '../compiler/frontend/codegen.ts';
import type { KernelParam } from '../compiler/frontend/signature.ts';
import { dtypeByName, dtypeNames, pointerTo } from '../compiler/semantic/dtype.ts';
import { Constexpr, KType } from '../compiler/semantic/values.ts';
import { captureLaunches, type KernelDefinition } from '../dsl/kernel.ts';
import type { Config } from '../dsl/spec.ts';
import { Random } from '../runtime/tensor.ts';
import fs from 'node:fs';
import { compileToPtx } from '../compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../compiler/gpu/ptxas.ts';
import { printOp } from '../compiler/ir/printer.ts';
import type { ArgFact } from '../compiler/passes/specialize-arguments.ts';
import { argumentFacts } from '../dsl/kernel.ts';
import { UsageError, parseConfig } from './args.ts';
import { checkMemory } from './memory.ts';
import { loadTarget, specProblemArgs, type LoadedTarget } from './target.ts';
import { checkConfig, checkGpuTarget, checkWritableFile, knownConfig } from './validate.ts';

export interface CompileArgs {
  target: string;
  kernel?: string;
  emit: string;
  gpuTarget: string;
  /** --num-warps and --num-stages; when not given, the launch's (from -c or the spec's config), else 4 and 3. */
  numWarps: number | undefined;
  numStages: number | undefined;
  output?: string;
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

/**
 * Parses a signature: one entry per parameter, `*f16` (pointer), `i32` (scalar) or a literal (constexpr). A
 * run-time entry may end in `:16` (its value, or a pointer's address, is divisible by 16) or, for integers,
 * `:1` (it equals 1), as in Triton's signatures; these become the argument facts of the GPU compilation.
 */
export function parseSignature(sig: string, params: readonly KernelParam[], config: Config): { bindings: ArgBinding[]; facts: ArgFact[] } {
  const entries = sig.split(',').map((e) => e.trim()).filter(Boolean);
  const facts: ArgFact[] = [];
  const bindings = parseEntries(entries.map((e) => {
    const m = /^(.*?):(16|1)$/.exec(e);
    return m ? m[1]! : e;
  }), params, config);
  bindings.forEach((b, i) => {
    if (b.kind !== 'runtime') return;
    const suffix = /:(16|1)$/.exec(entries[i] ?? '')?.[1];
    if (suffix === '1' && !(b.type.dtype.isInt)) throw new UsageError(`':1' marks an integer equal to 1, but '${params[i]!.name}' is ${entries[i]}`);
    facts.push({ divisibleBy16: suffix === '16', equalsOne: suffix === '1' });
  });
  return { bindings, facts };
}

function parseEntries(entries: readonly string[], params: readonly KernelParam[], config: Config): ArgBinding[] {
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
  // The options that need no kernel are checked first, so that a typo is reported before anything compiles.
  checkGpuTarget(args.gpuTarget);
  if (args.numWarps !== undefined && (!Number.isInteger(args.numWarps) || args.numWarps < 1 || args.numWarps > 32 || (args.numWarps & (args.numWarps - 1)) !== 0)) {
    throw new UsageError(`--num-warps must be a power of two from 1 to 32, got ${args.numWarps}`);
  }
  if (args.numStages !== undefined && (!Number.isInteger(args.numStages) || args.numStages < 1 || args.numStages > 8)) throw new UsageError(`--num-stages must be an integer from 1 to 8, got ${args.numStages}`);
  if (!args.passes && args.emit !== 'ir') throw new UsageError(`--no-passes only applies to --emit ir`);
  if (args.output !== undefined) {
    if (args.emit !== 'cubin') throw new UsageError(`--output only applies to --emit cubin`, 'the other stages are printed: redirect them, e.g. kt compile add --emit ptx > add.ptx');
    checkWritableFile(args.output, '--output');
  }
  if (args.signature !== undefined && (args.size.length || args.dtype !== undefined)) {
    throw new UsageError('--size and --dtype choose the spec launch that kt compiles; with --signature they have nothing to do', 'give either --signature or --size/--dtype');
  }
  const t = await loadTarget(args.target);
  const def = pickKernel(t, args.kernel);
  const config = await parseConfig(args.config);
  const owner = t.specs.find((s) => s.kernels.some((k) => k.definition === def));
  checkConfig(config, knownConfig(owner, [def]), def.name, { runtimeAllowed: args.signature !== undefined });
  let bindings: ArgBinding[];
  let facts: ArgFact[];
  // The launch options: the flags, else -c numWarps=/numStages=, else the spec launch's (its config), else 4 and 3.
  let launchOptions: { numWarps?: number; numStages?: number } = { numWarps: numberOr(config['numWarps']), numStages: numberOr(config['numStages']) };
  if (args.signature !== undefined) {
    ({ bindings, facts } = parseSignature(args.signature, def.params, config));
  } else {
    const spec = owner;
    if (!spec) throw new UsageError(`no spec launches ${def.name}, so kt cannot tell its argument types`, 'give them with --signature, e.g. --signature "*f32,*f32,i32" -c BLOCK=1024');
    const { sizes, dtype } = await specProblemArgs(spec, args.size, args.dtype);
    checkMemory(spec, sizes, dtype, { command: 'kt compile', backend: 'none' });
    const launches = captureLaunches(() => spec.launch(spec.inputs(sizes, dtype, new Random(0)), sizes, { ...spec.config, ...config })).filter((l) => l.definition === def);
    if (!launches.length) throw new UsageError(`spec ${spec.name} does not launch ${def.name} at these sizes`);
    bindings = launches[0]!.bound.bindings;
    facts = argumentFacts(launches[0]!.bound.runtime);
    launchOptions = { numWarps: launches[0]!.bound.options.numWarps, numStages: launches[0]!.bound.options.numStages };
  }
  const printAfter = args.printAfterAll ? (pass: string, text: string) => console.log(`// ----- IR after ${pass} -----\n${text}`) : undefined;
  const spec = def.specialize(bindings, { noPasses: !args.passes, printAfter: args.emit === 'ir' ? printAfter : undefined });
  if (args.emit === 'ir') {
    process.stdout.write(spec.irText({ locations: args.locations }));
    return 0;
  }
  const numWarps = args.numWarps ?? launchOptions.numWarps ?? 4;
  const numStages = args.numStages ?? launchOptions.numStages ?? 3;
  const gpuOptions = { numWarps, numStages, target: args.gpuTarget, argFacts: facts, printAfter };
  const compiled = compileToPtx(spec.ir.module, gpuOptions);
  if (args.emit === 'gpu-ir') {
    process.stdout.write(printOp(compiled.gpuIr, { locations: args.locations }));
    return 0;
  }
  if (args.emit === 'ptx') {
    process.stdout.write(compiled.ptx);
    return 0;
  }
  const ptxas = findPtxas();
  if (!ptxas) throw new UsageError('--emit cubin needs ptxas, which is not on the PATH', 'install the CUDA toolkit, or set KT_PTXAS to its ptxas');
  const asm = assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
  const file = args.output ?? `${compiled.kernelName}.cubin`;
  fs.writeFileSync(file, asm.cubin);
  console.log(`${file}: ${asm.cubin.length} bytes for ${compiled.target}, ${compiled.numThreads} threads per program, ${compiled.sharedBytes} bytes of shared memory`);
  console.log(`registers ${asm.registers}, spill stores ${asm.spillStores} bytes, spill loads ${asm.spillLoads} bytes, stack frame ${asm.stackBytes} bytes`);
  console.log(asm.log);
  return 0;
}

/** A launch option given as a config value: the number, or undefined when absent. */
function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}
