// Axis analysis, as Triton's AxisInfo: for every integer or pointer value and each dimension,
//   contiguity    the length of runs of consecutive values (pointers: consecutive elements),
//   divisibility  the largest power of two known to divide the first value of each run (pointers: in bytes),
//   constancy     the length of runs of equal values.
// Seeded from the kernel's specialisation (arguments divisible by 16) and from tl.multipleOf / maxContiguous /
// maxConstancy hints; the coalescing pass and the vectorisation of loads and stores read it.
import { DenseAttr, IntegerAttr } from '../ir/attributes.ts';
import type { Block, Operation, Value } from '../ir/core.ts';
import { pointeeBytes } from '../ir/elementwise.ts';
import { IntType, PointerType, elementType, shapeOf } from '../ir/types.ts';

/** The largest divisibility tracked (what a constant 0 has). */
export const MAX_DIVISIBILITY = 2 ** 30;

export interface AxisInfo {
  readonly contiguity: readonly number[];
  readonly divisibility: readonly number[];
  readonly constancy: readonly number[];
  /** The value, when it is a known integer constant (scalar or splat). */
  readonly constant?: number;
}

const rankOf = (v: Value): number => Math.max(1, shapeOf(v.type).length);
const dimsOf = (v: Value): number[] => {
  const s = shapeOf(v.type);
  return s.length ? [...s] : [1];
};

