// Triton's creation, load and atomic tests (test_core.py: test_arange, test_full, test_masked_load,
// test_masked_load_scalar, test_atomic_rmw, test_atomic_rmw_predicate, test_tensor_atomic_rmw,
// test_tensor_atomic_add_non_exclusive_offset, test_tensor_atomic_rmw_block, test_tensor_atomic_cas), ported as kt
// kernels with NumPy references.
import { Random, empty, kernel, tensor, tl, type DType, type Ptr, type constexpr, type i32 } from 'kt';
import { dtypes as ktDTypes } from '../../src/compiler/semantic/dtype.ts';
import * as np from './numpy.ts';
import { floatDTypes, intDTypes, uintDTypes, type NdArray, type NpDType, type TritonDType } from './numpy.ts';
import { sampled, type Case } from './suite.ts';

// ---- kernels -------------------------------------------------------------------------------------------------------

export const arange = kernel(function arange(z: Ptr, BLOCK: constexpr, START: constexpr, END: constexpr) {
  const off = tl.arange(0, BLOCK);
  const val = tl.arange(START, END);
  tl.store(z + off, val);
});

/** test_full's kernel_static: `tl.full(SHAPE, 2, tl.<dtype>)` with the shape and dtype written in the kernel. */
export const fullStatic = kernel(function fullStatic(out: Ptr, SHAPE: constexpr<number[]>, DT: constexpr<DType>) {
  const a = tl.full(SHAPE, 2, DT);
  const outPtr = out + tl.arange(0, 128);
  tl.store(outPtr, a);
});

/** test_full's kernel_dynamic: the value is a run-time argument. */
export const fullDynamic = kernel(function fullDynamic(out: Ptr, val: i32, SHAPE: constexpr<number[]>, DT: constexpr<DType>) {
  const a = tl.full(SHAPE, val, DT);
  const outPtr = out + tl.arange(0, 128);
  tl.store(outPtr, a);
});

export const maskedLoad = kernel(function maskedLoad(inPtr: Ptr, outPtr: Ptr, IN_SIZE: constexpr, OUT_SIZE: constexpr, MASKED: constexpr<boolean>, OTHER: constexpr) {
  const inOffsets = tl.arange(0, OUT_SIZE);
  const x = MASKED ? tl.load(inPtr + inOffsets, { mask: inOffsets < IN_SIZE, other: OTHER }) : tl.load(inPtr + inOffsets);
  const outputOffsets = tl.arange(0, OUT_SIZE);
  tl.store(outPtr + outputOffsets, x);
});

export const maskedLoadScalar = kernel(function maskedLoadScalar(inPtr: Ptr, outPtr: Ptr, SIZE: constexpr, MASK: constexpr<boolean>, OTHER: constexpr) {
  const offsets = tl.arange(0, SIZE);
  const x = tl.load(inPtr + offsets, { mask: MASK, other: OTHER });
  tl.store(outPtr + offsets, x);
});

/** test_atomic_rmw: each program applies its element of X to Z. (Triton also asserts old.dtype == x.dtype at compile time; kt has no .dtype on tiles yet.) */
export const atomicRmw = kernel(function atomicRmw(X: Ptr, Z: Ptr, OP: constexpr<string>, SEM: constexpr<'relaxed' | 'acquire' | 'release' | 'acq_rel' | null>) {
  const pid = tl.programId(0);
  const x = tl.load(X + pid);
  if (OP === 'add') tl.atomicAdd(Z, x, { sem: SEM ?? 'acq_rel' });
  else if (OP === 'max') tl.atomicMax(Z, x, { sem: SEM ?? 'acq_rel' });
  else if (OP === 'min') tl.atomicMin(Z, x, { sem: SEM ?? 'acq_rel' });
  else tl.staticAssert(false, `unknown OP ${OP}`);
});

export const atomicRmwPredicate = kernel(function atomicRmwPredicate(X: Ptr) {
  const val = tl.programId(0);
  if (val < 64) tl.atomicMax(X, val);
});

export const tensorAtomicRmw = kernel(function tensorAtomicRmw(Z: Ptr, X: Ptr, OLD: Ptr, AXIS: constexpr, SHAPE0: constexpr, SHAPE1: constexpr, DTYPE: constexpr<DType | null>, RETURN_VAL: constexpr<boolean>) {
  const off0 = tl.arange(0, SHAPE0);
  const off1 = tl.arange(0, SHAPE1);
  let x = tl.load(X + tl.expandDims(off0, 1) * SHAPE1 + tl.expandDims(off1, 0));
  // sum can have bad numerics when accumulating in float16: sum in float32.
  if (DTYPE === tl.float16) x = x.to(tl.float32);
  let z = tl.sum(x, AXIS);
  if (DTYPE === tl.float16) z = z.to(tl.float16);
  if (AXIS === 1) {
    const old = tl.atomicAdd(Z + off0, z);
    if (RETURN_VAL) tl.store(OLD + off0, old);
  } else {
    const old = tl.atomicAdd(Z + off1, z);
    if (RETURN_VAL) tl.store(OLD + off1, old);
  }
});

