// The textual form of the IR. One generic syntax serves every op, so the printer and the parser need no
// per-op code:
//
//   %r1, %r2 = dialect.op %a, %b {attr = 1 : i32} : type1, type2 {regions...} loc("file.ts":3:7)
//
// Result types follow ':'; an op with regions but no results prints ': ()'. A region prints its entry block's
// arguments as '^bb0(%x: f32, %y: f32):'. Functions and modules have a header form of their own.
import { TypeAttr, formatAttribute, type Attribute } from './attributes.ts';
import type { Block, Location, Operation, Region, Value } from './core.ts';
import { BlockedLayout, DotOperandLayout, Layout, NvidiaMmaLayout, SharedEncoding, SliceLayout } from './layouts.ts';
import { FunctionType, MemDescType, TensorType, type Type } from './types.ts';

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
  const printer = new Printer(options, out, layoutAliases(op));
  printer.op(op, 0, new Namer());
  return printer.aliasDefinitions() + out.join('\n') + '\n';
}

/** Names for the layouts used under `root` (#blocked, #blocked1, #slice, ...), parents before slices of them. */
function layoutAliases(root: Operation): Map<Layout, string> {
  const aliases = new Map<Layout, string>();
  const counts = new Map<string, number>();
  const add = (l: Layout): void => {
    if (aliases.has(l)) return;
    if (l instanceof SliceLayout) add(l.parent);
    if (l instanceof DotOperandLayout) add(l.parent);
    const base = l instanceof BlockedLayout ? 'blocked' : l instanceof SliceLayout ? 'slice' : l instanceof SharedEncoding ? 'shared' : l instanceof NvidiaMmaLayout ? 'mma' : l instanceof DotOperandLayout ? 'dot_op' : 'layout';
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    aliases.set(l, `#${base}${n ? n : ''}`);
  };
  const visitType = (t: Type): void => {
    if (t instanceof TensorType && t.encoding) add(t.encoding);
    if (t instanceof MemDescType) add(t.encoding);
    if (t instanceof FunctionType) [...t.inputs, ...t.results].forEach(visitType);
  };
  root.walk((op) => {
    op.results.forEach((r) => visitType(r.type));
    for (const r of op.regions) for (const b of r.blocks) b.args.forEach((a) => visitType(a.type));
    for (const a of Object.values(op.attrs)) {
      if (a instanceof Layout) add(a);
      if (a instanceof TypeAttr) visitType(a.type);
    }
  });
  return aliases;
}

class Printer {
  constructor(
    private readonly options: PrintOptions,
    private readonly out: string[],
    private readonly aliases: Map<Layout, string>,
  ) {}

  aliasDefinitions(): string {
    return [...this.aliases].map(([l, name]) => `${name} = ${this.layoutBody(l)}\n`).join('');
  }

  private layoutBody(l: Layout): string {
    if (l instanceof SliceLayout) return `#ttg.slice<{dim = ${l.dim}, parent = ${this.layout(l.parent)}}>`;
    if (l instanceof DotOperandLayout) return `#ttg.dot_op<{opIdx = ${l.opIdx}, parent = ${this.layout(l.parent)}, kWidth = ${l.kWidth}}>`;
    return l.text;
  }

  private layout(l: Layout): string {
    return this.aliases.get(l) ?? this.layoutBody(l);
  }

  type(t: Type): string {
    const dims = (shape: readonly number[]): string => shape.map((d) => `${d}x`).join('');
    if (t instanceof TensorType) return `tensor<${dims(t.shape)}${t.element.text}${t.encoding ? `, ${this.layout(t.encoding)}` : ''}>`;
    if (t instanceof MemDescType) return `!ttg.memdesc<${dims(t.shape)}${t.element.text}, ${this.layout(t.encoding)}>`;
    if (t instanceof FunctionType) {
      const res = t.results.length === 1 ? this.type(t.results[0]!) : `(${t.results.map((r) => this.type(r)).join(', ')})`;
      return `(${t.inputs.map((i) => this.type(i)).join(', ')}) -> ${res}`;
    }
    return t.text;
  }

  private attr(a: Attribute): string {
    if (a instanceof Layout) return this.layout(a);
    if (a instanceof TypeAttr) return this.type(a.type);
    if (Array.isArray(a)) return `[${a.map((x) => this.attr(x)).join(', ')}]`;
    return formatAttribute(a);
  }

  op(op: Operation, depth: number, namer: Namer): void {
    const pad = '  '.repeat(depth);
    if (op.name === 'builtin.module') {
      const attrs = Object.entries(op.attrs);
      this.out.push(`${pad}module${attrs.length ? ` attributes {${attrs.map(([k, v]) => `${k} = ${this.attr(v)}`).join(', ')}}` : ''} {`);
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
    if (attrs.length) line += ` {${attrs.map(([k, v]) => `${k} = ${this.attr(v)}`).join(', ')}}`;
    if (op.results.length) line += ' : ' + op.results.map((r) => this.type(r.type)).join(', ');
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
    const args = entry.args.map((a) => `%${namer.name(a)}: ${this.type(a.type)}`).join(', ');
    const results = fnType.results.length ? ` -> (${fnType.results.map((t) => this.type(t)).join(', ')})` : '';
    const extra = Object.entries(op.attrs).filter(([k]) => !['sym_name', 'function_type', 'sym_visibility'].includes(k));
    const attrs = extra.length ? ` attributes {${extra.map(([k, v]) => `${k} = ${this.attr(v)}`).join(', ')}}` : '';
    this.out.push(`${pad}tt.func ${visibility} @${name}(${args})${results}${attrs} {`);
    for (const inner of entry.ops) this.op(inner, depth + 1, namer);
    this.out.push(`${pad}}${this.loc(op)}`);
  }

  private region(r: Region, depth: number, namer: Namer): void {
    r.blocks.forEach((b, i) => this.block(b, i, r.blocks.length > 1 || b.args.length > 0, depth, namer));
  }

  private block(b: Block, index: number, label: boolean, depth: number, namer: Namer): void {
    if (label) {
      const args = b.args.map((a) => `%${namer.name(a)}: ${this.type(a.type)}`).join(', ');
      this.out.push(`${'  '.repeat(depth)}^bb${index}${b.args.length ? `(${args})` : ''}:`);
    }
    for (const op of b.ops) this.op(op, depth + 1, namer);
  }

  private loc(op: Operation): string {
    return this.options.locations ? ' ' + formatLoc(op.loc) : '';
  }
}
