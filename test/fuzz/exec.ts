// Runs a fuzzer program on the tiers and compares them: the interpreter is the reference; the SIMT simulator
// (the GPU compiler's per-thread IR, as CI checks the GPU lowering: test/support/simulate-launch.ts) and, where
// one is present, the real GPU must agree with it. Integers and deterministic floats exactly; fuzzy floats
// within the dtype's defaultTolerance widened by the program's error bound (see program.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultTolerance, Random, synchronize, tensor, zeros, type Kernel, type Tensor } from 'kt';
import { compare } from '../../src/runtime/compare.ts';
import { gpuAvailable } from '../../src/runtime/gpu.ts';
import { simulateLaunch } from '../support/simulate-launch.ts';
import { gridOf, isFloat, render, type Program } from './program.ts';

const root = path.resolve(import.meta.dirname, '../..');
let workDir: string | undefined;
let fileCounter = 0;

/** A directory for generated kernels, where `import ... from 'kt'` resolves to this checkout. */
function work(): string {
  if (workDir) return workDir;
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-fuzz-'));
  fs.mkdirSync(path.join(workDir, 'node_modules'));
  fs.symlinkSync(root, path.join(workDir, 'node_modules', 'kt'));
  fs.writeFileSync(path.join(workDir, 'package.json'), '{ "type": "module" }');
  process.on('exit', cleanup);
  return workDir;
}

/** Removes the generated kernels (at exit, and from tests' afterAll: vitest's workers may end without 'exit'). */
export function cleanup(): void {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  workDir = undefined;
}

/** Writes the program's kernel to a fresh module and imports it. */
export async function loadKernel(p: Program): Promise<{ k: Kernel; file: string }> {
  const file = path.join(work(), `k${process.pid}_${fileCounter++}.ts`);
  fs.writeFileSync(file, render(p));
  const mod = (await import(pathToFileURL(file).href)) as { k: Kernel };
  return { k: mod.k, file };
}

/** Significand bits of the floats whose ties the 'ties' inputs sit at. */
const TIE_PRECISIONS = [8, 11, 24];

/**
 * An integer at or one beside a tie of p-bit floats (p from TIE_PRECISIONS): 2^e + 2^(e-p) (+ a random multiple of
 * 2^(e-p+1)) + {-1, 0, 1}, with e below the type's width; a small random one where the type has no such e.
 */
function integerNearTie(rng: Random, dtype: string): bigint {
  const [bits, signed] = [Number(dtype.slice(1)), dtype.startsWith('i')];
  const top = bits - (signed ? 2 : 1);
  const p = TIE_PRECISIONS[rng.nextUint32() % TIE_PRECISIONS.length]!;
  if (top < p + 1) return BigInt((rng.nextUint32() % 101) - (signed ? 50 : 0));
  const e = p + 1 + (rng.nextUint32() % (top - p));
  const step = BigInt(rng.nextUint32() % 2 ** Math.min(p - 1, 30)) << BigInt(e - p + 1);
  const v = (1n << BigInt(e)) + (1n << BigInt(e - p)) + step + BigInt((rng.nextUint32() % 3) - 1);
  return signed && rng.nextUint32() % 2 ? -v : v;
}

/** An f32 in [-8, 8] at or one f32 unit beside a tie of p-bit floats (f16 or bf16). */
function floatNearTie(rng: Random): number {
  const p = TIE_PRECISIONS[rng.nextUint32() % 2]!;
  const scale = 2 ** ((rng.nextUint32() % 6) - 3);
  const tie = (1 + (rng.nextUint32() % 2 ** (p - 1)) / 2 ** (p - 1) + 2 ** -p) * scale;
  const v = tie + ((rng.nextUint32() % 3) - 1) * scale * 2 ** -23;
  return rng.nextUint32() % 2 ? -v : v;
}

function inputData(p: Program): Tensor[] {
  const rng = new Random(p.seed);
  return p.inputs.map(({ dtype, dist }) => {
    const n = p.M * p.N;
    if (dtype === 'i64' || dtype === 'u64') {
      const wrap = (v: bigint): bigint => (dtype === 'i64' ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v));
      const small = (): bigint => BigInt(dtype === 'u64' ? rng.nextUint32() % 101 : (rng.nextUint32() % 201) - 100);
      const data = Array.from({ length: n }, () =>
        dist === 'full' ? wrap((BigInt(rng.nextUint32()) << 32n) | BigInt(rng.nextUint32())) : dist === 'ties' ? integerNearTie(rng, dtype) : small(),
      );
      return tensor(data, { dtype, shape: [p.M, p.N] });
    }
    const data = Array.from({ length: n }, () => {
      if (dist === 'dyadic') return ((rng.nextUint32() % 33) - 16) / 4;
      if (dist === 'normal') return Math.max(-6, Math.min(6, rng.normal()));
      if (dist === 'ties') return isFloat(dtype) ? floatNearTie(rng) : Number(integerNearTie(rng, dtype));
      if (dist === 'small') return dtype.startsWith('u') ? rng.nextUint32() % 101 : (rng.nextUint32() % 201) - 100;
      const u = rng.nextUint32();
      return { i8: (u << 24) >> 24, u8: u & 255, i16: (u << 16) >> 16, u16: u & 0xffff, i32: u | 0, u32: u }[dtype as 'i8']!;
    });
    return tensor(data, { dtype, shape: [p.M, p.N] });
  });
}

