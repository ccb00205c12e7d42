// Lowering of ttng.warp_group_dot to wgmma: each warpgroup (4 consecutive warps) multiplies its 64-row slab of
// A by its share of B's columns, K steps of 32 bytes at a time, reading both from shared memory through matrix
// descriptors, into the accumulator registers of the nvidia_mma v3 layout. A synchronous dot is
// fence, the wgmmas, commit, wait 0; an asynchronous one leaves the wait to ttng.warp_group_dot_wait.
//
// A descriptor (PTX ISA, "Matrix Descriptor Format") packs the start address >> 4 (bits 0-13), the leading
// and stride byte offsets >> 4 (bits 16-29 and 32-45) and the swizzle mode (bits 62-63). The start of each
// step is the element (row, k) of the operand tile, found through the inverse of the buffer's linear layout,
// so every swizzle and either order of an operand's dimensions are handled by one computation.
import type { Operation, Value } from '../../ir/core.ts';
import { NvidiaMmaLayout, NvmmaSharedLayout } from '../../ir/layouts.ts';
import { TensorType, bitWidth, i64, type ScalarType } from '../../ir/types.ts';
import { OFFSET, sharedLinearLayoutOf, type LinearLayout } from '../linear-layout.ts';
import { elementBytes } from '../shared-memory.ts';
import type { Lowering, LoweredSmem as Smem } from './lowering.ts';


/** The swizzle field of a descriptor for a swizzle width in bytes. */
const swizzleMode: Record<number, bigint> = { 128: 1n, 64: 2n, 32: 3n };

/** wgmma's name for an operand element type. */
const wgmmaNames: Record<string, string> = { f16: 'f16', bf16: 'bf16', f32: 'tf32', i8: 's8', f8E4M3FN: 'e4m3', f8E5M2: 'e5m2' };
function wgmmaType(t: ScalarType): string {
  const name = wgmmaNames[t.text];
  if (!name) throw new Error(`lowering: wgmma of ${t.text} operands is not supported`);
  return name;
}

/**
 * The descriptors of one operand: a function of (repetition along M or N, step along K) giving the i64
 * descriptor, whose thread-dependent part (which warpgroup's rows or columns) is computed once per program.
 * `mnDim` is the operand's M or N dimension (0 for A, 1 for B), `mnBase(bit)` the element that bit `bit` of the
 * warp index moves the warpgroup's slab to along it.
 */
function descriptors(lw: Lowering, smem: Smem, mnDim: 0 | 1, warpBits: readonly { bit: number; mn: number }[]): { at: (mn: number, k: number) => Value; transposed: boolean } {
  const mt = smem.type;
  const enc = mt.encoding;
  if (!(enc instanceof NvmmaSharedLayout) || enc.swizzlingByteWidth === 0) throw new Error(`lowering: wgmma reads swizzled nvmma_shared buffers, not ${enc.text}`);
  const bytes = elementBytes(mt.element);
  const toOffset: LinearLayout = sharedLinearLayoutOf(enc, mt.shape, bitWidth(mt.element)).invert();
  const kDim = 1 - mnDim;
  const offsetOf = (mn: number, k: number): number => {
    const coords = [0, 0];
    coords[mnDim] = mn;
    coords[kDim] = k;
    if (coords.some((c, d) => c >= mt.shape[d]!)) return 0;
    return toOffset.apply({ dim0: coords[0]!, dim1: coords[1]! })[OFFSET]! * bytes;
  };
  // K-major: the contiguous dimension is K; the stride offset steps 8 rows of M (or N). MN-major: the leading
  // offset steps one swizzle atom along M (or N), the stride offset 8 rows of K.
  const kMajor = enc.contiguousDim === kDim;
  const atom = enc.swizzlingByteWidth / bytes;
  const leading = kMajor ? 0 : offsetOf(atom, 0);
  const stride = kMajor ? offsetOf(8, 0) : offsetOf(0, 8);
  const high = (BigInt(leading >> 4) << 16n) | (BigInt(stride >> 4) << 32n) | (swizzleMode[enc.swizzlingByteWidth]! << 62n);
  // The warpgroup's slab: warp-index bits moving it along M (or N), as byte offsets into the buffer.
  const terms = warpBits.map(({ bit, mn }) => ({ source: lw.warp, bit, value: offsetOf(mn, 0) }));
  const threadBits = terms.reduce((acc, t) => acc | t.value, 0);
  const key = `wgdesc|${smem.offset}|${mt.text}|${mnDim}|${warpBits.map((w) => `${w.bit}:${w.mn}`).join(',')}`;
  let base = lw.cache.get(key);
  if (!base) {
    base = lw.at(() => {
      const slab = lw.gf2Sum(terms);
      const addr = lw.add(lw.smemBase, lw.add(slab, lw.c32(smem.offset)));
      const field = lw.op1('arith.extui', [lw.and(lw.shr(addr, 4), 0x3fff)], i64);
      return lw.op1('arith.ori', [field, lw.constant(high, i64)], i64);
    });
    lw.cache.set(key, base);
  }
  // A pipeline slot chosen at run time moves the start address by its byte offset (a multiple of 1024).
  const start = smem.dynamic ? lw.op1('arith.addi', [base, lw.op1('arith.extui', [lw.shr(smem.dynamic, 4)], i64)], i64) : base;
  const at = (mn: number, k: number): Value => {
    const c = offsetOf(mn, k);
    if (c === 0) return start;
    // The step's offset shares no bits with the slab's (rows of other slabs, or columns of other atoms), so
    // it adds to the address field: the descriptor plus a constant, as ptxas likes it.
    if ((c & threadBits) !== 0) throw new Error('lowering: a wgmma step overlaps the warpgroup offset in the descriptor');
    return lw.op1('arith.addi', [start, lw.constant(BigInt(c >> 4), i64)], i64);
  };
  return { at, transposed: !kMajor };
}

