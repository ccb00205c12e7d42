// Loading mma.sync operands with ldmatrix: one ldmatrix.x4 reads four 8x8 matrices of 16-bit units (16 bytes
// per row) for the whole warp, where ld.shared would take a load per register per thread. Whether a tile's
// register layout can be read this way from a swizzled buffer is a question about the composed linear map
// (register, lane, warp) -> element offset, answered for any operand, dtype and swizzle:
//   - plain: a register's 32-bit chunk is 4 consecutive bytes, lanes 0-3 the 4 chunks of a 16-byte row, lanes
//     4-31 (bits 2-4) the 8 rows of the matrix: what ldmatrix gives lane l (row l/4, bytes 4(l%4)..+3). This is
//     the A fragment stored K-major and the B fragment stored K-major (N x K), for 16-, 8- and 32-bit types.
//   - .trans (16-bit only): the two halves of a register and lanes 0-3 step down rows of the stored matrix,
//     lanes 4-31 along a row: an operand stored MN-major (A as K x M, B as K x N, the usual B).
// Every other register bit and every warp bit must move whole 16-byte rows. Lane 8q + i then gives the address
// of row i of matrix q, a linear function of the lane and warp bits (plus the first register's offset), and each
// result register is unpacked into the tile's elements.
import type { Operation, Value } from '../../ir/core.ts';
import { DotOperandLayout } from '../../ir/layouts.ts';
import { type MemDescType, type ScalarType, TensorType, bitWidth, i32 } from '../../ir/types.ts';
import { LANE, OFFSET, REGISTER, WARP, linearLayoutOf, sharedLinearLayoutOf } from '../linear-layout.ts';
import { elementBytes } from '../shared-memory.ts';
import type { Lowering, LoweredSmem } from './lowering.ts';

interface LdmatrixPlan {
  readonly trans: boolean;
  /** Elements per 32-bit register chunk (4 bytes). */
  readonly chunk: number;
  /** Number of chunks (registers of 32 bits) per thread. */
  readonly chunks: number;
  /** The element offset of register index r, of lane bit i, of warp bit j (lane 0, warp 0 elsewhere). */
  readonly reg: (r: number) => number;
  readonly lane: readonly number[];
  readonly warp: readonly number[];
}

const bitsOf = (n: number): number => Math.round(Math.log2(n));

/** Whether ldmatrix can read the tile `dst` from buffer `src`, and how. */
function plan(dst: TensorType, src: MemDescType): LdmatrixPlan | undefined {
  const bytes = elementBytes(src.element);
  if (![1, 2, 4].includes(bytes) || !(dst.encoding instanceof DotOperandLayout)) return undefined;
  const layout = linearLayoutOf(dst.encoding, dst.shape);
  const toOffset = sharedLinearLayoutOf(src.encoding, src.shape, bitWidth(src.element)).invert();
  const offsetOf = (dim: string, index: number): number => toOffset.apply(layout.apply({ [dim]: index }))[OFFSET]!;
  const chunk = 4 / bytes;
  const row = 16 / bytes;
  const registers = layout.inDimSize(REGISTER);
  if (layout.inDimSize(LANE) !== 32 || registers % chunk !== 0) return undefined;
  const regBits = Array.from({ length: bitsOf(registers) }, (_, i) => offsetOf(REGISTER, 2 ** i));
  const laneBits = Array.from({ length: 5 }, (_, i) => offsetOf(LANE, 2 ** i));
  const warpBits = Array.from({ length: bitsOf(layout.inDimSize(WARP)) }, (_, i) => offsetOf(WARP, 2 ** i));
  const wholeRows = (offsets: readonly number[]): boolean => offsets.every((o) => o % row === 0);
  const chunkBits = bitsOf(chunk);
  const common = { chunk, chunks: registers / chunk, lane: laneBits, warp: warpBits, reg: (r: number) => regBits.reduce((acc, o, i) => ((r >> i) & 1 ? acc ^ o : acc), 0) };
  const plain =
    regBits.slice(0, chunkBits).every((o, i) => o === 2 ** i) &&
    laneBits[0] === chunk &&
    laneBits[1] === 2 * chunk &&
    wholeRows(laneBits.slice(2)) &&
    wholeRows(regBits.slice(chunkBits)) &&
    wholeRows(warpBits);
  if (plain) return { trans: false, ...common };
  const trans = bytes === 2 && wholeRows([regBits[0]!, laneBits[0]!, laneBits[1]!]) && laneBits[2] === 1 && laneBits[3] === 2 && laneBits[4] === 4 && wholeRows(regBits.slice(1)) && wholeRows(warpBits);
  return trans ? { trans: true, ...common } : undefined;
}

/** Reads `op`'s dot-operand tile with ldmatrix, if its layout allows; false when it does not (ld.shared then). */
export function loadWithLdmatrix(lw: Lowering, op: Operation, src: LoweredSmem): boolean {
  const dst = op.result.type as TensorType;
  const p = plan(dst, src.type);
  if (!p) return false;
  const el = src.type.element as ScalarType;
  const bytes = elementBytes(el);
  const regs: Value[] = new Array(p.chunks * p.chunk);
  // Lane 8q + i gives row i of matrix q: its bits 0-2 pick the row (lanes 4-31 of the fragment for plain
  // reads; the half, then lanes 0-1, for .trans), bits 3-4 the matrix (the next chunks of registers).
  const rowBits = p.trans ? [p.reg(1), p.lane[0]!, p.lane[1]!] : [p.lane[2]!, p.lane[3]!, p.lane[4]!];
  const matrixBits = [p.reg(p.chunk), p.reg(2 * p.chunk)];
  for (let c0 = 0; c0 < p.chunks; ) {
    const num = p.chunks - c0 >= 4 ? 4 : p.chunks - c0 >= 2 ? 2 : 1;
    const offset = lw.threadLinear([...rowBits, ...matrixBits.slice(0, bitsOf(num))], p.warp, p.reg(c0 * p.chunk));
    const load = lw.b.create('gpu.ldmatrix', [lw.bufferAddress(src, offset, bytes)], Array(num).fill(i32), { num, trans: p.trans });
    load.results.forEach((packed, q) => {
      const first = (c0 + q) * p.chunk;
      const elements = p.chunk === 1 ? [lw.op1('tt.bitcast', [packed], el)] : [...lw.b.create('gpu.unpack', [packed], Array(p.chunk).fill(el)).results];
      elements.forEach((v, e) => (regs[first + e] = v));
    });
    c0 += num;
  }
  lw.setTile(op.result, lw.mapOf(dst), regs);
  return true;
}
