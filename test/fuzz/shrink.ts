// Shrinks a failing program: drops stores (and then everything they no longer need), replaces statements by a
// cast of one of their operands, shrinks the shapes and the warp count, while the program still fails the same
// way. Every edit keeps the program valid and its comparison no stricter than before: a statement is replaced
// only by an operand whose value is at least as well known (not fuzzy, or fuzzy within the same bound; exact
// within the same bounds), and smaller shapes only lower the bounds of sums.
import { isFloat, type Expr, type Program, type Stmt, type Val } from './program.ts';
import type { Outcome } from './exec.ts';

const clone = (p: Program): Program => JSON.parse(JSON.stringify(p)) as Program;

function operands(e: Expr): string[] {
  switch (e.f) {
    case 'load':
    case 'rand':
      return [];
    case 'cast':
    case 'unary':
    case 'reduce':
    case 'scan':
      return [e.a];
    case 'binary':
    case 'dot':
    case 'scan2':
    case 'reduce2':
      return [e.a, e.b];
    case 'where':
      return [e.a, e.b, e.c];
    case 'if':
      return e.c === undefined ? [e.a, e.b] : [e.a, e.b, e.c];
  }
}

/** Removes statements nothing stored depends on, and inputs and outputs nothing uses; renumbers them. */
export function prune(p: Program): Program {
  const q = clone(p);
  const live = new Set<string>();
  for (const s of q.stmts) if (s.s !== 'let') live.add(s.value);
  for (let i = q.stmts.length - 1; i >= 0; i--) {
    const s = q.stmts[i]!;
    if (s.s === 'let' && live.has(s.name)) for (const o of operands(s.expr)) live.add(o);
  }
  q.stmts = q.stmts.filter((s) => s.s !== 'let' || live.has(s.name));
  const usedInputs = [...new Set(q.stmts.flatMap((s) => (s.s === 'let' && s.expr.f === 'load' ? [s.expr.input] : [])))].sort((a, b) => a - b);
  q.inputs = usedInputs.map((i) => q.inputs[i]!);
  for (const s of q.stmts) if (s.s === 'let' && s.expr.f === 'load') s.expr.input = usedInputs.indexOf(s.expr.input);
  const usedOutputs = q.stmts.flatMap((s) => (s.s === 'let' ? [] : [s.out]));
  q.outputs = usedOutputs.map((i) => q.outputs[i]!);
  for (const s of q.stmts) if (s.s !== 'let') s.out = usedOutputs.indexOf(s.out);
  return q;
}

/** Whether `dep` may stand in for `stmt` (cast to its dtype) without making the comparison stricter than it was. */
function mayReplace(stmt: Val, dep: Val): boolean {
  if (dep.kind !== stmt.kind) return false;
  if (dep.fuzzy && !(stmt.fuzzy && dep.err <= stmt.err && isFloat(stmt.dtype))) return false;
  if (isFloat(stmt.dtype) && stmt.exact) {
    if (!isFloat(dep.dtype)) return false;
    if (!(dep.exact && dep.bound <= stmt.bound && dep.frac <= stmt.frac)) return false;
  }
  return true;
}

/** Candidate simplifications of p, smallest first. */
function* candidates(p: Program): Generator<Program> {
  const sinks = p.stmts.map((s, i) => [s, i] as const).filter(([s]) => s.s !== 'let');
  if (sinks.length > 1) {
    for (const [, i] of sinks) {
      const q = clone(p);
      q.stmts.splice(i, 1);
      yield prune(q);
    }
  }
  const vals = new Map<string, Val>();
  const exprs = new Map<string, Expr>();
  for (const s of p.stmts) {
    if (s.s !== 'let') continue;
    vals.set(s.name, s.val);
    exprs.set(s.name, s.expr);
  }
  for (let i = p.stmts.length - 1; i >= 0; i--) {
    const s = p.stmts[i]!;
    if (s.s !== 'let' || s.expr.f === 'load' || s.expr.f === 'rand') continue;
    // Its operands, and what they are casts of (so that chains of casts collapse).
    const deps = [...new Set(operands(s.expr))];
    for (let j = 0; j < deps.length; j++) {
      const e = exprs.get(deps[j]!);
      if (e?.f === 'cast' && !deps.includes(e.a)) deps.push(e.a);
    }
    for (const d of deps) {
      if (s.expr.f === 'cast' && s.expr.a === d && vals.get(d)!.dtype === s.val.dtype) continue;
      if (!mayReplace(s.val, vals.get(d)!)) continue;
      const q = clone(p);
      (q.stmts[i] as Extract<Stmt, { s: 'let' }>).expr = { f: 'cast', a: d };
      yield prune(q);
    }
  }
  const hasDot = p.stmts.some((s) => s.s === 'let' && s.expr.f === 'dot');
  const minBlock = hasDot ? 16 : 1;
  const shapes: Partial<Program>[] = [];
  if (p.numWarps > 1) shapes.push({ numWarps: 1 }, { numWarps: p.numWarps / 2 });
  if (p.M > p.BR) shapes.push({ M: p.BR }, { M: p.M - 1 });
  if (p.BR > minBlock) shapes.push({ BR: p.BR / 2, M: Math.min(p.M, p.BR / 2) }, { BR: p.BR / 2 });
  if (p.BC > minBlock) shapes.push({ BC: p.BC / 2, N: Math.min(p.N, p.BC / 2) });
  if (p.N > 1) shapes.push({ N: Math.max(1, p.N >> 1) }, { N: p.N - 1 });
  if (p.M > 1) shapes.push({ M: Math.max(1, p.M >> 1) }, { M: p.M - 1 });
  for (const s of shapes) yield { ...clone(p), ...s };
}

const size = (p: Program): number => p.stmts.length * 1e6 + p.BR * p.BC * 10 + p.M * p.N + p.numWarps;

/**
 * Shrinks `p`, which fails with `failure`, to a smaller program that fails the same way (same signature),
 * trying at most `budget` candidates.
 */
export async function shrink(p: Program, failure: Outcome, run: (p: Program) => Promise<Outcome>, budget = 300): Promise<{ program: Program; outcome: Outcome; tried: number }> {
  let best = prune(p);
  let bestOutcome = failure;
  const first = await run(best);
  if (first.status === 'mismatch' && first.signature === failure.signature) bestOutcome = first;
  else best = p;
  let tried = 1;
  let improved = true;
  while (improved && tried < budget) {
    improved = false;
    for (const q of candidates(best)) {
      if (tried++ >= budget) break;
      if (size(q) >= size(best)) continue;
      const r = await run(q);
      if (r.status === 'mismatch' && r.signature === failure.signature) {
        best = q;
        bestOutcome = r;
        improved = true;
        break;
      }
    }
  }
  return { program: best, outcome: bestOutcome, tried };
}