/**
 * The wgmmas of a dot, in order: for each step along K, for each repetition of the warpgroups' tile, one
 * wgmma on that repetition's accumulator registers. Returns the accumulator after them.
 */
function issue(lw: Lowering, op: Operation): Value[] {
  const [aV, bV, accV] = op.operands as [Value, Value, Value];
  const a = lw.smem(aV);
  const b = lw.smem(bV);
  const acc = lw.tile(accV);
  const accType = accV.type as TensorType;
  const layout = accType.encoding as NvidiaMmaLayout;
  const [wm, wn] = layout.warpsPerCTA as [number, number];
  const instrN = layout.instrShape[1]!;
  const [M, N] = accType.shape as [number, number];
  const K = a.type.shape[1]!;
  const el = a.type.element;
  const kStep = 32 / elementBytes(el);
  const repsM = M / (16 * wm);
  const repsN = N / (instrN * wn);
  const log2 = (x: number): number => Math.round(Math.log2(x));
  // Warp w is row slab (w % wm) / 4 of its warpgroup column w / wm: bits 2.. of w move A's rows by 64 per
  // warpgroup, the bits above log2(wm) move B's columns by instrN.
  const aBits = Array.from({ length: log2(wm) - 2 }, (_, i) => ({ bit: i + 2, mn: 64 << i }));
  const bBits = Array.from({ length: log2(wn) }, (_, i) => ({ bit: log2(wm) + i, mn: instrN << i }));
  const da = descriptors(lw, a, 0, aBits);
  const db = descriptors(lw, b, 1, bBits);
  const regs = [...acc.regs];
  const perRep = instrN / 2;
  const attrs = { m: 64, n: instrN, k: kStep, aType: wgmmaType(el), bType: wgmmaType(b.type.element), transA: da.transposed, transB: db.transposed };
  lw.b.create('gpu.wgmma_fence', [], []);
  for (let kk = 0; kk < K; kk += kStep) {
    for (let mi = 0; mi < repsM; mi++) {
      for (let ni = 0; ni < repsN; ni++) {
        const base = (mi * repsN + ni) * perRep;
        const d = regs.slice(base, base + perRep);
        const w = lw.b.create('gpu.wgmma', [da.at(mi * 16 * wm, kk), db.at(ni * instrN * wn, kk), ...d], d.map((v) => v.type), attrs);
        w.results.forEach((r, i) => (regs[base + i] = r));
      }
    }
  }
  lw.b.create('gpu.wgmma_commit', [], []);
  return regs;
}

export function warpGroupDot(lw: Lowering, op: Operation): void {
  const regs = issue(lw, op);
  const map = lw.mapOf(op.result.type);
  if (op.attrs['isAsync'] === true) return lw.setTile(op.result, map, regs);
  const waited = lw.b.create('gpu.wgmma_wait', regs, regs.map((v) => v.type), { pendings: 0 });
  lw.setTile(op.result, map, [...waited.results]);
}

/** Waits for all but `pendings` groups of wgmmas; the accumulators it names are then safe to read. */
export function warpGroupDotWait(lw: Lowering, op: Operation): void {
  const tiles = op.operands.map((v) => lw.tile(v));
  const all = tiles.flatMap((t) => [...t.regs]);
  const waited = lw.b.create('gpu.wgmma_wait', all, all.map((v) => v.type), { pendings: op.attrs['pendings']! });
  let k = 0;
  op.results.forEach((r, i) => {
    const n = tiles[i]!.regs.length;
    lw.setTile(r, tiles[i]!.map, waited.results.slice(k, k + n));
    k += n;
  });
}