export const atomicAddNonExclusiveOffset = kernel(function atomicAddNonExclusiveOffset(X: Ptr, valPtr: Ptr, NUM: constexpr) {
  const off = tl.arange(0, NUM);
  const offset = tl.expandDims(off, 1) * NUM + tl.expandDims(off, 0);
  const val = tl.load(valPtr + offset);
  tl.atomicAdd(X + tl.floordiv(offset, 2), val);
});

export const tensorAtomicRmwBlock = kernel(function tensorAtomicRmwBlock(X: Ptr, SHAPE0: constexpr, SHAPE1: constexpr) {
  const off0 = tl.arange(0, SHAPE0);
  const off1 = tl.arange(0, SHAPE1);
  const offs = tl.expandDims(off0, 1) * SHAPE1 + tl.expandDims(off1, 0);
  const val = offs.to(tl.float32);
  tl.atomicMin(X + offs, val);
});

export const tensorAtomicCas = kernel(function tensorAtomicCas(X: Ptr, BLOCK_SIZE: constexpr, SEM: constexpr<'relaxed' | 'acquire' | 'release' | 'acq_rel' | null>) {
  const pid = tl.programId(0);
  const offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  const t1 = tl.full([BLOCK_SIZE], 0, tl.int64);
  const t2 = tl.full([BLOCK_SIZE], 2, tl.int64);
  tl.atomicCas(X + offsets, t1, t2, { sem: SEM ?? 'acq_rel' });
});

// ---- creation ---------------------------------------------------------------------------------------------------------

function arangeCase(start: number): Case {
  return {
    test: 'test_arange',
    id: String(start),
    simulate: true,
    run: (launch) => {
      const [z] = launch(arange, [1], [empty([128], 'i32'), { BLOCK: 128, START: start, END: start + 128 }]);
      np.assertEqual(np.fromKt(z!), np.arange('int32', start, start + 128));
    },
  };
}

