// From the target-independent IR (TTIR) to the GPU IR (TTGIR): every tile gets a layout. Each result gets the
// default blocked layout of its shape; reductions give slices of their input's layout, expandDims needs a slice
// of its result's; a dot's result takes the FMA layout (a rectangle of it per thread), its operands go to shared
// memory. Where an operand's layout is not the one its op needs, a ttg.convert_layout is inserted (the
// coalescing and conversion-removal passes then improve on this).
import { convertLayout } from '../ir/builder.ts';
import { Operation, type Block, type Value } from '../ir/core.ts';
import { sharedLayout, sliceLayout, type Layout } from '../ir/layouts.ts';
import { hasTrait } from '../ir/ops.ts';
import { TensorType, memDescType, withEncoding } from '../ir/types.ts';
import { blockedFor, fmaDotLayout } from '../gpu/layout-choice.ts';
import type { Pass } from './pass-manager.ts';

class Converter {
  constructor(private readonly numWarps: number) {}

  private defaultLayout(t: TensorType): Layout {
    return blockedFor(t.shape, this.numWarps);
  }

  private setLayout(v: Value, l: Layout): void {
    v.type = withEncoding(v.type as TensorType, l);
  }

  /** Gives every tensor result of `op` the default layout of its shape. */
  private defaults(op: Operation): void {
    for (const r of op.results) if (r.type instanceof TensorType) this.setLayout(r, this.defaultLayout(r.type));
  }

  /** Makes operand i of `op` have layout `l`, inserting a conversion before `op` if needed. */
  private require(op: Operation, i: number, l: Layout): void {
    const v = op.operands[i]!;
    if (!(v.type instanceof TensorType) || v.type.encoding === l) return;
    const cvt = op.parent!.insertBefore(op, convertLayout(v, l, op.loc));
    op.operands[i] = cvt.result;
  }

  /** Makes every tensor operand of `op` have the layout of its first tensor result. */
  private sameAsResult(op: Operation): void {
    const l = (op.results.find((r) => r.type instanceof TensorType)?.type as TensorType | undefined)?.encoding;
    if (l) op.operands.forEach((_, i) => this.require(op, i, l));
  }

  block(b: Block): void {
    for (const op of [...b.ops]) this.op(op);
  }

  private layoutOf(v: Value): Layout | undefined {
    return v.type instanceof TensorType ? v.type.encoding : undefined;
  }

  private op(op: Operation): void {
    switch (op.name) {
      case 'tt.broadcast':
        this.defaults(op);
        return this.sameAsResult(op);
      case 'tt.expand_dims': {
        this.defaults(op);
        const l = this.layoutOf(op.result)!;
        return this.require(op, 0, sliceLayout(op.attrs['axis'] as number, l));
      }
      case 'tt.load':
      case 'tt.store':
      case 'tt.atomic_rmw':
      case 'tt.atomic_cas': {
        const ptr = op.operands[0]!;
        if (!(ptr.type instanceof TensorType)) return;
        const l = this.defaultLayout(ptr.type);
        op.operands.forEach((_, i) => this.require(op, i, l));
        for (const r of op.results) this.setLayout(r, l);
        return;
      }
      case 'tt.dot':
        return this.dot(op);
      case 'tt.reduce': {
        const l = this.layoutOf(op.operands[0]!)!;
        op.operands.forEach((_, i) => this.require(op, i, l));
        const axis = op.attrs['axis'] as number;
        for (const r of op.results) if (r.type instanceof TensorType) this.setLayout(r, sliceLayout(axis, l));
        return;
      }
      case 'tt.scan': {
        const l = this.layoutOf(op.operands[0]!)!;
        op.operands.forEach((_, i) => this.require(op, i, l));
        for (const r of op.results) this.setLayout(r, l);
        return;
      }
      case 'tt.print': {
        // Tiles of one shape print element by element together: one layout, the first's.
        this.defaults(op);
        const tiles = op.operands.map((v, i) => [v, i] as const).filter(([v]) => v.type instanceof TensorType);
        const shapes = new Set(tiles.map(([v]) => (v.type as TensorType).shape.join('x')));
        if (tiles.length > 1 && shapes.size === 1) for (const [, i] of tiles.slice(1)) this.require(op, i, this.layoutOf(tiles[0]![0])!);
        return;
      }
      case 'scf.for':
        return this.forLoop(op);
      case 'scf.if':
        return this.ifOp(op);
      case 'scf.while':
        return this.whileLoop(op);
      case 'tt.gather':
        // The source goes through shared memory in any layout; the index is read register by register with the result.
        this.defaults(op);
        return this.require(op, 1, this.layoutOf(op.result)!);
      case 'tt.histogram':
        // The input and its mask are read register by register together.
        this.defaults(op);
        return this.require(op, 1, this.layoutOf(op.operands[0]!)!);
      case 'tt.reshape':
      case 'tt.trans':
      case 'tt.join':
      case 'tt.split':
      case 'tt.assert':
      case 'tt.assume':
        // Operands keep their layouts: these go through shared memory, or read any layout.
        return this.defaults(op);
    }
    this.defaults(op);
    if (hasTrait(op, 'elementwise')) this.sameAsResult(op);
  }

