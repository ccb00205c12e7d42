// Linear layouts, as in Triton (include/triton/Tools/LinearLayout.h): a layout is a linear map over GF(2) from
// named hardware indices (register, lane, warp; or offset in shared memory) to the coordinates of a tile
// (dim0, dim1, ...), given by the image of each power of two of each input; any other input maps to the XOR of
// the images of its set bits. One representation covers blocked and sliced tiles, tensor-core fragments and
// swizzled shared memory, so the questions a lowering asks (who holds this element, how far can a load
// vectorise, does a conversion need shared memory) become linear algebra instead of per-layout special cases.
import { BlockedLayout, DotOperandLayout, NvidiaMmaLayout, NvmmaSharedLayout, SharedLayout, SliceLayout, isBlockedRooted, keptDims, rootLayout, type Layout, type SharedEncoding } from '../ir/layouts.ts';

/** A named dimension and its size (a power of two). */
export interface Dim {
  readonly name: string;
  readonly size: number;
}

/** Per input dimension, the image of each of its bits: bases[dim][i] = L(dim = 2^i), one entry per output dimension. */
export type Bases = Readonly<Record<string, readonly (readonly number[])[]>>;

export const REGISTER = 'register';
export const LANE = 'lane';
export const WARP = 'warp';
export const OFFSET = 'offset';

/** The output dimensions of a tile layout: dim0, dim1, ... in the tile's logical order. */
export const tileOutDims = (shape: readonly number[]): Dim[] => shape.map((size, i) => ({ name: `dim${i}`, size }));

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
const log2 = (n: number): number => 31 - Math.clz32(n);
const isZeroVector = (v: readonly number[]): boolean => v.every((x) => x === 0);
const xorInto = (acc: number[], v: readonly number[]): void => {
  for (let i = 0; i < v.length; i++) acc[i]! ^= v[i]!;
};
const powersBelow = (n: number): number[] => Array.from({ length: log2(n) }, (_, i) => 2 ** i);

/**
 * Gaussian elimination over GF(2), one vector at a time. Vectors are arrays of words (one per dimension);
 * each added vector carries a tag (which inputs it came from) so that a solution can be read back as the
 * combination of inputs that produces a target.
 */
class EchelonBasis {
  /** Reduced vectors by their highest set bit; each has a distinct highest bit, so reduction terminates. */
  private readonly pivots = new Map<number, { vector: number[]; tag: number[] }>();

  get rank(): number {
    return this.pivots.size;
  }

  /** Adds a vector; false when it already lies in the span of those added before (a free variable). */
  add(vector: readonly number[], tag: readonly number[]): boolean {
    const [rest, restTag] = this.reduce(vector, tag);
    const lead = highestBit(rest);
    if (lead < 0) return false;
    this.pivots.set(lead, { vector: rest, tag: restTag });
    return true;
  }

  /** The XOR of the tags of added vectors whose XOR is `target`, or undefined if `target` is not in their span. */
  solve(target: readonly number[], emptyTag: readonly number[]): number[] | undefined {
    const [rest, tag] = this.reduce(target, emptyTag);
    return highestBit(rest) < 0 ? tag : undefined;
  }

  private reduce(vector: readonly number[], tag: readonly number[]): [number[], number[]] {
    const v = [...vector];
    const t = [...tag];
    for (let lead = highestBit(v); lead >= 0; lead = highestBit(v)) {
      const pivot = this.pivots.get(lead);
      if (!pivot) break;
      xorInto(v, pivot.vector);
      xorInto(t, pivot.tag);
    }
    return [v, t];
  }
}

/** The position of the highest set bit of a multi-word vector (word i holds bits 32i..32i+31), or -1. */
function highestBit(v: readonly number[]): number {
  for (let i = v.length - 1; i >= 0; i--) if (v[i] !== 0) return 32 * i + log2(v[i]!);
  return -1;
}

interface InDim {
  readonly name: string;
  readonly bases: readonly (readonly number[])[];
}

export class LinearLayout {
  private readonly ins: readonly InDim[];
  readonly outDims: readonly Dim[];

  /**
   * `bases` lists the input dimensions in order (object key order; names must not look like integers, which
   * JavaScript would reorder); each basis has one entry per output dimension, below that dimension's size.
   * The layout need not be surjective: a pseudo-inverse or a conversion map may reach only part of its codomain.
   */
  constructor(bases: Bases, outDims: readonly Dim[]) {
    const outNames = new Set(outDims.map((d) => d.name));
    if (outNames.size !== outDims.length) throw new Error(`repeated output dimension in [${outDims.map((d) => d.name).join(', ')}]`);
    for (const d of outDims) if (!isPowerOfTwo(d.size)) throw new Error(`output dimension ${d.name} has size ${d.size}, not a power of two`);
    this.ins = Object.entries(bases).map(([name, list]) => {
      for (const b of list) {
        if (b.length !== outDims.length) throw new Error(`a basis of ${name} has ${b.length} entries for ${outDims.length} output dimensions`);
        b.forEach((x, i) => {
          if (!Number.isInteger(x) || x < 0 || x >= outDims[i]!.size) throw new Error(`basis value ${x} of ${name} is outside ${outDims[i]!.name} (size ${outDims[i]!.size})`);
        });
      }
      return { name, bases: list.map((b) => [...b]) };
    });
    this.outDims = outDims.map((d) => ({ name: d.name, size: d.size }));
  }

  /** The layout with no dimensions: the unit of `multiply`. */
  static empty(): LinearLayout {
    return new LinearLayout({}, []);
  }

