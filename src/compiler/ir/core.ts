// The IR's structure, as in MLIR: an Operation has operands, results, attributes and regions;
// a Region holds Blocks; a Block holds block arguments and a list of Operations.
// Every op carries the source location it came from, so errors at any stage can point at the user's line.
import type { Attributes } from './attributes.ts';
import type { Type } from './types.ts';

/** A position in the user's source; `callsite` is set on ops inlined from a helper function. */
export interface Location {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly callsite?: Location;
}

export const unknownLoc: Location = { file: '<unknown>', line: 0, col: 0 };

export function formatLocation(loc: Location): string {
  const here = `${loc.file}:${loc.line}:${loc.col}`;
  return loc.callsite ? `${here} (inlined at ${formatLocation(loc.callsite)})` : here;
}

/** The outermost location: where, in the kernel itself, an inlined helper was called. */
export function outermostLocation(loc: Location): Location {
  return loc.callsite ? outermostLocation(loc.callsite) : loc;
}

/** Appends `caller` to the end of `loc`'s callsite chain. */
export function inlinedAt(loc: Location, caller: Location): Location {
  return { file: loc.file, line: loc.line, col: loc.col, callsite: loc.callsite ? inlinedAt(loc.callsite, caller) : caller };
}

let nextValueId = 0;

/** An SSA value: an op's result or a block argument. */
export class Value {
  /** Unique per process; used for stable names in generated code. */
  readonly id = nextValueId++;
  constructor(
    public type: Type,
    /** A readable name from the source (a variable name), used by the printer. */
    public nameHint?: string,
  ) {}
  /** Set for op results. */
  definingOp: Operation | null = null;
  /** Set for block arguments. */
  ownerBlock: Block | null = null;
}

export class Operation {
  readonly results: Value[];
  parent: Block | null = null;
  constructor(
    public name: string,
    public operands: Value[],
    resultTypes: readonly Type[],
    public attrs: Attributes,
    public regions: Region[],
    public loc: Location,
  ) {
    this.results = resultTypes.map((t) => {
      const v = new Value(t);
      v.definingOp = this;
      return v;
    });
    for (const r of regions) r.parent = this;
  }

  get result(): Value {
    if (this.results.length !== 1) throw new Error(`${this.name} has ${this.results.length} results, not 1`);
    return this.results[0]!;
  }

  /** Visits this op and every op nested in its regions, parents before children. */
  walk(fn: (op: Operation) => void): void {
    fn(this);
    for (const r of this.regions) for (const b of r.blocks) for (const op of [...b.ops]) op.walk(fn);
  }

  /** Removes this op from its block (its results must be unused or replaced). */
  erase(): void {
    if (!this.parent) return;
    const i = this.parent.ops.indexOf(this);
    if (i >= 0) this.parent.ops.splice(i, 1);
    this.parent = null;
  }
}

export class Block {
  readonly ops: Operation[] = [];
  parent: Region | null = null;
  readonly args: Value[];
  constructor(argTypes: readonly Type[] = [], argNames: readonly (string | undefined)[] = []) {
    this.args = argTypes.map((t, i) => {
      const v = new Value(t, argNames[i]);
      v.ownerBlock = this;
      return v;
    });
  }

  addArg(type: Type, name?: string): Value {
    const v = new Value(type, name);
    v.ownerBlock = this;
    this.args.push(v);
    return v;
  }

  append(op: Operation): Operation {
    op.parent = this;
    this.ops.push(op);
    return op;
  }

  insertBefore(anchor: Operation, op: Operation): Operation {
    const i = this.ops.indexOf(anchor);
    if (i < 0) throw new Error('insertBefore: anchor is not in this block');
    op.parent = this;
    this.ops.splice(i, 0, op);
    return op;
  }

  insertAfter(anchor: Operation, op: Operation): Operation {
    const i = this.ops.indexOf(anchor);
    if (i < 0) throw new Error('insertAfter: anchor is not in this block');
    op.parent = this;
    this.ops.splice(i + 1, 0, op);
    return op;
  }

  get terminator(): Operation | undefined {
    return this.ops[this.ops.length - 1];
  }
}

export class Region {
  parent: Operation | null = null;
  constructor(public blocks: Block[] = []) {
    for (const b of blocks) b.parent = this;
  }
  get entry(): Block {
    const b = this.blocks[0];
    if (!b) throw new Error('region has no blocks');
    return b;
  }
  addBlock(b: Block): Block {
    b.parent = this;
    this.blocks.push(b);
    return b;
  }
}

/** Replaces every use of each key of `map` under `root` by its value. One walk, however many replacements. */
export function replaceUses(root: Operation, map: Map<Value, Value>): void {
  if (map.size === 0) return;
  const resolve = (v: Value): Value => {
    let r = v;
    for (let next = map.get(r); next !== undefined; next = map.get(r)) r = next;
    return r;
  };
  root.walk((op) => {
    for (let i = 0; i < op.operands.length; i++) op.operands[i] = resolve(op.operands[i]!);
  });
}

/**
 * Deep-copies `op` (with its regions), reading operands through `mapping` (values defined outside
 * the copy keep their identity unless mapped) and recording each old result and block argument's copy in it.
 */
export function cloneOperation(op: Operation, mapping: Map<Value, Value>, loc: (l: Location) => Location = (l) => l): Operation {
  const regions = op.regions.map((r) => cloneRegion(r, mapping, loc));
  const copy = new Operation(
    op.name,
    op.operands.map((v) => mapping.get(v) ?? v),
    op.results.map((r) => r.type),
    { ...op.attrs },
    regions,
    loc(op.loc),
  );
  op.results.forEach((r, i) => {
    copy.results[i]!.nameHint = r.nameHint;
    mapping.set(r, copy.results[i]!);
  });
  return copy;
}

export function cloneRegion(r: Region, mapping: Map<Value, Value>, loc: (l: Location) => Location = (l) => l): Region {
  const blocks = r.blocks.map((b) => {
    const nb = new Block(
      b.args.map((a) => a.type),
      b.args.map((a) => a.nameHint),
    );
    b.args.forEach((a, i) => mapping.set(a, nb.args[i]!));
    return nb;
  });
  r.blocks.forEach((b, i) => {
    for (const op of b.ops) blocks[i]!.append(cloneOperation(op, mapping, loc));
  });
  return new Region(blocks);
}

/** The ops under `root` that use each value. */
export function collectUses(root: Operation): Map<Value, Operation[]> {
  const uses = new Map<Value, Operation[]>();
  root.walk((op) => {
    for (const v of op.operands) {
      const list = uses.get(v);
      if (list) list.push(op);
      else uses.set(v, [op]);
    }
  });
  return uses;
}
