// Linear layouts: the GF(2) algebra (products, composition, inverses, reshapes, free variables, vectorisation),
// agreement with TileMap for every register, lane and warp of blocked and sliced tiles, the tensor-core
// fragments against the PTX ISA's figures, the shared-memory swizzles against their address formulas, and the
// kind of conversion two register layouts need.
import { describe, expect, test } from 'vitest';
import { SliceLayout, blockedLayout, sliceLayout, type BlockedLayout } from '../../src/compiler/ir/layouts.ts';
import { TileMap } from '../../src/compiler/gpu/tile-map.ts';
import {
  LANE,
  LinearLayout,
  OFFSET,
  REGISTER,
  WARP,
  blockedToLinear,
  classifyConversion,
  dotOperandToLinear,
  mmaV2ToLinear,
  mmaV3ToLinear,
  nvmmaSharedToLinear,
  sliceToLinear,
  swizzledSharedToLinear,
} from '../../src/compiler/gpu/linear-layout.ts';

/** Every input point of a layout, as records. */
function allInputs(ll: LinearLayout): Record<string, number>[] {
  let points: Record<string, number>[] = [{}];
  for (const name of ll.inDimNames) {
    const size = ll.inDimSize(name);
    points = points.flatMap((p) => Array.from({ length: size }, (_, x) => ({ ...p, [name]: x })));
  }
  return points;
}

const coordinates = (ll: LinearLayout, inputs: Record<string, number>): number[] => {
  const out = ll.apply(inputs);
  return ll.outDimNames.map((n) => out[n]!);
};

