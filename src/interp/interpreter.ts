// Runs a compiled kernel on the CPU: builds the program function once per specialisation (from the JavaScript
// that codegen.ts writes), then calls it for every program of the grid, in order. A sanitized launch runs a second
// program function, built on its first use, with the sanitizer's checks (sanitizer.ts).
import type { Operation } from '../compiler/ir/core.ts';
import { elementwiseHelpers } from '../compiler/ir/elementwise.ts';
import { FloatType, IntType, PointerType, type Type } from '../compiler/ir/types.ts';
import { bf16DecodeTable, bf16ToBits, e4m3DecodeTable, e4m3ToBits, e5m2DecodeTable, e5m2ToBits, f16DecodeTable, f16ToBits, roundToFloat, truncateTf32 } from '../numerics.ts';
import { Tensor, markWritten } from '../runtime/tensor.ts';
import { generateProgram, type GeneratedProgram } from './codegen.ts';
import { LaunchMemory, type OpSite } from './memory.ts';
import { SanitizedMemory, plainLaunch, runLimited } from './sanitizer.ts';
import { launchSanitize, type SanitizeOptions, type SanitizeSettings } from './sanitize-settings.ts';

type ProgramFn = (mem: LaunchMemory, pid0: number, pid1: number, pid2: number, np0: number, np1: number, np2: number, ...args: unknown[]) => void;

const runtimeHelpers = {
  ...elementwiseHelpers,
  f16dec: f16DecodeTable(),
  bf16dec: bf16DecodeTable(),
  f16enc: f16ToBits,
  bf16enc: bf16ToBits,
  e4m3dec: e4m3DecodeTable(),
  e5m2dec: e5m2DecodeTable(),
  // A stored fp8 value is already one (a conversion rounded it), so this only encodes: e5m2's infinities stay
  // infinities, as a byte copy on the GPU keeps them.
  e4m3enc: (x: number): number => e4m3ToBits(x, false),
  e5m2enc: (x: number): number => e5m2ToBits(x, false),
  tf32: truncateTf32,
};

export type KernelArgValue = Tensor | number | bigint | boolean;

export interface RunOptions {
  /** Where devicePrint output goes (default: console.log). */
  print?: (line: string) => void;
  /** Run under the sanitizer (default: as KT_SANITIZE or setSanitizeAll say). */
  sanitize?: boolean | SanitizeOptions;
}

export class InterpretedKernel {
  readonly source: string;
  private readonly program: ProgramFn;
  private readonly sites: readonly OpSite[];
  private readonly argTypes: readonly Type[];
  readonly argNames: readonly string[];
  private sanitized?: { readonly program: ProgramFn; readonly gen: GeneratedProgram };

  constructor(
    readonly name: string,
    private readonly func: Operation,
  ) {
    const gen = generateProgram(func);
    this.source = gen.source;
    this.sites = gen.sites;
    const entry = func.regions[0]!.entry;
    this.argTypes = entry.args.map((a) => a.type);
    this.argNames = entry.args.map((a, i) => a.nameHint ?? `arg${i}`);
    this.program = new Function('$', gen.source)(runtimeHelpers) as ProgramFn;
  }

  /** The JavaScript of the sanitized program (built on first use). */
  get sanitizedSource(): string {
    return this.sanitizedProgram().gen.source;
  }

  private sanitizedProgram(): { readonly program: ProgramFn; readonly gen: GeneratedProgram } {
    if (!this.sanitized) {
      const gen = generateProgram(this.func, { sanitize: true });
      this.sanitized = { gen, program: new Function('$', gen.source)(runtimeHelpers) as ProgramFn };
    }
    return this.sanitized;
  }

  /** Runs every program of `grid` with `args` (one per kernel argument of the IR function). */
  run(grid: readonly [number, number, number], args: readonly KernelArgValue[], options: RunOptions = {}): void {
    const sanitize = launchSanitize(options.sanitize);
    if (sanitize) return this.runSanitized(grid, args, options, sanitize);
    // A plain launch keeps no record of what it writes: the sanitizer counts its tensors as written from now on.
    for (const a of args) if (a instanceof Tensor) markWritten(a.storage);
    const mem = new LaunchMemory(this.name, this.sites, options.print);
    const values = args.map((a, i) => this.convert(mem, a, i));
    const [gx, gy, gz] = grid;
    const program = this.program;
    // Where a Ctrl-C that stops this launch finds it (kt run: runInterruptible): V8's termination skips `finally`.
    plainLaunch.mem = mem;
    plainLaunch.grid = grid;
    try {
      for (let z = 0; z < gz; z++) {
        for (let y = 0; y < gy; y++) {
          for (let x = 0; x < gx; x++) {
            mem.pid[0] = x;
            mem.pid[1] = y;
            mem.pid[2] = z;
            program(mem, x, y, z, gx, gy, gz, ...values);
          }
        }
      }
    } finally {
      plainLaunch.mem = undefined;
    }
  }

  private runSanitized(grid: readonly [number, number, number], args: readonly KernelArgValue[], options: RunOptions, settings: SanitizeSettings): void {
    const { program, gen } = this.sanitizedProgram();
    const mem = new SanitizedMemory(this.name, gen.sites, options.print);
    mem.grid = grid;
    const values = args.map((a, i) => this.convert(mem, a, i));
    const [gx, gy, gz] = grid;
    runLimited(
      () => {
        let p = 0;
        for (let z = 0; z < gz; z++) {
          for (let y = 0; y < gy; y++) {
            for (let x = 0; x < gx; x++) {
              mem.enter(x, y, z, p++);
              program(mem, x, y, z, gx, gy, gz, ...values);
            }
          }
        }
      },
      settings,
      (ms) => mem.stopped(ms),
    );
  }

  private convert(mem: LaunchMemory, a: KernelArgValue, i: number): unknown {
    const t = this.argTypes[i]!;
    const name = this.argNames[i]!;
    if (t instanceof PointerType) {
      if (!(a instanceof Tensor)) throw new TypeError(`argument '${name}' must be a Tensor`);
      return mem.addTensor(name, a);
    }
    if (a instanceof Tensor) throw new TypeError(`argument '${name}' is a scalar (${t.text}), not a Tensor`);
    if (t instanceof IntType) {
      if (t.width === 64) return BigInt.asIntN(64, typeof a === 'bigint' ? a : BigInt(Math.trunc(Number(a))));
      const n = Number(a);
      if (t.width === 1) return n ? 1 : 0;
      return t.width === 32 ? n | 0 : (n << (32 - t.width)) >> (32 - t.width);
    }
    if (t instanceof FloatType) return roundToFloat(Number(a), t.text);
    throw new TypeError(`argument '${name}' has unsupported type ${t.text}`);
  }
}
