// Triton's grouped GEMM (tutorial 08) in kt, for the tests of pointers kept as data: host tensors' addresses in
// tables of int64 that the kernel loads and converts to pointers. Shared by the interpreter's and the GPU's tests.
import { Random, kernel, roundF16, tensor, tl, type Ptr, type Tensor, type constexpr } from 'kt';

/**
 * C[g] = A[g] @ B[g] for every group g, one tile per program (grid: tiles of the largest group x groups). The
 * tables hold each group's addresses; a B address of 0 means the shared B argument. C goes through its table,
 * or with C_FLAT into `cFlat` at the group's offset. The first tile stores A's pointer back into `echo` as an int64.
 */
export const groupedGemm = kernel(function groupedGemm(
  aTable: Ptr,
  bTable: Ptr,
  cTable: Ptr,
  sizes: Ptr,
  sharedB: Ptr,
  cFlat: Ptr,
  echo: Ptr,
  BLOCK_M: constexpr,
  BLOCK_N: constexpr,
  BLOCK_K: constexpr,
  C_FLAT: constexpr<boolean>,
) {
  const g = tl.programId(1);
  const tile = tl.programId(0);
  const M = tl.load(sizes + 4 * g);
  const N = tl.load(sizes + 4 * g + 1);
  const K = tl.load(sizes + 4 * g + 2);
  const a = tl.load(aTable + g).to(tl.pointerType(tl.float16));
  const bAddress = tl.load(bTable + g);
  const b = tl.where(bAddress === 0, sharedB, bAddress.to(tl.pointerType(tl.float16)));
  if (tile === 0) tl.store(echo + g, a);
  const tilesN = tl.cdiv(N, BLOCK_N);
  const rows = tl.expandDims(tl.floordiv(tile, tilesN) * BLOCK_M + tl.arange(0, BLOCK_M), 1);
  const cols = tl.expandDims((tile % tilesN) * BLOCK_N + tl.arange(0, BLOCK_N), 0);
  let acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32);
  for (let k = 0; k < K; k += BLOCK_K) {
    const ks = k + tl.arange(0, BLOCK_K);
    const aTile = tl.load(a + rows * K + tl.expandDims(ks, 0), { mask: rows < M && tl.expandDims(ks, 0) < K, other: 0 });
    const bTile = tl.load(b + tl.expandDims(ks, 1) * N + cols, { mask: tl.expandDims(ks, 1) < K && cols < N, other: 0 });
    acc = tl.dot(aTile, bTile, acc);
  }
  const mask = rows < M && cols < N;
  if (C_FLAT) tl.store(cFlat + tl.load(sizes + 4 * g + 3) + rows * N + cols, acc.to(tl.float16), { mask });
  else tl.store(tl.load(cTable + g).to(tl.pointerType(tl.float16)) + rows * N + cols, acc.to(tl.float16), { mask });
});

export interface Group {
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** Random f16 operands A (m x k) and B (k x n) for each group. */
export function groupOperands(groups: readonly Group[], seed: number): { a: Tensor[]; b: Tensor[] } {
  const rng = new Random(seed);
  const random = (rows: number, cols: number): Tensor => tensor(Array.from({ length: rows * cols }, () => rng.normal()), { dtype: 'f16', shape: [rows, cols] });
  return { a: groups.map((gr) => random(gr.m, gr.k)), b: groups.map((gr) => random(gr.k, gr.n)) };
}

/** A @ B as the kernel computes it: f16 products summed in k order in f32, rounded to f16. */
export function referenceMatmul(a: Tensor, b: Tensor): number[] {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const [x, y] = [a.toArray() as ArrayLike<number>, b.toArray() as ArrayLike<number>];
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let q = 0; q < k; q++) acc = Math.fround(acc + x[i * k + q]! * y[q * n + j]!);
      out.push(roundF16(acc));
    }
  }
  return out;
}

/** The table of `tensors`' addresses (0 for a missing one), as a kernel loads it. */
export const pointerTable = (tensors: readonly (Tensor | undefined)[]): Tensor => tensor(tensors.map((t) => t?.dataPtr() ?? 0n), { dtype: 'i64' });

/** The sizes table: M, N, K and the offset of C in a flat output, per group. */
export function sizesTable(groups: readonly Group[]): Tensor {
  let offset = 0;
  return tensor(
    groups.flatMap((gr) => {
      const row = [gr.m, gr.n, gr.k, offset];
      offset += gr.m * gr.n;
      return row;
    }),
    { dtype: 'i32' },
  );
}

export const BLOCKS = { BLOCK_M: 16, BLOCK_N: 16, BLOCK_K: 16 };
/** The grid for `groups`: the tiles of the largest group, for each group. */
export const groupGrid = (groups: readonly Group[]): [number, number] => [Math.max(...groups.map((gr) => Math.ceil(gr.m / BLOCKS.BLOCK_M) * Math.ceil(gr.n / BLOCKS.BLOCK_N))), groups.length];