/** How many hardware indices hold each element of the tile, keyed "i,j,...". */
function holders(ll: LinearLayout): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of allInputs(ll)) {
    const key = coordinates(ll, p).join();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

function expectEachElementHeld(ll: LinearLayout, shape: readonly number[], times: number): void {
  const counts = holders(ll);
  expect(counts.size).toBe(numel(shape));
  for (const c of counts.values()) expect(c).toBe(times);
}

/** Whether layout(x) = other(map(x)) for every input x of `layout`. */
function expectMapSendsToSameElement(layout: LinearLayout, other: LinearLayout, map: LinearLayout): void {
  for (const p of allInputs(layout)) {
    const there = map.apply(p);
    expect(coordinates(other, there), JSON.stringify(p)).toEqual(coordinates(layout, p));
  }
}

describe('algebra', () => {
  test('identity, zeros and apply', () => {
    const id = LinearLayout.identity1D(8, 'i', 'o');
    expect(id.apply({ i: 5 })).toEqual({ o: 5 });
    expect(LinearLayout.zeros1D(8, 'i', 'o').apply({ i: 7 })).toEqual({ o: 0 });
    const swizzle = new LinearLayout({ t: [[1, 1], [2, 2]], w: [[0, 1], [0, 2]] }, [{ name: 'x', size: 4 }, { name: 'y', size: 4 }]);
    // The table of Triton's header comment: (t, w) -> (t, t xor w).
    for (let t = 0; t < 4; t++) for (let w = 0; w < 4; w++) expect(swizzle.apply({ t, w })).toEqual({ x: t, y: t ^ w });
    expect(swizzle.totalInSize).toBe(16);
    expect(swizzle.inDimSizeLog2('t')).toBe(2);
    expect(swizzle.outDimSize('y')).toBe(4);
    expect(() => swizzle.apply({ t: 4 })).toThrow(/outside/);
    expect(() => new LinearLayout({ i: [[4]] }, [{ name: 'o', size: 4 }])).toThrow(/outside/);
    expect(() => new LinearLayout({ i: [[1]] }, [{ name: 'o', size: 3 }])).toThrow(/power of two/);
  });

  test('multiply is the direct sum, as Triton documents it', () => {
    const id = (n: number, i: string, o: string) => LinearLayout.identity1D(n, i, o);
    const zeros = (n: number, i: string, o: string) => LinearLayout.zeros1D(n, i, o);
    expect(id(4, 'i', 'o').multiply(id(2, 'i', 'o')).equals(id(8, 'i', 'o'))).toBe(true);
    const mod4 = id(4, 'i', 'o').multiply(zeros(2, 'i', 'o'));
    for (let x = 0; x < 8; x++) expect(mod4.apply({ i: x })).toEqual({ o: x % 4 });
    const div2 = zeros(2, 'i', 'o').multiply(id(4, 'i', 'o'));
    for (let x = 0; x < 8; x++) expect(div2.apply({ i: x })).toEqual({ o: x >> 1 });
    const split = id(4, 'i', 'o1').multiply(id(8, 'i', 'o2'));
    expect(split.outDimNames).toEqual(['o1', 'o2']);
    for (let x = 0; x < 32; x++) expect(split.apply({ i: x })).toEqual({ o1: x % 4, o2: x >> 2 });
    const twoD = id(4, 'i1', 'o1').multiply(id(8, 'i2', 'o2'));
    expect(twoD.inDimNames).toEqual(['i1', 'i2']);
    expect(twoD.apply({ i1: 3, i2: 5 })).toEqual({ o1: 3, o2: 5 });
    expect(LinearLayout.empty().multiply(twoD).equals(twoD)).toBe(true);
    expect(twoD.multiply(LinearLayout.empty()).equals(twoD)).toBe(true);
    expect(() => twoD.multiply(id(2, 'i2', 'o2').multiply(id(2, 'i1', 'o1')))).toThrow(/different orders/);
  });

  test('compose applies one layout then the other', () => {
    const threads = blockedToLinear(blockedLayout([1, 2], [8, 4], [2, 1], [1, 0]), [16, 8]);
    const transpose = new LinearLayout({ dim0: [[0, 1], [0, 2], [0, 4], [0, 8]], dim1: [[1, 0], [2, 0], [4, 0]] }, [{ name: 'dim0', size: 8 }, { name: 'dim1', size: 16 }]);
    const composed = threads.compose(transpose);
    for (const p of allInputs(threads)) {
      const [i, j] = coordinates(threads, p);
      expect(coordinates(composed, p)).toEqual([j, i]);
    }
  });

  test('invert and pseudo-invert', () => {
    const shared = swizzledSharedToLinear(2, 1, 4, [1, 0], [8, 16]);
    expect(shared.isInvertible()).toBe(true);
    const inverse = shared.invert();
    expect(inverse.inDimNames).toEqual(['dim0', 'dim1']);
    expect(inverse.outDimNames).toEqual([OFFSET]);
    for (let offset = 0; offset < 128; offset++) expect(inverse.apply(shared.apply({ offset }))).toEqual({ offset });
    expect(shared.compose(inverse).equals(LinearLayout.identity1D(128, OFFSET, OFFSET))).toBe(true);

    // A tile smaller than the arrangement: lanes hold copies, so only a right inverse exists.
    const copies = blockedToLinear(blockedLayout([1, 1], [4, 8], [2, 1], [1, 0]), [4, 4]);
    expect(copies.isSurjective()).toBe(true);
    expect(copies.isInjective()).toBe(false);
    expect(() => copies.invert()).toThrow(/bijection/);
    const right = copies.pseudoInvert();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(copies.apply(right.apply({ dim0: i, dim1: j }))).toEqual({ dim0: i, dim1: j });
  });

  test('invertAndCompose finds, for every index of one layout, where the other holds the same element', () => {
    const shape = [16, 32];
    const layouts = [
      blockedLayout([1, 1], [4, 8], [2, 2], [1, 0]),
      blockedLayout([1, 4], [8, 4], [4, 1], [1, 0]),
      blockedLayout([2, 1], [32, 1], [1, 4], [0, 1]),
      blockedLayout([1, 1], [1, 32], [4, 1], [1, 0]),
      blockedLayout([4, 4], [8, 4], [1, 4], [0, 1]),
    ].map((l) => blockedToLinear(l, shape));
    for (const a of layouts) for (const b of layouts) expectMapSendsToSameElement(a, b, a.invertAndCompose(b));
    // Broadcast bits (the tile is smaller than both arrangements) pair up within their own dimension.
    const small = [8, 8];
    const a = blockedToLinear(blockedLayout([1, 1], [4, 8], [2, 2], [1, 0]), small);
    // The first warp bit would step 8 columns: off the tile, so warps 0 and 1 hold the same elements.
    expect(a.freeVariableMasks()).toEqual({ [REGISTER]: 0, [LANE]: 0, [WARP]: 0b01 });
    expect(a.invertAndCompose(a).equals(identityOn(a))).toBe(true);
  });

  test('reshapes and transposes', () => {
    const ll = blockedToLinear(blockedLayout([1, 2], [8, 4], [2, 1], [1, 0]), [16, 8]);
    const flatIns = ll.reshapeIns([{ name: 'thread', size: ll.totalInSize }]);
    expect(flatIns.inDimNames).toEqual(['thread']);
    for (const p of allInputs(ll)) {
      const flat = p[REGISTER]! + 2 * (p[LANE]! + 32 * p[WARP]!);
      expect(flatIns.apply({ thread: flat })).toEqual(ll.apply(p));
    }
    expect(flatIns.reshapeIns([{ name: REGISTER, size: 2 }, { name: LANE, size: 32 }, { name: WARP, size: 2 }]).equals(ll)).toBe(true);
    // Flattening outputs makes the first dimension the least significant: transpose to [dim1, dim0] for row-major.
    const rowMajor = ll.transposeOuts(['dim1', 'dim0']).reshapeOuts([{ name: 'element', size: 128 }]);
    for (const p of allInputs(ll)) {
      const [i, j] = coordinates(ll, p);
      expect(rowMajor.apply(p)).toEqual({ element: i! * 8 + j! });
    }
    expect(rowMajor.reshapeOuts([{ name: 'dim1', size: 8 }, { name: 'dim0', size: 16 }]).transposeOuts(['dim0', 'dim1']).equals(ll)).toBe(true);
    expect(ll.transposeIns([WARP, LANE, REGISTER]).inDimNames).toEqual([WARP, LANE, REGISTER]);
  });

  test('sublayouts and free variables', () => {
    // 8 columns over 4 lanes x 2 registers: lane bits 2..4 go down the rows, warps down further rows.
    const ll = blockedToLinear(blockedLayout([1, 2], [8, 4], [2, 1], [1, 0]), [16, 8]);
    const lanes = ll.sublayout([LANE], ['dim1']);
    expect(lanes.inDimNames).toEqual([LANE]);
    expect(lanes.bases).toEqual({ [LANE]: [[2], [4], [0], [0], [0]] });
    expect(ll.sublayoutIsZero([WARP], ['dim1'])).toBe(true);
    expect(ll.sublayoutIsZero([LANE], ['dim1'])).toBe(false);
    expect(ll.freeVariableMasks()).toEqual({ [REGISTER]: 0, [LANE]: 0, [WARP]: 0 });
    // A 4x4 tile: lanes 4.. and the second warp wrap onto elements already held.
    const wrapped = blockedToLinear(blockedLayout([1, 1], [4, 8], [2, 1], [1, 0]), [4, 4]);
    expect(wrapped.freeVariableMasks()).toEqual({ [REGISTER]: 0, [LANE]: 0b00100, [WARP]: 0b1 });
  });

  test('numConsecutiveInOut agrees with divideLeft by a register identity', () => {
    const cases: [BlockedLayout, number[], number][] = [
      [blockedLayout([1, 4], [8, 4], [4, 1], [1, 0]), [32, 16], 4],
      [blockedLayout([1, 4], [8, 4], [4, 1], [1, 0]), [32, 2], 2],
      [blockedLayout([1, 4], [32, 1], [4, 1], [1, 0]), [128, 16], 16],
      [blockedLayout([1, 1], [8, 4], [4, 1], [1, 0]), [32, 16], 1],
      [blockedLayout([4, 1], [1, 32], [1, 4], [0, 1]), [16, 128], 16],
      [blockedLayout([4, 1], [2, 16], [1, 4], [0, 1]), [16, 128], 4],
    ];
    for (const [layout, shape, expected] of cases) {
      const ll = blockedToLinear(layout, shape);
      const fastest = `dim${layout.order[0]}`;
      expect(ll.numConsecutiveInOut(REGISTER, fastest), layout.text).toBe(expected);
      for (let v = 1; v <= 32; v *= 2) {
        const quotient = ll.divideLeft(LinearLayout.identity1D(v, REGISTER, fastest));
        expect(quotient !== undefined, `${layout.text} by ${v}`).toBe(v <= expected);
        if (quotient) expect(LinearLayout.identity1D(v, REGISTER, fastest).multiply(quotient).transposeOuts(ll.outDimNames).equals(ll)).toBe(true);
      }
    }
    const a = LinearLayout.identity1D(4, 'i', 'o').multiply(LinearLayout.identity1D(2, 'j', 'p'));
    const c = new LinearLayout({ i: [[1, 0], [0, 2]], j: [[2, 1]] }, [{ name: 'o', size: 4 }, { name: 'p', size: 4 }]);
    expect(a.multiply(c).divideLeft(a)!.equals(c)).toBe(true);
  });

  test('toString lists the bases per input dimension', () => {
    const text = mmaV2ToLinear([1, 1], [16, 8]).toString();
    expect(text).toBe(['register (4): (0, 1) (8, 0)', 'lane (32): (0, 2) (0, 4) (1, 0) (2, 0) (4, 0)', 'warp (1): -', '-> dim0 (16), dim1 (8)'].join('\n'));
  });
});

/** The identity over a layout's own inputs, as invertAndCompose returns it for a layout and itself. */
function identityOn(ll: LinearLayout): LinearLayout {
  return ll.inDimNames.reduce((acc, name) => acc.multiply(LinearLayout.identity1D(ll.inDimSize(name), name, name)), LinearLayout.empty());
}

// ---------------------------------------------------------------------------------------------------------

function expectAgreesWithTileMap(layout: BlockedLayout | SliceLayout, shape: number[]): void {
  const map = new TileMap(layout, shape);
  const ll = layout instanceof SliceLayout ? sliceToLinear(layout, shape) : blockedToLinear(layout, shape);
  expect(ll.inDimSize(REGISTER), `${layout.text} ${shape}`).toBe(map.numRegs);
  expect(ll.inDimSize(LANE)).toBe(32);
  expect(ll.inDimSize(WARP)).toBe(map.root.numWarps);
  expect(ll.outDimNames).toEqual(shape.map((_, i) => `dim${i}`));
  for (let r = 0; r < map.numRegs; r++) {
    for (let lane = 0; lane < 32; lane++) {
      for (let warp = 0; warp < map.root.numWarps; warp++) {
        const expected = map.coordinates(r, lane, warp);
        const got = coordinates(ll, { [REGISTER]: r, [LANE]: lane, [WARP]: warp });
        if (got.join() !== expected.join()) expect(got, `${layout.text} ${shape} r${r} lane${lane} warp${warp}`).toEqual(expected);
      }
    }
  }
}

const rank2Layouts = (): BlockedLayout[] => {
  const out: BlockedLayout[] = [];
  for (const spt of [[1, 1], [1, 4], [2, 2], [4, 1]])
    for (const tpw of [[1, 32], [4, 8], [8, 4], [32, 1]])
      for (const wpc of [[1, 1], [2, 2], [4, 1], [1, 4]]) for (const order of [[1, 0], [0, 1]]) out.push(blockedLayout(spt, tpw, wpc, order));
  return out;
};
const rank2Shapes = [[1, 1], [4, 8], [16, 16], [64, 8], [8, 128]];

const rank3Layouts = [
  blockedLayout([1, 1, 4], [2, 4, 4], [2, 1, 2], [2, 1, 0]),
  blockedLayout([2, 1, 1], [1, 8, 4], [1, 2, 2], [0, 2, 1]),
  blockedLayout([1, 2, 2], [4, 4, 2], [4, 1, 1], [1, 0, 2]),
];
const rank3Shapes = [[2, 4, 8], [8, 8, 8], [4, 32, 16], [1, 1, 1]];

describe('blocked and sliced layouts agree with TileMap', () => {
  test('rank 1', () => {
    for (const spt of [1, 2, 4])
      for (const warps of [1, 2, 4])
        for (const n of [1, 16, 64, 256, 1024]) expectAgreesWithTileMap(blockedLayout([spt], [32], [warps], [0]), [n]);
  });

  test('rank 2, including tiles smaller and larger than the arrangement', () => {
    for (const layout of rank2Layouts()) for (const shape of rank2Shapes) expectAgreesWithTileMap(layout, shape);
  });

  test('rank 3', () => {
    for (const layout of rank3Layouts) for (const shape of rank3Shapes) expectAgreesWithTileMap(layout, shape);
  });

  test('slices of rank-2 layouts', () => {
    for (const layout of rank2Layouts())
      for (const dim of [0, 1])
        for (const n of [1, 8, 64]) expectAgreesWithTileMap(sliceLayout(dim, layout), [n]);
  });

  test('slices of rank-3 layouts, and slices of slices', () => {
    for (const layout of rank3Layouts) {
      for (const dim of [0, 1, 2]) {
        const slice = sliceLayout(dim, layout);
        for (const shape of [[4, 8], [16, 2], [32, 32]]) expectAgreesWithTileMap(slice, shape);
        for (const inner of [0, 1]) for (const n of [2, 16, 64]) expectAgreesWithTileMap(sliceLayout(inner, slice), [n]);
      }
    }
  });

  test('the lanes and warps along a sliced dimension hold copies', () => {
    const ll = sliceToLinear(sliceLayout(1, blockedLayout([1, 1], [8, 4], [2, 2], [1, 0])), [16]);
    expect(ll.bases).toEqual({ [REGISTER]: [], [LANE]: [[0], [0], [1], [2], [4]], [WARP]: [[0], [8]] });
    expect(ll.freeVariableMasks()).toEqual({ [REGISTER]: 0, [LANE]: 0b00011, [WARP]: 0b01 });
  });
});

// ---------------------------------------------------------------------------------------------------------

const at = (ll: LinearLayout, register: number, lane: number, warp = 0): number[] => coordinates(ll, { [REGISTER]: register, [LANE]: lane, [WARP]: warp });

describe('mma.sync accumulator (mma v2)', () => {
  test('one warp, one m16n8 tile: the PTX fragment', () => {
    const ll = mmaV2ToLinear([1, 1], [16, 8]);
    for (let lane = 0; lane < 32; lane++) {
      const [g, t] = [lane >> 2, lane % 4];
      expect(at(ll, 0, lane)).toEqual([g, 2 * t]);
      expect(at(ll, 1, lane)).toEqual([g, 2 * t + 1]);
      expect(at(ll, 2, lane)).toEqual([g + 8, 2 * t]);
      expect(at(ll, 3, lane)).toEqual([g + 8, 2 * t + 1]);
    }
    expect(at(ll, 2, 5)).toEqual([9, 2]);
  });

  test('every element held once when the tile covers the warps', () => {
    for (const warps of [[1, 1], [2, 2], [4, 1], [1, 4], [2, 4]])
      for (const shape of [[16 * warps[0]!, 8 * warps[1]!], [64, 64], [128, 32]]) {
        if (shape[0]! < 16 * warps[0]! || shape[1]! < 8 * warps[1]!) continue;
        const ll = mmaV2ToLinear(warps, shape);
        expect(ll.inDimSize(REGISTER)).toBe(numel(shape) / (32 * warps[0]! * warps[1]!));
        expectEachElementHeld(ll, shape, 1);
      }
  });

  test('warps go along N first; repetitions along N, then M', () => {
    const ll = mmaV2ToLinear([2, 2], [64, 32]);
    expect(at(ll, 0, 0, 1)).toEqual([0, 8]);
    expect(at(ll, 0, 0, 2)).toEqual([16, 0]);
    // 2 repetitions along N (32 / 16), 2 along M (64 / 32): register 4(m*2 + n) + c.
    expect(ll.inDimSize(REGISTER)).toBe(16);
    expect(at(ll, 4, 0)).toEqual([0, 16]);
    expect(at(ll, 8, 0)).toEqual([32, 0]);
    expect(at(ll, 4 * 3 + 3, 5, 3)).toEqual([32 + 16 + 9, 16 + 8 + 3]);
  });

  test('a tile smaller than the warps wraps: extra warps hold copies', () => {
    const ll = mmaV2ToLinear([2, 2], [16, 8]);
    expect(ll.inDimSize(REGISTER)).toBe(4);
    expectEachElementHeld(ll, [16, 8], 4);
    expect(ll.freeVariableMasks()[WARP]).toBe(0b11);
  });
});

describe('wgmma accumulator (mma v3)', () => {
  test('the PTX m64nNk16 D fragment for one warpgroup', () => {
    const n = 32;
    const ll = mmaV3ToLinear(n, [4, 1], [64, n]);
    expect(ll.inDimSize(REGISTER)).toBe(n / 2);
    for (let warp = 0; warp < 4; warp++)
      for (let lane = 0; lane < 32; lane++)
        for (let i = 0; i < n / 2; i++) {
          const row = 16 * warp + (lane >> 2) + 8 * ((i >> 1) & 1);
          const col = 8 * (i >> 2) + 2 * (lane % 4) + (i & 1);
          expect(at(ll, i, lane, warp)).toEqual([row, col]);
        }
    expect(at(ll, 5, 5, 2)).toEqual([33, 11]);
  });

  test('every element held once; warpgroups stack along M, then split N', () => {
    for (const [n, warps, shape] of [
      [64, [4, 1], [64, 64]],
      [128, [8, 1], [128, 128]],
      [64, [4, 2], [128, 256]],
      [256, [4, 1], [64, 256]],
      [16, [4, 2], [64, 32]],
    ] as [number, number[], number[]][]) {
      const ll = mmaV3ToLinear(n, warps, shape);
      expectEachElementHeld(ll, shape, 1);
    }
    const ll = mmaV3ToLinear(64, [4, 2], [128, 256]);
    expect(at(ll, 0, 0, 4)).toEqual([0, 64]);
    // Repetitions: N first (256 / (64 * 2) = 2), then M (128 / 64 = 2), each 32 registers wide.
    expect(at(ll, 32, 0)).toEqual([0, 128]);
    expect(at(ll, 64, 0)).toEqual([64, 0]);
    expect(() => mmaV3ToLinear(64, [2, 2], [64, 64])).toThrow(/warpgroups/);
  });
});

describe('mma.sync operands (dot operands of mma v2)', () => {
  test('A for f16 (kWidth 2): a0..a7 of m16n8k16', () => {
    const ll = dotOperandToLinear([1, 1], 0, 2, [16, 16]);
    expect(ll.inDimSize(REGISTER)).toBe(8);
    for (let lane = 0; lane < 32; lane++) {
      const [g, t] = [lane >> 2, lane % 4];
      for (let i = 0; i < 8; i++) {
        const row = g + 8 * ((i >> 1) & 1);
        const col = 2 * t + (i & 1) + 8 * (i >> 2);
        expect(at(ll, i, lane)).toEqual([row, col]);
      }
    }
    expect(at(ll, 6, 5)).toEqual([9, 10]);
  });

  test('A for tf32 (kWidth 1) and int8 (kWidth 4)', () => {
    const tf32 = dotOperandToLinear([1, 1], 0, 1, [16, 8]);
    const int8 = dotOperandToLinear([1, 1], 0, 4, [16, 32]);
    for (let lane = 0; lane < 32; lane++) {
      const [g, t] = [lane >> 2, lane % 4];
      // m16n8k8 .tf32: a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4).
      for (let i = 0; i < 4; i++) expect(at(tf32, i, lane)).toEqual([g + 8 * (i & 1), t + 4 * (i >> 1)]);
      // m16n8k32 .s8: a0..a3 (g, 4t+i), a4..a7 8 rows down, a8..a15 16 columns on.
      for (let i = 0; i < 16; i++) expect(at(int8, i, lane)).toEqual([g + 8 * ((i >> 2) & 1), 4 * t + (i & 3) + 16 * (i >> 3)]);
    }
  });

  test('B for f16, tf32 and int8', () => {
    const f16 = dotOperandToLinear([1, 1], 1, 2, [16, 8]);
    const tf32 = dotOperandToLinear([1, 1], 1, 1, [8, 8]);
    const int8 = dotOperandToLinear([1, 1], 1, 4, [32, 8]);
    for (let lane = 0; lane < 32; lane++) {
      const [g, t] = [lane >> 2, lane % 4];
      for (let i = 0; i < 4; i++) expect(at(f16, i, lane)).toEqual([2 * t + (i & 1) + 8 * (i >> 1), g]);
      for (let i = 0; i < 2; i++) expect(at(tf32, i, lane)).toEqual([t + 4 * i, g]);
      for (let i = 0; i < 8; i++) expect(at(int8, i, lane)).toEqual([4 * t + (i & 3) + 16 * (i >> 2), g]);
    }
  });

  test('coverage: warps sharing rows of A (columns of B) hold copies; repetitions K first', () => {
    for (const warps of [[1, 1], [2, 2], [4, 1], [1, 4]]) {
      for (const kWidth of [1, 2, 4]) {
        const a = dotOperandToLinear(warps, 0, kWidth, [64, 64]);
        expectEachElementHeld(a, [64, 64], warps[1]!);
        const b = dotOperandToLinear(warps, 1, kWidth, [64, 64]);
        expectEachElementHeld(b, [64, 64], warps[0]!);
        // Within one warp each element it holds is held once.
        expect(a.sublayout([REGISTER, LANE], a.outDimNames).isInjective()).toBe(true);
        expect(b.sublayout([REGISTER, LANE], b.outDimNames).isInjective()).toBe(true);
      }
    }
    const a = dotOperandToLinear([2, 2], 0, 2, [64, 64]);
    // The accumulator's warp 1 is along N, so for A it is a copy of warp 0; warp 2 takes the next 16 rows.
    expect(a.freeVariableMasks()[WARP]).toBe(0b01);
    expect(at(a, 0, 0, 2)).toEqual([16, 0]);
    expect(at(a, 8, 0)).toEqual([0, 16]);
    const b = dotOperandToLinear([2, 2], 1, 2, [64, 64]);
    expect(at(b, 0, 0, 1)).toEqual([0, 8]);
    expect(at(b, 4, 0)).toEqual([16, 0]);
  });

  test('A and the accumulator it feeds cover the same rows in the same warps', () => {
    const warps = [2, 2];
    const acc = mmaV2ToLinear(warps, [64, 32]);
    const a = dotOperandToLinear(warps, 0, 2, [64, 16]);
    for (let warp = 0; warp < 4; warp++) {
      const rows = (ll: LinearLayout) => new Set(allInputs(ll).filter((p) => p[WARP] === warp).map((p) => coordinates(ll, p)[0]));
      expect(rows(a)).toEqual(rows(acc));
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('shared memory', () => {
  test('swizzled: a bijection with the vec-group XOR of each row', () => {
    const [vec, perPhase, maxPhase] = [4, 2, 4];
    const shape = [16, 32];
    const ll = swizzledSharedToLinear(vec, perPhase, maxPhase, [1, 0], shape);
    expect(ll.isInvertible()).toBe(true);
    // By hand: row 2 is phase 1, so column 0 (group 0) sits in group 1: offset 2*32 + 4.
    expect(ll.apply({ [OFFSET]: 68 })).toEqual({ dim0: 2, dim1: 0 });
    // Row 5 is phase 2; column 9 is group 2 element 1, stored in group 0: offset 5*32 + 1.
    expect(ll.apply({ [OFFSET]: 161 })).toEqual({ dim0: 5, dim1: 9 });
    const inverse = ll.invert();
    for (let row = 0; row < 16; row++)
      for (let col = 0; col < 32; col++) {
        const phase = Math.floor(row / perPhase) % maxPhase;
        expect(inverse.apply({ dim0: row, dim1: col })).toEqual({ [OFFSET]: row * 32 + (col ^ (vec * phase)) });
      }
  });

  test('swizzled: column-major order, narrow rows and rank 3', () => {
    const ll = swizzledSharedToLinear(8, 1, 8, [0, 1], [16, 8]);
    // Rows of 16 along dim0 hold 2 vec-groups, so the phase's group index wraps modulo 2.
    const inverse = ll.invert();
    for (let col = 0; col < 8; col++)
      for (let row = 0; row < 16; row++) expect(inverse.apply({ dim0: row, dim1: col })).toEqual({ [OFFSET]: col * 16 + (row ^ ((8 * (col % 8)) & 15)) });
    const three = swizzledSharedToLinear(2, 1, 4, [2, 1, 0], [2, 4, 8]);
    expect(three.isInvertible()).toBe(true);
    expect(three.apply({ [OFFSET]: 32 + 8 + 2 })).toEqual({ dim0: 1, dim1: 1, dim2: 0 });
    expect(swizzledSharedToLinear(1, 1, 1, [0], [64]).equals(LinearLayout.identity1D(64, OFFSET, 'dim0'))).toBe(true);
  });

  /** The byte-address swizzle of the PTX ISA's swizzling modes: bits 4.. XOR bits 7.. (one bit per doubling of the mode). */
  const swizzleAddress = (byte: number, swizzleBytes: number): number => byte ^ ((byte >> 3) & ((swizzleBytes / 16 - 1) << 4));

  test('nvmma: 128B swizzle of f16 rows 64 wide', () => {
    const ll = nvmmaSharedToLinear(128, 16, false, [64, 64]);
    const inverse = ll.invert();
    // Row 1 starts at element 64; its 16-byte chunk 0 is stored in chunk 0 ^ 1.
    expect(inverse.apply({ dim0: 1, dim1: 0 })).toEqual({ [OFFSET]: 64 + 8 });
    expect(inverse.apply({ dim0: 1, dim1: 8 })).toEqual({ [OFFSET]: 64 });
    expect(inverse.apply({ dim0: 3, dim1: 16 })).toEqual({ [OFFSET]: 3 * 64 + 8 * (2 ^ 3) });
    expect(inverse.apply({ dim0: 9, dim1: 17 })).toEqual({ [OFFSET]: 9 * 64 + 8 * (2 ^ 1) + 1 });
  });

  test('nvmma: every mode and element size against the address formula', () => {
    for (const swizzleBytes of [32, 64, 128] as const)
      for (const elementBits of [8, 16, 32])
        for (const transposed of [false, true]) {
          const atom = (8 * swizzleBytes) / elementBits;
          for (const [rows, cols] of [[8, atom], [64, atom], [16, 4 * atom]] as [number, number][]) {
            const shape = transposed ? [cols, rows] : [rows, cols];
            const ll = nvmmaSharedToLinear(swizzleBytes, elementBits, transposed, shape);
            expect(ll.isInvertible()).toBe(true);
            const bytes = elementBits / 8;
            for (let row = 0; row < rows; row++)
              for (let col = 0; col < cols; col++) {
                // Atoms of `rows` x `atom` elements, one after the other along the contiguous dimension.
                const plain = (Math.floor(col / atom) * rows * atom + row * atom + (col % atom)) * bytes;
                const offset = swizzleAddress(plain, swizzleBytes) / bytes;
                const expected = transposed ? { dim0: col, dim1: row } : { dim0: row, dim1: col };
                expect(ll.apply({ [OFFSET]: offset })).toEqual(expected);
              }
          }
        }
  });

  test('nvmma without swizzling is plain, and a tile narrower than the atom is refused', () => {
    const plain = nvmmaSharedToLinear(0, 16, false, [8, 16]);
    for (let offset = 0; offset < 128; offset++) expect(plain.apply({ [OFFSET]: offset })).toEqual({ dim0: offset >> 4, dim1: offset % 16 });
    const plainT = nvmmaSharedToLinear(0, 16, true, [8, 16]);
    for (let offset = 0; offset < 128; offset++) expect(plainT.apply({ [OFFSET]: offset })).toEqual({ dim0: offset % 8, dim1: offset >> 3 });
    expect(() => nvmmaSharedToLinear(128, 16, false, [64, 32])).toThrow(/at least/);
  });
});

// ---------------------------------------------------------------------------------------------------------

describe('conversions between register layouts', () => {
  test('identical layouts need nothing, broadcast copies included', () => {
    for (const shape of [[32, 64], [4, 4]]) {
      const ll = blockedToLinear(blockedLayout([1, 4], [8, 4], [2, 2], [1, 0]), shape);
      expect(classifyConversion(ll, ll).kind).toBe('none');
    }
    // Different kt layouts, same linear layout: a 1-D blocked tile and a slice of a 2-D one.
    const oneD = blockedToLinear(blockedLayout([1], [32], [4], [0]), [128]);
    const slice = sliceToLinear(sliceLayout(0, blockedLayout([1, 1], [1, 32], [1, 4], [1, 0])), [128]);
    expect(oneD.equals(slice)).toBe(true);
    expect(classifyConversion(slice, oneD).kind).toBe('none');
  });

  test('the mma v2 accumulator and a blocked layout with the same lanes: a register permutation', () => {
    const mma = mmaV2ToLinear([1, 1], [16, 16]);
    const blocked = blockedToLinear(blockedLayout([1, 2], [8, 4], [1, 1], [1, 0]), [16, 16]);
    const conversion = classifyConversion(mma, blocked);
    expect(conversion.kind).toBe('registers');
    if (conversion.kind !== 'registers') return;
    // Blocked registers go (column +1, column +8, row +8); the fragment's (column +1, row +8, column +8).
    expect(conversion.sourceRegisters).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
    for (const p of allInputs(blocked)) expect(at(mma, conversion.sourceRegisters[p[REGISTER]!]!, p[LANE]!, p[WARP]!)).toEqual(coordinates(blocked, p));
    const back = classifyConversion(blocked, mma);
    expect(back.kind === 'registers' && back.sourceRegisters).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
  });

  test('same warps, different lanes: a shuffle', () => {
    const a = blockedToLinear(blockedLayout([1, 1], [4, 8], [1, 4], [1, 0]), [16, 32]);
    const b = blockedToLinear(blockedLayout([1, 2], [8, 4], [1, 4], [1, 0]), [16, 32]);
    const conversion = classifyConversion(a, b);
    expect(conversion.kind).toBe('shuffle');
    expect(conversion.map.inDimNames).toEqual([REGISTER, LANE]);
    expectMapSendsToSameElement(b.sublayout([REGISTER, LANE], b.outDimNames), a, conversion.map);
  });

  test('data that changes warps goes through shared memory', () => {
    const rows = blockedToLinear(blockedLayout([1, 1], [4, 8], [4, 1], [1, 0]), [16, 32]);
    const cols = blockedToLinear(blockedLayout([1, 1], [4, 8], [1, 4], [1, 0]), [16, 32]);
    const conversion = classifyConversion(rows, cols);
    expect(conversion.kind).toBe('shared');
    expectMapSendsToSameElement(cols, rows, conversion.map);
    expect(classifyConversion(mmaV2ToLinear([2, 2], [64, 64]), blockedToLinear(blockedLayout([1, 4], [8, 4], [4, 1], [1, 0]), [64, 64])).kind).toBe('shared');
    expect(() => classifyConversion(rows, blockedToLinear(blockedLayout([1, 1], [4, 8], [1, 4], [1, 0]), [16, 64]))).toThrow(/keeps the tile/);
  });
});
