// The differential fuzzer's programs: a small typed description of a kernel (a list of SSA statements over
// tiles of a few shapes, then stores), a random generator of valid ones, and a renderer to kt source.
//
// Every value carries what the comparison needs to know about it:
// - integers are compared exactly (they wrap the same way on every tier);
// - a float value is "deterministic" when it comes only from correctly rounded elementwise ops (add, sub, mul,
//   div, sqrt, casts, min/max...: the PTX uses the .rn forms, the interpreter rounds each op once, so the tiers
//   agree bit for bit), or from sums whose every partial sum is exact (dyadic inputs of bounded magnitude:
//   `exact` with `bound` and `frac` below), and is then compared exactly;
// - it is "fuzzy" when it depends on summation order (a float sum, scan, dot or atomic add that is not exact)
//   or on an approximate instruction (exp2): it then carries `err`, an absolute error bound from the README's
//   rule (a sum of n terms differs by about n * 2^-p of the sum of magnitudes; an approximate op by a few ulp),
//   and is compared with the dtype's defaultTolerance widened by `err`. Fuzzy values flow only into ops that
//   do not amplify error (neg, abs, max, min, mul, float casts, stores): no cancellation, no comparison, no
//   float-to-int cast, so that a documented rounding difference can never become a false mismatch.
import type { Random } from 'kt';

export type DT = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f16' | 'bf16' | 'f32';
export const INT_DTYPES: readonly DT[] = ['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64'];
export const FLOAT_DTYPES: readonly DT[] = ['f16', 'bf16', 'f32'];
export const isFloat = (d: DT): boolean => d === 'f16' || d === 'bf16' || d === 'f32';
/** Significand bits (with the implicit one). */
const PRECISION: Record<string, number> = { f16: 11, bf16: 8, f32: 24 };
const INT_MAGNITUDE: Record<string, number> = { i8: 128, u8: 255, i16: 32768, u16: 65535, i32: 2 ** 31, u32: 2 ** 32, i64: 2 ** 63, u64: 2 ** 64 };

/** [BR, BC] (a program's block of rows), its rows [BR], its columns [BC], one scalar, or a dot's [BR, BR]. */
export type Kind = '2d' | 'row' | 'col' | 'scalar' | 'sq';

export interface Val {
  dtype: DT;
  kind: Kind;
  /** Float only: an exact multiple of 2^-frac of magnitude at most bound, representable in dtype. */
  exact: boolean;
  bound: number;
  frac: number;
  /** Depends on summation order or approximation; err bounds the absolute difference between tiers. */
  fuzzy: boolean;
  err: number;
}

export type Expr =
  | { f: 'load'; input: number }
  | { f: 'cast'; a: string }
  | { f: 'unary'; op: 'neg' | 'not' | 'abs' | 'floor' | 'ceil' | 'sqrt' | 'exp2'; a: string }
  | { f: 'binary'; op: 'add' | 'sub' | 'mul' | 'max' | 'min' | 'and' | 'or' | 'xor' | 'shl' | 'shr' | 'div' | 'mod'; a: string; b: string }
  | { f: 'where'; a: string; b: string; c: string }
  | { f: 'reduce'; op: 'sum' | 'max' | 'min' | 'xor' | 'first' | 'argmax'; a: string; axis: 0 | 1 | null }
  | { f: 'scan'; op: 'cumsum' | 'cumprod' | 'first' | 'last'; a: string; axis: 0 | 1; reverse: boolean }
  | { f: 'dot'; a: string; b: string }
  /** Two-operand (tuple) combines: the affine recurrence x = a * x' + b (associative, not commutative), scanned; the lexicographic maximum of (a, -b), reduced (its b is kept). */
  | { f: 'scan2'; op: 'affine'; a: string; b: string; axis: 0 | 1; reverse: boolean }
  | { f: 'reduce2'; op: 'lexmax'; a: string; b: string; axis: 0 | 1 | null }
  /** Philox random numbers at the element offsets. */
  | { f: 'rand'; op: 'randint' | 'rand'; seed: number }
  | { f: 'if'; cond: 'pid' | 'data' | 'constexpr'; a: string; b: string; c?: string };

