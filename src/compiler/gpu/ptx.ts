// The PTX printer: renders the per-thread IR as PTX text. Mostly a table from op to instruction; structured
// control flow becomes labels and predicated branches here. Registers are virtual (ptxas allocates them):
// .pred for i1, .b32 for i8/i16/i32 (narrow integers kept sign-extended), .b64 for i64 and pointers,
// .b16 for f16/bf16 and fp8 (the byte in the low half), .f32 and .f64 for floats. fp8 conversions, constants and
// bitcasts, and fp8 vectors of more than 4, are printed by ptx-fp8.ts.
import { DenseAttr, FloatAttr, IntegerAttr } from '../ir/attributes.ts';
import type { Block, Operation, Value } from '../ir/core.ts';
import { pointeeBytes } from '../ir/elementwise.ts';
import { FloatType, IntType, PointerType, i32, type ScalarType, type Type } from '../ir/types.ts';
import { bf16ToBits, f16ToBits } from '../../numerics.ts';
import { f32RoundedToOdd, fp8PackedAccess, isFp8, printFp8Op, type AccessKind } from './ptx-fp8.ts';
import { parseConstraints, registerPtxType, substituteOperands, type AsmConstraint } from '../ir/inline-asm.ts';
import { smOf } from '../../gpu-targets.ts';

export interface PtxOptions {
  /** sm_XY: the target architecture (default sm_90). */
  target?: string;
  /** Threads per program (32 * num_warps), declared as .maxntid. */
  numThreads: number;
  /** Bytes of dynamic shared memory the kernel uses. */
  sharedBytes: number;
}

type RegClass = 'p' | 'r' | 'rd' | 'h' | 'f' | 'fd';

const regDecl: Record<RegClass, string> = { p: '.pred', r: '.b32', rd: '.b64', h: '.b16', f: '.f32', fd: '.f64' };

function regClass(t: Type): RegClass {
  if (t instanceof PointerType) return 'rd';
  if (t instanceof IntType) return t.width === 1 ? 'p' : t.width === 64 ? 'rd' : 'r';
  if (t instanceof FloatType) return t.width === 64 ? 'fd' : t.width === 32 ? 'f' : 'h';
  throw new Error(`no PTX register for ${t.text}`);
}

const intSuffix = (t: Type, unsigned = false): string => {
  const w = t instanceof PointerType ? 64 : (t as IntType).width;
  return `${unsigned ? 'u' : 's'}${w === 64 ? 64 : 32}`;
};

/** The PTX type of a float op on t. */
const fty = (t: Type): string => (t as FloatType).text;

/** Memory type suffix for an element: .f32, .b32, .s8, .b16 ... */
function memType(t: ScalarType, forLoad: boolean): string {
  if (t instanceof PointerType) return 'b64';
  if (t instanceof FloatType) return t.width === 16 ? 'b16' : t.width === 8 ? 'b8' : t.text;
  const w = (t as IntType).width;
  if (w === 8) return forLoad ? 's8' : 'b8';
  if (w === 16) return forLoad ? 's16' : 'b16';
  return `b${w}`;
}

const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, '0');

function floatImmediate(x: number, t: FloatType): string {
  if (t.width === 64) {
    const b = new BigUint64Array(new Float64Array([x]).buffer)[0]!;
    return `0d${b.toString(16).toUpperCase().padStart(16, '0')}`;
  }
  const f = new Uint32Array(new Float32Array([x]).buffer)[0]!;
  return `0f${hex(f, 8)}`;
}

const cmpiPredicate: Record<string, [string, boolean]> = {
  eq: ['eq', false],
  ne: ['ne', false],
  slt: ['lt', false],
  sle: ['le', false],
  sgt: ['gt', false],
  sge: ['ge', false],
  ult: ['lt', true],
  ule: ['le', true],
  ugt: ['gt', true],
  uge: ['ge', true],
};
const cmpfPredicate: Record<string, string> = { oeq: 'eq', one: 'ne', olt: 'lt', ole: 'le', ogt: 'gt', oge: 'ge', ord: 'num', ueq: 'equ', une: 'neu', ult: 'ltu', ule: 'leu', ugt: 'gtu', uge: 'geu', uno: 'nan' };

class PtxPrinter {
  private readonly body: string[] = [];
  private readonly regs = new Map<Value, string>();
  private readonly counts: Record<RegClass, number> = { p: 0, r: 0, rd: 0, h: 0, f: 0, fd: 0 };
  private labels = 0;
  private readonly strings: string[] = [];
  private usesPrintf = false;
  private usesAssert = false;
  private localBytes = 0;

  /** How many operands name each value (for wgmma, which updates its accumulator registers in place). */
  private readonly uses = new Map<Value, number>();

  constructor(
    private readonly fn: Operation,
    /** The architecture number: 90 for sm_90. Before 90, PTX has no bf16 add/sub/mul/setp, nor bf16 conversions to integers, f64 or f16. */
    readonly sm: number,
  ) {
    fn.walk((op) => {
      for (const v of op.operands) this.uses.set(v, (this.uses.get(v) ?? 0) + 1);
    });
  }

  /**
   * Registers for an instruction that overwrites its operands in place (wgmma's accumulator): an operand's own
   * register where nothing else reads the value and no other operand shares the register, else a fresh copy.
   * Copying a register a wgmma still writes would make ptxas wait for it, so the in-place case is the one that
   * must hold in loops (it does: the accumulator flows from wgmma to wgmma).
   */
  inPlace(operands: readonly Value[]): string[] {
    const seen = new Set<string>();
    return operands.map((v) => {
      const reg = this.reg(v);
      if (this.uses.get(v) === 1 && !seen.has(reg) && v.definingOp?.name !== 'arith.constant') {
        seen.add(reg);
        return reg;
      }
      const copy = this.fresh(v.type);
      this.move(copy, v);
      seen.add(copy);
      return copy;
    });
  }

  /** Whether bf16 values must go through f32 (or fma) for `op`: before sm_90. */
  bf16ViaF32(...types: Type[]): boolean {
    return this.sm < 90 && types.some((t) => t instanceof FloatType && t.text === 'bf16');
  }

  /** A bf16 value widened to f32 (exactly: its bits are an f32's upper half). */
  widenBf16(v: Value): string {
    const f = this.fresh(new FloatType('f32'));
    this.line(`cvt.f32.bf16 ${f}, ${this.r(v)};`);
    return f;
  }

  private reg(v: Value): string {
    let r = this.regs.get(v);
    if (!r) {
      const c = regClass(v.type);
      r = `%${c}${++this.counts[c]}`;
      this.regs.set(v, r);
    }
    return r;
  }

  private fresh(t: Type): string {
    const c = regClass(t);
    return `%${c}${++this.counts[c]}`;
  }

  private line(s: string): void {
    this.body.push(`\t${s}`);
  }

  private label(): string {
    return `$L__${this.labels++}`;
  }

  private stringConstant(text: string): string {
    const name = `$str${this.strings.length}`;
    const bytes = [...Buffer.from(text, 'utf8'), 0];
    this.strings.push(`.global .align 1 .b8 ${name}[${bytes.length}] = {${bytes.join(', ')}};`);
    return name;
  }

  /** mma.sync on fp8 operands (sm_89+) arrived in PTX ISA 8.4. */
  private needsFp8Mma(): boolean {
    let found = false;
    this.fn.walk((op) => {
      if (op.name === 'gpu.mma_sync' && ['e4m3', 'e5m2'].includes(op.attrs['aType'] as string)) found = true;
    });
    return found;
  }

  render(options: PtxOptions): string {
    const name = this.fn.attrs['sym_name'] as string;
    const entry = this.fn.regions[0]!.entry;
    const params = entry.args.map((a, i) => `\t.param .${paramType(a.type)} ${name}_param_${i}`);
    entry.args.forEach((a, i) => this.loadParam(a, `${name}_param_${i}`));
    this.block(entry);
    const decls = (Object.keys(this.counts) as RegClass[]).filter((c) => this.counts[c] > 0).map((c) => `\t.reg ${regDecl[c]} %${c}<${this.counts[c] + 1}>;`);
    const externs: string[] = [];
    if (this.usesPrintf) externs.push('.extern .func (.param .b32 func_retval0) vprintf(.param .b64 vprintf_param_0, .param .b64 vprintf_param_1);');
    if (this.usesAssert) externs.push('.extern .func __assertfail(.param .b64 __assertfail_param_0, .param .b64 __assertfail_param_1, .param .b32 __assertfail_param_2, .param .b64 __assertfail_param_3, .param .b64 __assertfail_param_4);');
    const target = options.target ?? 'sm_90';
    return [
      '//',
      '// Generated by kt',
      '//',
      `.version ${this.needsFp8Mma() ? maxVersion(ptxVersion(target), '8.4') : ptxVersion(target)}`,
      `.target ${target}`,
      '.address_size 64',
      '',
      ...externs,
      ...this.strings,
      '.extern .shared .align 16 .b8 global_smem[];',
      '',
      `.visible .entry ${name}(`,
      params.join(',\n'),
      ')',
      `.maxntid ${options.numThreads}, 1, 1`,
      '{',
      ...decls,
      ...(this.localBytes ? [`\t.local .align 8 .b8 __local_depot[${this.localBytes}];`] : []),
      ...this.body,
      '}',
      '',
    ].join('\n');
  }