  private dot(op: Operation): void {
    const acc = fmaDotLayout((op.result.type as TensorType).shape, this.numWarps);
    this.setLayout(op.result, acc);
    this.require(op, 2, acc);
    // A is read a column at a time and B a row at a time: store A column-major and B row-major.
    ([0, 1] as const).forEach((i) => {
      const v = op.operands[i]!;
      const t = v.type as TensorType;
      const shared = sharedLayout(1, 1, 1, i === 0 ? [0, 1] : [1, 0]);
      const alloc = new Operation('ttg.local_alloc', [v], [memDescType(t.shape, t.element, shared)], {}, [], op.loc);
      op.parent!.insertBefore(op, alloc);
      op.operands[i] = alloc.result;
    });
  }

  /** Yields of a region must carry the layouts of the values they become. */
  private yieldsTo(b: Block, targets: readonly Value[], skip = 0): void {
    const term = b.terminator!;
    targets.forEach((t, i) => {
      const l = this.layoutOf(t);
      if (l) this.require(term, i + skip, l);
    });
  }

  private forLoop(op: Operation): void {
    const body = op.regions[0]!.entry;
    op.operands.slice(3).forEach((init, i) => {
      const l = this.layoutOf(init);
      if (l) {
        this.setLayout(body.args[i + 1]!, l);
        this.setLayout(op.results[i]!, l);
      }
    });
    this.block(body);
    this.yieldsTo(body, op.results);
  }

  private ifOp(op: Operation): void {
    const [thenB, elseB] = [op.regions[0]!.entry, op.regions[1]!.entry];
    this.block(thenB);
    this.block(elseB);
    thenB.terminator!.operands.forEach((v, i) => {
      const l = this.layoutOf(v);
      if (l) this.setLayout(op.results[i]!, l);
    });
    this.yieldsTo(elseB, op.results);
  }

  private whileLoop(op: Operation): void {
    const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
    op.operands.forEach((init, i) => {
      const l = this.layoutOf(init);
      if (l) this.setLayout(before.args[i]!, l);
    });
    this.block(before);
    // The condition forwards values (after its i1 operand) to the after-region and the results.
    before.terminator!.operands.slice(1).forEach((v, i) => {
      const l = this.layoutOf(v);
      if (l) {
        this.setLayout(after.args[i]!, l);
        this.setLayout(op.results[i]!, l);
      }
    });
    this.block(after);
    this.yieldsTo(after, before.args);
  }
}

export function convertToGpu(numWarps: number): Pass {
  return {
    name: 'convert-to-gpu',
    run(module: Operation): Operation {
      module.attrs['ttg.num-warps'] = numWarps;
      for (const fn of module.regions[0]!.entry.ops) new Converter(numWarps).block(fn.regions[0]!.entry);
      return module;
    },
  };
}