  /** L(x) = x for x below `size`. */
  static identity1D(size: number, inDim: string, outDim: string): LinearLayout {
    return new LinearLayout({ [inDim]: powersBelow(size).map((p) => [p]) }, [{ name: outDim, size }]);
  }

  /** L(x) = 0 for x below `size`: every value of `inDim` holds the same element (a broadcast). */
  static zeros1D(size: number, inDim: string, outDim: string, outDimSize = 1): LinearLayout {
    if (!isPowerOfTwo(size)) throw new Error(`input dimension ${inDim} has size ${size}, not a power of two`);
    return new LinearLayout({ [inDim]: powersBelow(size).map(() => [0]) }, [{ name: outDim, size: outDimSize }]);
  }

  get inDimNames(): string[] {
    return this.ins.map((d) => d.name);
  }

  get outDimNames(): string[] {
    return this.outDims.map((d) => d.name);
  }

  /** A copy of the bases, keyed by input dimension in order. */
  get bases(): Record<string, number[][]> {
    return Object.fromEntries(this.ins.map((d) => [d.name, d.bases.map((b) => [...b])]));
  }

  hasInDim(name: string): boolean {
    return this.ins.some((d) => d.name === name);
  }

  hasOutDim(name: string): boolean {
    return this.outDims.some((d) => d.name === name);
  }

  /** L(inDim = 2^bit), one entry per output dimension. */
  basis(inDim: string, bit: number): readonly number[] {
    const b = this.inDim(inDim).bases[bit];
    if (!b) throw new Error(`${inDim} has no bit ${bit}`);
    return b;
  }

  inDimSizeLog2(name: string): number {
    return this.inDim(name).bases.length;
  }

  inDimSize(name: string): number {
    return 2 ** this.inDimSizeLog2(name);
  }

  outDimSize(name: string): number {
    return this.outDims[this.outIndex(name)]!.size;
  }

  outDimSizeLog2(name: string): number {
    return log2(this.outDimSize(name));
  }

  get totalInSizeLog2(): number {
    return this.ins.reduce((n, d) => n + d.bases.length, 0);
  }

  get totalInSize(): number {
    return 2 ** this.totalInSizeLog2;
  }

  get totalOutSizeLog2(): number {
    return this.outDims.reduce((n, d) => n + log2(d.size), 0);
  }

  get totalOutSize(): number {
    return 2 ** this.totalOutSizeLog2;
  }

  /** The image of one input point; input dimensions left out count as 0. */
  apply(inputs: Readonly<Record<string, number>>): Record<string, number> {
    for (const name of Object.keys(inputs)) if (!this.hasInDim(name)) throw new Error(`${name} is not an input dimension of this layout`);
    const out = this.outDims.map(() => 0);
    for (const d of this.ins) {
      const x = inputs[d.name] ?? 0;
      if (!Number.isInteger(x) || x < 0 || x >= 2 ** d.bases.length) throw new Error(`${d.name} = ${x} is outside its size ${2 ** d.bases.length}`);
      d.bases.forEach((b, bit) => {
        if ((x >> bit) & 1) xorInto(out, b);
      });
    }
    return Object.fromEntries(this.outDims.map((d, i) => [d.name, out[i]!]));
  }

  /**
   * The direct sum (Triton's operator*): `this` acts on the low bits of each shared input dimension and `outer`
   * on the bits above them, and `outer`'s images sit above `this`'s in each shared output dimension. Dimensions
   * only one side has are carried over, `this`'s first.
   */
  multiply(outer: LinearLayout): LinearLayout {
    sameRelativeOrder(this.inDimNames, outer.inDimNames);
    sameRelativeOrder(this.outDimNames, outer.outDimNames);
    const inNames = [...new Set([...this.inDimNames, ...outer.inDimNames])];
    const outNames = [...new Set([...this.outDimNames, ...outer.outDimNames])];
    const outSizeLog2 = (l: LinearLayout, name: string): number => (l.hasOutDim(name) ? l.outDimSizeLog2(name) : 0);
    const embed = (l: LinearLayout, basis: readonly number[], shifted: boolean): number[] =>
      outNames.map((name) => (l.hasOutDim(name) ? basis[l.outIndex(name)]! * (shifted ? 2 ** outSizeLog2(this, name) : 1) : 0));
    const bases: Record<string, number[][]> = {};
    for (const name of inNames) {
      const inner = this.hasInDim(name) ? this.inDim(name).bases.map((b) => embed(this, b, false)) : [];
      const upper = outer.hasInDim(name) ? outer.inDim(name).bases.map((b) => embed(outer, b, true)) : [];
      bases[name] = [...inner, ...upper];
    }
    return new LinearLayout(
      bases,
      outNames.map((name) => ({ name, size: 2 ** (outSizeLog2(this, name) + outSizeLog2(outer, name)) })),
    );
  }