export type Stmt =
  | { s: 'let'; name: string; val: Val; expr: Expr }
  | { s: 'store'; value: string; out: number }
  | { s: 'atomic'; op: 'add' | 'max' | 'min' | 'and' | 'or' | 'xor'; value: string; out: number; slots: number };

export interface InputSpec {
  dtype: DT;
  /**
   * Floats: 'dyadic' draws k/4 for |k| <= 16 (exact sums), 'normal' draws normals clamped to [-6, 6]. Ints: 'full'
   * range or 'small'. 'ties' (f32 and integers): values at and one unit beside the rounding ties of f16, bf16 and f32,
   * where a conversion that rounds twice, or the wrong way, gives another answer.
   */
  dist: 'dyadic' | 'normal' | 'full' | 'small' | 'ties';
}

export interface OutputSpec {
  dtype: DT;
  kind: Kind | 'atomic';
  /** Atomic outputs: how many slots. */
  slots?: number;
  /** Comparison: integers and deterministic floats exactly; fuzzy floats within defaultTolerance + err. */
  fuzzy: boolean;
  err: number;
}

export interface Program {
  /** Seeds the inputs. */
  seed: number;
  M: number;
  N: number;
  BR: number;
  BC: number;
  numWarps: number;
  /** The run-time i32 argument FLAG and the constexpr CT that `if` statements test. */
  flag: number;
  ct: boolean;
  inputs: InputSpec[];
  outputs: OutputSpec[];
  stmts: Stmt[];
}

export const gridOf = (p: Program): number => Math.ceil(p.M / p.BR);

