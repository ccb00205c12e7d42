// Every pass by name, so that a pipeline can be written as text, MLIR-style:
//
//   inline,canonicalize,cse,convert-to-gpu{num-warps=8},coalesce
//
// Passes are separated by commas; a pass's options follow its name in braces as `name=value`, separated by
// commas or spaces (MLIR separates them by spaces; both read the same here). Adding a pass is one entry in
// `registry` below: its name, a line of description, its options, and how to make the pass from them.
import type { Operation } from '../ir/core.ts';
import { accelerateMatmul } from './accelerate-matmul.ts';
import { allocateSharedMemoryPass } from './allocate-shared-memory.ts';
import { canonicalizePass } from './canonicalize.ts';
import { coalescePass } from './coalesce.ts';
import { convertToGpu } from './convert-to-gpu.ts';
import { csePass } from './cse.ts';
import { dcePass } from './dce.ts';
import { decomposeTf32x3Pass } from './decompose-tf32x3.ts';
import { inlinePass } from './inline.ts';
import { insertBarriersPass } from './insert-barriers.ts';
import type { Pass } from './pass-manager.ts';
import { DEFAULT_STAGES, pipelineLoads } from './pipeline-loads.ts';
import { removeLayoutConversionsPass } from './remove-layout-conversions.ts';
import { specializeArguments, type ArgFact } from './specialize-arguments.ts';
import { unrollPass } from './unroll.ts';
import { parseTarget } from '../../gpu-targets.ts';

/** One option of a pass: how its text reads, and its value when it is not given. */
export interface PassOption<T> {
  readonly description: string;
  /** What a value looks like, for help text (`1|2|4|8|16|32`). */
  readonly syntax: string;
  readonly default: T;
  /** Reads the option's text; throws an Error whose message says what is wrong with it. */
  parse(text: string): T;
}

/** A registered pass: its name (the `name` its Pass carries), a description, its options, and a factory. */
export interface PassInfo<O extends object = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  readonly options: { readonly [K in keyof O]: PassOption<O[K]> };
  create(options: O): Pass;
}

/** A pass read from a pipeline's text. */
export interface PipelineEntry {
  readonly name: string;
  /** The options given, as written. */
  readonly options: Readonly<Record<string, string>>;
  /** The entry as text (`convert-to-gpu{num-warps=8}`), to name it in messages and headers. */
  readonly text: string;
  /** 1-based column in the pipeline text where the entry starts. */
  readonly column: number;
  readonly pass: Pass;
}

/** A bad pipeline or pass request: an unknown pass or option, or a bad value (with where, for pipelines). */
export class PipelineError extends Error {
  constructor(
    readonly reason: string,
    /** 1-based column in the pipeline text, when the error comes from one. */
    readonly column?: number,
  ) {
    super(column === undefined ? reason : `column ${column}: ${reason}`);
    this.name = 'PipelineError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Options.

const numWarpsOption: PassOption<number> = {
  description: 'warps per program, which the layouts spread each tile over',
  syntax: '1|2|4|8|16|32',
  default: 4,
  parse(text) {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 32 || (n & (n - 1)) !== 0) throw new Error(`must be a power of two from 1 to 32, got '${text}'`);
    return n;
  },
};

const numStagesOption: PassOption<number> = {
  description: 'stages of the pipeline (1: none), unless a loop names its own with tl.range(..., { numStages })',
  syntax: '1..8',
  default: DEFAULT_STAGES,
  parse(text) {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > 8) throw new Error(`must be an integer from 1 to 8, got '${text}'`);
    return n;
  },
};

const targetOption: PassOption<string> = {
  description: 'the GPU architecture whose instructions to use',
  syntax: 'sm_NN',
  default: 'sm_90',
  parse(text) {
    if (!parseTarget(text)) throw new Error(`must name an architecture such as sm_90, got '${text}'`);
    return text;
  },
};

/**
 * Argument facts as `factsKey` writes them (so a specialisation's cache key reads back): one character per
 * run-time argument, `d` divisible by 16, `1` equal to 1, `-` nothing known. Left out, nothing is known about
 * any argument.
 */
const factsOption: PassOption<readonly ArgFact[] | undefined> = {
  description: 'one character per run-time argument of the kernel: d (divisible by 16), 1 (equal to 1), - (nothing known); default all -',
  syntax: '[d1-]*',
  default: undefined,
  parse(text) {
    const bad = /[^d1-]/.exec(text);
    if (bad) throw new Error(`'${bad[0]}' is not a fact: write d (divisible by 16), 1 (equal to 1) or - (nothing known) per argument`);
    return [...text].map((ch) => ({ divisibleBy16: ch === 'd', equalsOne: ch === '1' }));
  },
};