  /** `outer` after `this`: x -> outer(this(x)). `this`'s output dimensions are `outer`'s inputs (any order). */
  compose(outer: LinearLayout): LinearLayout {
    sameNames(this.outDimNames, outer.inDimNames, 'compose');
    for (const d of this.outDims) {
      if (d.size > outer.inDimSize(d.name)) throw new Error(`compose: ${d.name} reaches ${d.size}, beyond ${outer.inDimSize(d.name)}`);
    }
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) {
      bases[d.name] = d.bases.map((b) => {
        const image = outer.apply(Object.fromEntries(this.outDims.map((o, i) => [o.name, b[i]!])));
        return outer.outDims.map((o) => image[o.name]!);
      });
    }
    return new LinearLayout(bases, outer.outDims);
  }

  /**
   * A map C from this layout's inputs to `outer`'s inputs with this(x) = outer(C(x)): for each hardware index
   * of `this`, where `outer` holds the same element. When `outer` is a bijection C is outer⁻¹ ∘ this; otherwise a
   * choice is made. A bit that `this` broadcasts is matched with a broadcast bit of the same input dimension of
   * `outer` (the k-th with the k-th), so identical layouts give the identity and copies never hop between warps
   * or lanes for nothing; a bit with no such partner maps to 0. Among several preimages, bits of `outer`'s
   * earlier input dimensions are preferred (registers before lanes before warps: data stays in the thread).
   */
  invertAndCompose(outer: LinearLayout): LinearLayout {
    sameNames(this.outDimNames, outer.outDimNames, 'invertAndCompose');
    for (const d of this.outDims) {
      if (d.size > outer.outDimSize(d.name)) throw new Error(`invertAndCompose: ${d.name} reaches ${d.size}, beyond ${outer.outDimSize(d.name)}`);
    }
    const unit = (dim: number, bit: number): number[] => outer.ins.map((_, i) => (i === dim ? 2 ** bit : 0));
    const echelon = new EchelonBasis();
    outer.ins.forEach((d, i) => d.bases.forEach((b, bit) => echelon.add(b, unit(i, bit))));
    const noInputs = outer.ins.map(() => 0);
    const toOuterOrder = (b: readonly number[]): number[] => outer.outDims.map((o) => (this.hasOutDim(o.name) ? b[this.outIndex(o.name)]! : 0));
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) {
      const partnerDim = outer.ins.findIndex((o) => o.name === d.name);
      const partners = partnerDim < 0 ? [] : outer.ins[partnerDim]!.bases.flatMap((b, bit) => (isZeroVector(b) ? [bit] : []));
      let nextPartner = 0;
      bases[d.name] = d.bases.map((b, bit) => {
        if (isZeroVector(b)) {
          const partner = partners[nextPartner++];
          return partner === undefined ? noInputs : unit(partnerDim, partner);
        }
        const preimage = echelon.solve(toOuterOrder(b), noInputs);
        if (!preimage) throw new Error(`invertAndCompose: the element at ${d.name} = ${2 ** bit} is nowhere in the other layout`);
        return preimage;
      });
    }
    return new LinearLayout(
      bases,
      outer.ins.map((d) => ({ name: d.name, size: 2 ** d.bases.length })),
    );
  }

  /** The inverse of a bijection: from coordinates back to the hardware index that holds them. */
  invert(): LinearLayout {
    if (!this.isInvertible()) throw new Error(`only a bijection can be inverted:\n${this.toString()}`);
    return this.identityOnOutputs().invertAndCompose(this);
  }

  /**
   * A right inverse of a surjective layout: P with this(P(y)) = y. Where several inputs hold y, the one whose
   * redundant (free) bits are zero is chosen; see freeVariableMasks.
   */
  pseudoInvert(): LinearLayout {
    if (!this.isSurjective()) throw new Error(`only a surjective layout has a pseudo-inverse:\n${this.toString()}`);
    return this.identityOnOutputs().invertAndCompose(this);
  }

  /**
   * Splits the input bits, taken in order (first dimension lowest), into new dimensions. As in Triton, the
   * first dimension is the least significant.
   */
  reshapeIns(newInDims: readonly Dim[]): LinearLayout {
    const flat = this.ins.flatMap((d) => d.bases);
    if (newInDims.reduce((n, d) => n + log2(d.size), 0) !== flat.length || !newInDims.every((d) => isPowerOfTwo(d.size))) {
      throw new Error(`reshapeIns: [${newInDims.map((d) => d.size).join(', ')}] does not hold ${this.totalInSize} inputs`);
    }
    const bases: Record<string, readonly (readonly number[])[]> = {};
    let next = 0;
    for (const d of newInDims) {
      bases[d.name] = flat.slice(next, next + log2(d.size));
      next += log2(d.size);
    }
    return new LinearLayout(bases, this.outDims);
  }

  /**
   * Flattens the outputs (first dimension least significant, as Triton does) and splits them into new
   * dimensions. To flatten a row-major tile whose outputs are [dim0, dim1], transposeOuts(['dim1', 'dim0']) first.
   */
  reshapeOuts(newOutDims: readonly Dim[]): LinearLayout {
    if (newOutDims.reduce((n, d) => n * d.size, 1) !== this.totalOutSize || !newOutDims.every((d) => isPowerOfTwo(d.size))) {
      throw new Error(`reshapeOuts: [${newOutDims.map((d) => d.size).join(', ')}] does not hold ${this.totalOutSize} outputs`);
    }
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) {
      bases[d.name] = d.bases.map((b) => {
        // Arithmetic rather than shifts, so a flattened value may exceed 32 bits.
        let flat = 0;
        let scale = 1;
        b.forEach((x, i) => {
          flat += x * scale;
          scale *= this.outDims[i]!.size;
        });
        return newOutDims.map((o) => {
          const part = flat % o.size;
          flat = Math.floor(flat / o.size);
          return part;
        });
      });
    }
    return new LinearLayout(bases, newOutDims);
  }

  /** The same map with its input dimensions listed in another order (which only matters to reshapes and products). */
  transposeIns(order: readonly string[]): LinearLayout {
    sameNames(order, this.inDimNames, 'transposeIns');
    return new LinearLayout(Object.fromEntries(order.map((name) => [name, this.inDim(name).bases])), this.outDims);
  }

  /** The same map with its output dimensions listed in another order. */
  transposeOuts(order: readonly string[]): LinearLayout {
    sameNames(order, this.outDimNames, 'transposeOuts');
    const positions = order.map((name) => this.outIndex(name));
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) bases[d.name] = d.bases.map((b) => positions.map((p) => b[p]!));
    return new LinearLayout(
      bases,
      positions.map((p) => this.outDims[p]!),
    );
  }

  /**
   * The restriction to some inputs (the others held at 0) and some outputs (the others dropped). Dimensions keep
   * this layout's order and output sizes are unchanged.
   */
  sublayout(inDims: readonly string[], outDims: readonly string[]): LinearLayout {
    for (const name of inDims) this.inDim(name);
    const kept = this.outDims.flatMap((d, i) => (outDims.includes(d.name) ? [i] : []));
    if (kept.length !== new Set(outDims).size) throw new Error(`sublayout: [${outDims.join(', ')}] are not all output dimensions`);
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) if (inDims.includes(d.name)) bases[d.name] = d.bases.map((b) => kept.map((i) => b[i]!));
    return new LinearLayout(
      bases,
      kept.map((i) => this.outDims[i]!),
    );
  }

  /** Whether these inputs never move these outputs. */
  sublayoutIsZero(inDims: readonly string[], outDims: readonly string[]): boolean {
    return Object.values(this.sublayout(inDims, outDims).bases).every((list) => list.every(isZeroVector));
  }

  /** Every output is reached (the tile is covered). */
  isSurjective(): boolean {
    return this.rank() === this.totalOutSizeLog2;
  }

  /** No two inputs hold the same output (no broadcast). */
  isInjective(): boolean {
    return this.rank() === this.totalInSizeLog2;
  }

  isInvertible(): boolean {
    return this.isSurjective() && this.isInjective();
  }

  /**
   * Per input dimension, the bits that can change without changing the output: broadcast bits (threads or
   * registers holding copies). A bit is free when its image is a combination of the images of earlier bits
   * (earlier dimensions first), so of two copies the later hardware index is the redundant one.
   */
  freeVariableMasks(): Record<string, number> {
    const echelon = new EchelonBasis();
    return Object.fromEntries(
      this.ins.map((d) => {
        let mask = 0;
        d.bases.forEach((b, bit) => {
          if (!echelon.add(b, [])) mask |= 1 << bit;
        });
        return [d.name, mask];
      }),
    );
  }

  /**
   * How many consecutive values of `inDim` (from any multiple of the answer) hold consecutive coordinates
   * along `outDim`, whatever the other inputs: the widest vector access along `outDim`. The leading bits of
   * `inDim` must step along `outDim` alone, and no other bit may touch the low bits they cover.
   */
  numConsecutiveInOut(inDim: string, outDim: string): number {
    const o = this.outIndex(outDim);
    const own = this.inDim(inDim).bases;
    let run = 0;
    while (run < own.length && own[run]!.every((x, i) => x === (i === o ? 2 ** run : 0))) run++;
    let otherBits = 0;
    for (const d of this.ins) {
      d.bases.forEach((b, bit) => {
        if (d.name !== inDim || bit >= run) otherBits |= b[o]!;
      });
    }
    const trailingZeros = otherBits === 0 ? run : log2(otherBits & -otherBits);
    return 2 ** Math.min(run, trailingZeros);
  }

  /**
   * C with this = divisor.multiply(C), if there is one: `divisor` must be exactly the low bits of the input
   * dimensions it has, within the low part of the output dimensions it has, and nothing else may reach into
   * that low part. C has this layout's dimensions (the divisor's sizes divided out).
   */
  divideLeft(divisor: LinearLayout): LinearLayout | undefined {
    if (!divisor.inDimNames.every((n) => this.hasInDim(n)) || !divisor.outDimNames.every((n) => this.hasOutDim(n))) return undefined;
    if (divisor.outDims.some((d) => d.size > this.outDimSize(d.name))) return undefined;
    const divisorSize = (name: string): number => (divisor.hasOutDim(name) ? divisor.outDimSize(name) : 1);
    const bases: Record<string, number[][]> = {};
    for (const d of this.ins) {
      const low = divisor.hasInDim(d.name) ? divisor.inDim(d.name).bases : [];
      if (low.length > d.bases.length) return undefined;
      for (let bit = 0; bit < low.length; bit++) {
        const expected = this.outDims.map((o) => (divisor.hasOutDim(o.name) ? low[bit]![divisor.outIndex(o.name)]! : 0));
        if (expected.some((x, i) => x !== d.bases[bit]![i])) return undefined;
      }
      const high = d.bases.slice(low.length);
      if (high.some((b) => b.some((x, i) => x % divisorSize(this.outDims[i]!.name) !== 0))) return undefined;
      bases[d.name] = high.map((b) => b.map((x, i) => x / divisorSize(this.outDims[i]!.name)));
    }
    return new LinearLayout(
      bases,
      this.outDims.map((d) => ({ name: d.name, size: d.size / divisorSize(d.name) })),
    );
  }

  /**
   * The layout without `dim`, if it acts on `dim` as the identity and keeps `dim` apart from the other
   * dimensions (Triton's quotient). For a conversion map this says the conversion never moves data across `dim`.
   */
  quotient(dim: string): LinearLayout | undefined {
    if (!this.hasInDim(dim) || !this.hasOutDim(dim) || this.inDimSize(dim) !== this.outDimSize(dim)) return undefined;
    const otherIns = this.inDimNames.filter((n) => n !== dim);
    const otherOuts = this.outDimNames.filter((n) => n !== dim);
    const square = this.sublayout([dim], [dim]).inDim(dim).bases;
    if (!square.every((b, bit) => b[0] === 2 ** bit)) return undefined;
    if (!this.sublayoutIsZero(otherIns, [dim]) || !this.sublayoutIsZero([dim], otherOuts)) return undefined;
    return this.sublayout(otherIns, otherOuts);
  }

  /** Same dimensions in the same order, same sizes and same bases. */
  equals(other: LinearLayout): boolean {
    if (this.ins.length !== other.ins.length || this.outDims.length !== other.outDims.length) return false;
    if (this.outDims.some((d, i) => d.name !== other.outDims[i]!.name || d.size !== other.outDims[i]!.size)) return false;
    return this.ins.every((d, i) => {
      const o = other.ins[i]!;
      return d.name === o.name && d.bases.length === o.bases.length && d.bases.every((b, j) => b.every((x, k) => x === o.bases[j]![k]));
    });
  }

  /** One line per input dimension with the image of each of its bits, then the output dimensions and sizes. */
  toString(): string {
    const lines = this.ins.map((d) => `${d.name} (${2 ** d.bases.length}): ${d.bases.length ? d.bases.map((b) => `(${b.join(', ')})`).join(' ') : '-'}`);
    lines.push(`-> ${this.outDims.map((d) => `${d.name} (${d.size})`).join(', ')}`);
    return lines.join('\n');
  }

  private inDim(name: string): InDim {
    const d = this.ins.find((x) => x.name === name);
    if (!d) throw new Error(`${name} is not an input dimension of this layout (${this.inDimNames.join(', ')})`);
    return d;
  }

  private outIndex(name: string): number {
    const i = this.outDims.findIndex((d) => d.name === name);
    if (i < 0) throw new Error(`${name} is not an output dimension of this layout (${this.outDimNames.join(', ')})`);
    return i;
  }

  private rank(): number {
    const echelon = new EchelonBasis();
    for (const d of this.ins) for (const b of d.bases) echelon.add(b, []);
    return echelon.rank;
  }

  /** The identity on this layout's outputs, as a layout whose inputs are named like them. */
  private identityOnOutputs(): LinearLayout {
    return this.outDims.reduce((acc, d) => acc.multiply(LinearLayout.identity1D(d.size, d.name, d.name)), LinearLayout.empty());
  }
}