  private loadParam(a: Value, param: string): void {
    const t = a.type;
    const r = this.reg(a);
    if (t instanceof IntType && t.width === 1) {
      const tmp = this.fresh(new IntType(32));
      this.line(`ld.param.u32 ${tmp}, [${param}];`);
      this.line(`setp.ne.u32 ${r}, ${tmp}, 0;`);
    } else if (t instanceof IntType && t.width < 32) {
      this.line(`ld.param.s32 ${r}, [${param}];`);
    } else {
      this.line(`ld.param.${paramType(t)} ${r}, [${param}];`);
    }
  }

  private block(b: Block): void {
    for (const op of b.ops) this.op(op);
  }

  private op(op: Operation): void {
    if (printFp8Op(this, op)) return;
    const handler = handlers[op.name];
    if (handler) return handler(this, op);
    throw new Error(`the PTX printer has no rule for ${op.name}`);
  }

  // Shared helpers for the handler table.
  r(v: Value): string {
    return this.reg(v);
  }
  emit(s: string): void {
    this.line(s);
  }
  tmp(t: Type): string {
    return this.fresh(t);
  }

  /** Narrow integers (i8, i16) live sign-extended in 32-bit registers: re-extend after an op that may overflow. */
  canonicalize(v: Value): void {
    const t = v.type;
    if (t instanceof IntType && (t.width === 8 || t.width === 16)) this.line(`cvt.s32.s${t.width} ${this.r(v)}, ${this.r(v)};`);
  }

  /** The value of v as an unsigned 32-bit number (narrow integers zero-extended). */
  unsignedOperand(v: Value): string {
    const t = v.type;
    if (t instanceof IntType && (t.width === 8 || t.width === 16)) {
      const tmp = this.fresh(t);
      this.line(`and.b32 ${tmp}, ${this.r(v)}, ${t.width === 8 ? '0xFF' : '0xFFFF'};`);
      return tmp;
    }
    return this.r(v);
  }

  /** A shift amount as PTX wants it, a .u32 (ptx clamps it at the width, as the interpreter does). */
  shiftAmount(v: Value): string {
    const t = v.type;
    if (!(t instanceof IntType && t.width === 64)) return this.unsignedOperand(v);
    const [clamped, narrow] = [this.fresh(t), this.fresh(new IntType(32))];
    this.line(`min.u64 ${clamped}, ${this.r(v)}, 64;`);
    this.line(`cvt.u32.u64 ${narrow}, ${clamped};`);
    return narrow;
  }

  move(dst: string, src: Value): void {
    const t = src.type;
    const c = regClass(t);
    this.line(c === 'p' ? `and.pred ${dst}, ${this.r(src)}, ${this.r(src)};` : `mov.${regDecl[c].slice(1)} ${dst}, ${this.r(src)};`);
  }

  /**
   * Copies values into registers as one parallel assignment. A register moved onto itself is no move (loop
   * accumulators that wgmma updates in place are never copied); sources that are also destinations go through
   * temporaries first.
   */
  parallelMove(dsts: readonly string[], srcs: readonly Value[]): void {
    const pairs = dsts.map((d, i) => ({ d, s: srcs[i]! })).filter(({ d, s }) => this.reg(s) !== d);
    const written = new Set(pairs.map((p) => p.d));
    const staged = pairs.map(({ d, s }) => {
      if (!written.has(this.reg(s))) return { d, from: this.reg(s), s };
      const t = this.fresh(s.type);
      this.move(t, s);
      return { d, from: t, s };
    });
    for (const { d, from, s } of staged) {
      const c = regClass(s.type);
      this.line(c === 'p' ? `and.pred ${d}, ${from}, ${from};` : `mov.${regDecl[c].slice(1)} ${d}, ${from};`);
    }
  }

  newLabel(): string {
    return this.label();
  }
  placeLabel(l: string): void {
    this.body.push(`${l}:`);
  }
  /** Renders one op (for the control-flow rules, which render their regions' ops themselves). */
  lower(op: Operation): void {
    this.op(op);
  }
  /** Makes `v` name an existing register (loop results are the loop's carried registers). */
  alias(v: Value, reg: string): void {
    this.regs.set(v, reg);
  }
  string(text: string): string {
    return this.stringConstant(text);
  }
  needPrintf(): void {
    this.usesPrintf = true;
  }
  needAssert(): void {
    this.usesAssert = true;
  }
  /** Reserves local memory (for printf arguments); returns its byte offset. */
  local(bytes: number): number {
    const off = this.localBytes;
    this.localBytes = Math.max(this.localBytes, bytes);
    return off;
  }
}

function paramType(t: Type): string {
  if (t instanceof PointerType) return 'u64';
  if (t instanceof IntType) return t.width === 64 ? 'u64' : 'u32';
  if (t instanceof FloatType) return t.width === 16 ? 'b16' : t.text;
  throw new Error(`no PTX parameter type for ${t.text}`);
}

/** The oldest PTX ISA version that supports the target (each architecture arrived with a newer ISA). */
const maxVersion = (a: string, b: string): string => (Number(a) >= Number(b) ? a : b);

function ptxVersion(target: string): string {
  const sm = smOf(target);
  // sm_89's fp8 conversions (cvt ...e4m3x2, see ptx-fp8.ts) arrived in PTX ISA 8.1 (sm_90's in 7.8).
  return sm >= 120 ? '8.7' : sm >= 100 ? '8.6' : sm === 89 ? '8.1' : sm >= 80 ? '8.0' : '7.0';
}

type Handler = (p: PtxPrinter, op: Operation) => void;