/** The number of arguments of the module's kernel (its public function), which the facts describe. */
function kernelArgCount(module: Operation): number {
  const kernel = module.regions[0]!.entry.ops.find((op) => op.name === 'tt.func' && op.attrs['sym_visibility'] !== 'private');
  return kernel?.regions[0]!.entry.args.length ?? 0;
}

// ---------------------------------------------------------------------------------------------------------
// The table.

/** An entry for a pass without options; its name is the one the pass carries. */
function plain(pass: Pass, description: string): PassInfo {
  return { name: pass.name, description, options: {}, create: () => pass };
}

/**
 * The pass, refusing a module that is not GPU IR yet. These passes read the module's `ttg.num-warps` and the
 * tiles' layouts, which convert-to-gpu sets; run on target-independent IR they would fail obscurely or leave
 * layouts of NaN, so a pipeline written out of order gets a message naming the missing step.
 */
function afterConvertToGpu(pass: Pass): Pass {
  return {
    name: pass.name,
    run(module) {
      if (typeof module.attrs['ttg.num-warps'] !== 'number') throw new Error(`${pass.name} works on GPU IR (a module with ttg.num-warps): run convert-to-gpu before it`);
      return pass.run(module);
    },
  };
}

/** An entry for a pass with options, checked against its option types here and stored untyped in the table. */
function withOptions<O extends object>(info: PassInfo<O>): PassInfo {
  return info as unknown as PassInfo;
}

/** Every pass, in the order of the pipelines that run them (target-independent first, then GPU). */
const registry: readonly PassInfo[] = [
  plain(inlinePass, 'inline every tt.call into its caller, so that a kernel is one function'),
  plain(decomposeTf32x3Pass, "split each f32 dot with inputPrecision 'tf32x3' into three tf32 dots of the operands' high and low parts"),
  plain(canonicalizePass, 'fold constants and apply local rewrites (identities, constant branches, empty loops) to a fixed point'),
  plain(csePass, 'merge identical pure ops where one dominates the other'),
  plain(unrollPass, 'unroll static-range loops completely and loops with tt.loop_unroll_factor by that factor'),
  plain(dcePass, 'remove ops without effects whose results are unused, and private functions nothing calls'),
  withOptions<{ facts: readonly ArgFact[] | undefined }>({
    name: 'specialize-arguments',
    description: 'record arguments divisible by 16 in tt.divisibility and replace integer arguments equal to 1 by the constant',
    options: { facts: factsOption },
    create: ({ facts }) =>
      facts
        ? specializeArguments(facts)
        : // Nothing known: one empty fact per argument of whatever kernel the module holds.
          { name: 'specialize-arguments', run: (m) => specializeArguments(Array.from({ length: kernelArgCount(m) }, () => ({ divisibleBy16: false, equalsOne: false }))).run(m) },
  }),
  withOptions<{ 'num-warps': number }>({
    name: 'convert-to-gpu',
    description: 'give every tile a layout (blocked, slices, FMA dot, shared operands), inserting ttg.convert_layout where needed',
    options: { 'num-warps': numWarpsOption },
    create: (o) => convertToGpu(o['num-warps']),
  }),
  withOptions<{ target: string }>({
    name: 'accelerate-matmul',
    description: "put the dots the target's tensor cores can take on them (wgmma on sm_90); the rest stay on the FMA units",
    options: { target: targetOption },
    create: ({ target }) => afterConvertToGpu(accelerateMatmul(target)),
  }),
  plain(afterConvertToGpu(coalescePass), 'give loads, stores and atomics layouts whose threads touch consecutive memory, vectorised where provably aligned (after convert-to-gpu)'),
  plain(removeLayoutConversionsPass, 'fold, rematerialise and hoist layout conversions, and carry loop accumulators in the layout they accumulate'),
  withOptions<{ 'num-stages': number }>({
    name: 'pipeline-loads',
    description: 'software-pipeline loops whose loads feed tensor-core dots: async copies numStages - 1 iterations ahead into numStages shared buffers',
    options: { 'num-stages': numStagesOption },
    create: (o) => afterConvertToGpu(pipelineLoads(o['num-stages'])),
  }),
  plain(afterConvertToGpu(allocateSharedMemoryPass), 'give shared-memory buffers and scratch offsets, reusing space across lifetimes'),
  plain(afterConvertToGpu(insertBarriersPass), 'insert gpu.barrier where threads exchange data through shared memory'),
];

const byName = new Map(registry.map((p) => [p.name, p]));

/** Every registered pass, for help text. */
export function allPasses(): readonly PassInfo[] {
  return registry;
}