function sameNames(a: readonly string[], b: readonly string[], what: string): void {
  if (a.length !== b.length || new Set(a).size !== a.length || !a.every((n) => b.includes(n))) {
    throw new Error(`${what}: dimensions [${a.join(', ')}] and [${b.join(', ')}] differ`);
  }
}

/** multiply interleaves two dimension lists; that is only well defined when shared names keep their order. */
function sameRelativeOrder(a: readonly string[], b: readonly string[]): void {
  const common = a.filter((n) => b.includes(n));
  if (common.join() !== b.filter((n) => a.includes(n)).join()) throw new Error(`dimensions [${a.join(', ')}] and [${b.join(', ')}] share names in different orders`);
}

// ---------------------------------------------------------------------------------------------------------
// Register layouts. Each returns a layout with inputs register, lane, warp and outputs dim0..dimN-1 sized like
// the tile. Where the arrangement is larger than the tile, coordinates wrap (modulo the tile's extent, as
// TileMap does): the lanes or warps that wrap hold copies (zero bases), and registers that would only hold
// copies are dropped, so every register of a thread holds a distinct element.

const unitVector = (rank: number, dim: number, value: number): number[] => Array.from({ length: rank }, (_, d) => (d === dim ? value : 0));

function checkTileShape(shape: readonly number[]): void {
  for (const n of shape) if (!isPowerOfTwo(n)) throw new Error(`tile shape [${shape.join(', ')}] has a size that is not a power of two`);
}

