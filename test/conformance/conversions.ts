// Triton's float conversion tests (python/test/unit/language/test_conversions.py: test_typeconvert_downcast), ported:
// the same kernels (type_convert_triton, exhaustive_populate, arbitrary_fp32_downcast in downcast_emulated,
// upcast_emulated) and the parametrisations that apply to NVIDIA GPUs, rtz ones included. A case fills the source
// with pseudorandom bit patterns of magnitude at most max_repr (the largest finite value of the destination, so no
// overflow), converts them with x.to(dtype, fpDowncastRounding), converts them again with Triton's emulation in
// integer and f32 arithmetic, widens both to f32 with upcast_emulated and expects them bit for bit equal; and, since
// an emulation run on kt checks kt against kt, expects the conversion to equal src/numerics.ts's rounding of the
// source values too. Triton converts 256 blocks of 2^24 patterns (the whole 32-bit space for f32 sources); kt takes
// 4 of those offsets, 2^14 patterns each, which the interpreter runs in seconds.
import { empty, kernel, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { dtypes as ktDTypes, type DTypeName } from '../../src/compiler/semantic/dtype.ts';
import { roundToFloat, roundTowardZero, type FloatFormatName } from '../../src/numerics.ts';
import type { Case, Launch } from './suite.ts';

/** type_convert_triton: y = x.to(dst's dtype, fp_downcast_rounding=rounding); '' stands for Triton's None. */
const typeConvert = kernel(function typeConvert(src: Ptr, dst: Ptr, ROUNDING: constexpr<string>, BLOCK_SIZE: constexpr) {
  const idxs = tl.programId(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  const x = tl.load(src + idxs);
  let y = x.to(dst.dtype.elementTy);
  if (ROUNDING !== '') y = x.to(dst.dtype.elementTy, { fpDowncastRounding: ROUNDING as 'rtne' | 'rtz' });
  tl.store(dst + idxs, y);
});

/** exhaustive_populate: a pseudorandom permutation of bit patterns, those above max_repr in magnitude made 0. */
const exhaustivePopulate = kernel(function exhaustivePopulate(dst: Ptr, offset: i32, BLOCK_SIZE: constexpr, FORCE_ODD: constexpr<boolean>, OUTPUT_BITS: constexpr, MAX_REPR: constexpr) {
  const idxs = tl.programId(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  let vals = (idxs + offset).to(tl.uint32);
  // pseudorandom permutation:
  let multiplier = vals << 1;
  multiplier += 3511;
  vals *= multiplier;
  if (FORCE_ODD) {
    vals *= 2;
    vals += 1;
  }
  let avals = vals;
  if (OUTPUT_BITS === 8) {
    vals &= 0xff;
    avals = vals & 0x7f;
  } else if (OUTPUT_BITS === 16) {
    vals &= 0xffff;
    avals = vals & 0x7fff;
  } else if (OUTPUT_BITS === 32) {
    avals = vals & 0x7fffffff;
  }
  vals = tl.where(avals <= MAX_REPR, vals, 0);
  let out = vals;
  if (OUTPUT_BITS === 8) out = vals.to(tl.uint8);
  else if (OUTPUT_BITS === 16) out = vals.to(tl.uint16);
  tl.store(dst + idxs, out.to(dst.dtype.elementTy, { bitcast: true }));
});

/** arbitrary_fp32_downcast: an f32 to the bits of a narrower format, in integer and f32 arithmetic. */
function arbitraryFp32Downcast(x: number, ROUNDING: string, EXPONENT_BITS: number, MANTISSA_BITS: number, EXPONENT_BIAS: number) {
  tl.staticAssert(x.dtype === tl.float32, 'input must be float32');
  const numbitsDst = 1 + EXPONENT_BITS + MANTISSA_BITS;
  tl.staticAssert(numbitsDst === 8 || numbitsDst === 16, 'numbits_dst must be 8 or 16');
  const bits = x.to(tl.uint32, { bitcast: true });
  let mantissa = bits & 0x7fffff;
  let exponent = ((bits >> 23) & 0xff).to(tl.int32);
  mantissa = tl.where(exponent === 0, mantissa, mantissa + 0x800000).to(tl.int32);
  exponent = tl.where(exponent === 0, exponent, exponent - 1);
  const sign = bits >> 31;
  exponent = exponent + EXPONENT_BIAS - 127;
  const adjustment = 0.5 ** (23 - MANTISSA_BITS);
  let m = mantissa.to(tl.float32) * adjustment;
  // make exponent nonnegative:
  m = tl.where(exponent > -16, m, 0.0); // destination has fewer than 16 mantissa bits, so safe
  exponent = tl.where(exponent > -16, exponent, 0);
  m = tl.where(exponent > -8, m, m * 0.00390625);
  exponent = tl.where(exponent > -8, exponent, exponent + 8);
  m = tl.where(exponent > -4, m, m * 0.0625);
  exponent = tl.where(exponent > -4, exponent, exponent + 4);
  m = tl.where(exponent > -2, m, m * 0.25);
  exponent = tl.where(exponent > -2, exponent, exponent + 2);
  m = tl.where(exponent > -1, m, m * 0.5);
  exponent = tl.where(exponent > -1, exponent, exponent + 1);
  let rounded = m.to(tl.int32);
  if (ROUNDING === 'rtne') {
    // Bring the value to the range [2 ** 23, 2 ** 24] where the representable floats map exactly to integers;
    // addition has RTNE semantics. Then bring it back.
    m += 0x800000;
    m -= 0x800000;
    rounded = m.to(tl.int32);
  } else tl.staticAssert(ROUNDING === 'rtz', 'unrecognized rounding mode');
  // Reassemble output floating-point representation:
  const e = exponent.to(tl.uint32);
  const y = (sign << (EXPONENT_BITS + MANTISSA_BITS)) + (e << MANTISSA_BITS) + rounded;
  return numbitsDst === 8 ? y.to(tl.uint8) : y.to(tl.uint16);
}

const downcastEmulated = kernel(function downcastEmulated(src: Ptr, dst: Ptr, ROUNDING: constexpr<string>, BLOCK_SIZE: constexpr, EXPONENT_BITS: constexpr, MANTISSA_BITS: constexpr, EXPONENT_BIAS: constexpr) {
  tl.staticAssert(src.dtype.elementTy === tl.float32, 'src dtype must be float32');
  const idxs = tl.programId(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  const x = tl.load(src + idxs);
  const y = arbitraryFp32Downcast(x, ROUNDING, EXPONENT_BITS, MANTISSA_BITS, EXPONENT_BIAS);
  tl.store(dst + idxs, y.to(dst.dtype.elementTy, { bitcast: true }));
});

/** upcast_emulated: the bits of a narrow format to the f32 of the same value. */
const upcastEmulated = kernel(function upcastEmulated(src: Ptr, dst: Ptr, BLOCK_SIZE: constexpr, EXPONENT_BITS: constexpr, MANTISSA_BITS: constexpr, EXPONENT_BIAS: constexpr) {
  const exponentCompensator = 2.0 ** (127 - EXPONENT_BIAS);
  const numbitsSrc = 1 + EXPONENT_BITS + MANTISSA_BITS;
  tl.staticAssert(numbitsSrc === 8 || numbitsSrc === 16, 'numbits_src must be 8 or 16');
  tl.staticAssert(dst.dtype.elementTy === tl.float32, 'dst dtype must be float32');
  const idxs = tl.programId(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE);
  const raw = tl.load(src + idxs);
  const x = (numbitsSrc === 8 ? raw.to(tl.uint8, { bitcast: true }) : raw.to(tl.uint16, { bitcast: true })).to(tl.uint32);
  const mantissaMask = (1 << MANTISSA_BITS) - 1;
  const exponentMask = (1 << EXPONENT_BITS) - 1;
  const mantissa = x & mantissaMask;
  const exponent = (x >> MANTISSA_BITS) & exponentMask;
  const sign = x >> (numbitsSrc - 1);
  let y = (sign << 31) | (exponent << 23) | (mantissa << (23 - MANTISSA_BITS));
  y = y.to(tl.float32, { bitcast: true });
  tl.store(dst + idxs, y * exponentCompensator);
});

type Name = 'float32' | 'float16' | 'bfloat16' | 'float8e5' | 'float8e4nv';
const ktName: Record<Name, DTypeName> = { float32: 'f32', float16: 'f16', bfloat16: 'bf16', float8e5: 'f8e5m2', float8e4nv: 'f8e4m3' };
const formatName: Record<Name, FloatFormatName> = { float32: 'f32', float16: 'f16', bfloat16: 'bf16', float8e5: 'f8E5M2', float8e4nv: 'f8E4M3FN' };
/** dtype: (exponent_bits, mantissa_bits, exponent_bias) */
const stuff: Partial<Record<Name, [number, number, number]>> = { float16: [5, 10, 15], bfloat16: [8, 7, 127], float8e5: [5, 2, 15], float8e4nv: [4, 3, 7] };
const bitsOf = (d: Name): number => ktDTypes[ktName[d]].bits;

const BLOCK_SIZE = 4096;
const NUMEL = 2 ** 14;
/** Of Triton's 256 offsets (each the top byte of the first pattern's index), the ones kt runs. */
const OFFSETS = [0, 1, 64, 127];

function downcastCase(srcDtype: Name, dstDtype: Name, rounding: 'rtne' | 'rtz', maxRepr: number): Case {
  const id = `${srcDtype}-${dstDtype}-${rounding}-0x${maxRepr.toString(16)}`;
  const [exponentBits, mantissaBits, exponentBias] = stuff[dstDtype]!;
  const grid = [NUMEL / BLOCK_SIZE];
  const convert = (launch: Launch, src: ReturnType<typeof empty>, to: Name, r: string) => launch(typeConvert, grid, [src, empty([NUMEL], ktName[to]), { ROUNDING: r, BLOCK_SIZE }])[1]!;
  const upcast = (launch: Launch, x: ReturnType<typeof empty>) => launch(upcastEmulated, grid, [x, empty([NUMEL], 'f32'), { BLOCK_SIZE, EXPONENT_BITS: exponentBits, MANTISSA_BITS: mantissaBits, EXPONENT_BIAS: exponentBias }])[1]!;
  return {
    test: 'test_typeconvert_downcast',
    id,
    simulate: rounding === 'rtz',
    run: (launch) => {
      for (const offset of OFFSETS) {
        const populated = launch(exhaustivePopulate, grid, [empty([NUMEL], ktName[srcDtype]), offset << 24, { BLOCK_SIZE, FORCE_ODD: false, OUTPUT_BITS: bitsOf(srcDtype), MAX_REPR: maxRepr }])[0]!;
        const sourceValues = Array.from(populated.toArray() as ArrayLike<number>);
        const dst = convert(launch, populated, dstDtype, rounding);
        const converted = Array.from(dst.toArray() as ArrayLike<number>);
        const srcF32 = convert(launch, populated, 'float32', '');
        const dst2 = launch(downcastEmulated, grid, [srcF32, empty([NUMEL], ktName[dstDtype]), { ROUNDING: rounding, BLOCK_SIZE, EXPONENT_BITS: exponentBits, MANTISSA_BITS: mantissaBits, EXPONENT_BIAS: exponentBias }])[1]!;
        const [a, b] = [upcast(launch, dst), upcast(launch, dst2)].map((t) => new Uint32Array(new Float32Array(t.toArray() as ArrayLike<number>).buffer));
        const mismatches = a!.reduce((n, v, i) => n + (v !== b![i] ? 1 : 0), 0);
        if (mismatches) {
          const i = a!.findIndex((v, j) => v !== b![j]);
          throw new Error(`offset ${offset}: ${mismatches} elements mismatch; first at ${i}: ${sourceValues[i]} gave 0x${a![i]!.toString(16)}, emulated 0x${b![i]!.toString(16)}`);
        }
        // The conversion itself, against kt's numerics (the emulation above is kt code too).
        const round = (v: number): number => (rounding === 'rtz' ? roundTowardZero(v, formatName[dstDtype]) : roundToFloat(v, formatName[dstDtype]));
        const wrong = sourceValues.findIndex((v, i) => !Object.is(converted[i], round(v)));
        if (wrong >= 0) throw new Error(`offset ${offset}: ${sourceValues[wrong]} converted to ${converted[wrong]}, want ${round(sourceValues[wrong]!)}`);
      }
    },
  };
}

export function conversionCases(): Case[] {
  // test_typeconvert_downcast's rows that apply to NVIDIA GPUs (float8e4b8 and float8e5b16 are AMD's; kt has neither).
  const rows: [Name, Name, 'rtne' | 'rtz', number][] = [
    ['float32', 'float16', 'rtne', 0x477fe000],
    ['float32', 'float16', 'rtz', 0x477fe000],
    ['float32', 'bfloat16', 'rtne', 0x7f7f0000],
    ['float32', 'bfloat16', 'rtz', 0x7f7f0000],
    ['float32', 'float8e5', 'rtne', 0x47600000],
    ['float32', 'float8e5', 'rtz', 0x47600000],
    ['float32', 'float8e4nv', 'rtne', 0x43e00000],
    ['bfloat16', 'float8e5', 'rtne', 0x4760],
    ['bfloat16', 'float8e4nv', 'rtne', 0x43e0],
    ['float16', 'float8e5', 'rtne', 0x7b00],
    ['float16', 'float8e4nv', 'rtne', 0x5f00],
  ];
  return rows.map(([s, d, r, m]) => downcastCase(s, d, r, m));
}