function outputTensors(p: Program): Tensor[] {
  const grid = gridOf(p);
  return p.outputs.map((o) => {
    const shape = o.kind === 'atomic' ? [o.slots!] : o.kind === '2d' ? [p.M, p.N] : o.kind === 'row' ? [p.M] : o.kind === 'col' ? [grid, p.BC] : o.kind === 'scalar' ? [grid] : [grid * p.BR, p.BR];
    return zeros(shape, o.dtype);
  });
}

export type Tier = 'simulator' | 'gpu';

export interface Outcome {
  /** ok: every tier agrees; invalid: the interpreter refused the program (a generator bug); mismatch: a tier differs or fails where the interpreter does not. */
  status: 'ok' | 'invalid' | 'mismatch';
  /** What differs (or why the program is invalid). */
  detail: string;
  /** The tier that disagreed. */
  tier?: Tier;
  /** A short key for the kind of failure (the shrinker keeps it). */
  signature?: string;
}

const firstLine = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n').slice(0, 4).join(' | ');

/** Runs `p` on the interpreter and on the other tiers (the simulator, and a real GPU when one is here). */
export async function runProgram(p: Program, tiers: readonly Tier[] = defaultTiers()): Promise<Outcome> {
  let k: Kernel;
  try {
    ({ k } = await loadKernel(p));
  } catch (e) {
    return { status: 'invalid', detail: `import: ${firstLine(e)}` };
  }
  const grid = [gridOf(p)];
  const inputs = inputData(p);
  const launchArgs = (outs: Tensor[], ins: Tensor[]): unknown[] => [...ins, ...outs, p.M, p.N, p.flag, { BR: p.BR, BC: p.BC, CT: p.ct, numWarps: p.numWarps }];
  const want = outputTensors(p);
  try {
    k(grid, ...launchArgs(want, inputs.map((t) => t.clone())));
  } catch (e) {
    return { status: 'invalid', detail: `interpreter: ${firstLine(e)}` };
  }
  for (const tier of tiers) {
    const got = outputTensors(p);
    try {
      if (tier === 'simulator') simulateLaunch(k, grid, launchArgs(got, inputs.map((t) => t.clone())));
      else {
        const dev = got.map((t) => t.cuda());
        k(grid, ...launchArgs(dev, inputs.map((t) => t.cuda())));
        synchronize();
        dev.forEach((d, i) => (got[i] = d.cpu()));
      }
    } catch (e) {
      const msg = firstLine(e);
      return { status: 'mismatch', tier, detail: `${tier} failed where the interpreter ran: ${msg}`, signature: `${tier}:error:${msg.replace(/\d+/g, 'N').slice(0, 80)}` };
    }
    for (let i = 0; i < want.length; i++) {
      const o = p.outputs[i]!;
      const base = isFloat(o.dtype) ? defaultTolerance(o.dtype) : { atol: 0, rtol: 0 };
      const tol = o.fuzzy ? { atol: base.atol + o.err, rtol: base.rtol } : { atol: 0, rtol: 0 };
      const c = compare(got[i]!, want[i]!.toArray() as ArrayLike<number> | ArrayLike<bigint>, tol);
      if (!c.passed) {
        const shown = c.first.slice(0, 4).map((m) => `[${m.index.join(', ')}] ${tier} ${m.got}, interpreter ${m.want}`);
        // Small inputs are shown whole, so that a shrunk case says everything.
        const small = inputs.every((t) => t.numel <= 16) ? `; inputs: ${inputs.map((t, j) => `x${j} = [${Array.from(t.toArray() as ArrayLike<number | bigint>, String).join(', ')}]`).join(', ')}` : '';
        return {
          status: 'mismatch',
          tier,
          detail: `output o${i} (${o.dtype} ${o.kind}, ${o.fuzzy ? `atol ${tol.atol.toExponential(2)} rtol ${tol.rtol}` : 'exact'}): ${c.mismatches} of ${c.total} differ: ${shown.join('; ')}${small}`,
          signature: `${tier}:values:${o.dtype}`,
        };
      }
    }
  }
  return { status: 'ok', detail: '' };
}

export function defaultTiers(): Tier[] {
  return gpuAvailable() ? ['simulator', 'gpu'] : ['simulator'];
}

export { synchronize };