/**
 * A register layout from one arrangement's bases: registers then repeat the arrangement along the dimensions
 * of `repeatOrder` (fastest first) until it covers the tile, and everything wraps to the tile.
 */
function fitToTile(shape: readonly number[], register: number[][], lane: number[][], warp: number[][], repeatOrder: readonly number[]): LinearLayout {
  checkTileShape(shape);
  const registers = [...register];
  for (const d of repeatOrder) {
    const largest = Math.max(0, ...[...register, ...lane, ...warp].map((b) => b[d]!));
    for (let covered = largest === 0 ? 1 : 2 * 2 ** log2(largest); covered < shape[d]!; covered *= 2) registers.push(unitVector(shape.length, d, covered));
  }
  // Truncating each coordinate's bits is linear, so masking every basis is the same as taking coordinates modulo the extent.
  const wrap = (b: readonly number[]): number[] => b.map((x, d) => x & (shape[d]! - 1));
  return new LinearLayout(
    {
      [REGISTER]: registers.map(wrap).filter((b) => !isZeroVector(b)),
      [LANE]: lane.map(wrap),
      [WARP]: warp.map(wrap),
    },
    tileOutDims(shape),
  );
}

/**
 * Blocked and sliced layouts, register for register as TileMap numbers them: along each root dimension in
 * `order`, first the elements a thread holds within one arrangement, then the arrangement's repetitions, and
 * the dimensions' register indices nest in `order` (the fastest dimension's are the low bits). A sliced root
 * dimension has no registers, and its lane and warp bits hold copies.
 */