/** A pass by name, with its options given as text (or numbers): `passByName('convert-to-gpu', { 'num-warps': 8 })`. */
export function passByName(name: string, options: Readonly<Record<string, string | number | boolean>> = {}): Pass {
  const info = lookup(name, undefined);
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) values[key] = parseOption(info, key, String(value), undefined, undefined);
  return create(info, values);
}

/** Makes the pass, filling in the defaults of the options not given. */
function create(info: PassInfo, given: Readonly<Record<string, unknown>>): Pass {
  const all: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(info.options)) all[key] = key in given ? given[key] : option.default;
  return info.create(all);
}

function lookup(name: string, column: number | undefined): PassInfo {
  const info = byName.get(name);
  if (info) return info;
  const guess = closest(name, [...byName.keys()]);
  throw new PipelineError(`unknown pass '${name}'${guess ? ` (did you mean '${guess}'?)` : ''}; passes are ${[...byName.keys()].join(', ')}`, column);
}

function parseOption(info: PassInfo, key: string, text: string, keyColumn: number | undefined, valueColumn: number | undefined): unknown {
  const option = (info.options as Record<string, PassOption<unknown> | undefined>)[key];
  if (!option) {
    const keys = Object.keys(info.options);
    const valid = keys.length ? `its options are ${keys.join(', ')}` : 'it takes no options';
    throw new PipelineError(`${info.name} has no option '${key}'; ${valid}`, keyColumn);
  }
  try {
    return option.parse(text);
  } catch (e) {
    throw new PipelineError(`${info.name}: ${key} ${(e as Error).message}`, valueColumn);
  }
}

/** The registered name nearest to a misspelt one (edit distance at most a third of its length), if any. */
function closest(name: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestDistance) [best, bestDistance] = [n, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

// ---------------------------------------------------------------------------------------------------------
// Pipeline text.

/** Reads a pipeline: `name{opt=value,...},name,...`. An empty (or blank) text is the empty pipeline. */
export function parsePipeline(text: string): PipelineEntry[] {
  return new PipelineReader(text).read();
}

/** A small scanner over the pipeline text, keeping the position for located errors. */
class PipelineReader {
  private pos = 0;
  constructor(private readonly text: string) {}

  read(): PipelineEntry[] {
    const entries: PipelineEntry[] = [];
    this.ws();
    if (this.done()) return entries;
    for (;;) {
      entries.push(this.entry());
      this.ws();
      if (this.done()) return entries;
      if (!this.eat(',')) this.fail(`expected ',' between passes, found '${this.text[this.pos]}'`);
      this.ws();
    }
  }

  private entry(): PipelineEntry {
    const column = this.pos + 1;
    const name = this.word(/[A-Za-z0-9_.-]+/y) ?? this.fail(this.done() ? "expected a pass name after ','" : `expected a pass name, found '${this.text[this.pos]}'`);
    const info = lookup(name, column);
    this.ws();
    const written: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (this.eat('{')) {
      for (;;) {
        this.ws();
        if (this.eat('}')) break;
        if (this.done()) this.fail(`'{' after ${name} is not closed by '}'`);
        const keyColumn = this.pos + 1;
        const key = this.word(/[A-Za-z0-9_-]+/y) ?? this.fail(`expected an option name, found '${this.text[this.pos]}'`);
        if (key in written) this.fail(`option '${key}' of ${name} is given twice`, keyColumn);
        this.ws();
        if (!this.eat('=')) {
          const option = (info.options as Record<string, PassOption<unknown> | undefined>)[key];
          // An unknown option is the more useful complaint; a known one just lacks its value.
          if (!option) parseOption(info, key, '', keyColumn, keyColumn);
          this.fail(`option '${key}' of ${name} needs a value: ${key}=${option!.syntax}`);
        }
        this.ws();
        const valueColumn = this.pos + 1;
        const value = this.word(/[^,{}\s]+/y) ?? this.fail(`option '${key}' of ${name} needs a value: ${key}=...`);
        values[key] = parseOption(info, key, value, keyColumn, valueColumn);
        written[key] = value;
        this.ws();
        this.eat(',');
      }
    }
    const opts = Object.entries(written).map(([k, v]) => `${k}=${v}`);
    return { name, options: written, text: opts.length ? `${name}{${opts.join(',')}}` : name, column, pass: create(info, values) };
  }

  private done(): boolean {
    return this.pos >= this.text.length;
  }

  private ws(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private eat(s: string): boolean {
    if (!this.text.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  /** Reads a token matching the sticky regex `re` at the current position. */
  private word(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  private fail(reason: string, column = this.pos + 1): never {
    throw new PipelineError(reason, column);
  }
}
