// The textual form of the IR. One generic syntax serves every op, so the printer and the parser need no
// per-op code:
//
//   %r1, %r2 = dialect.op %a, %b {attr = 1 : i32} : type1, type2 {regions...} loc("file.ts":3:7)
//
// Result types follow ':'; an op with regions but no results prints ': ()'. A region prints its entry block's
// arguments as '^bb0(%x: f32, %y: f32):'. Functions and modules have a header form of their own.
import { TypeAttr, formatAttribute } from './attributes.ts';
import type { Block, Location, Operation, Region, Value } from './core.ts';
import { FunctionType } from './types.ts';

export interface PrintOptions {
  /** Print each op's source location as `loc(...)`. */
  locations?: boolean;
}

/** Gives every value a unique, readable name within one top-level op (a function or module). */
class Namer {
  private readonly names = new Map<Value, string>();
  private readonly used = new Set<string>();
  private counter = 0;
  name(v: Value): string {
    let n = this.names.get(v);
    if (n !== undefined) return n;
    const hint = v.nameHint?.replace(/[^A-Za-z0-9_$.]/g, '_');
    if (hint && !/^\d/.test(hint)) {
      n = hint;
      for (let i = 1; this.used.has(n); i++) n = `${hint}_${i}`;
    } else {
      do n = String(this.counter++);
      while (this.used.has(n));
    }
    this.used.add(n);
    this.names.set(v, n);
    return n;
  }
  ref(v: Value): string {
    const n = this.names.get(v);
    // A use before its definition means the IR is broken; print it visibly rather than throw.
    return `%${n ?? `<undefined:${v.id}>`}`;
  }
}

export function formatLoc(loc: Location): string {
  const inner = (l: Location): string => {
    const here = `${JSON.stringify(l.file)}:${l.line}:${l.col}`;
    return l.callsite ? `callsite(${here} at ${inner(l.callsite)})` : here;
  };
  return `loc(${inner(loc)})`;
}

export function printOp(op: Operation, options: PrintOptions = {}): string {
  const out: string[] = [];
  new Printer(options, out).op(op, 0, new Namer());
  return out.join('\n') + '\n';
}

class Printer {
  constructor(
    private readonly options: PrintOptions,
    private readonly out: string[],
  ) {}

  op(op: Operation, depth: number, namer: Namer): void {
    const pad = '  '.repeat(depth);
    if (op.name === 'builtin.module') {
      this.out.push(`${pad}module {`);
      for (const inner of op.regions[0]!.entry.ops) this.op(inner, depth + 1, new Namer());
      this.out.push(`${pad}}`);
      return;
    }
    if (op.name === 'tt.func') return this.func(op, depth, namer);
    let line = pad;
    if (op.results.length) line += op.results.map((r) => `%${namer.name(r)}`).join(', ') + ' = ';
    line += op.name;
    if (op.operands.length) line += ' ' + op.operands.map((v) => namer.ref(v)).join(', ');
    const attrs = Object.entries(op.attrs);
    if (attrs.length) line += ` {${attrs.map(([k, v]) => `${k} = ${formatAttribute(v)}`).join(', ')}}`;
    if (op.results.length) line += ' : ' + op.results.map((r) => r.type.text).join(', ');
    else if (op.regions.length) line += ' : ()';
    if (!op.regions.length) {
      this.out.push(line + this.loc(op));
      return;
    }
    op.regions.forEach((r, i) => {
      this.out.push(`${line}${i === 0 ? ' ' : ''}{`);
      this.region(r, depth, namer);
      line = `${pad}} `;
    });
    this.out.push(`${pad}}${this.loc(op)}`);
  }

  private func(op: Operation, depth: number, namer: Namer): void {
    const pad = '  '.repeat(depth);
    const name = op.attrs['sym_name'] as string;
    const fnType = (op.attrs['function_type'] as TypeAttr).type as FunctionType;
    const visibility = (op.attrs['sym_visibility'] as string | undefined) ?? 'public';
    const entry = op.regions[0]!.entry;
    const args = entry.args.map((a) => `%${namer.name(a)}: ${a.type.text}`).join(', ');
    const results = fnType.results.length ? ` -> (${fnType.results.map((t) => t.text).join(', ')})` : '';
    const extra = Object.entries(op.attrs).filter(([k]) => !['sym_name', 'function_type', 'sym_visibility'].includes(k));
    const attrs = extra.length ? ` attributes {${extra.map(([k, v]) => `${k} = ${formatAttribute(v)}`).join(', ')}}` : '';
    this.out.push(`${pad}tt.func ${visibility} @${name}(${args})${results}${attrs} {`);
    for (const inner of entry.ops) this.op(inner, depth + 1, namer);
    this.out.push(`${pad}}${this.loc(op)}`);
  }

  private region(r: Region, depth: number, namer: Namer): void {
    r.blocks.forEach((b, i) => this.block(b, i, r.blocks.length > 1 || b.args.length > 0, depth, namer));
  }

  private block(b: Block, index: number, label: boolean, depth: number, namer: Namer): void {
    if (label) {
      const args = b.args.map((a) => `%${namer.name(a)}: ${a.type.text}`).join(', ');
      this.out.push(`${'  '.repeat(depth)}^bb${index}${b.args.length ? `(${args})` : ''}:`);
    }
    for (const op of b.ops) this.op(op, depth + 1, namer);
  }

  private loc(op: Operation): string {
    return this.options.locations ? ' ' + formatLoc(op.loc) : '';
  }
}
