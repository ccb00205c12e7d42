// Checks of a command line's values against what they name, made before any work starts: `-c` entries against
// the spec's and kernels' parameters, `--target` against the GPU architectures that exist, `--out` and `-o`
// against the file system. Each failure is a UsageError: one line, exit code 2, no stack trace.
import fs from 'node:fs';
import path from 'node:path';
import type { SpaceDefinition } from '../autotune/space.ts';
import type { KernelDefinition } from '../dsl/kernel.ts';
import type { Config, KernelSpec } from '../dsl/spec.ts';
import { gpuTargetProblem } from '../gpu-targets.ts';
import { UsageError, didYouMean } from './args.ts';

type ConfigValue = Config[string];

const isConfigList = (space: SpaceDefinition): space is readonly Config[] => Array.isArray(space);

/** Launch options that a config may hold beside the kernels' constexprs (what `k(grid, ..., { numWarps })` takes). */
const launchOptions = ['numWarps', 'numStages'];

/** The config names a spec or kernel accepts, with the values known for each, and its run-time parameters. */
export interface KnownConfig {
  readonly values: ReadonlyMap<string, readonly ConfigValue[]>;
  /** Parameters given at launch as arguments (pointers, scalars), which a config cannot set. */
  readonly runtime: ReadonlySet<string>;
}

/**
 * The config names a spec (or a lone kernel) accepts, each with the values known for it: the spec's defaults,
 * the kernels' constexpr defaults and the tuning spaces' choices. The known values tell what kind of value a
 * name takes: `-c BLOCK_M=abc` is refused because every known BLOCK_M is a number.
 */
export function knownConfig(spec: KernelSpec | undefined, kernels: readonly KernelDefinition[]): KnownConfig {
  const values = new Map<string, ConfigValue[]>();
  const runtime = new Set<string>();
  const add = (name: string, value?: ConfigValue): void => {
    const list = values.get(name) ?? [];
    if (value !== undefined && !list.includes(value)) list.push(value);
    values.set(name, list);
  };
  for (const def of kernels) {
    for (const p of def.params) {
      if (p.kind !== 'constexpr') {
        runtime.add(p.name);
        continue;
      }
      const v = p.defaultValue?.value;
      add(p.name, typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : undefined);
    }
  }
  for (const [name, value] of Object.entries(spec?.config ?? {})) add(name, value);
  for (const space of Object.values<SpaceDefinition>(spec?.tuning?.spaces ?? {})) {
    if (isConfigList(space)) {
      for (const c of space) for (const [name, value] of Object.entries(c)) add(name, value);
    } else {
      for (const [name, choices] of Object.entries(space.params)) for (const v of choices) add(name, v);
    }
  }
  for (const name of launchOptions) add(name);
  for (const name of values.keys()) runtime.delete(name);
  return { values, runtime };
}

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
const quote = (v: ConfigValue): string => (typeof v === 'string' ? `'${v}'` : String(v));

/**
 * Checks `-c` entries against what `owner` (a spec or kernel name) accepts: the name must be one of its
 * config names, and the value of the kind its known values have: a number where they are numbers, a positive
 * integer where they are all positive integers (block sizes: `-c BLOCK=0` would otherwise reach the launch as
 * a grid of Infinity programs), true or false where they are booleans, text where they are text. With
 * `runtimeAllowed` (kt compile with a signature), a run-time parameter may be set too: the kernel is then
 * specialised on its value.
 */