function fullCase(dtype: TritonDType, shape: readonly number[]): Case {
  const id = `${dtype}-(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  return {
    test: 'test_full',
    id,
    simulate: sampled(id, 3),
    run: (launch) => {
      const dt = ktDTypes[np.ktDType(dtype)];
      const [outStatic] = launch(fullStatic, [1], [tensor(new Array(128).fill(0), { dtype: dt }), { SHAPE: [...shape], DT: dt }]);
      np.assertEqual(np.fromKt(outStatic!), 2);
      const [outDynamic] = launch(fullDynamic, [1], [tensor(new Array(128).fill(0), { dtype: dt }), 2, { SHAPE: [...shape], DT: dt }]);
      np.assertEqual(np.fromKt(outDynamic!), 2);
    },
  };
}

function maskedLoadCase(dtype: TritonDType, size: number, sizeDiff: number, other: number): Case {
  const id = `${dtype}-${size}-${sizeDiff}-${other}`;
  return {
    test: 'test_masked_load',
    id,
    simulate: sampled(id, 8),
    run: (launch) => {
      const rs = new Random(17);
      const inputSize = size - sizeDiff;
      const npd: NpDType = dtype === 'bfloat16' ? 'float32' : (dtype as NpDType);
      let input: NdArray;
      if (dtype === 'bool') input = np.array('bool', [inputSize], Array.from({ length: inputSize }, () => (rs.next() < 0.5 ? 0n : 1n)));
      else if (np.isIntDType(dtype)) input = np.array(npd, [inputSize], Array.from({ length: inputSize }, () => Math.floor(rs.next() * 127)));
      else input = np.array(npd, [inputSize], Array.from({ length: inputSize }, () => (dtype === 'bfloat16' ? np.roundTo('bfloat16', rs.next()) : rs.next())));
      const [, out] = launch(maskedLoad, [1], [np.toKt(input, dtype), empty([size], np.ktDType(dtype)), { IN_SIZE: inputSize, OUT_SIZE: size, MASKED: sizeDiff > 0, OTHER: other }]);
      const ref = np.array(npd, [size], [...input.data, ...new Array<number>(sizeDiff).fill(other)]);
      np.assertEqual(np.fromKt(out!), ref);
    },
  };
}

function maskedLoadScalarCase(maskVal: boolean, otherVal: number): Case {
  return {
    test: 'test_masked_load_scalar',
    id: `${maskVal}-${otherVal}`,
    simulate: true,
    run: (launch) => {
      const [, out] = launch(maskedLoadScalar, [1], [tensor(new Array(128).fill(4.0)), empty([128], 'f32'), { SIZE: 128, MASK: maskVal, OTHER: otherVal }]);
      np.assertEqual(np.fromKt(out!), maskVal ? 4.0 : otherVal);
    },
  };
}

// ---- atomics ------------------------------------------------------------------------------------------------------------

function atomicRmwCase(op: string, dtype: TritonDType, mode: string, sem: string | null): Case {
  const id = `${op}-${dtype}-${mode}-${sem ?? 'None'}`;
  return {
    test: 'test_atomic_rmw',
    id,
    simulate: sem === null ? sampled(id, 2) : sampled(id, 16),
    run: (launch) => {
      const nPrograms = 5;
      const rs = new Random(17);
      const d = dtype as NpDType;
      const isFloat = (floatDTypes as readonly string[]).includes(dtype);
      let x = np.array(
        d,
        [nPrograms],
        Array.from({ length: nPrograms }, (_, i) => 2 ** i),
      );
      const absMax = (): bigint | number => np.max(np.abs(x)).data[0]!;
      if (mode === 'all_neg') x = np.negative(np.abs(x));
      if (mode === 'all_pos') x = np.abs(x);
      if (mode === 'min_neg' || mode === 'max_pos') {
        const idx = Math.floor(rs.next() * nPrograms);
        const m = absMax();
        const v = mode === 'min_neg' ? (typeof m === 'bigint' ? -m - 1n : -m - 1) : typeof m === 'bigint' ? m + 1n : m + 1;
        x = { ...x, data: x.data.map((e, i) => (i === idx ? np.castScalar(typeof v === 'bigint' ? v : v, isFloat ? 'float64' : 'int64', d) : e)) };
      }
      const [lo, hi] = isFloat ? [-Infinity, Infinity] : np.intRange(d);
      const neutral = op === 'add' ? 0 : op === 'max' ? lo : hi;
      const z = np.array(d, [1], [neutral as number | bigint]);
      const [, zOut] = launch(atomicRmw, [nPrograms], [np.toKt(x), np.toKt(z), { OP: op, SEM: sem }]);
      const ref = np.astype(op === 'add' ? np.sum(x) : op === 'max' ? np.max(x) : np.min(x), d);
      if (op === 'add') np.assertAllclose(np.fromKt(zOut!), np.reshape(ref, [1]), { rtol: 0.01 });
      else np.assertEqual(np.fromKt(zOut!), np.reshape(ref, [1]));
    },
  };
}

function atomicRmwCases(): Case[] {
  const cases: Case[] = [];
  const pairs: [string, TritonDType][] = [
    ['add', 'float16'],
    ['add', 'uint32'],
    ['add', 'int32'],
    ['add', 'float32'],
    ['add', 'uint64'],
    ['add', 'int64'],
    ['add', 'float64'],
  ];
  for (const op of ['max', 'min']) for (const d of ['uint32', 'int32', 'float32', 'uint64', 'int64', 'float64'] as TritonDType[]) pairs.push([op, d]);
  for (const mode of ['all_neg', 'all_pos', 'min_neg', 'max_pos']) for (const sem of [null, 'acquire', 'release', 'acq_rel', 'relaxed']) for (const [op, d] of pairs) cases.push(atomicRmwCase(op, d, mode, sem));
  return cases;
}

const atomicRmwPredicateCase: Case = {
  test: 'test_atomic_rmw_predicate',
  id: '1',
  simulate: false,
  run: (launch) => {
    const [x] = launch(atomicRmwPredicate, [4096], [tensor([0], { dtype: 'i32' })]);
    np.assertEqual(np.fromKt(x!), 63);
  },
};

function tensorAtomicRmwCase(shape: readonly [number, number], axis: number, dtype: TritonDType): Case {
  const id = `(${shape.join(', ')})-${axis}-1-${dtype}-True`;
  return {
    test: 'test_tensor_atomic_rmw',
    id,
    simulate: shape[0] * shape[1] <= 256 && sampled(id, 3),
    run: (launch) => {
      const [s0, s1] = shape;
      const rs = new Random(17);
      const x = np.numpyRandom(shape, dtype, rs);
      const zShape = axis === 1 ? [s0] : [s1];
      const z = np.numpyRandom(zShape, dtype, rs);
      const old = np.full(dtype as NpDType, zShape, 0);
      const zRef = dtype === 'float16' ? np.add(z, np.astype(np.sum(np.astype(x, 'float32'), axis), 'float16')) : np.add(z, np.astype(np.sum(x, axis), dtype as NpDType));
      // Float sums differ in order between the tiers (kt's f16 atomic add then rounds once): within Triton's rtol.
      const [zOut, , oldOut] = launch(tensorAtomicRmw, [1], [np.toKt(z), np.toKt(x), np.toKt(old), { AXIS: axis, SHAPE0: s0, SHAPE1: s1, DTYPE: dtype === 'float16' ? tl.float16 : null, RETURN_VAL: true }], {
        tol: { atol: 1e-3, rtol: 1e-3 },
      });
      np.assertAllclose(np.fromKt(zOut!), zRef, { rtol: 1e-4 });
      np.assertEqual(np.fromKt(oldOut!), z);
    },
  };
}

function nonExclusiveOffsetCase(size: number, dtype: 'float16' | 'float32'): Case {
  const id = `${size}-1-${dtype}`;
  return {
    test: 'test_tensor_atomic_add_non_exclusive_offset',
    id,
    simulate: size <= 32,
    run: (launch) => {
      const rs = new Random(17);
      const val = np.array(dtype, [size * size], Array.from({ length: size * size }, () => rs.normal()));
      const x = np.full(dtype, [size / 2, size], 0);
      const [xOut] = launch(atomicAddNonExclusiveOffset, [1], [np.toKt(x), np.toKt(val), { NUM: size, numWarps: 1 }]);
      const ref = np.array(
        dtype,
        [(size * size) / 2],
        Array.from({ length: (size * size) / 2 }, (_, i) => (val.data[2 * i] as number) + (val.data[2 * i + 1] as number)),
      );
      // torch.testing.assert_close's tolerance for the dtype.
      np.assertAllclose(np.reshape(np.fromKt(xOut!), [(size * size) / 2]), ref, dtype === 'float16' ? { rtol: 1e-3, atol: 1e-5 } : { rtol: 1.3e-6, atol: 1e-5 });
    },
  };
}

const tensorAtomicRmwBlockCase: Case = {
  test: 'test_tensor_atomic_rmw_block',
  id: '1',
  simulate: true,
  run: (launch) => {
    const [x] = launch(tensorAtomicRmwBlock, [2], [tensor(new Array(64).fill(1), { shape: [8, 8] }), { SHAPE0: 8, SHAPE1: 8 }]);
    const got = np.fromKt(x!);
    np.assertEqual(np.min(got), 0);
  },
};

function tensorAtomicCasCase(sem: string | null): Case {
  return {
    test: 'test_tensor_atomic_cas',
    id: `${sem ?? 'None'}-1`,
    simulate: sem === null,
    run: (launch) => {
      const [x] = launch(tensorAtomicCas, [2], [tensor([0n, 1n, 0n, 1n, 0n, 1n, 0n, 1n], { dtype: 'i64' }), { BLOCK_SIZE: 4, SEM: sem }]);
      np.assertEqual(np.fromKt(x!), np.array('int64', [8], [2, 1, 2, 1, 2, 1, 2, 1]));
    },
  };
}

export function memoryCases(): Case[] {
  const cases: Case[] = [];
  for (const start of [0, 1, 7, 16]) cases.push(arangeCase(start));
  for (const d of [...intDTypes, ...uintDTypes, ...floatDTypes, 'bfloat16'] as TritonDType[]) for (const shape of [[], [1], [128]]) cases.push(fullCase(d, shape));
  for (const d of ['bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'float16', 'float32', 'float64', 'bfloat16'] as TritonDType[])
    for (const size of [128, 512]) for (const sizeDiff of [0, 1, 2, 3, 4]) for (const other of [0, 1]) cases.push(maskedLoadCase(d, size, sizeDiff, other));
  for (const mask of [true, false]) for (const other of [0, 1]) cases.push(maskedLoadScalarCase(mask, other));
  cases.push(...atomicRmwCases(), atomicRmwPredicateCase);
  for (const shape of [
    [2, 2],
    [2, 8],
    [8, 2],
    [8, 8],
    [32, 32],
    [64, 64],
  ] as const)
    for (const axis of [0, 1]) for (const d of ['float16', 'float32', 'uint64', 'int64', 'float64'] as TritonDType[]) cases.push(tensorAtomicRmwCase(shape, axis, d));
  for (const size of [2, 4, 8, 32, 64, 128]) for (const d of ['float16', 'float32'] as const) cases.push(nonExclusiveOffsetCase(size, d));
  cases.push(tensorAtomicRmwBlockCase);
  for (const sem of [null, 'acquire', 'release', 'acq_rel', 'relaxed']) cases.push(tensorAtomicCasCase(sem));
  return cases;
}