const intBinary = (mnemonic: string, opts: { unsigned?: boolean; canonical?: boolean; pred?: string } = {}): Handler => (p, op) => {
  const [a, b] = op.operands as [Value, Value];
  const t = op.result.type;
  if (t instanceof IntType && t.width === 1) {
    if (!opts.pred) throw new Error(`${op.name} on i1`);
    return p.emit(`${opts.pred}.pred ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
  }
  const sa = opts.unsigned ? p.unsignedOperand(a) : p.r(a);
  const sb = mnemonic === 'shl' || mnemonic === 'shr' ? p.shiftAmount(b) : opts.unsigned ? p.unsignedOperand(b) : p.r(b);
  const suffix = mnemonic.startsWith('and') || mnemonic.startsWith('or') || mnemonic.startsWith('xor') || mnemonic.startsWith('shl') ? `b${(t as IntType).width === 64 ? 64 : 32}` : intSuffix(t, opts.unsigned);
  p.emit(`${mnemonic}.${suffix} ${p.r(op.result)}, ${sa}, ${sb};`);
  if (opts.canonical) p.canonicalize(op.result);
};

/**
 * Integer max and min as a compare and a select, not max/min: ptxas 13.0 (V13.0.88, sm_90 and sm_90a) fuses a
 * chain of max.s32 or min.s32 whose operands are negations into a three-input VIMNMX3 and drops one operand's
 * negation, so that max(-x) over a row came out as the maximum of some negated and some plain elements (found by
 * the differential fuzzer on the H200; the SASS shows the missing IMAD.MOV). A compare and a select become
 * ISETP and a predicated move, which it leaves alone. Floats keep max/min: FMNMX negates its operands itself.
 */
const intMinMax = (kind: 'max' | 'min', unsigned: boolean): Handler => (p, op) => {
  const [a, b] = op.operands as [Value, Value];
  const t = op.result.type as IntType;
  if (t.width === 1) return p.emit(`${kind === 'max' ? 'or' : 'and'}.pred ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
  const [x, y] = unsigned ? [p.unsignedOperand(a), p.unsignedOperand(b)] : [p.r(a), p.r(b)];
  const keepA = p.tmp(new IntType(1));
  p.emit(`setp.${kind === 'max' ? 'ge' : 'le'}.${intSuffix(t, unsigned)} ${keepA}, ${x}, ${y};`);
  p.emit(`selp.${regDecl[regClass(t)].slice(1)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)}, ${keepA};`);
};

const floatBinary = (mnemonic: string, round = true): Handler => (p, op) => {
  const [a, b] = op.operands as [Value, Value];
  const t = op.result.type as FloatType;
  if (round && p.bf16ViaF32(t)) {
    // Before sm_90, bf16 has fma but no add, sub or mul: a + b = fma(a, 1, b), a - b = fma(b, -1, a),
    // a * b = fma(a, b, -0), each rounded once, exactly as the missing instruction would.
    const [x, y, z] = mnemonic === 'add' ? [p.r(a), '0x3F80', p.r(b)] : mnemonic === 'sub' ? [p.r(b), '0xBF80', p.r(a)] : [p.r(a), p.r(b), '0x8000'];
    const regs = [x, y, z].map((v) => {
      if (!v.startsWith('0x')) return v;
      const k = p.tmp(t);
      p.emit(`mov.b16 ${k}, ${v};`);
      return k;
    });
    return p.emit(`fma.rn.bf16 ${p.r(op.result)}, ${regs.join(', ')};`);
  }
  p.emit(`${mnemonic}${round ? '.rn' : ''}.${fty(t)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
};

/** A float op PTX has only for f32 (or f32 and f64): narrower floats compute in f32 and round back. */
function viaF32(p: PtxPrinter, op: Operation, f: (dst: string, args: string[]) => void): void {
  const t = op.result.type as FloatType;
  if (t.width >= 32) return f(p.r(op.result), op.operands.map((v) => p.r(v)));
  const args = op.operands.map((v) => {
    const wide = p.tmp(new FloatType('f32'));
    p.emit(`cvt.f32.${fty(v.type)} ${wide}, ${p.r(v)};`);
    return wide;
  });
  const res = p.tmp(new FloatType('f32'));
  f(res, args);
  p.emit(`cvt.rn.${fty(t)}.f32 ${p.r(op.result)}, ${res};`);
}

/**
 * f64 rsqrt: rsqrt.approx.f64, whose error PTX does not state (the GPU suite saw it within 1e-10 relative), then one
 * Newton step, y + (y / 2)(1 - x y^2), which squares the relative error (and leaves rounding, an ulp or two). x y
 * comes first, so that neither a subnormal x nor a huge y overflows y^2. Where the approximation is not a normal
 * number (x = 0, infinity, negative or NaN: an infinity, 0 or NaN, all exact) it is the result as it is.
 */
function rsqrtF64(p: PtxPrinter, d: string, x: string): void {
  const f = new FloatType('f64');
  const [y, xy, r, half, refined, normal] = [p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(new IntType(1))];
  p.emit(`rsqrt.approx.f64 ${y}, ${x};`);
  p.emit(`mul.rn.f64 ${xy}, ${x}, ${y};`);
  p.emit(`neg.f64 ${xy}, ${xy};`);
  p.emit(`fma.rn.f64 ${r}, ${xy}, ${y}, ${floatImmediate(1, f)};`);
  p.emit(`mul.rn.f64 ${half}, ${y}, ${floatImmediate(0.5, f)};`);
  p.emit(`fma.rn.f64 ${refined}, ${half}, ${r}, ${y};`);
  p.emit(`testp.normal.f64 ${normal}, ${y};`);
  p.emit(`selp.f64 ${d}, ${refined}, ${y}, ${normal};`);
}

const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
// ln 2 in two f32 parts, the first with its low mantissa bits zero (as fdlibm's log1pf splits it).
const LN2_HI_F32 = 6.9313812256e-1;
const LN2_LO_F32 = 9.0580006145e-6;

const handlers: Record<string, Handler> = {
  'arith.constant': (p, op) => {
    const t = op.result.type;
    const a = op.attrs['value'];
    const s = a instanceof DenseAttr ? a.splat : (a as IntegerAttr | FloatAttr);
    const r = p.r(op.result);
    if (t instanceof IntType) {
      const v = BigInt((s as IntegerAttr).value);
      if (t.width === 1) return p.emit(`setp.ne.u32 ${r}, ${v & 1n}, 0;`);
      return p.emit(`mov.b${t.width === 64 ? 64 : 32} ${r}, ${t.width === 64 ? BigInt.asIntN(64, v) : Number(BigInt.asIntN(32, v))};`);
    }
    const x = (s as FloatAttr).value;
    const ft = t as FloatType;
    if (ft.width === 16) {
      const bits = ft.text === 'f16' ? f16ToBits(x) : bf16ToBits(x);
      return p.emit(`mov.b16 ${r}, 0x${hex(bits, 4)};`);
    }
    p.emit(`mov.${ft.text} ${r}, ${floatImmediate(x, ft)};`);
  },
  'gpu.thread_id': (p, op) => p.emit(`mov.u32 ${p.r(op.result)}, %tid.x;`),
  'gpu.block_id': (p, op) => p.emit(`mov.u32 ${p.r(op.result)}, %ctaid.${'xyz'[op.attrs['axis'] as number]};`),
  'gpu.grid_dim': (p, op) => p.emit(`mov.u32 ${p.r(op.result)}, %nctaid.${'xyz'[op.attrs['axis'] as number]};`),
  'gpu.shared_base': (p, op) => p.emit(`mov.u32 ${p.r(op.result)}, global_smem;`),
  'gpu.barrier': (p) => p.emit('bar.sync 0;'),

  'arith.addi': intBinary('add', { canonical: true, pred: 'xor' }),
  'arith.subi': intBinary('sub', { canonical: true, pred: 'xor' }),
  'arith.muli': intBinary('mul.lo', { canonical: true, pred: 'and' }),
  'arith.divsi': intBinary('div', { canonical: true }),
  'arith.divui': intBinary('div', { unsigned: true, canonical: true }),
  'arith.remsi': intBinary('rem'),
  'arith.remui': intBinary('rem', { unsigned: true, canonical: true }),
  'arith.andi': intBinary('and', { pred: 'and' }),
  'arith.ori': intBinary('or', { pred: 'or' }),
  'arith.xori': intBinary('xor', { pred: 'xor' }),
  'arith.shli': intBinary('shl', { canonical: true }),
  'arith.shrsi': intBinary('shr'),
  'arith.shrui': intBinary('shr', { unsigned: true, canonical: true }),
  'arith.maxsi': intMinMax('max', false),
  'arith.minsi': intMinMax('min', false),
  'arith.maxui': intMinMax('max', true),
  'arith.minui': intMinMax('min', true),
  'tt.mulhiui': (p, op) => {
    const [a, b] = op.operands as [Value, Value];
    p.emit(`mul.hi.${intSuffix(op.result.type, true)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
  },
  'math.absi': (p, op) => {
    p.emit(`abs.${intSuffix(op.result.type)} ${p.r(op.result)}, ${p.r(op.operands[0]!)};`);
    p.canonicalize(op.result);
  },

  'arith.addf': floatBinary('add'),
  'arith.subf': floatBinary('sub'),
  'arith.mulf': floatBinary('mul'),
  'arith.divf': (p, op) => viaF32(p, op, (d, [a, b]) => p.emit(`div.rn.${op.result.type.text === 'f64' ? 'f64' : 'f32'} ${d}, ${a}, ${b};`)),
  'arith.remf': (p, op) => remf(p, op),
  'arith.negf': (p, op) => p.emit(`neg.${fty(op.result.type)} ${p.r(op.result)}, ${p.r(op.operands[0]!)};`),
  'arith.maxnumf': floatBinary('max', false),
  'arith.minnumf': floatBinary('min', false),
  'arith.maximumf': (p, op) => nanAware(p, op, 'max'),
  'arith.minimumf': (p, op) => nanAware(p, op, 'min'),
  'math.fma': (p, op) => {
    const [a, b, c] = op.operands as [Value, Value, Value];
    p.emit(`fma.rn.${fty(op.result.type)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)}, ${p.r(c)};`);
  },
  'math.absf': (p, op) => p.emit(`abs.${fty(op.result.type)} ${p.r(op.result)}, ${p.r(op.operands[0]!)};`),
  'math.sqrt': (p, op) => viaF32(p, op, (d, [a]) => p.emit(`sqrt.rn.${op.result.type.text === 'f64' ? 'f64' : 'f32'} ${d}, ${a};`)),
  'math.rsqrt': (p, op) => viaF32(p, op, (d, [a]) => (op.result.type.text === 'f64' ? rsqrtF64(p, d, a) : p.emit(`rsqrt.approx.f32 ${d}, ${a};`))),
  'math.floor': (p, op) => viaF32(p, op, (d, [a]) => p.emit(`cvt.rmi.${op.result.type.text === 'f64' ? 'f64.f64' : 'f32.f32'} ${d}, ${a};`)),
  'math.ceil': (p, op) => viaF32(p, op, (d, [a]) => p.emit(`cvt.rpi.${op.result.type.text === 'f64' ? 'f64.f64' : 'f32.f32'} ${d}, ${a};`)),
  'math.exp2': (p, op) => f32Only(p, op, (d, [a]) => p.emit(`ex2.approx.f32 ${d}, ${a};`)),
  'math.exp': (p, op) =>
    f32Only(p, op, (d, [a]) => {
      const t = p.tmp(new FloatType('f32'));
      p.emit(`mul.f32 ${t}, ${a}, ${floatImmediate(LOG2E, new FloatType('f32'))};`);
      p.emit(`ex2.approx.f32 ${d}, ${t};`);
    }),
  'math.log2': (p, op) => f32Only(p, op, (d, [a]) => p.emit(`lg2.approx.f32 ${d}, ${a};`)),
  'math.log': (p, op) =>
    f32Only(p, op, (d, [a]) => {
      const t = p.tmp(new FloatType('f32'));
      p.emit(`lg2.approx.f32 ${t}, ${a};`);
      p.emit(`mul.f32 ${d}, ${t}, ${floatImmediate(LN2, new FloatType('f32'))};`);
    }),
  'math.sin': (p, op) => f32Only(p, op, (d, [a]) => sinCos(p, 'sin', d, a!)),
  'math.cos': (p, op) => f32Only(p, op, (d, [a]) => sinCos(p, 'cos', d, a!)),
  'math.tanh': (p, op) => f32Only(p, op, (d, [a]) => tanh(p, d, a!)),
  'math.erf': (p, op) => f32Only(p, op, (d, [a]) => erf(p, d, a!)),
  'math.log1p': (p, op) => f32Only(p, op, (d, [a]) => log1p(p, d, a!)),
  'gpu.truncate_tf32': (p, op) => {
    const t = p.tmp(new IntType(32));
    p.emit(`mov.b32 ${t}, ${p.r(op.operands[0]!)};`);
    p.emit(`and.b32 ${t}, ${t}, -8192;`);
    p.emit(`mov.b32 ${p.r(op.result)}, ${t};`);
  },

  'arith.cmpi': (p, op) => {
    const [a, b] = op.operands as [Value, Value];
    const [cmp, unsigned] = cmpiPredicate[op.attrs['predicate'] as string]!;
    const t = a.type;
    if (t instanceof IntType && t.width === 1) {
      // Booleans: compare as 0/1 integers.
      const [x, y] = [a, b].map((v) => {
        const r = p.tmp(new IntType(32));
        p.emit(`selp.u32 ${r}, 1, 0, ${p.r(v)};`);
        return r;
      });
      return p.emit(`setp.${cmp}.${unsigned ? 'u32' : 's32'} ${p.r(op.result)}, ${x}, ${y};`);
    }
    const [x, y] = unsigned ? [p.unsignedOperand(a), p.unsignedOperand(b)] : [p.r(a), p.r(b)];
    p.emit(`setp.${cmp}.${t instanceof PointerType ? 'u64' : intSuffix(t, unsigned)} ${p.r(op.result)}, ${x}, ${y};`);
  },
  'arith.cmpf': (p, op) => {
    const [a, b] = op.operands as [Value, Value];
    const pred = cmpfPredicate[op.attrs['predicate'] as string];
    if (p.bf16ViaF32(a.type)) return p.emit(`setp.${pred}.f32 ${p.r(op.result)}, ${p.widenBf16(a)}, ${p.widenBf16(b)};`);
    p.emit(`setp.${pred}.${fty(a.type)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
  },
  'arith.select': (p, op) => {
    const [c, a, b] = op.operands as [Value, Value, Value];
    const t = op.result.type;
    if (regClass(t) === 'p') {
      const [x, y] = [p.tmp(t), p.tmp(t)];
      p.emit(`and.pred ${x}, ${p.r(c)}, ${p.r(a)};`);
      p.emit(`not.pred ${y}, ${p.r(c)};`);
      p.emit(`and.pred ${y}, ${y}, ${p.r(b)};`);
      return p.emit(`or.pred ${p.r(op.result)}, ${x}, ${y};`);
    }
    p.emit(`selp.${regDecl[regClass(t)].slice(1)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)}, ${p.r(c)};`);
  },

  'arith.extsi': (p, op) => extend(p, op, true),
  'arith.extui': (p, op) => extend(p, op, false),
  'arith.trunci': (p, op) => {
    const [src, dst] = [op.operands[0]!.type as IntType, op.result.type as IntType];
    const r = p.r(op.result);
    const s = p.r(op.operands[0]!);
    if (dst.width === 1) {
      const t = p.tmp(src.width === 64 ? src : new IntType(32));
      p.emit(`and.b${src.width === 64 ? 64 : 32} ${t}, ${s}, 1;`);
      return p.emit(`setp.ne.${src.width === 64 ? 'u64' : 'u32'} ${r}, ${t}, 0;`);
    }
    if (src.width === 64) p.emit(`cvt.u32.u64 ${r}, ${s};`);
    else p.emit(`mov.b32 ${r}, ${s};`);
    p.canonicalize(op.result);
  },
  'arith.extf': (p, op) => {
    const [x, t] = [op.operands[0]!, op.result.type];
    if (p.bf16ViaF32(x.type) && t.text !== 'f32') return p.emit(`cvt.${fty(t)}.f32 ${p.r(op.result)}, ${p.widenBf16(x)};`);
    p.emit(`cvt.${fty(t)}.${fty(x.type)} ${p.r(op.result)}, ${p.r(x)};`);
  },
  'arith.truncf': (p, op) => {
    const [x, t] = [op.operands[0]!, op.result.type];
    if (op.attrs['rounding'] === 'rtz') {
      // cvt.rz, from f64 or f32 to f32, f16 or bf16 (bf16 from f64 needs sm_90: before it, through an f32 truncated
      // first, which truncating again leaves exact). To fp8 the lowering writes the conversion out (fp8-rtz.ts).
      if (p.bf16ViaF32(t) && x.type.text === 'f64') {
        const f = p.tmp(new FloatType('f32'));
        p.emit(`cvt.rz.f32.f64 ${f}, ${p.r(x)};`);
        return p.emit(`cvt.rz.bf16.f32 ${p.r(op.result)}, ${f};`);
      }
      return p.emit(`cvt.rz.${fty(t)}.${fty(x.type)} ${p.r(op.result)}, ${p.r(x)};`);
    }
    // Before sm_90, bf16 narrows only from f32 (an f64 or f16 goes through f32 first). An f64 goes rounded to odd
    // (f32RoundedToOdd), so that rounding to bf16 after it is the one correct rounding the interpreter makes; through
    // cvt.rn.f32.f64 an f64 just off a bf16 tie could land on the tie and round the wrong way.
    if (p.bf16ViaF32(t, x.type) && x.type.text !== 'f32') {
      let f: string;
      if (p.bf16ViaF32(x.type)) f = p.widenBf16(x);
      else if (x.type.text === 'f64') f = f32RoundedToOdd(p, p.r(x), 'f64');
      else {
        f = p.tmp(new FloatType('f32'));
        p.emit(`cvt.f32.${fty(x.type)} ${f}, ${p.r(x)};`); // f16: exact
      }
      return p.emit(`cvt.rn.${fty(t)}.f32 ${p.r(op.result)}, ${f};`);
    }
    p.emit(`cvt.rn.${fty(t)}.${fty(x.type)} ${p.r(op.result)}, ${p.r(x)};`);
  },
  'arith.sitofp': (p, op) => intToFloat(p, op, true),
  'arith.uitofp': (p, op) => intToFloat(p, op, false),
  'arith.fptosi': (p, op) => floatToInt(p, op, true),
  'arith.fptoui': (p, op) => floatToInt(p, op, false),
  'tt.bitcast': (p, op) => {
    const c = regClass(op.result.type);
    const from = regClass(op.operands[0]!.type);
    const [d, x] = [p.r(op.result), p.r(op.operands[0]!)];
    // 16-bit floats sit in 16-bit registers, 16-bit integers sign-extended in 32-bit ones.
    if (from === 'h' && c === 'r') return p.emit(`cvt.s32.s16 ${d}, ${x};`);
    if (from === 'r' && c === 'h') return p.emit(`cvt.u16.u32 ${d}, ${x};`);
    p.emit(`mov.b${c === 'rd' || c === 'fd' ? 64 : c === 'h' ? 16 : 32} ${d}, ${x};`);
  },
  'tt.ptr_to_int': (p, op) => p.emit(`mov.b64 ${p.r(op.result)}, ${p.r(op.operands[0]!)};`),
  'tt.int_to_ptr': (p, op) => p.emit(`mov.b64 ${p.r(op.result)}, ${p.r(op.operands[0]!)};`),
  'tt.addptr': (p, op) => {
    const [ptr, off] = op.operands as [Value, Value];
    const bytes = pointeeBytes(ptr.type as PointerType);
    const ot = off.type as IntType;
    if (ot.width === 64) p.emit(`mad.lo.s64 ${p.r(op.result)}, ${p.r(off)}, ${bytes}, ${p.r(ptr)};`);
    else p.emit(`mad.wide.s32 ${p.r(op.result)}, ${p.r(off)}, ${bytes}, ${p.r(ptr)};`);
  },

  'gpu.load': (p, op) => {
    const [ptr, pred, ...others] = op.operands as Value[];
    const el = op.results[0]!.type as ScalarType;
    // Masked-off elements keep `other` (or zero): set them first, then load under the predicate.
    op.results.forEach((r, i) => {
      if (others[i]) p.move(p.r(r), others[i]!);
      else zero(p, r);
    });
    const q = qualifiers(op);
    vectorAccess(p, op.results, el, 'maskedLoad', (regs, type) => `@${p.r(pred!)} ld${op.attrs['isVolatile'] ? '.volatile' : ''}.global${q}${type} ${regs}, [${p.r(ptr!)}];`);
  },
  'gpu.store': (p, op) => {
    const [ptr, pred, ...vals] = op.operands as Value[];
    const el = vals[0]!.type as ScalarType;
    const q = qualifiers(op);
    vectorAccess(p, vals, el, 'store', (regs, type) => `@${p.r(pred!)} st.global${q}${type} [${p.r(ptr!)}], ${regs};`);
  },
  'gpu.shared_load': (p, op) => {
    const el = op.results[0]!.type as ScalarType;
    vectorAccess(p, op.results, el, 'load', (regs, type) => `ld.shared${type} ${regs}, [${p.r(op.operands[0]!)}];`);
  },
  'gpu.shared_store': (p, op) => {
    const [addr, ...vals] = op.operands as Value[];
    const el = vals[0]!.type as ScalarType;
    vectorAccess(p, vals, el, 'store', (regs, type) => `st.shared${type} [${p.r(addr!)}], ${regs};`);
  },
  'gpu.shared_atomic_add': (p, op) => p.emit(`red.shared.add.u32 [${p.r(op.operands[0]!)}], ${p.r(op.operands[1]!)};`),
  'gpu.atomic_rmw': (p, op) => {
    const [ptr, val, pred] = op.operands as [Value, Value, Value];
    const el = val.type as ScalarType;
    zero(p, op.result);
    const kind = op.attrs['atomic_rmw_op'] as string;
    if (kind === 'fadd' && p.bf16ViaF32(el)) throw new Error(`atomic add on bf16 needs sm_90 or newer (the target is sm_${p.sm})`);
    const w = el instanceof PointerType ? 64 : (el as IntType | FloatType).width;
    const ty =
      kind === 'fadd' ? (el instanceof FloatType && el.width === 16 ? `noftz.${el.text}` : fty(el))
      : kind === 'add' ? `u${w}`
      : kind === 'max' || kind === 'min' ? `s${w}`
      : kind === 'umax' || kind === 'umin' ? `u${w}`
      : `b${w}`;
    const opName = { fadd: 'add', add: 'add', max: 'max', umax: 'max', min: 'min', umin: 'min', xchg: 'exch', and: 'and', or: 'or', xor: 'xor' }[kind]!;
    p.emit(`@${p.r(pred)} atom${semantics(op)}.global.${opName}.${ty} ${p.r(op.result)}, [${p.r(ptr)}], ${p.r(val)};`);
  },
  'gpu.atomic_cas': (p, op) => {
    const [ptr, cmp, val, pred] = op.operands as [Value, Value, Value, Value];
    const el = val.type as ScalarType;
    zero(p, op.result);
    const w = el instanceof PointerType ? 64 : (el as IntType | FloatType).width;
    p.emit(`@${p.r(pred)} atom${semantics(op)}.global.cas.b${w} ${p.r(op.result)}, [${p.r(ptr)}], ${p.r(cmp)}, ${p.r(val)};`);
  },
  'gpu.shfl': (p, op) => {
    const [v, arg] = op.operands as [Value, Value];
    const mode = op.attrs['mode'] as string;
    p.emit(`shfl.sync.${mode}.b32 ${p.r(op.result)}, ${p.r(v)}, ${p.r(arg)}, ${mode === 'up' ? 0 : 31}, -1;`);
  },
  'gpu.printf': (p, op) => printf(p, op),
  'gpu.inline_asm': (p, op) => inlineAsm(p, op),
  'gpu.assert': (p, op) => assertFail(p, op),

  'scf.if': (p, op) => {
    const [elseL, endL] = [p.newLabel(), p.newLabel()];
    const results = op.results.map((r) => p.r(r));
    p.emit(`@!${p.r(op.operands[0]!)} bra ${elseL};`);
    const branch = (b: Block): void => {
      for (const inner of b.ops.slice(0, -1)) p.lower(inner);
      p.parallelMove(results, b.terminator!.operands);
    };
    branch(op.regions[0]!.entry);
    p.emit(`bra.uni ${endL};`);
    p.placeLabel(elseL);
    branch(op.regions[1]!.entry);
    p.placeLabel(endL);
  },
  'scf.for': (p, op) => {
    const [lb, ub, step, ...inits] = op.operands as Value[];
    const body = op.regions[0]!.entry;
    const [iv, ...args] = body.args;
    const carried = args.map((a) => p.r(a));
    p.move(p.r(iv!), lb!);
    p.parallelMove(carried, inits);
    const [top, end] = [p.newLabel(), p.newLabel()];
    p.placeLabel(top);
    const done = p.tmp(new IntType(1));
    p.emit(`setp.ge.${intSuffix(iv!.type)} ${done}, ${p.r(iv!)}, ${p.r(ub!)};`);
    p.emit(`@${done} bra ${end};`);
    for (const inner of body.ops.slice(0, -1)) p.lower(inner);
    p.parallelMove(carried, body.terminator!.operands);
    p.emit(`add.${intSuffix(iv!.type)} ${p.r(iv!)}, ${p.r(iv!)}, ${p.r(step!)};`);
    p.emit(`bra.uni ${top};`);
    p.placeLabel(end);
    op.results.forEach((r, i) => p.alias(r, carried[i]!));
  },
  'scf.while': (p, op) => {
    const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
    const state = before.args.map((a) => p.r(a));
    p.parallelMove(state, op.operands);
    const [top, end] = [p.newLabel(), p.newLabel()];
    p.placeLabel(top);
    for (const inner of before.ops.slice(0, -1)) p.lower(inner);
    const [cond, ...fwd] = before.terminator!.operands as Value[];
    const results = op.results.map((r) => p.r(r));
    p.parallelMove(results, fwd);
    p.emit(`@!${p.r(cond!)} bra ${end};`);
    after.args.forEach((a, i) => p.alias(a, results[i]!));
    for (const inner of after.ops.slice(0, -1)) p.lower(inner);
    p.parallelMove(state, after.terminator!.operands);
    p.emit(`bra.uni ${top};`);
    p.placeLabel(end);
  },
  'tt.return': (p) => p.emit('ret;'),

  'gpu.wgmma': (p, op) => {
    const [descA, descB, ...acc] = op.operands as Value[];
    const regs = p.inPlace(acc);
    op.results.forEach((r, i) => p.alias(r, regs[i]!));
    const { m, n, k, aType, bType, transA, transB } = op.attrs as { m: number; n: number; k: number; aType: string; bType: string; transA: boolean; transB: boolean };
    const accType = (acc[0]!.type as ScalarType).text === 'f32' ? 'f32' : (acc[0]!.type as ScalarType).text === 'f16' ? 'f16' : 's32';
    const scaleD = p.tmp(new IntType(1));
    p.emit(`setp.ne.b32 ${scaleD}, 1, 0;`);
    // 16-bit operands take scale and transpose immediates; the others (tf32, fp8, integers) are K-major only.
    const sixteen = aType === 'f16' || aType === 'bf16';
    const tail = sixteen ? `, 1, 1, ${transA ? 1 : 0}, ${transB ? 1 : 0}` : accType === 's32' ? '' : ', 1, 1';
    p.emit(`wgmma.mma_async.sync.aligned.m${m}n${n}k${k}.${accType}.${aType}.${bType} {${regs.join(', ')}}, ${p.r(descA!)}, ${p.r(descB!)}, ${scaleD}${tail};`);
  },
  'gpu.pack': (p, op) => {
    const el = op.operands[0]!.type as ScalarType;
    const d = p.r(op.result);
    const src = op.operands.map((v) => p.r(v));
    if (op.operands.length === 1) return p.emit(`mov.b32 ${d}, ${src[0]};`);
    // 16-bit floats live in .b16 registers: a vector move packs them.
    if (op.operands.length === 2) return p.emit(`mov.b32 ${d}, {${src[0]}, ${src[1]}};`);
    // Four bytes: i8 lives sign-extended in .b32 registers, fp8 in the low byte of .b16 registers. Pair them
    // up, then take the low byte of each half (prmt picks bytes of {b, a} by the selector's nibbles).
    const [lo, hi] = [p.tmp(i32), p.tmp(i32)];
    if (el instanceof IntType) {
      p.emit(`prmt.b32 ${lo}, ${src[0]}, ${src[1]}, 0x0040;`);
      p.emit(`prmt.b32 ${hi}, ${src[2]}, ${src[3]}, 0x0040;`);
      return p.emit(`prmt.b32 ${d}, ${lo}, ${hi}, 0x5410;`);
    }
    p.emit(`mov.b32 ${lo}, {${src[0]}, ${src[1]}};`);
    p.emit(`mov.b32 ${hi}, {${src[2]}, ${src[3]}};`);
    p.emit(`prmt.b32 ${d}, ${lo}, ${hi}, 0x6420;`);
  },
  'gpu.unpack': (p, op) => {
    const src = p.r(op.operands[0]!);
    const d = op.results.map((r) => p.r(r));
    const el = op.results[0]!.type as ScalarType;
    // 16-bit floats live in .b16 registers: a vector move splits them.
    if (d.length === 2 && el instanceof FloatType) return p.emit(`mov.b32 {${d.join(', ')}}, ${src};`);
    // Narrow integers live sign-extended in .b32 registers, fp8 in the low byte of .b16 registers.
    const bits = 32 / d.length;
    d.forEach((r, i) => {
      if (el instanceof IntType) return p.emit(`bfe.s32 ${r}, ${src}, ${i * bits}, ${bits};`);
      const t = p.tmp(i32);
      p.emit(`bfe.u32 ${t}, ${src}, ${i * bits}, ${bits};`);
      p.emit(`cvt.u16.u32 ${r}, ${t};`);
    });
  },
  'gpu.ldmatrix': (p, op) => {
    const d = op.results.map((r) => p.r(r));
    p.emit(`ldmatrix.sync.aligned.m8n8.x${op.attrs['num'] as number}${op.attrs['trans'] === true ? '.trans' : ''}.shared.b16 {${d.join(', ')}}, [${p.r(op.operands[0]!)}];`);
  },
  'gpu.mma_sync': (p, op) => {
    const { k, aType, bType } = op.attrs as { k: number; aType: string; bType: string };
    const acc = (op.results[0]!.type as ScalarType).text === 'f32' ? 'f32' : 's32';
    const [a, b, c] = [op.operands.slice(0, 4), op.operands.slice(4, 6), op.operands.slice(6)].map((vs) => vs.map((v) => p.r(v)));
    const d = op.results.map((r) => p.r(r));
    p.emit(`mma.sync.aligned.m16n8k${k}.row.col.${acc}.${aType}.${bType}.${acc} {${d.join(', ')}}, {${a!.join(', ')}}, {${b!.join(', ')}}, {${c!.join(', ')}};`);
  },
  'gpu.wgmma_fence': (p) => p.emit('wgmma.fence.sync.aligned;'),
  'gpu.wgmma_commit': (p) => p.emit('wgmma.commit_group.sync.aligned;'),
  'gpu.wgmma_wait': (p, op) => {
    p.emit(`wgmma.wait_group.sync.aligned ${op.attrs['pendings'] as number};`);
    op.results.forEach((r, i) => p.alias(r, p.r(op.operands[i]!)));
  },
  'gpu.fence_proxy_async': (p) => p.emit('fence.proxy.async.shared::cta;'),
  'gpu.cp_async': (p, op) => {
    const [dst, src, pred] = op.operands as [Value, Value, Value];
    const bytes = op.attrs['bytes'] as number;
    // The source size: all bytes where the predicate holds, none (zero fill) where it does not.
    const size = p.tmp(new IntType(32));
    p.emit(`selp.b32 ${size}, ${bytes}, 0, ${p.r(pred)};`);
    // .cg (bypassing L1) copies only 16 bytes; smaller copies go through L1 (.ca).
    p.emit(`cp.async.${bytes === 16 ? 'cg' : 'ca'}.shared.global [${p.r(dst)}], [${p.r(src)}], ${bytes}, ${size};`);
  },
  'gpu.cp_async_commit': (p) => p.emit('cp.async.commit_group;'),
  'gpu.cp_async_wait': (p, op) => p.emit(`cp.async.wait_group ${op.attrs['pending'] as number};`),
};

function zero(p: PtxPrinter, v: Value): void {
  const c = regClass(v.type);
  const imm: Record<RegClass, string> = { p: '', r: '0', rd: '0', h: '0x0000', f: '0f00000000', fd: '0d0000000000000000' };
  if (c === 'p') p.emit(`setp.ne.u32 ${p.r(v)}, 0, 0;`);
  else p.emit(`mov.${regDecl[c].slice(1)} ${p.r(v)}, ${imm[c]};`);
}

function qualifiers(op: Operation): string {
  let q = '';
  const cache = op.attrs['cache'] as string | undefined;
  if (cache) q += cache;
  const evict = op.attrs['evict'] as string | undefined;
  if (evict) q += `.L1::${evict}`;
  return q;
}

function semantics(op: Operation): string {
  const sem = op.attrs['sem'] as string;
  const scope = op.attrs['scope'] as string;
  return `.${sem}.${scope}`;
}

/**
 * Emits a vector access `{r0, r1, ...}` (`text` builds the instruction from the register list and the type):
 * 16-bit floats travel two to a 32-bit register (so 8 of them fill 16 bytes), 8- and 16-bit integers packed
 * into 32-bit words, everything else one per register.
 */
function vectorAccess(p: PtxPrinter, vals: readonly Value[], el: ScalarType, kind: AccessKind, text: (regs: string, type: string) => string): void {
  const vec = vals.length;
  if (isFp8(el) && vec > 4) return fp8PackedAccess(p, vals, kind, text);
  const v = (k: number): string => (k > 1 ? `.v${k}` : '');
  if (el instanceof FloatType && el.width === 16 && vec >= 2) {
    const words = Array.from({ length: vec / 2 }, () => p.tmp(new IntType(32)));
    const pack = (i: number): string => `{${p.r(vals[2 * i]!)}, ${p.r(vals[2 * i + 1]!)}}`;
    // Packed for masked loads too: the registers hold the values of masked-off elements, which the load keeps.
    if (kind !== 'load') words.forEach((w, i) => p.emit(`mov.b32 ${w}, ${pack(i)};`));
    p.emit(text(words.length > 1 ? `{${words.join(', ')}}` : words[0]!, `${v(words.length)}.b32`));
    if (kind !== 'store') words.forEach((w, i) => p.emit(`mov.b32 ${pack(i)}, ${w};`));
    return;
  }
  if (el instanceof IntType && (el.width === 8 || el.width === 16) && vec * el.width >= 32) {
    // Narrow integers travel packed in 32-bit words (PTX vectors have at most 4 elements): bit fields are
    // inserted before a store or a masked load (which keeps masked-off elements) and extracted, sign-extended
    // (their register form), after a load.
    const w = el.width;
    const per = 32 / w;
    const words = Array.from({ length: vec / per }, () => p.tmp(new IntType(32)));
    if (kind !== 'load')
      words.forEach((word, i) => {
        p.emit(`mov.b32 ${word}, ${p.r(vals[i * per]!)};`);
        for (let k = 1; k < per; k++) p.emit(`bfi.b32 ${word}, ${p.r(vals[i * per + k]!)}, ${word}, ${k * w}, ${w};`);
      });
    p.emit(text(words.length > 1 ? `{${words.join(', ')}}` : words[0]!, `${v(words.length)}.b32`));
    if (kind !== 'store') vals.forEach((x, k) => p.emit(`bfe.s32 ${p.r(x)}, ${words[Math.floor(k / per)]}, ${(k % per) * w}, ${w};`));
    return;
  }
  const names = vals.map((x) => p.r(x));
  p.emit(text(vec > 1 ? `{${names.join(', ')}}` : names[0]!, `${v(vec)}.${memType(el, kind !== 'store')}`));
}

function extend(p: PtxPrinter, op: Operation, signed: boolean): void {
  const [src, dst] = [op.operands[0]!.type as IntType, op.result.type as IntType];
  const s = p.r(op.operands[0]!);
  const d = p.r(op.result);
  if (src.width === 1) return p.emit(`selp.${dst.width === 64 ? 'b64' : 'b32'} ${d}, ${signed ? -1 : 1}, 0, ${s};`);
  if (dst.width === 64) return p.emit(`cvt.${signed ? 's64' : 'u64'}.${signed ? 's' : 'u'}${src.width} ${d}, ${s};`);
  // To a 32-bit register: sign-extension is already the register's form; zero-extension masks.
  if (signed) p.emit(`mov.b32 ${d}, ${s};`);
  else p.emit(`and.b32 ${d}, ${s}, ${src.width === 8 ? '0xFF' : src.width === 16 ? '0xFFFF' : '0xFFFFFFFF'};`);
  p.canonicalize(op.result);
}

function intToFloat(p: PtxPrinter, op: Operation, signed: boolean): void {
  const src = op.operands[0]!.type as IntType;
  const dst = op.result.type as FloatType;
  const s = src.width === 1 ? (() => {
    const t = p.tmp(new IntType(32));
    p.emit(`selp.u32 ${t}, 1, 0, ${p.r(op.operands[0]!)};`);
    return t;
  })() : signed ? p.r(op.operands[0]!) : p.unsignedOperand(op.operands[0]!);
  const it = src.width === 64 ? (signed ? 's64' : 'u64') : src.width === 1 || !signed ? 'u32' : 's32';
  // Before sm_90, bf16 comes only from f32: integers of 16 bits or fewer exactly, wider ones through an f32 rounded
  // to odd, which rounds to bf16 as the integer would directly (the interpreter's one rounding).
  if (p.bf16ViaF32(dst)) {
    const exact = src.width <= 16 ? p.tmp(new FloatType('f32')) : undefined;
    if (exact) p.emit(`cvt.rn.f32.${it} ${exact}, ${s};`);
    return p.emit(`cvt.rn.bf16.f32 ${p.r(op.result)}, ${exact ?? f32RoundedToOdd(p, s, it)};`);
  }
  p.emit(`cvt.rn.${fty(dst)}.${it} ${p.r(op.result)}, ${s};`);
}

function floatToInt(p: PtxPrinter, op: Operation, signed: boolean): void {
  const src = op.operands[0]!.type as FloatType;
  const dst = op.result.type as IntType;
  if (dst.width === 1) throw new Error('float to i1 is a comparison, not a conversion');
  const r = p.r(op.result);
  const x = p.bf16ViaF32(src) ? p.widenBf16(op.operands[0]!) : p.r(op.operands[0]!);
  const from = p.bf16ViaF32(src) ? 'f32' : fty(src);
  // cvt.rzi saturates to the destination's range and turns NaN into 0, as the interpreter does, for 32 bits; to
  // 64 bits it turns NaN into 2^63 (seen on an H200), so NaN is zeroed explicitly there.
  if (dst.width === 32) return p.emit(`cvt.rzi.${signed ? 's' : 'u'}32.${from} ${r}, ${x};`);
  if (dst.width === 64) {
    const nan = p.tmp(new IntType(1));
    p.emit(`cvt.rzi.${signed ? 's' : 'u'}64.${from} ${r}, ${x};`);
    p.emit(`setp.nan.${from} ${nan}, ${x}, ${x};`);
    return p.emit(`@${nan} mov.b64 ${r}, 0;`);
  }
  // Narrow integers live in 32-bit registers: convert to 32 bits, then saturate to the narrow range.
  p.emit(`cvt.rzi.${signed ? 's32' : 'u32'}.${from} ${r}, ${x};`);
  if (signed) {
    p.emit(`max.s32 ${r}, ${r}, ${-(2 ** (dst.width - 1))};`);
    p.emit(`min.s32 ${r}, ${r}, ${2 ** (dst.width - 1) - 1};`);
  } else p.emit(`min.u32 ${r}, ${r}, ${2 ** dst.width - 1};`);
  p.canonicalize(op.result);
}

function nanAware(p: PtxPrinter, op: Operation, which: 'max' | 'min'): void {
  const [a, b] = op.operands as [Value, Value];
  const t = op.result.type as FloatType;
  if (t.width <= 32) return p.emit(`${which}.NaN.${fty(t)} ${p.r(op.result)}, ${p.r(a)}, ${p.r(b)};`);
  // f64 has no .NaN form: pick NaN explicitly.
  const [m, n] = [p.tmp(t), p.tmp(new IntType(1))];
  p.emit(`${which}.f64 ${m}, ${p.r(a)}, ${p.r(b)};`);
  p.emit(`setp.nan.f64 ${n}, ${p.r(a)}, ${p.r(b)};`);
  p.emit(`selp.f64 ${p.r(op.result)}, 0d7FF8000000000000, ${m}, ${n};`);
}

/** Float functions implemented for f32: 16-bit floats compute in f32, f64 is not supported yet. */
function f32Only(p: PtxPrinter, op: Operation, f: (dst: string, args: string[]) => void): void {
  if (op.result.type.text === 'f64') throw new Error(`${op.name} on f64 is not supported by the GPU backend yet`);
  viaF32(p, op, f);
}

function remf(p: PtxPrinter, op: Operation): void {
  // fmod(x, y) = x - trunc(x / y) * y, with the product and difference done exactly by an fma in f64.
  const t = op.result.type as FloatType;
  const f64t = new FloatType('f64');
  const [x, y] = op.operands.map((v) => {
    if (t.width === 64) return p.r(v);
    const w = p.tmp(f64t);
    if (p.bf16ViaF32(v.type)) p.emit(`cvt.f64.f32 ${w}, ${p.widenBf16(v)};`);
    else p.emit(`cvt.f64.${fty(v.type)} ${w}, ${p.r(v)};`);
    return w;
  }) as [string, string];
  const [q, r] = [p.tmp(f64t), p.tmp(f64t)];
  p.emit(`div.rn.f64 ${q}, ${x}, ${y};`);
  p.emit(`cvt.rzi.f64.f64 ${q}, ${q};`);
  p.emit(`neg.f64 ${q}, ${q};`);
  p.emit(`fma.rn.f64 ${r}, ${q}, ${y}, ${x};`);
  if (t.width === 64) p.emit(`mov.f64 ${p.r(op.result)}, ${r};`);
  else if (p.bf16ViaF32(t)) {
    // The remainder is exact in the operands' precision, so going through f32 rounds nothing.
    const f = p.tmp(new FloatType('f32'));
    p.emit(`cvt.rn.f32.f64 ${f}, ${r};`);
    p.emit(`cvt.rn.bf16.f32 ${p.r(op.result)}, ${f};`);
  } else p.emit(`cvt.rn.${fty(t)}.f64 ${p.r(op.result)}, ${r};`);
}

function sinCos(p: PtxPrinter, which: 'sin' | 'cos', d: string, a: string): void {
  // Reduce the argument by 2*pi (in two parts, for accuracy) into [-pi, pi], where sin.approx is accurate.
  const f = new FloatType('f32');
  const [k, r] = [p.tmp(f), p.tmp(f)];
  p.emit(`mul.f32 ${k}, ${a}, ${floatImmediate(1 / (2 * Math.PI), f)};`);
  p.emit(`cvt.rni.f32.f32 ${k}, ${k};`);
  p.emit(`fma.rn.f32 ${r}, ${k}, ${floatImmediate(-6.28125, f)}, ${a};`);
  p.emit(`fma.rn.f32 ${r}, ${k}, ${floatImmediate(-(2 * Math.PI - 6.28125), f)}, ${r};`);
  p.emit(`${which}.approx.f32 ${d}, ${r};`);
}

function tanh(p: PtxPrinter, d: string, a: string): void {
  // tanh(x) = sign(x) * (1 - 2 / (exp(2|x|) + 1)); near 0, x * (1 - x^2/3 + 2x^4/15) keeps its precision.
  const f = new FloatType('f32');
  const [ax, e, t, small, x2, poly] = [p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(new IntType(1)), p.tmp(f), p.tmp(f)];
  p.emit(`abs.f32 ${ax}, ${a};`);
  p.emit(`mul.f32 ${e}, ${ax}, ${floatImmediate(2 * 1.4426950408889634, f)};`);
  p.emit(`ex2.approx.f32 ${e}, ${e};`);
  p.emit(`add.f32 ${e}, ${e}, 0f3F800000;`);
  p.emit(`rcp.rn.f32 ${t}, ${e};`);
  p.emit(`fma.rn.f32 ${t}, ${t}, 0fC0000000, 0f3F800000;`);
  p.emit(`copysign.f32 ${t}, ${a}, ${t};`);
  p.emit(`mul.f32 ${x2}, ${a}, ${a};`);
  p.emit(`fma.rn.f32 ${poly}, ${x2}, ${floatImmediate(-17 / 315, f)}, ${floatImmediate(2 / 15, f)};`);
  p.emit(`fma.rn.f32 ${poly}, ${poly}, ${x2}, ${floatImmediate(-1 / 3, f)};`);
  p.emit(`mul.f32 ${poly}, ${poly}, ${x2};`);
  p.emit(`fma.rn.f32 ${poly}, ${poly}, ${a}, ${a};`);
  p.emit(`setp.lt.f32 ${small}, ${ax}, 0f3E800000;`);
  p.emit(`selp.f32 ${d}, ${poly}, ${t}, ${small};`);
}

function erf(p: PtxPrinter, d: string, a: string): void {
  // erf(x) = sign(x) (1 - t (a1 + t (a2 + ...)) exp(-x^2)), t = 1 / (1 + p|x|) (Abramowitz-Stegun 7.1.26,
  // |error| < 1.5e-7) for |x| >= 0.5; a Taylor series below that, where the formula loses relative precision.
  const f = new FloatType('f32');
  const [ax, t, y, e, x2, s, small] = [p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(f), p.tmp(new IntType(1))];
  p.emit(`abs.f32 ${ax}, ${a};`);
  p.emit(`fma.rn.f32 ${t}, ${ax}, ${floatImmediate(0.3275911, f)}, 0f3F800000;`);
  p.emit(`rcp.rn.f32 ${t}, ${t};`);
  p.emit(`mov.f32 ${y}, ${floatImmediate(1.061405429, f)};`);
  for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) p.emit(`fma.rn.f32 ${y}, ${y}, ${t}, ${floatImmediate(c, f)};`);
  p.emit(`mul.f32 ${y}, ${y}, ${t};`);
  p.emit(`mul.f32 ${e}, ${ax}, ${ax};`);
  p.emit(`mul.f32 ${e}, ${e}, ${floatImmediate(-1.4426950408889634, f)};`);
  p.emit(`ex2.approx.f32 ${e}, ${e};`);
  p.emit(`fma.rn.f32 ${y}, ${y}, ${e}, 0fBF800000;`);
  p.emit(`neg.f32 ${y}, ${y};`);
  p.emit(`copysign.f32 ${y}, ${a}, ${y};`);
  // Series: 2/sqrt(pi) * x * (1 - x^2/3 + x^4/10 - x^6/42 + x^8/216)
  p.emit(`mul.f32 ${x2}, ${a}, ${a};`);
  p.emit(`mov.f32 ${s}, ${floatImmediate(1 / 216, f)};`);
  for (const c of [-1 / 42, 1 / 10, -1 / 3, 1]) p.emit(`fma.rn.f32 ${s}, ${s}, ${x2}, ${floatImmediate(c, f)};`);
  p.emit(`mul.f32 ${s}, ${s}, ${a};`);
  p.emit(`mul.f32 ${s}, ${s}, ${floatImmediate(2 / Math.sqrt(Math.PI), f)};`);
  p.emit(`setp.lt.f32 ${small}, ${ax}, 0f3F000000;`);
  p.emit(`selp.f32 ${d}, ${s}, ${y}, ${small};`);
}

function log1p(p: PtxPrinter, d: string, a: string): void {
  // log(1 + x) = log(u) + (1 + x - u) / u for u = 1 + x rounded, the rounding's error exact by Fast2Sum. log(u) is
  // not lg2.approx's (whose absolute error would swamp a small result) but k ln2 + log(m), u = m 2^k with m in
  // [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) = 2s (1 + s^2/3 + s^4/5 + s^6/7 + s^8/9), s = (m - 1) / (m + 1):
  // within a few ulps over the whole range.
  const f = new FloatType('f32');
  const i32t = new IntType(32);
  const pred = new IntType(1);
  const [u, ax, t, err, alt, m, s, z, q, kf, c] = Array.from({ length: 11 }, () => p.tmp(f));
  const [bits, k] = [p.tmp(i32t), p.tmp(i32t)];
  const [small, tiny, zero, negative, keep] = Array.from({ length: 5 }, () => p.tmp(pred));
  p.emit(`add.rn.f32 ${u}, ${a}, 0f3F800000;`);
  p.emit(`abs.f32 ${ax}, ${a};`);
  p.emit(`sub.rn.f32 ${t}, ${u}, 0f3F800000;`);
  p.emit(`sub.rn.f32 ${err}, ${a}, ${t};`);
  p.emit(`sub.rn.f32 ${t}, ${u}, ${a};`);
  p.emit(`sub.rn.f32 ${alt}, 0f3F800000, ${t};`);
  p.emit(`setp.lt.f32 ${small}, ${ax}, 0f3F800000;`);
  p.emit(`selp.f32 ${err}, ${err}, ${alt}, ${small};`);
  // u's exponent k and mantissa m: adding 1.0 - sqrt(1/2) to the bits carries into the exponent exactly when the
  // mantissa is at least sqrt(2)'s.
  p.emit(`mov.b32 ${bits}, ${u};`);
  p.emit(`add.s32 ${bits}, ${bits}, ${0x3f800000 - 0x3f3504f3};`);
  p.emit(`shr.s32 ${k}, ${bits}, 23;`);
  p.emit(`sub.s32 ${k}, ${k}, 127;`);
  p.emit(`and.b32 ${bits}, ${bits}, ${0x007fffff};`);
  p.emit(`add.s32 ${bits}, ${bits}, ${0x3f3504f3};`);
  p.emit(`mov.b32 ${m}, ${bits};`);
  p.emit(`cvt.rn.f32.s32 ${kf}, ${k};`);
  p.emit(`sub.rn.f32 ${t}, ${m}, 0f3F800000;`);
  p.emit(`add.rn.f32 ${m}, ${m}, 0f3F800000;`);
  p.emit(`div.rn.f32 ${s}, ${t}, ${m};`);
  p.emit(`mul.rn.f32 ${z}, ${s}, ${s};`);
  p.emit(`mov.f32 ${q}, ${floatImmediate(2 / 9, f)};`);
  for (const coeff of [2 / 7, 2 / 5, 2 / 3]) p.emit(`fma.rn.f32 ${q}, ${q}, ${z}, ${floatImmediate(coeff, f)};`);
  p.emit(`mul.rn.f32 ${q}, ${q}, ${z};`);
  p.emit(`add.rn.f32 ${t}, ${s}, ${s};`);
  p.emit(`fma.rn.f32 ${t}, ${s}, ${q}, ${t};`);
  // k ln2 in two parts (the first exact for any k here) plus log(m) and the correction.
  p.emit(`div.rn.f32 ${c}, ${err}, ${u};`);
  p.emit(`fma.rn.f32 ${c}, ${kf}, ${floatImmediate(LN2_LO_F32, f)}, ${c};`);
  p.emit(`add.rn.f32 ${c}, ${c}, ${t};`);
  p.emit(`fma.rn.f32 ${d}, ${kf}, ${floatImmediate(LN2_HI_F32, f)}, ${c};`);
  // Below 2^-24, log1p(x) rounds to x (-0.0 included); x = -1 gives -inf, x < -1 NaN, +inf and NaN themselves.
  p.emit(`setp.lt.f32 ${tiny}, ${ax}, 0f33800000;`);
  p.emit(`setp.eq.f32 ${zero}, ${u}, 0f00000000;`);
  p.emit(`setp.lt.f32 ${negative}, ${u}, 0f00000000;`);
  p.emit(`setp.equ.f32 ${keep}, ${u}, 0f7F800000;`);
  p.emit(`or.pred ${keep}, ${keep}, ${tiny};`);
  p.emit(`selp.f32 ${d}, ${a}, ${d}, ${keep};`);
  p.emit(`selp.f32 ${d}, 0fFF800000, ${d}, ${zero};`);
  p.emit(`selp.f32 ${d}, 0f7FC00000, ${d}, ${negative};`);
}

/**
 * One invocation of inline PTX, in a { } scope of its own (so that registers the asm declares belong to this
 * invocation: a thread runs several): a local register of the constraint's type per operand ($i becomes %asm<i>),
 * the inputs copied in, the asm, the outputs copied out. The copies keep kt's registers out of the asm's reach (an asm may write its inputs) and bridge
 * kt's register classes (16-bit integers live in .b32 registers) and the constraints'; ptxas removes them.
 */
function inlineAsm(p: PtxPrinter, op: Operation): void {
  const constraints = parseConstraints(op.attrs['constraints'] as string) as AsmConstraint[];
  const locals = constraints.map((_, i) => `%asm${i}`);
  const nOut = op.results.length;
  p.emit('{');
  constraints.forEach((c, i) => p.emit(`.reg ${registerPtxType(c.letter)} ${locals[i]};`));
  op.operands.forEach((v, j) => {
    const c = constraints[nOut + j]!;
    p.emit(c.letter === 'h' ? `cvt.u16.u32 ${locals[nOut + j]}, ${p.r(v)};` : `mov${registerPtxType(c.letter)} ${locals[nOut + j]}, ${p.r(v)};`);
  });
  for (const line of substituteOperands(op.attrs['asm_string'] as string, locals).split('\n')) if (line.trim()) p.emit(line.trim());
  op.results.forEach((r, i) => {
    const c = constraints[i]!;
    p.emit(c.letter === 'h' ? `cvt.s32.s16 ${p.r(r)}, ${locals[i]};` : `mov${registerPtxType(c.letter)} ${p.r(r)}, ${locals[i]};`);
  });
  p.emit('}');
}

function printf(p: PtxPrinter, op: Operation): void {
  p.needPrintf();
  const fmt = p.string(op.attrs['format'] as string);
  // The arguments go to local memory, each at its natural alignment (floats promoted to double, as in C).
  let off = 0;
  const stores: string[] = [];
  for (const v of op.operands) {
    const t = v.type;
    if (t instanceof FloatType) {
      off = Math.ceil(off / 8) * 8;
      let r = p.r(v);
      if (t.width !== 64) {
        const w = p.tmp(new FloatType('f64'));
        if (p.bf16ViaF32(t)) p.emit(`cvt.f64.f32 ${w}, ${p.widenBf16(v)};`);
        else p.emit(`cvt.f64.${fty(t)} ${w}, ${r};`);
        r = w;
      }
      stores.push(`st.local.f64 [__local_depot+${off}], ${r};`);
      off += 8;
    } else if (t instanceof IntType && t.width === 64) {
      off = Math.ceil(off / 8) * 8;
      stores.push(`st.local.u64 [__local_depot+${off}], ${p.r(v)};`);
      off += 8;
    } else {
      let r = p.r(v);
      if (t instanceof IntType && t.width === 1) {
        r = p.tmp(new IntType(32));
        p.emit(`selp.u32 ${r}, 1, 0, ${p.r(v)};`);
      }
      stores.push(`st.local.u32 [__local_depot+${off}], ${r};`);
      off += 4;
    }
  }
  p.local(Math.max(8, off));
  stores.forEach((s) => p.emit(s));
  const [fptr, aptr, ret] = [p.tmp(new IntType(64)), p.tmp(new IntType(64)), p.tmp(new IntType(32))];
  p.emit(`mov.u64 ${fptr}, ${fmt};`);
  p.emit(`cvta.global.u64 ${fptr}, ${fptr};`);
  p.emit(`mov.u64 ${aptr}, __local_depot;`);
  p.emit(`cvta.local.u64 ${aptr}, ${aptr};`);
  p.emit('{');
  p.emit('\t.param .b64 param0;');
  p.emit(`\tst.param.b64 [param0], ${fptr};`);
  p.emit('\t.param .b64 param1;');
  p.emit(`\tst.param.b64 [param1], ${aptr};`);
  p.emit('\t.param .b32 retval0;');
  p.emit('\tcall.uni (retval0), vprintf, (param0, param1);');
  p.emit(`\tld.param.b32 ${ret}, [retval0];`);
  p.emit('}');
}

function assertFail(p: PtxPrinter, op: Operation): void {
  p.needAssert();
  const skip = p.newLabel();
  p.emit(`@${p.r(op.operands[0]!)} bra ${skip};`);
  const ptrs = [op.attrs['message'] as string, op.attrs['file'] as string, op.attrs['function'] as string].map((text) => {
    const r = p.tmp(new IntType(64));
    p.emit(`mov.u64 ${r}, ${p.string(text)};`);
    p.emit(`cvta.global.u64 ${r}, ${r};`);
    return r;
  });
  p.emit('{');
  p.emit('\t.param .b64 param0;');
  p.emit(`\tst.param.b64 [param0], ${ptrs[0]};`);
  p.emit('\t.param .b64 param1;');
  p.emit(`\tst.param.b64 [param1], ${ptrs[1]};`);
  p.emit('\t.param .b32 param2;');
  p.emit(`\tst.param.b32 [param2], ${op.attrs['line']};`);
  p.emit('\t.param .b64 param3;');
  p.emit(`\tst.param.b64 [param3], ${ptrs[2]};`);
  p.emit('\t.param .b64 param4;');
  p.emit('\tst.param.b64 [param4], 1;');
  p.emit('\tcall.uni __assertfail, (param0, param1, param2, param3, param4);');
  p.emit('}');
  p.placeLabel(skip);
}

/** Renders a per-thread function as a PTX module with one kernel. */
export function printPtx(fn: Operation, options: PtxOptions): string {
  return new PtxPrinter(fn, smOf(options.target ?? 'sm_90')).render(options);
}

export { PtxPrinter };

/** Whether the printer has a rule for an op of the per-thread IR (for the test that every op has one). */
export function hasPtxRule(name: string): boolean {
  return name in handlers;
}