function threadLayoutToLinear(layout: Layout, shape: readonly number[]): LinearLayout {
  const root = rootLayout(layout);
  const dims = keptDims(layout);
  if (dims.length !== shape.length) throw new Error(`layout ${layout.text} has rank ${dims.length}, tile has ${shape.length}`);
  checkTileShape(shape);
  const rank = shape.length;
  const tileDim = (d: number): number => dims.indexOf(d);
  const along = (d: number, value: number): number[] => (tileDim(d) < 0 ? Array<number>(rank).fill(0) : unitVector(rank, tileDim(d), value));
  const register: number[][] = [];
  const lane: number[][] = [];
  const warp: number[][] = [];
  for (const d of root.order) {
    const t = tileDim(d);
    if (t < 0) continue;
    const spt = root.sizePerThread[d]!;
    for (const e of powersBelow(spt)) register.push(unitVector(rank, t, e));
    const arrangement = spt * root.threadsPerWarp[d]! * root.warpsPerCTA[d]!;
    for (let rep = arrangement; rep < shape[t]!; rep *= 2) register.push(unitVector(rank, t, rep));
  }
  for (const d of root.order) for (const l of powersBelow(root.threadsPerWarp[d]!)) lane.push(along(d, root.sizePerThread[d]! * l));
  for (const d of root.order) for (const w of powersBelow(root.warpsPerCTA[d]!)) warp.push(along(d, root.sizePerThread[d]! * root.threadsPerWarp[d]! * w));
  return fitToTile(shape, register, lane, warp, []);
}

export function blockedToLinear(layout: BlockedLayout, shape: readonly number[]): LinearLayout {
  return threadLayoutToLinear(layout, shape);
}

/** A slice (of a blocked layout, or of a slice of one): the removed dimensions' lane and warp bits broadcast. */
export function sliceToLinear(layout: SliceLayout, shape: readonly number[]): LinearLayout {
  return threadLayoutToLinear(layout, shape);
}

/**
 * The fragment pattern of mma.sync within one warp (Triton's nvidiaMmaTile), for a tile of `outerSize` by
 * `innerSize` elements where `inner` is the dimension a 32-bit register packs: kWidth elements along `inner` in
 * a register, 4 lanes along `inner`, 8 lanes along `outer`, then registers for the rows 8 below, then registers
 * for the next kWidth*4 elements along `inner`.
 */
function mmaFragment(inner: number, outer: number, kWidth: number, outerSize: number, innerSize: number): { register: number[][]; lane: number[][] } {
  const along = (d: number, v: number): number[] => unitVector(2, d, v);
  const register = powersBelow(kWidth).map((e) => along(inner, e));
  const lane = [along(inner, kWidth), along(inner, 2 * kWidth), along(outer, 1), along(outer, 2), along(outer, 4)];
  for (let row = 8; row < outerSize; row *= 2) register.push(along(outer, row));
  for (let col = 4 * kWidth; col < innerSize; col *= 2) register.push(along(inner, col));
  return { register, lane };
}

/**
 * Warp bits, the lowest bits along order[0]: each warp takes the next per-warp tile along its dimension, except
 * along `broadcastDim`, whose warps hold copies.
 */
function warpTiling(warpsPerCTA: readonly number[], order: readonly number[], perWarp: readonly number[], broadcastDim = -1): number[][] {
  return order.flatMap((d) => powersBelow(warpsPerCTA[d]!).map((w) => (d === broadcastDim ? [0, 0] : unitVector(2, d, perWarp[d]! * w))));
}

function checkMatrix(shape: readonly number[], warpsPerCTA: readonly number[]): void {
  if (shape.length !== 2 || warpsPerCTA.length !== 2) throw new Error(`tensor-core layouts are for 2-D tiles, got [${shape.join(', ')}] over warps [${warpsPerCTA.join(', ')}]`);
  for (const w of warpsPerCTA) if (!isPowerOfTwo(w)) throw new Error(`warpsPerCTA [${warpsPerCTA.join(', ')}] is not made of powers of two`);
}

/**
 * The accumulator (C/D) of mma.sync.aligned.m16n8k16 (the same fragment for m16n8k8 and m16n8k32): per warp a
 * 16x8 tile, lane l holding row l/4 in registers 0,1 and row l/4+8 in registers 2,3, at columns 2(l%4) and
 * 2(l%4)+1 (PTX ISA, "Matrix Fragments for mma.m16n8k16", accumulator figure). Warps are numbered fastest
 * along dim1 (N), as Triton's NvidiaMma v2 layout does (row-major warp order), so the warps that share the
 * rows of A are consecutive. Repetitions over the tile then go along N first, then M (Triton's repOrder):
 * register 4(m*repsN + n) + c is fragment register c of repetition (m, n).
 */
export function mmaV2ToLinear(warpsPerCTA: readonly number[], shape: readonly number[]): LinearLayout {
  checkMatrix(shape, warpsPerCTA);
  const { register, lane } = mmaFragment(1, 0, 2, 16, 8);
  return fitToTile(shape, register, lane, warpTiling(warpsPerCTA, [1, 0], [16, 8]), [1, 0]);
}

/**
 * The accumulator of wgmma.mma_async.m64nNk16 (PTX ISA, "Matrix Fragments for wgmma.mma_async.m64nNk16", the
 * accumulator D figure): warp w%4 of a warpgroup holds rows 16(w%4)..16(w%4)+15 with the mma.sync lane pattern,
 * and for each 8-column chunk j registers 4j..4j+3 hold (r, c), (r, c+1), (r+8, c), (r+8, c+1) with r = l/4 and
 * c = 8j + 2(l%4). Warps are numbered fastest along dim0 (Triton's column-major warp order for Hopper), which
 * is what makes 4 consecutive warps one warpgroup over 64 rows; repetitions go along N first, then M.
 */