const pick = <T>(rng: Random, xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
const chance = (rng: Random, p: number): boolean => rng.next() < p;

function fits(dtype: DT, bound: number, frac: number): boolean {
  const p = PRECISION[dtype]!;
  return bound * 2 ** frac < 2 ** p && frac <= 12;
}

function floatVal(dtype: DT, kind: Kind, bound: number, frac: number, exactIn: boolean, fuzzy: boolean, err: number): Val {
  const exact = exactIn && !fuzzy && fits(dtype, bound, frac);
  return { dtype, kind, exact, bound, frac, fuzzy, err: fuzzy ? err : 0 };
}

function intVal(dtype: DT, kind: Kind): Val {
  return { dtype, kind, exact: true, bound: INT_MAGNITUDE[dtype]!, frac: 0, fuzzy: false, err: 0 };
}

const ulp = (dtype: DT, bound: number): number => bound * 2 ** (1 - (PRECISION[dtype] ?? 53));

/** The kind of a broadcast of two kinds, or undefined when they do not combine. */
function joinKind(a: Kind, b: Kind): Kind | undefined {
  if (a === b) return a;
  if (a === 'scalar') return b;
  if (b === 'scalar') return a;
  if (a === 'sq' || b === 'sq') return undefined;
  return '2d';
}

/** The largest finite value of each float dtype. */
export const MAX_FINITE: Record<string, number> = { f16: 65504, bf16: 3.3895313892515355e38, f32: 3.4028234663852886e38 };

/**
 * A sum or scan over n terms of `v` (or a dot's, with products bounded by `bound`): exact, or fuzzy with err; or
 * undefined where a partial sum could overflow, which then depends on the order of the sum (one order reaches
 * infinity, another stays finite), so the tiers may rightly differ.
 */
function summed(v: Val, dtype: DT, kind: Kind, n: number, bound: number, frac: number, exactIn: boolean, errIn: number): Val | undefined {
  if (!isFloat(dtype)) return intVal(dtype, kind);
  const total = n * bound;
  if (!(total < MAX_FINITE[dtype]!)) return undefined;
  if (exactIn && !v.fuzzy && fits(dtype, total, frac) && fits('f32', total, frac)) return floatVal(dtype, kind, total, frac, true, false, 0);
  return floatVal(dtype, kind, total, frac, false, true, n * errIn + 2 * n * ulp(dtype, total));
}

/**
 * Features with a known, not yet fixed bug: the fuzzer leaves them out by default (`npm run fuzz -- --all` puts
 * them back), so that it finds new bugs rather than the same one again; each names the regression case that
 * shows it. Remove an entry when its bug is fixed.
 */
export const KNOWN_BUGS: Readonly<Record<string, string>> = {};

export interface GenerateOptions {
  /** Statements per program, at most. */
  size?: number;
  /** Features to leave out (keys as in KNOWN_BUGS: 'reduce:first', 'scan:cumprod', ...). */
  avoid?: readonly string[];
}

/** Generates a random valid program from rng. */
export function generate(rng: Random, options: GenerateOptions = {}): Program {
  const size = options.size ?? 8;
  const avoid = new Set(options.avoid ?? Object.keys(KNOWN_BUGS));
  const allowed = <T extends string>(family: string, ops: readonly T[]): T[] => ops.filter((o) => !avoid.has(`${family}:${o}`));
  const BR = pick(rng, [1, 2, 4, 8, 16, 32]);
  const BC = pick(rng, [1, 2, 4, 8, 16, 32, 64]);
  const grid = pick(rng, [1, 1, 2, 3]);
  const M = Math.max(1, grid * BR - (chance(rng, 0.5) ? Math.floor(rng.next() * BR) : 0));
  const N = Math.max(1, BC - (chance(rng, 0.5) ? Math.floor(rng.next() * BC) : 0));
  const numWarps = pick(rng, [1, 2, 4, 8]);
  const p: Program = { seed: rng.nextUint32(), M, N, BR, BC, numWarps, flag: rng.nextUint32() % 2, ct: chance(rng, 0.5), inputs: [], outputs: [], stmts: [] };
  const vals = new Map<string, Val>();
  let counter = 0;
  const add = (val: Val, expr: Expr): string => {
    const name = `v${counter++}`;
    vals.set(name, val);
    p.stmts.push({ s: 'let', name, val, expr });
    return name;
  };
  const nInputs = 1 + Math.floor(rng.next() * 3);
  for (let i = 0; i < nInputs; i++) {
    const dtype = pick<DT>(rng, [...INT_DTYPES, ...FLOAT_DTYPES, 'f32', 'i32']);
    const draw = rng.next();
    const dist = isFloat(dtype) ? (draw < 0.6 ? 'dyadic' : dtype === 'f32' && draw < 0.75 ? 'ties' : 'normal') : draw < 0.4 ? 'full' : draw < 0.7 ? 'small' : 'ties';
    p.inputs.push({ dtype, dist });
    const val = isFloat(dtype) ? (dist === 'dyadic' ? floatVal(dtype, '2d', 4, 2, true, false, 0) : floatVal(dtype, '2d', 8, 24, false, false, 0)) : intVal(dtype, '2d');
    add(val, { f: 'load', input: i });
  }
  const names = (filter: (v: Val) => boolean): string[] => [...vals].filter(([, v]) => filter(v)).map(([n]) => n);
  const some = (filter: (v: Val) => boolean = () => true): string | undefined => {
    const ns = names(filter);
    // Prefer recent values, so that chains grow.
    return ns.length ? ns[Math.max(0, ns.length - 1 - Math.floor(rng.next() * rng.next() * ns.length))] : undefined;
  };
  const nStmts = 1 + Math.floor(rng.next() * size);
  for (let i = 0; i < nStmts; i++) {
    const what = pick(rng, ['unary', 'binary', 'binary', 'binary', 'cast', 'where', 'reduce', 'reduce', 'scan', 'scan', 'dot', 'if', 'atomic', 'tuple', 'rand']);
    const a = some()!;
    const va = vals.get(a)!;
    const fl = isFloat(va.dtype);
    if (what === 'cast') {
      const dtype = pick(rng, [...INT_DTYPES, ...FLOAT_DTYPES]);
      if (va.fuzzy && !isFloat(dtype)) continue;
      let val: Val;
      if (!isFloat(dtype)) val = intVal(dtype, va.kind);
      else if (fl) val = floatVal(dtype, va.kind, va.bound, va.frac, va.exact, va.fuzzy, va.err + ulp(dtype, va.bound));
      else val = floatVal(dtype, va.kind, INT_MAGNITUDE[va.dtype]!, 0, true, false, 0);
      add(val, { f: 'cast', a });
    } else if (what === 'unary') {
      const ops = fl ? (va.fuzzy ? (['neg', 'abs'] as const) : (['neg', 'abs', 'floor', 'ceil', 'sqrt', 'exp2'] as const)) : (['neg', 'not', 'abs'] as const);
      const op = pick(rng, ops);
      let val: Val;
      if (!fl) val = intVal(va.dtype, va.kind);
      else if (op === 'neg' || op === 'abs') val = { ...va };
      else if (op === 'floor' || op === 'ceil') val = floatVal(va.dtype, va.kind, va.bound + 1, 0, va.exact, false, 0);
      else if (op === 'sqrt') val = floatVal(va.dtype, va.kind, Math.sqrt(va.bound) + 1, 24, false, false, 0);
      else val = floatVal(va.dtype, va.kind, 256, 24, false, true, ulp(va.dtype, 256) * 4 + 256 * 2 ** -20);
      add(val, { f: 'unary', op, a });
    } else if (what === 'binary' || what === 'where') {
      const b = some((v) => v.dtype === va.dtype && joinKind(v.kind, va.kind) !== undefined) ?? a;
      const vb = vals.get(b)!;
      const kind = joinKind(va.kind, vb.kind)!;
      const fuzzy = va.fuzzy || vb.fuzzy;
      if (what === 'where') {
        if (fuzzy) continue;
        const c = some((v) => v.dtype === va.dtype && joinKind(v.kind, kind) !== undefined && !v.fuzzy) ?? a;
        const vc = vals.get(c)!;
        const k2 = joinKind(kind, vc.kind)!;
        add(fl ? floatVal(va.dtype, k2, Math.max(va.bound, vc.bound), Math.max(va.frac, vc.frac), va.exact && vc.exact, false, 0) : intVal(va.dtype, k2), { f: 'where', a, b, c });
        continue;
      }
      const ops = fl ? (fuzzy ? (['mul', 'max', 'min'] as const) : (['add', 'sub', 'mul', 'max', 'min', 'div'] as const)) : (['add', 'sub', 'mul', 'max', 'min', 'and', 'or', 'xor', 'shl', 'shr', 'div', 'mod'] as const);
      const op = pick(rng, ops);
      let val: Val;
      if (!fl) val = intVal(va.dtype, kind);
      else if (op === 'add' || op === 'sub') val = floatVal(va.dtype, kind, va.bound + vb.bound, Math.max(va.frac, vb.frac), va.exact && vb.exact, false, 0);
      else if (op === 'mul') val = floatVal(va.dtype, kind, va.bound * vb.bound, va.frac + vb.frac, va.exact && vb.exact, fuzzy, va.err * vb.bound + vb.err * va.bound + va.err * vb.err + ulp(va.dtype, va.bound * vb.bound));
      else if (op === 'div') val = floatVal(va.dtype, kind, va.bound, 24, false, false, 0);
      else val = floatVal(va.dtype, kind, Math.max(va.bound, vb.bound), Math.max(va.frac, vb.frac), va.exact && vb.exact, fuzzy, Math.max(va.err, vb.err));
      add(val, { f: 'binary', op, a, b });
    } else if (what === 'reduce') {
      if (va.kind === 'scalar' || va.kind === 'sq') continue;
      const axis: 0 | 1 | null = va.kind === '2d' ? pick(rng, [0, 1, null] as const) : 0;
      const kind: Kind = va.kind !== '2d' || axis === null ? 'scalar' : axis === 1 ? 'row' : 'col';
      const n = va.kind === 'row' ? p.BR : va.kind === 'col' ? p.BC : axis === null ? p.BR * p.BC : axis === 1 ? p.BC : p.BR;
      const ops = fl ? (va.fuzzy ? (['sum', 'max', 'min'] as const) : (['sum', 'max', 'min', 'first', 'argmax'] as const)) : (['sum', 'max', 'min', 'xor', 'first', 'argmax'] as const);
      const op = pick(rng, allowed('reduce', ops));
      if (op === 'argmax' && (va.dtype === 'i8' || va.dtype === 'u8') && avoid.has('argmax:8bit')) continue;
      let val: Val;
      if (op === 'argmax') val = intVal('i32', kind);
      else if (op === 'sum') {
        const sum = summed(va, va.dtype, kind, n, va.bound, va.frac, va.exact, va.err);
        if (!sum) continue;
        val = sum;
      }
      else val = fl ? floatVal(va.dtype, kind, va.bound, va.frac, va.exact, va.fuzzy, va.err) : intVal(va.dtype, kind);
      add(val, { f: 'reduce', op, a, axis });
    } else if (what === 'scan') {
      if (va.kind === 'scalar' || va.kind === 'sq') continue;
      const axis: 0 | 1 = va.kind === '2d' ? pick(rng, [0, 1] as const) : 0;
      const n = va.kind === 'row' ? p.BR : va.kind === 'col' ? p.BC : axis === 1 ? p.BC : p.BR;
      const ops = fl ? (va.fuzzy ? (['cumsum'] as const) : (['cumsum', 'first', 'last'] as const)) : (['cumsum', 'cumprod', 'first', 'last'] as const);
      const op = pick(rng, allowed('scan', ops));
      const val = op === 'cumsum' ? summed(va, va.dtype, va.kind, n, va.bound, va.frac, va.exact, va.err) : fl ? { ...va } : intVal(va.dtype, va.kind);
      if (!val) continue;
      add(val, { f: 'scan', op, a, axis, reverse: chance(rng, 0.3) });
    } else if (what === 'rand') {
      const op = pick(rng, ['randint', 'rand'] as const);
      if (avoid.has(`rand:${op}`)) continue;
      add(op === 'randint' ? intVal('u32', '2d') : floatVal('f32', '2d', 1, 24, false, false, 0), { f: 'rand', op, seed: rng.nextUint32() % 100000 });
    } else if (what === 'tuple') {
      // Integer operands only (float NaNs are not ordered, and sums would round).
      if (fl || va.kind === 'scalar' || va.kind === 'sq') continue;
      const b = some((v) => v.dtype === va.dtype && v.kind === va.kind) ?? a;
      if (chance(rng, 0.5)) {
        if (avoid.has('scan2:affine')) continue;
        const axis: 0 | 1 = va.kind === '2d' ? pick(rng, [0, 1] as const) : 0;
        add(intVal(va.dtype, va.kind), { f: 'scan2', op: 'affine', a, b, axis, reverse: chance(rng, 0.3) });
      } else {
        if (avoid.has('reduce2:lexmax')) continue;
        const axis: 0 | 1 | null = va.kind === '2d' ? pick(rng, [0, 1, null] as const) : 0;
        const kind: Kind = va.kind !== '2d' || axis === null ? 'scalar' : axis === 1 ? 'row' : 'col';
        add(intVal(va.dtype, kind), { f: 'reduce2', op: 'lexmax', a, b, axis });
      }
    } else if (what === 'dot') {
      if (p.BR < 16 || p.BC < 16 || va.kind !== '2d' || va.fuzzy) continue;
      const dtype = pick(rng, ['f16', 'bf16', 'f32', 'i8'] as const);
      const b = some((v) => v.kind === '2d' && !v.fuzzy) ?? a;
      const vb = vals.get(b)!;
      // The operands are cast to `dtype` first (as their own statements, so that shrinking sees them).
      const operand = (x: string, v: Val): string => {
        if (v.dtype === dtype) return x;
        if (dtype === 'i8') return add(intVal('i8', '2d'), { f: 'cast', a: x });
        if (isFloat(v.dtype)) return add(floatVal(dtype, '2d', v.bound, v.frac, v.exact, false, 0), { f: 'cast', a: x });
        return add(floatVal(dtype, '2d', INT_MAGNITUDE[v.dtype]!, 0, true, false, 0), { f: 'cast', a: x });
      };
      const [x, y] = [operand(a, va), operand(b, vb)];
      const [vx, vy] = [vals.get(x)!, vals.get(y)!];
      const out: DT = dtype === 'i8' ? 'i32' : 'f32';
      const val = out === 'i32' ? intVal('i32', 'sq') : summed(vx, 'f32', 'sq', p.BC, vx.bound * vy.bound, vx.frac + vy.frac, vx.exact && vy.exact, 0);
      if (!val) continue;
      add(val, { f: 'dot', a: x, b: y });
    } else if (what === 'if') {
      const cond = pick(rng, ['pid', 'data', 'constexpr'] as const);
      const b = some((v) => v.dtype === va.dtype && v.kind === va.kind) ?? a;
      const vb = vals.get(b)!;
      let c: string | undefined;
      if (cond === 'data') c = some((v) => (v.kind === '2d' || v.kind === 'row' || v.kind === 'col') && !v.fuzzy);
      if (cond === 'data' && c === undefined) continue;
      const fuzzy = va.fuzzy || vb.fuzzy;
      const val = fl ? floatVal(va.dtype, va.kind, Math.max(va.bound, vb.bound), Math.max(va.frac, vb.frac), va.exact && vb.exact, fuzzy, Math.max(va.err, vb.err)) : intVal(va.dtype, va.kind);
      add(val, c === undefined ? { f: 'if', cond, a, b } : { f: 'if', cond, a, b, c });
    } else {
      // Atomics on i32 (every op) or f32 (add, when every partial sum is exact) into a few slots.
      if (va.kind !== '2d' || va.fuzzy) continue;
      const f32 = fl && va.exact && fits('f32', va.bound * p.M * p.N, va.frac);
      const op = f32 ? 'add' : pick(rng, ['add', 'max', 'min', 'and', 'or', 'xor'] as const);
      if (fl && !f32) continue;
      const dtype: DT = f32 ? 'f32' : 'i32';
      const slots = pick(rng, [1, 2, 4, 8]);
      p.outputs.push({ dtype, kind: 'atomic', slots, fuzzy: false, err: 0 });
      p.stmts.push({ s: 'atomic', op, value: a, out: p.outputs.length - 1, slots });
    }
  }
  // Store the last value and a few others.
  const lets = p.stmts.filter((s): s is Extract<Stmt, { s: 'let' }> => s.s === 'let');
  const stored = new Set<string>([lets[lets.length - 1]!.name]);
  for (let i = 0; i < 2; i++) if (chance(rng, 0.5)) stored.add(pick(rng, lets).name);
  for (const name of stored) {
    const v = vals.get(name)!;
    p.outputs.push({ dtype: v.dtype, kind: v.kind, fuzzy: v.fuzzy, err: v.err });
    p.stmts.push({ s: 'store', value: name, out: p.outputs.length - 1 });
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

const CLAMP: Record<string, [number, number]> = { i8: [-100, 100], u8: [0, 100], i16: [-100, 100], u16: [0, 100], i32: [-100, 100], u32: [0, 100], i64: [-100, 100], u64: [0, 100] };

/** The expression that broadcasts `name` (of kind `from`) against a value of kind `to`. */
function widen(name: string, from: Kind, to: Kind): string {
  if (from === to || from === 'scalar' || to === 'scalar') return name;
  if (to === '2d' && from === 'row') return `tl.expandDims(${name}, 1)`;
  if (to === '2d' && from === 'col') return `tl.expandDims(${name}, 0)`;
  return name;
}

/** Renders the kernel's source (a module exporting `k`), for the given program. */
export function render(p: Program): string {
  const vals = new Map<string, Val>();
  for (const s of p.stmts) if (s.s === 'let') vals.set(s.name, s.val);
  const ins = p.inputs.map((_, i) => `x${i}: Ptr`);
  const outs = p.outputs.map((_, i) => `o${i}: Ptr`);
  const lines: string[] = [];
  lines.push(`const pid = tl.programId(0);`);
  lines.push(`const rows = pid * BR + tl.arange(0, BR);`);
  lines.push(`const cols = tl.arange(0, BC);`);
  lines.push(`const mask = tl.expandDims(rows, 1) < M && tl.expandDims(cols, 0) < N;`);
  lines.push(`const offs = tl.expandDims(rows, 1) * N + tl.expandDims(cols, 0);`);
  const kindOf = (n: string): Kind => vals.get(n)!.kind;
  for (const s of p.stmts) {
    if (s.s === 'store') {
      const o = `o${s.out}`;
      const k = kindOf(s.value);
      if (k === '2d') lines.push(`tl.store(${o} + offs, ${s.value}, { mask });`);
      else if (k === 'row') lines.push(`tl.store(${o} + rows, ${s.value}, { mask: rows < M });`);
      else if (k === 'col') lines.push(`tl.store(${o} + pid * BC + cols, ${s.value});`);
      else if (k === 'scalar') lines.push(`tl.store(${o} + pid, ${s.value});`);
      else lines.push(`tl.store(${o} + (pid * BR + tl.expandDims(tl.arange(0, BR), 1)) * BR + tl.expandDims(tl.arange(0, BR), 0), ${s.value});`);
      continue;
    }
    if (s.s === 'atomic') {
      const fn = { add: 'atomicAdd', max: 'atomicMax', min: 'atomicMin', and: 'atomicAnd', or: 'atomicOr', xor: 'atomicXor' }[s.op];
      const dt = p.outputs[s.out]!.dtype;
      lines.push(`tl.${fn}(o${s.out} + (offs % ${s.slots}), tl.cast(${s.value}, tl.${dt}), { mask });`);
      continue;
    }
    const { name, val, expr: e } = s;
    const T = `tl.${val.dtype}`;
    const cast = (x: string): string => `tl.cast(${x}, ${T})`;
    let rhs: string;
    switch (e.f) {
      case 'load':
        rhs = `tl.load(x${e.input} + offs, { mask, other: 0 })`;
        break;
      case 'cast': {
        const from = vals.get(e.a)!.dtype;
        if (isFloat(from) && !isFloat(val.dtype)) {
          const [lo, hi] = CLAMP[val.dtype]!;
          rhs = cast(`tl.minimum(tl.maximum(${e.a}, ${lo}), ${hi})`);
        } else rhs = cast(e.a);
        break;
      }
      case 'unary': {
        const a = e.a;
        const body = { neg: `-${a}`, not: `~${a}`, abs: `tl.abs(${a})`, floor: `tl.floor(${a})`, ceil: `tl.ceil(${a})`, sqrt: `tl.sqrt(tl.abs(${a}))`, exp2: `tl.exp2(tl.minimum(tl.maximum(${a}, -8), 8))` }[e.op];
        rhs = cast(body);
        break;
      }
      case 'binary': {
        const kind = val.kind;
        const a = widen(e.a, kindOf(e.a), kind);
        const b = widen(e.b, kindOf(e.b), kind);
        const fl = isFloat(val.dtype);
        const body = {
          add: `${a} + ${b}`,
          sub: `${a} - ${b}`,
          mul: `${a} * ${b}`,
          max: `tl.maximum(${a}, ${b})`,
          min: `tl.minimum(${a}, ${b})`,
          and: `${a} & ${b}`,
          or: `${a} | ${b}`,
          xor: `${a} ^ ${b}`,
          shl: `${a} << (${b} & 7)`,
          shr: `${a} >> (${b} & 7)`,
          div: fl ? `${a} / (tl.abs(${b}) + 1)` : `${a} / ((${b} & 15) + 1)`,
          mod: `${a} % ((${b} & 15) + 1)`,
        }[e.op];
        rhs = cast(body);
        break;
      }
      case 'where': {
        const k = val.kind;
        rhs = cast(`tl.where(${widen(e.a, kindOf(e.a), k)} > ${widen(e.b, kindOf(e.b), k)}, ${widen(e.a, kindOf(e.a), k)}, ${widen(e.c, kindOf(e.c), k)})`);
        break;
      }
      case 'reduce': {
        const ax = e.axis === null ? 'null' : String(e.axis);
        const body = {
          sum: `tl.sum(${e.a}, ${ax})`,
          max: `tl.max(${e.a}, ${ax})`,
          min: `tl.min(${e.a}, ${ax})`,
          xor: `tl.xorSum(${e.a}, ${ax})`,
          first: `tl.reduce(${e.a}, ${ax}, firstNonzero)`,
          argmax: `tl.argmax(${e.a}, ${ax})`,
        }[e.op];
        rhs = cast(body);
        break;
      }
      case 'scan': {
        const rev = e.reverse;
        const body = {
          cumsum: `tl.cumsum(${e.a}, { axis: ${e.axis}, reverse: ${rev} })`,
          cumprod: `tl.cumprod(${e.a}, { axis: ${e.axis}, reverse: ${rev} })`,
          first: `tl.associativeScan(${e.a}, ${e.axis}, firstNonzero, { reverse: ${rev} })`,
          last: `tl.associativeScan(${e.a}, ${e.axis}, lastNonzero, { reverse: ${rev} })`,
        }[e.op];
        rhs = cast(body);
        break;
      }
      case 'dot':
        rhs = cast(`tl.dot(${e.a}, tl.trans(${e.b}))`);
        break;
      case 'scan2':
        rhs = cast(`tl.associativeScan([${e.a}, ${e.b}], ${e.axis}, affine, { reverse: ${e.reverse} })[1]`);
        break;
      case 'reduce2':
        rhs = cast(`tl.reduce([${e.a}, ${e.b}], ${e.axis === null ? 'null' : e.axis}, lexMax)[1]`);
        break;
      case 'rand':
        rhs = cast(`tl.${e.op}(${e.seed}, offs)`);
        break;
      case 'if': {
        const cond = e.cond === 'pid' ? `pid % 2 === FLAG` : e.cond === 'constexpr' ? `CT` : `tl.max(${e.c}, null) > 0`;
        lines.push(`let ${name} = ${cast(e.a)};`);
        lines.push(`if (${cond}) {`);
        lines.push(`  ${name} = ${cast(e.b)};`);
        lines.push(`}`);
        continue;
      }
    }
    lines.push(`const ${name} = ${rhs};`);
  }
  return `// Generated by the kt differential fuzzer (test/fuzz).
import { kernel, tl, type Ptr, type i32, type constexpr } from 'kt';

/** Keeps the first nonzero operand: associative, not commutative. */
function firstNonzero(a: number, b: number) {
  return tl.where(a !== 0, a, b);
}

/** Keeps the last nonzero operand: associative, not commutative. */
function lastNonzero(a: number, b: number) {
  return tl.where(b !== 0, b, a);
}

/** Composes x -> a1 * x + b1 with x -> a2 * x + b2: associative, not commutative. */
function affine(a1: number, b1: number, a2: number, b2: number) {
  return [a1 * a2, b1 * a2 + b2];
}

/** The lexicographic maximum of (v, -p): associative and commutative. */
function lexMax(v1: number, p1: number, v2: number, p2: number) {
  const take = v1 > v2 || (v1 === v2 && p1 < p2);
  return [tl.where(take, v1, v2), tl.where(take, p1, p2)];
}

export const k = kernel(function fuzz(${[...ins, ...outs, 'M: i32', 'N: i32', 'FLAG: i32', 'BR: constexpr', 'BC: constexpr', 'CT: constexpr<boolean>'].join(', ')}) {
${lines.map((l) => `  ${l}`).join('\n')}
});
`;
}