/** The largest power of two dividing n (capped). */
export function highestPowerOf2Divisor(n: number): number {
  if (n === 0) return MAX_DIVISIBILITY;
  let d = 1;
  while (d < MAX_DIVISIBILITY && Math.abs(n) % (d * 2) === 0) d *= 2;
  return d;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Nothing known: runs of length 1, divisible by 1. */
function unknown(rank: number): AxisInfo {
  return { contiguity: Array(rank).fill(1), divisibility: Array(rank).fill(1), constancy: Array(rank).fill(1) };
}

function constantInfo(v: Value, c: number): AxisInfo {
  const dims = dimsOf(v);
  return { contiguity: dims.map(() => 1), divisibility: dims.map(() => highestPowerOf2Divisor(c)), constancy: dims, constant: c };
}

/** The weakest of two facts about one value (for loop-carried values). */
function meet(a: AxisInfo, b: AxisInfo): AxisInfo {
  return {
    contiguity: a.contiguity.map((c, i) => Math.min(c, b.contiguity[i]!)),
    divisibility: a.divisibility.map((d, i) => gcd(d, b.divisibility[i]!)),
    constancy: a.constancy.map((c, i) => Math.min(c, b.constancy[i]!)),
    constant: a.constant === b.constant ? a.constant : undefined,
  };
}

const sameInfo = (a: AxisInfo, b: AxisInfo): boolean =>
  a.constant === b.constant && [a.contiguity, a.divisibility, a.constancy].every((xs, k) => xs.every((x, i) => x === [b.contiguity, b.divisibility, b.constancy][k]![i]));

export class AxisAnalysis {
  private readonly info = new Map<Value, AxisInfo>();

  /** Analyses a tt.func; `tt.divisibility` on it lists each argument's known divisibility (0 or 1: none). */
  constructor(func: Operation) {
    const entry = func.regions[0]!.entry;
    const divs = (func.attrs['tt.divisibility'] as number[] | undefined) ?? [];
    entry.args.forEach((a, i) => {
      const d = Math.max(1, divs[i] ?? 1);
      this.info.set(a, { contiguity: [1], divisibility: [d], constancy: [1] });
    });
    this.block(entry);
  }

  get(v: Value): AxisInfo {
    return this.info.get(v) ?? unknown(rankOf(v));
  }

  private block(b: Block): void {
    for (const op of b.ops) this.op(op);
  }

  private set(v: Value, i: AxisInfo): void {
    this.info.set(v, i);
  }

  private op(op: Operation): void {
    if (op.name === 'scf.for') return this.forLoop(op);
    if (op.regions.length) {
      for (const r of op.regions) for (const b of r.blocks) this.block(b);
      // Results of branches and while loops: nothing assumed.
      op.results.forEach((r) => this.set(r, unknown(rankOf(r))));
      return;
    }
    for (const r of op.results) this.set(r, this.hinted(op, this.compute(op, r)));
  }

  /** tl.multipleOf / maxContiguous / maxConstancy hints raise what is known. */
  private hinted(op: Operation, i: AxisInfo): AxisInfo {
    const pick = (key: string, base: readonly number[]): number[] => {
      const h = op.attrs[key] as number[] | undefined;
      return base.map((x, d) => (h ? Math.max(x, h[d] ?? h[0] ?? 1) : x));
    };
    return { ...i, divisibility: pick('tt.divisibility', i.divisibility), contiguity: pick('tt.contiguity', i.contiguity), constancy: pick('tt.constancy', i.constancy) };
  }

  private forLoop(op: Operation): void {
    const body = op.regions[0]!.entry;
    const inits = op.operands.slice(3);
    const iv = body.args[0]!;
    const lb = this.get(op.operands[0]!);
    const step = this.get(op.operands[2]!);
    this.set(iv, { contiguity: [1], divisibility: [gcd(lb.divisibility[0]!, step.divisibility[0]!)], constancy: [1] });
    let carried = inits.map((v) => this.get(v));
    // Iterate to a fixed point: what holds for the initial values and after each iteration holds throughout.
    for (let round = 0; round < 8; round++) {
      body.args.slice(1).forEach((a, i) => this.set(a, carried[i]!));
      this.block(body);
      const yielded = body.terminator!.operands.map((v) => this.get(v));
      const next = carried.map((c, i) => meet(c, yielded[i]!));
      if (next.every((n, i) => sameInfo(n, carried[i]!))) break;
      carried = next;
    }
    op.results.forEach((r, i) => this.set(r, carried[i]!));
  }

  private compute(op: Operation, result: Value): AxisInfo {
    const rank = rankOf(result);
    const dims = dimsOf(result);
    const el = elementType(result.type);
    if (!(el instanceof IntType || el instanceof PointerType)) return unknown(rank);
    const [a, b] = op.operands.map((v) => this.get(v));
    switch (op.name) {
      case 'arith.constant': {
        const attr = op.attrs['value'];
        const s = attr instanceof DenseAttr ? attr.splat : attr;
        return s instanceof IntegerAttr ? constantInfo(result, Number(s.value)) : unknown(rank);
      }
      case 'tt.make_range': {
        const start = op.attrs['start'] as number;
        return { contiguity: [dims[0]!], divisibility: [highestPowerOf2Divisor(start)], constancy: [1] };
      }
      case 'tt.splat': {
        const d = a!.divisibility[0]!;
        return { contiguity: dims.map(() => 1), divisibility: dims.map(() => d), constancy: dims, constant: a!.constant };
      }
      case 'tt.broadcast': {
        const src = shapeOf(op.operands[0]!.type);
        return {
          contiguity: dims.map((_, d) => a!.contiguity[d]!),
          divisibility: dims.map((_, d) => a!.divisibility[d]!),
          constancy: dims.map((n, d) => (src[d] === 1 ? n : a!.constancy[d]!)),
          constant: a!.constant,
        };
      }
      case 'tt.expand_dims': {
        const axis = op.attrs['axis'] as number;
        const ins = <T>(xs: readonly T[], x: T): T[] => {
          const out = [...xs];
          out.splice(axis, 0, x);
          return out;
        };
        // Along the new dimension every element is a run of its own: only what holds for every element holds there.
        const everyElement = a!.contiguity.every((c) => c === 1) ? Math.min(...a!.divisibility) : 1;
        return { contiguity: ins(a!.contiguity, 1), divisibility: ins(a!.divisibility, everyElement), constancy: ins(a!.constancy, 1), constant: a!.constant };
      }
      case 'ttg.convert_layout':
        return a!;
      case 'arith.extsi':
      case 'arith.extui':
      case 'arith.trunci':
      case 'tt.bitcast':
      case 'tt.int_to_ptr':
      case 'tt.ptr_to_int':
        return a!;
      case 'arith.addi':
      case 'tt.addptr': {
        // For pointers the offset counts elements: scale its divisibility to bytes.
        const scale = op.name === 'tt.addptr' ? pointeeBytes(el as PointerType) : 1;
        return {
          contiguity: dims.map((_, d) => Math.max(Math.min(a!.contiguity[d]!, b!.constancy[d]!), Math.min(b!.contiguity[d]!, a!.constancy[d]!))),
          divisibility: dims.map((_, d) => gcd(a!.divisibility[d]!, Math.min(MAX_DIVISIBILITY, b!.divisibility[d]! * scale))),
          constancy: dims.map((_, d) => Math.min(a!.constancy[d]!, b!.constancy[d]!)),
          constant: a!.constant !== undefined && b!.constant !== undefined && scale === 1 ? a!.constant + b!.constant : undefined,
        };
      }
      case 'arith.subi':
        return {
          contiguity: dims.map((_, d) => Math.min(a!.contiguity[d]!, b!.constancy[d]!)),
          divisibility: dims.map((_, d) => gcd(a!.divisibility[d]!, b!.divisibility[d]!)),
          constancy: dims.map((_, d) => Math.min(a!.constancy[d]!, b!.constancy[d]!)),
          constant: a!.constant !== undefined && b!.constant !== undefined ? a!.constant - b!.constant : undefined,
        };
      case 'arith.muli':
        return {
          contiguity: dims.map((_, d) => (b!.constant === 1 ? a!.contiguity[d]! : a!.constant === 1 ? b!.contiguity[d]! : 1)),
          divisibility: dims.map((_, d) => Math.min(MAX_DIVISIBILITY, a!.divisibility[d]! * b!.divisibility[d]!)),
          constancy: dims.map((_, d) => Math.min(a!.constancy[d]!, b!.constancy[d]!)),
          constant: a!.constant !== undefined && b!.constant !== undefined ? a!.constant * b!.constant : undefined,
        };
      case 'arith.remsi':
      case 'arith.remui': {
        // x % m keeps the runs of x whose aligned pieces do not cross a multiple of m (x taken non-negative,
        // as offsets are: a negative x changes sign at zero).
        return {
          contiguity: dims.map((_, d) => Math.min(a!.contiguity[d]!, a!.divisibility[d]!, b!.divisibility[d]!, b!.constancy[d]!)),
          divisibility: dims.map((_, d) => gcd(a!.divisibility[d]!, b!.divisibility[d]!)),
          constancy: dims.map((_, d) => Math.min(a!.constancy[d]!, b!.constancy[d]!)),
        };
      }
      case 'arith.divsi':
      case 'arith.divui':
        return {
          contiguity: dims.map(() => 1),
          divisibility: dims.map(() => 1),
          // Unsigned x / m is constant over aligned pieces of a run of x that stay between multiples of m (signed
          // division rounds toward zero, so negative x breaks this: there only constant operands count).
          constancy: dims.map((_, d) => {
            const both = Math.min(a!.constancy[d]!, b!.constancy[d]!);
            if (op.name === 'arith.divsi' || b!.constancy[d]! <= 1) return both;
            return Math.max(both, Math.min(a!.contiguity[d]!, a!.divisibility[d]!, b!.divisibility[d]!, b!.constancy[d]!));
          }),
        };
      case 'arith.cmpi': {
        // x < n (and n > x, x >= n, n <= x) is constant over aligned pieces of a run of contiguous x, when n is
        // constant there and divisible by the piece size: the piece [kg, kg + g) lies wholly on one side of n.
        // Equality and the inclusive orders (x <= n) change inside such a piece: only constant operands count.
        const pred = op.attrs['predicate'] as string;
        const leftRuns = ['slt', 'sge', 'ult', 'uge'].includes(pred);
        const rightRuns = ['sgt', 'sle', 'ugt', 'ule'].includes(pred);
        const piece = (x: AxisInfo, n: AxisInfo, d: number): number => Math.min(x.contiguity[d]!, x.divisibility[d]!, n.divisibility[d]!, n.constancy[d]!);
        return {
          contiguity: dims.map(() => 1),
          divisibility: dims.map(() => 1),
          constancy: dims.map((_, d) => {
            const both = Math.min(a!.constancy[d]!, b!.constancy[d]!);
            return Math.max(both, leftRuns ? piece(a!, b!, d) : rightRuns ? piece(b!, a!, d) : 1);
          }),
        };
      }
      case 'arith.andi':
      case 'arith.ori':
      case 'arith.xori':
      case 'arith.select':
      case 'arith.maxsi':
      case 'arith.minsi':
      case 'arith.maxui':
      case 'arith.minui': {
        const xs = op.operands.map((v) => this.get(v));
        return { contiguity: dims.map(() => 1), divisibility: dims.map(() => 1), constancy: dims.map((_, d) => Math.min(...xs.map((x) => x.constancy[d]!))) };
      }
      case 'tt.get_program_id':
      case 'tt.get_num_programs':
        return unknown(rank);
    }
    return unknown(rank);
  }
}