export function mmaV3ToLinear(instrN: number, warpsPerCTA: readonly number[], shape: readonly number[]): LinearLayout {
  checkMatrix(shape, warpsPerCTA);
  if (!isPowerOfTwo(instrN) || instrN < 8 || instrN > 256) throw new Error(`wgmma N = ${instrN}: a linear layout needs a power of two from 8 to 256`);
  if (warpsPerCTA[0]! % 4 !== 0) throw new Error(`wgmma needs whole warpgroups along M: warpsPerCTA [${warpsPerCTA.join(', ')}]`);
  const { register, lane } = mmaFragment(1, 0, 2, 16, instrN);
  return fitToTile(shape, register, lane, warpTiling(warpsPerCTA, [0, 1], [16, instrN]), [1, 0]);
}

/**
 * An operand of mma.sync held in registers, for an accumulator mmaV2ToLinear(warpsPerCTA, ...). `kWidth` is
 * the elements a 32-bit register packs along K: 2 for 16-bit types (m16n8k16), 4 for 8-bit (m16n8k32), 1 for
 * tf32 (m16n8k8). A (opIdx 0) is 16 x 8kWidth per warp: for f16, a0a1 row l/4 columns 2(l%4)+{0,1}, a2a3 row
 * l/4+8, a4a5 and a6a7 the same 8 columns on. B (opIdx 1) is 8kWidth x 8: b0b1 rows 2(l%4)+{0,1} column l/4,
 * b2b3 8 rows down. Warps follow the accumulator's (fastest along N); the warps that share A's rows (resp.
 * B's columns) hold copies. Repetitions go along K first, then along M (resp. N), as Triton's repOrder.
 */
export function dotOperandToLinear(mmaWarpsPerCTA: readonly number[], opIdx: 0 | 1, kWidth: number, shape: readonly number[]): LinearLayout {
  checkMatrix(shape, mmaWarpsPerCTA);
  if (![1, 2, 4].includes(kWidth)) throw new Error(`kWidth ${kWidth}: mma.sync packs 1, 2 or 4 elements in a register`);
  if (opIdx === 0) {
    const { register, lane } = mmaFragment(1, 0, kWidth, 16, 8 * kWidth);
    return fitToTile(shape, register, lane, warpTiling(mmaWarpsPerCTA, [1, 0], [16, 8 * kWidth], 1), [1, 0]);
  }
  const { register, lane } = mmaFragment(0, 1, kWidth, 8, 8 * kWidth);
  return fitToTile(shape, register, lane, warpTiling(mmaWarpsPerCTA, [1, 0], [8 * kWidth, 8], 0), [0, 1]);
}

// ---------------------------------------------------------------------------------------------------------
// Shared memory layouts: input `offset` (an element's index in the buffer) to tile coordinates.

/**
 * A swizzled shared buffer (kt's SharedLayout; Triton's swizzledSharedToLinearLayout): row-major along `order`,
 * and in row r (the index along order[1]) the groups of `vec` elements along order[0] are XOR-ed with
 * (r / perPhase) % maxPhase, so that a column of the tile spreads over banks.
 */
export function swizzledSharedToLinear(vec: number, perPhase: number, maxPhase: number, order: readonly number[], shape: readonly number[]): LinearLayout {
  checkTileShape(shape);
  if (![vec, perPhase, maxPhase].every(isPowerOfTwo)) throw new Error(`swizzle vec ${vec}, perPhase ${perPhase}, maxPhase ${maxPhase}: all must be powers of two`);
  const rank = shape.length;
  const offset = order.flatMap((d) => powersBelow(shape[d]!).map((p) => unitVector(rank, d, p)));
  if (rank >= 2) {
    const [col, row] = [order[0]!, order[1]!];
    // The row bits come right after the column bits; each also moves the column by its phase's vec-groups.
    const firstRowBit = log2(shape[col]!);
    powersBelow(shape[row]!).forEach((r, i) => {
      offset[firstRowBit + i]![col] = (vec * (Math.floor(r / perPhase) % maxPhase)) & (shape[col]! - 1);
    });
  }
  return new LinearLayout({ [OFFSET]: offset }, tileOutDims(shape));
}

/**
 * The shared layouts wgmma and TMA read (Triton's NVMMAShared / nvmmaSharedToLinearLayout), for a 2-D tile
 * whose contiguous dimension is dim1, or dim0 when `transposed`. Each row along the contiguous dimension is cut
 * into swizzle atoms of `swizzleBytes` bytes; an atom's 8 rows are stored together, and its 16-byte chunks are
 * XOR-ed with the bits of the 128-byte line index (PTX ISA, "Shared Memory Matrix Layout", swizzling modes:
 * address bits 4.. XOR bits 7..): chunk ^= row % 8 for 128B, (row / 2) % 4 for 64B, (row / 4) % 2 for 32B.
 * The next rows follow (the pattern repeats every 8 rows), then the next atom along the contiguous dimension.
 * Without swizzling (0) the tile is plainly row-major along its contiguous dimension.
 */