export function checkConfig(config: Config, known: KnownConfig, owner: string, options: { runtimeAllowed?: boolean } = {}): void {
  for (const [name, value] of Object.entries(config)) {
    const entry = `-c ${name}=${typeof value === 'string' ? value : String(value)}`;
    if (options.runtimeAllowed && known.runtime.has(name)) continue;
    const values = known.values.get(name);
    if (!values) {
      const names = [...known.values.keys()];
      const guess = didYouMean(name, names);
      const hint = `${guess ? `did you mean ${guess}? ` : ''}its config names are ${names.join(', ')}`;
      if (known.runtime.has(name)) throw new UsageError(`${entry}: ${name} is a run-time argument of ${owner}, not a constexpr that a config sets`, hint);
      throw new UsageError(`${entry}: ${owner} has no constexpr or launch option '${name}'`, hint);
    }
    if (name === 'numWarps') {
      if (typeof value !== 'number' || !isPowerOfTwo(value) || value > 32) throw new UsageError(`${entry}: numWarps must be a power of two from 1 to 32`);
      continue;
    }
    if (name === 'numStages') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new UsageError(`${entry}: numStages must be a positive integer (1: no software pipelining)`);
      continue;
    }
    if (!values.length) continue; // a constexpr without a default: nothing says what it takes
    const like = `${owner}'s ${name} is ${values.slice(0, 4).map(quote).join(', ')}${values.length > 4 ? ', ...' : ''}`;
    if (values.every((v) => typeof v === 'number')) {
      if (typeof value !== 'number') throw new UsageError(`${entry}: ${name} must be a number`, `for example -c ${name}=${values[0]} (${like})`);
      if (values.every((v) => Number.isInteger(v) && (v as number) > 0) && (!Number.isInteger(value) || value < 1)) {
        throw new UsageError(`${entry}: ${name} must be a positive integer`, `for example -c ${name}=${values[0]} (${like})`);
      }
    } else if (values.every((v) => typeof v === 'boolean')) {
      if (typeof value !== 'boolean') throw new UsageError(`${entry}: ${name} must be true or false`);
    } else if (values.every((v) => typeof v === 'string')) {
      if (typeof value !== 'string') throw new UsageError(`${entry}: ${name} must be text`, `for example -c ${name}=${values[0]} (${like})`);
    }
  }
}

export function checkGpuTarget(target: string): void {
  if (!target) throw new UsageError('--target needs an architecture', 'for example --target sm_90');
  const problem = gpuTargetProblem(target);
  if (problem) throw new UsageError(`--target ${target}: ${problem.why}`, problem.hint);
}

/** Why a path cannot be written, from a file-system error, in words. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'ENOENT':
      return 'the place does not accept new files';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return err.message ?? String(e);
  }
}

/** The closest ancestor of `p` that exists (`p` itself if it does). */
function existingAncestor(p: string): string {
  let cur = p;
  while (!fs.existsSync(cur)) {
    const parent = path.dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  return cur;
}

/** Writes and removes a probe file in `dir`: access() would say yes to root on a read-only file system. */
function probeWrite(dir: string): void {
  const probe = path.join(dir, `.kt-write-test-${process.pid}`);
  fs.writeFileSync(probe, '');
  fs.rmSync(probe, { force: true });
}

/**
 * Checks that files can be written into directory `dir` (created later if missing), so that `kt tune --out`
 * fails at once rather than after a whole sweep. A missing directory is not created here: its closest existing
 * ancestor is checked instead (fs.mkdirSync's recursive mode never returns for some paths, such as /proc/x).
 */
export function checkWritableDirectory(dir: string, option: string): void {
  const abs = path.resolve(dir);
  const base = existingAncestor(abs);
  const hint = `give ${option} a directory you can write to`;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(base);
  } catch (e) {
    throw new UsageError(`${option} ${dir} cannot be written: ${reason(e)}`, hint);
  }
  if (!stat.isDirectory()) {
    throw new UsageError(base === abs ? `${option} ${dir} is a file, not a directory` : `${option} ${dir} cannot be created: ${base} is a file, not a directory`, hint);
  }
  try {
    probeWrite(base);
  } catch (e) {
    throw new UsageError(`${option} ${dir} cannot be written: ${base === abs ? '' : `${base}: `}${reason(e)}`, hint);
  }
}

/** Checks that file `file` can be written (its directory exists and takes files; it is not a directory). */
export function checkWritableFile(file: string, option: string): void {
  const abs = path.resolve(file);
  const hint = `give ${option} a file in a directory you can write to`;
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new UsageError(`${option} ${file} is a directory`, hint);
  const dir = path.dirname(abs);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new UsageError(`${option} ${file} cannot be written: ${err.code === 'ENOENT' ? `no directory ${dir}` : reason(e)}`, hint);
  }
  if (!stat.isDirectory()) throw new UsageError(`${option} ${file} cannot be written: ${dir} is a file, not a directory`, hint);
  try {
    probeWrite(dir);
  } catch (e) {
    throw new UsageError(`${option} ${file} cannot be written: ${reason(e)}`, hint);
  }
}
