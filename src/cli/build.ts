// `kt build <file> [--out FILE] [--target sm_90a]`: compiles ahead of time every kernel launch that the file's
// exported `build()` makes (its launches are captured, not run, so its tensors may be empty CPU tensors of the
// dtypes and alignment the application will pass) and writes them into a bundle, which the application loads
// with `loadBundle` from `kt/runtime` and launches without the compiler.
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { buildGpuBinary } from '../compiler/gpu/binary.ts';
import { captureLaunches, type CapturedLaunch } from '../dsl/kernel.ts';
import { argumentFacts, factsKey } from '../runtime/arg-facts.ts';
import { BUNDLE_FORMAT, bundleConst, showConst, type Bundle, type BundleArg, type BundleConst, type BundleEntry, type BundleKernel } from '../runtime/bundle.ts';
import { gpuAvailable, gpu } from '../runtime/gpu.ts';
import { Tensor } from '../runtime/tensor.ts';
import { UsageError } from './args.ts';
import { loadTarget } from './target.ts';
import { checkGpuTarget, checkWritableFile } from './validate.ts';
import { ktVersion } from './version.ts';

export interface BuildArgs {
  file: string;
  out?: string;
  target?: string;
}

export async function buildCommand(args: BuildArgs): Promise<number> {
  const target = args.target ?? (gpuAvailable() ? gpu().info.target : undefined);
  if (!target) throw new UsageError('there is no GPU here to take the target from', 'give --target: sm_90a for an H100 or H200, sm_80 for an A100');
  checkGpuTarget(target);
  const loaded = await loadTarget(args.file);
  const out = path.resolve(args.out ?? `${path.basename(loaded.file).replace(/\.[cm]?[jt]s$/, '')}.ktb.json`);
  checkWritableFile(out, '--out');
  const build = loaded.exports['build'];
  if (typeof build !== 'function') {
    throw new UsageError(`${path.relative(process.cwd(), loaded.file)} exports no build() function`, 'export function build() { ... } that launches each kernel as the application will (the launches are compiled, not run)');
  }
  const launches = captureLaunches(() => build());
  if (!launches.length) throw new UsageError(`build() in ${path.relative(process.cwd(), loaded.file)} launched no kernel`);

  const kernels = new Map<string, { params: BundleKernel['params']; entries: Map<string, BundleEntry>; source: string }>();
  for (const l of launches) {
    const name = l.definition.name;
    const source = l.definition.signature().span.file;
    let k = kernels.get(name);
    if (k && k.source !== source) throw new UsageError(`two kernels named '${name}' (in ${k.source} and ${source}): a bundle names its kernels`, 'rename one of them');
    if (!k) kernels.set(name, (k = { params: paramsOf(l), entries: new Map(), source }));
    const entry = entryOf(l, target);
    const key = JSON.stringify([entry.args, entry.facts, entry.numWarps, entry.numStages]);
    if (!k.entries.has(key)) k.entries.set(key, entry);
  }
  const bundle: Bundle = {
    format: BUNDLE_FORMAT,
    kt: ktVersion(),
    target,
    kernels: Object.fromEntries([...kernels].map(([name, k]) => [name, { params: k.params, entries: [...k.entries.values()] }])),
  };
  fs.writeFileSync(out, JSON.stringify(bundle));
  for (const [name, k] of kernels) {
    for (const e of k.entries.values()) {
      const b = e.binary;
      const regs = b.registers === undefined ? 'PTX only (no ptxas here: the driver compiles it at load)' : `${b.registers} registers, ${b.spills ?? 0} bytes spilled`;
      console.log(`${chalk.bold(name)}  ${describeEntry(k.params, e)}  ${e.numWarps} warps, ${e.numStages} stages: ${regs}, ${b.sharedBytes} bytes of shared memory`);
    }
  }
  const count = [...kernels.values()].reduce((n, k) => n + k.entries.size, 0);
  const shown = path.relative(process.cwd(), out).startsWith('..') ? out : path.relative(process.cwd(), out);
  console.log(chalk.green(`wrote ${shown}: ${kernels.size} kernel${kernels.size === 1 ? '' : 's'}, ${count} specialisation${count === 1 ? '' : 's'} for ${target}, ${(fs.statSync(out).size / 1024).toFixed(0)} KB`));
  return 0;
}

function paramsOf(l: CapturedLaunch): BundleKernel['params'] {
  return l.definition.signature().params.map((p) => {
    const d = p.defaultValue === undefined ? undefined : bundleConst(p.defaultValue.value);
    return d === undefined ? { name: p.name } : { name: p.name, default: d };
  });
}

/** What the launch was specialised for, and its compiled binary. */
function entryOf(l: CapturedLaunch, target: string): BundleEntry {
  const { bound, definition } = l;
  const params = definition.signature().params;
  let runtime = 0;
  const args: BundleArg[] = bound.bindings.map((b, i) => {
    if (b.kind === 'constexpr') {
      const c: BundleConst | undefined = bundleConst(b.value.value);
      if (c === undefined) throw new UsageError(`kernel '${definition.name}': the constexpr '${params[i]!.name}' is ${String(b.value.value)}, which a bundle cannot hold`, 'bundles hold numbers, booleans, strings, null and dtypes');
      return { constexpr: c };
    }
    const v = bound.runtime[runtime++];
    if (v instanceof Tensor) return { pointer: v.dtype.name };
    return { scalar: b.type.element.toString() };
  });
  const numWarps = bound.options.numWarps ?? 4;
  const numStages = bound.options.numStages ?? 3;
  const facts = argumentFacts(bound.runtime);
  const spec = definition.specialize(bound.bindings);
  const binary = buildGpuBinary(spec.ir.module, { numWarps, numStages, target, argFacts: facts });
  return {
    args,
    facts: factsKey(facts),
    numWarps,
    numStages,
    binary: {
      name: binary.name,
      ptx: binary.ptx,
      ...(binary.cubin ? { cubin: Buffer.from(binary.cubin).toString('base64') } : {}),
      sharedBytes: binary.sharedBytes,
      numThreads: binary.numThreads,
      ...(binary.report ? { registers: binary.report.registers, spills: binary.report.spillStores } : {}),
    },
  };
}

function describeEntry(params: BundleKernel['params'], e: BundleEntry): string {
  return e.args
    .map((a, i) => {
      const n = params[i]!.name;
      if ('constexpr' in a) return `${n}=${showConst(a.constexpr)}`;
      return 'pointer' in a ? `${n}: *${a.pointer}` : `${n}: ${a.scalar}`;
    })
    .join(', ');
}