export function nvmmaSharedToLinear(swizzleBytes: 0 | 32 | 64 | 128, elementBits: number, transposed: boolean, shape: readonly number[]): LinearLayout {
  if (shape.length !== 2) throw new Error(`nvmma shared layouts are for 2-D tiles, got [${shape.join(', ')}]`);
  checkTileShape(shape);
  const [contiguous, strided] = transposed ? [0, 1] : [1, 0];
  const along = (d: number, v: number): number[] => unitVector(2, d, v);
  const cols = shape[contiguous]!;
  const rows = shape[strided]!;
  if (swizzleBytes === 0) {
    return new LinearLayout({ [OFFSET]: [...powersBelow(cols).map((c) => along(contiguous, c)), ...powersBelow(rows).map((r) => along(strided, r))] }, tileOutDims(shape));
  }
  if (![8, 16, 32].includes(elementBits)) throw new Error(`nvmma shared layout for ${elementBits}-bit elements`);
  const atomCols = (8 * swizzleBytes) / elementBits;
  if (cols < atomCols || rows < 8) throw new Error(`a ${swizzleBytes}B swizzle needs a tile of at least 8 x ${atomCols} (contiguous last), got ${rows} x ${cols}`);
  const chunk = 128 / elementBits;
  const perPhase = 128 / swizzleBytes;
  const maxPhase = swizzleBytes / 16;
  const offset = powersBelow(atomCols).map((c) => along(contiguous, c));
  for (const r of powersBelow(8)) {
    const b = along(strided, r);
    b[contiguous] = chunk * (Math.floor(r / perPhase) % maxPhase);
    offset.push(b);
  }
  for (let r = 8; r < rows; r *= 2) offset.push(along(strided, r));
  for (let c = atomCols; c < cols; c *= 2) offset.push(along(contiguous, c));
  return new LinearLayout({ [OFFSET]: offset }, tileOutDims(shape));
}

// ---------------------------------------------------------------------------------------------------------

/**
 * How to convert a tile between two register layouts. `map` sends each hardware index of the destination to
 * one of the source that holds the same element, reduced to the dimensions the data has to cross (warps, then
 * lanes, are removed when it never crosses them).
 */
export type LayoutConversion =
  | { readonly kind: 'none'; readonly map: LinearLayout }
  | { readonly kind: 'registers'; readonly map: LinearLayout; readonly sourceRegisters: readonly number[] }
  | { readonly kind: 'shuffle' | 'shared'; readonly map: LinearLayout };

/**
 * Which conversion two register layouts of the same tile need (as Triton's minimalCvtLayout and
 * cvtNeedsSharedMemory decide): 'none' when every thread already holds what it needs in the same registers,
 * 'registers' when only registers move within threads (then sourceRegisters[r] is the source register that
 * destination register r copies), 'shuffle' when data moves between lanes of a warp only, 'shared' when it
 * crosses warps. A 'shuffle' may still take several shuffles per register.
 */
export function classifyConversion(src: LinearLayout, dst: LinearLayout): LayoutConversion {
  const tile = (l: LinearLayout): string => l.outDims.map((d) => `${d.name}=${d.size}`).join(', ');
  if (tile(src) !== tile(dst)) throw new Error(`a layout conversion keeps the tile: [${tile(src)}] vs [${tile(dst)}]`);
  const map = dst.invertAndCompose(src);
  const withinWarps = map.quotient(WARP);
  if (!withinWarps) return { kind: 'shared', map };
  const withinLanes = withinWarps.quotient(LANE);
  if (!withinLanes) return { kind: 'shuffle', map: withinWarps };
  if (withinLanes.quotient(REGISTER)) return { kind: 'none', map: withinLanes };
  const sourceRegisters = Array.from({ length: withinLanes.inDimSize(REGISTER) }, (_, r) => withinLanes.apply({ [REGISTER]: r })[REGISTER]!);
  return { kind: 'registers', map: withinLanes, sourceRegisters };
}

// ---------------------------------------------------------------------------------------------------------
// kt's layout attributes as linear layouts.

/**
 * The linear layout of a register layout for a tile of `shape`. A slice of a tensor-core layout is its parent
 * over a tile one element wide along the sliced dimension (where everything along it collapses: lanes there
 * hold copies), with that dimension then dropped, as Triton's slice encoding is built.
 */
export function linearLayoutOf(layout: Layout, shape: readonly number[]): LinearLayout {
  if (layout instanceof BlockedLayout) return blockedToLinear(layout, shape);
  if (layout instanceof SliceLayout) {
    if (isBlockedRooted(layout)) return sliceToLinear(layout, shape);
    const parentShape = [...shape];
    parentShape.splice(layout.dim, 0, 1);
    const parent = linearLayoutOf(layout.parent, parentShape);
    const kept = parent.outDimNames.filter((_, i) => i !== layout.dim);
    const dropped = parent.sublayout(parent.inDimNames, kept);
    const bases = dropped.bases;
    // Registers that only repeated the sliced dimension now hold copies: drop them, as fitToTile does.
    return new LinearLayout({ [REGISTER]: (bases[REGISTER] ?? []).filter((b) => !isZeroVector(b)), [LANE]: bases[LANE] ?? [], [WARP]: bases[WARP] ?? [] }, tileOutDims(shape));
  }
  if (layout instanceof NvidiaMmaLayout) {
    return layout.versionMajor === 3 ? mmaV3ToLinear(layout.instrShape[1]!, layout.warpsPerCTA, shape) : mmaV2ToLinear(layout.warpsPerCTA, shape);
  }
  if (layout instanceof DotOperandLayout) return dotOperandToLinear(layout.parent.warpsPerCTA, layout.opIdx, layout.kWidth, shape);
  throw new Error(`${layout.text} is not a register layout`);
}

/** The linear layout (offset -> coordinates) of a shared-memory tile of `shape`. */
export function sharedLinearLayoutOf(layout: SharedEncoding, shape: readonly number[], elementBits: number): LinearLayout {
  if (layout instanceof SharedLayout) return swizzledSharedToLinear(layout.vec, layout.perPhase, layout.maxPhase, layout.order, shape);
  if (layout instanceof NvmmaSharedLayout) return nvmmaSharedToLinear(layout.swizzlingByteWidth, elementBits, layout.transposed, shape);
  throw new Error(`${layout.text} is not a shared layout`);
}
