// The differential fuzzer in CI: a fixed budget of seeds, each a random kernel run on the interpreter and on the
// SIMT simulator (and on the GPU, where one is present), which must agree (test/fuzz/exec.ts says how closely).
// A failure names the seed: `npm run fuzz -- --seed S --count 1` reruns it, shrinks it and writes a case file
// under test/fuzz/cases/. Features with known bugs (KNOWN_BUGS in program.ts) are left out, as by the CLI.
import { afterAll, describe, expect, test } from 'vitest';
import { Random } from 'kt';
import { cleanup, runProgram } from './exec.ts';
import { MAX_FINITE, generate, render, type Program } from './program.ts';
import { prune, shrink } from './shrink.ts';
import type { Outcome } from './exec.ts';

afterAll(cleanup);

/** Seeds FIRST_SEED .. FIRST_SEED + SEEDS - 1: about 25 s on two busy cores. */
const FIRST_SEED = 1;
const SEEDS = 300;

describe('differential fuzzing: interpreter against the simulator', () => {
  test(`${SEEDS} random kernels (seeds ${FIRST_SEED} to ${FIRST_SEED + SEEDS - 1}) agree`, async () => {
    const failures: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const r = await runProgram(generate(new Random(seed), { size: 10 }));
      if (r.status !== 'ok') failures.push(`seed ${seed}: ${r.status}: ${r.detail} (rerun and shrink: npm run fuzz -- --seed ${seed} --count 1)`);
    }
    expect(failures).toEqual([]);
  }, 180_000);
});

describe('the generator', () => {
  test('covers the language: every family of statement appears within the CI seeds', () => {
    const seen = new Set<string>();
    for (let seed = FIRST_SEED; seed < FIRST_SEED + SEEDS; seed++) {
      const p = generate(new Random(seed), { size: 10 });
      for (const s of p.stmts) seen.add(s.s === 'let' ? (s.expr.f === 'reduce' || s.expr.f === 'scan' ? `${s.expr.f}:${s.expr.op}` : s.expr.f === 'if' ? `if:${s.expr.cond}` : s.expr.f) : s.s);
      for (const i of p.inputs) seen.add(`input:${i.dtype}`);
      seen.add(`warps:${p.numWarps}`);
    }
    const wanted = ['load', 'cast', 'unary', 'binary', 'where', 'dot', 'store', 'atomic', 'scan2', 'reduce2', 'rand', 'reduce:sum', 'reduce:max', 'reduce:xor', 'reduce:argmax', 'scan:cumsum', 'scan:cumprod', 'scan:first', 'scan:last', 'if:pid', 'if:data', 'if:constexpr'];
    wanted.push(...['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f16', 'bf16', 'f32'].map((d) => `input:${d}`), ...[1, 2, 4, 8].map((w) => `warps:${w}`));
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
  });

  test('makes no float sum, scan or dot that could overflow (where overflow depends on the order of the sum)', () => {
    const risky: string[] = [];
    for (let seed = 45240; seed < 45260; seed++) {
      for (const s of generate(new Random(seed), { size: 10 }).stmts) {
        if (s.s !== 'let' || !(s.expr.f === 'dot' || ((s.expr.f === 'reduce' || s.expr.f === 'scan') && (s.expr.op === 'sum' || s.expr.op === 'cumsum')))) continue;
        const max = MAX_FINITE[s.val.dtype];
        if (max !== undefined && !(s.val.bound < max)) risky.push(`seed ${seed}: ${s.name} (${s.expr.f}, bound ${s.val.bound})`);
      }
    }
    expect(risky).toEqual([]);
  });

  test('is deterministic: a seed gives the same kernel', () => {
    expect(render(generate(new Random(42)))).toBe(render(generate(new Random(42))));
    expect(render(generate(new Random(42)))).not.toBe(render(generate(new Random(43))));
  });
});

describe('the shrinker', () => {
  // A stand-in for a tier that fails whenever what the program stores depends on a sum along axis 1 over 2 or
  // more columns: the shrinker must keep that statement and drop everything else it can.
  const fails = (p: Program): boolean => p.BC >= 2 && prune(p).stmts.some((s) => s.s === 'let' && s.expr.f === 'reduce' && s.expr.op === 'sum' && s.expr.axis === 1);
  const verdict = (p: Program): Outcome => (fails(p) ? { status: 'mismatch', detail: 'stand-in', signature: 'stand-in' } : { status: 'ok', detail: '' });

  test('keeps what fails and drops the rest, down to small shapes and one warp', async () => {
    let seed = 0;
    let p: Program;
    do p = generate(new Random(++seed), { size: 12 });
    while (!fails(p) || p.stmts.length < 8);
    const s = await shrink(p, verdict(p), async (q) => verdict(q));
    expect(fails(s.program)).toBe(true);
    expect(s.program.stmts.length).toBeLessThan(p.stmts.length);
    // What is left: the load, at most a cast or two, the sum, and its store.
    expect(s.program.stmts.length).toBeLessThanOrEqual(5);
    expect([s.program.BC, s.program.numWarps, s.program.N]).toEqual([2, 1, 1]);
    expect(s.program.stmts.filter((x) => x.s !== 'let')).toHaveLength(1);
  });

  test('prune drops statements, inputs and outputs nothing stored needs, renumbering them', () => {
    let seed = 0;
    let p: Program;
    do p = generate(new Random(++seed), { size: 12 });
    while (p.inputs.length < 2 || p.outputs.length < 2);
    const q = prune({ ...p, stmts: p.stmts.filter((s, i) => s.s === 'let' || i === p.stmts.findIndex((t) => t.s !== 'let')) });
    expect(q.outputs).toHaveLength(1);
    expect(q.stmts.flatMap((s) => (s.s === 'let' ? [] : [s.out]))).toEqual([0]);
    const loads = q.stmts.flatMap((s) => (s.s === 'let' && s.expr.f === 'load' ? [s.expr.input] : []));
    expect([...loads].sort()).toEqual(q.inputs.map((_, i) => i));
  });
});
