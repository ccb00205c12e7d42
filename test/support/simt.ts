// A SIMT simulator for the per-thread IR that src/compiler/gpu/lowering/ produces (the IR the PTX printer
// renders), so that tests can check the lowering against the interpreter without a GPU.
//
// The model. Programs (blocks) of the grid run one after another. Within a program, all 32 * numWarps threads
// run in lockstep, op by op: every SSA value holds one JavaScript value per thread (a typed array indexed by
// thread id: Int32Array for i1..i32, BigInt64Array for i64, Float64Array for floats and pointers; element
// values follow src/compiler/ir/elementwise.ts). Elementwise ops are computed for every thread (cheap, and
// harmless for threads that are masked off, whose values are never observed); ops with effects (memory,
// shuffles, printf, assert, barriers) look at the active mask. Structured control flow keeps a mask of the
// threads that run a region: scf.if runs each branch under the threads that take it and merges the results per
// thread; scf.for and scf.while iterate while any thread continues, threads that are done being masked off and
// keeping their values.
//
// Memory. Global memory is the interpreter's LaunchMemory (src/interp/memory.ts): tensors mapped into one flat
// address space with bounds checks, pointers are plain numbers. Shared memory is a byte array of `sharedBytes`
// (gpu.shared_base is 0, addresses are byte offsets), little-endian, f16/bf16 stored as their bits.
//
// Checks, which is what makes the simulator useful beyond computing values:
//  - data races on shared memory: per byte, the thread that last wrote it and the threads that read it since the
//    last gpu.barrier; reading a byte another thread wrote, or writing a byte another thread wrote or read, since
//    the last barrier is a race (several threads writing the same value to a byte is allowed; atomic adds do not
//    race with atomic adds, only with other threads' plain accesses); reading a byte that no thread of the program
//    wrote (what an earlier program left) is an error too;
//  - barriers reached by only some threads, shuffles executed by only some lanes of a warp (shfl.sync with a
//    full member mask), misaligned vector accesses, shared-memory accesses outside the allocation, out-of-bounds
//    global accesses, failed gpu.assert;
//  - any op the simulator does not know.
// Ops run through a table keyed by op name (Simulation.handlers, plus one rule for elementwise ops; terminators
// are handled by `block`); simulatorHandles exposes it, so ops-coverage.test.ts checks every op of the per-thread IR.
// gpu.printf formats as C's printf does on PTX registers (narrow integers sign-extended in 32 bits, %f with six
// decimals); lines are collected, not printed. Atomics from one op apply in thread order. gpu.inline_asm (inline
// PTX) runs thread by thread through simt-asm.ts, which reads the subset of PTX the tests use; its global loads and
// stores are checked like gpu.load's and gpu.store's.
//
// Speed: values are typed arrays, elementwise ops are compiled once per (op, types, attributes) into a loop over
// the threads: an op costs about 1 to 3 microseconds for a program of 32 to 256 threads, so a program running a
// few thousand ops takes a few milliseconds.
import { DenseAttr, FloatAttr, IntegerAttr } from '../../src/compiler/ir/attributes.ts';
import { formatLocation, type Block, type Operation, type Value } from '../../src/compiler/ir/core.ts';
import { elementExpr, elementwiseHelpers } from '../../src/compiler/ir/elementwise.ts';
import { getOpDef } from '../../src/compiler/ir/ops.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { FloatType, IntType, PointerType, type ScalarType, type Type } from '../../src/compiler/ir/types.ts';
import type { KernelArgValue } from '../../src/interp/interpreter.ts';
import { LaunchMemory, type Cursor, type OpSite } from '../../src/interp/memory.ts';
import { bf16FromBits, bf16ToBits, e4m3FromBits, e4m3ToBits, e5m2FromBits, e5m2ToBits, f16FromBits, f16ToBits, roundToFloat, truncateTf32, type FloatFormatName } from '../../src/numerics.ts';
import { Tensor } from '../../src/runtime/tensor.ts';
import { parseConstraints, type AsmConstraint } from '../../src/compiler/ir/inline-asm.ts';
import { AsmError, parseAsm, runAsm, type AsmMemory, type AsmProgram } from './simt-asm.ts';
import { CommitGroups, canonicalAddress, decodeDescriptor, elementBits, f32FromBits, f32ToBits, kOf, ldmatrix as ldmatrixModel, mmaSync, packRegister, wgmmaMmaAsync, type InputType, type WgmmaSpec } from './tensor-core-model.ts';

export interface SimulateOptions {
  grid: [number, number, number];
  numWarps: number;
  sharedBytes: number;
  /** One per function argument: tensors for pointers, numbers (bigints for i64, booleans for i1) for scalars. */
  args: KernelArgValue[];
}

export interface SimulationResult {
  /** Lines printed by gpu.printf, in execution order (program by program, op by op, thread by thread). */
  prints: string[];
  /** Ops executed (each counts once for all threads), for performance checks. */
  opsExecuted: number;
}

/** A problem the simulator found: a race, a divergent barrier, a failed assertion, an unsupported op... */
export class SimulationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationError';
  }
}

/** A failed gpu.assert. */
export class DeviceAssertError extends SimulationError {
  constructor(
    message: string,
    readonly assertMessage: string,
  ) {
    super(message);
    this.name = 'DeviceAssertError';
  }
}

const WARP = 32;

/** One value per thread. */
type Lanes = Int32Array | Float64Array | BigInt64Array;

/** The threads running a region: a 0/1 flag per thread and how many are set. */
interface Mask {
  readonly bits: Uint8Array;
  readonly count: number;
}

function alloc(t: Type, n: number): Lanes {
  if (t instanceof IntType) return t.width === 64 ? new BigInt64Array(n) : new Int32Array(n);
  if (t instanceof FloatType || t instanceof PointerType) return new Float64Array(n);
  throw new SimulationError(`the simulator has no per-thread storage for ${t.text}`);
}

/** The bits of a value of a scalar type as a register holds them (narrow integers: their low bits). */
function bitsOf(t: ScalarType): (x: number) => number {
  switch (t.text) {
    case 'f16':
      return f16ToBits;
    case 'bf16':
      return bf16ToBits;
    case 'f8E4M3FN':
      return (x) => e4m3ToBits(x);
    case 'f8E5M2':
      return (x) => e5m2ToBits(x);
    case 'f32':
      return f32ToBits;
  }
  if (t instanceof IntType) return (x) => x;
  throw new SimulationError(`the simulator cannot pack ${t.text} into a register`);
}

/** The value of a scalar type's bits as a register holds them (narrow integers sign-extended). */
function valueOfBits(t: ScalarType): (bits: number) => number {
  switch (t.text) {
    case 'f16':
      return f16FromBits;
    case 'bf16':
      return bf16FromBits;
    case 'f8E4M3FN':
      return e4m3FromBits;
    case 'f8E5M2':
      return e5m2FromBits;
  }
  if (t instanceof IntType && t.width < 32) return (b) => (b << (32 - t.width)) >> (32 - t.width);
  throw new SimulationError(`the simulator cannot unpack ${t.text} from a register`);
}

const allocCode = (t: Type): string => (t instanceof IntType ? (t.width === 64 ? 'new BigInt64Array(n)' : 'new Int32Array(n)') : 'new Float64Array(n)');

// ---- elementwise ops: compiled once per (op kind, types, attributes) -----------------------------------------

const helpers = { ...elementwiseHelpers, tf32: truncateTf32 };

type ElementwiseFn = (n: number, a0?: Lanes, a1?: Lanes, a2?: Lanes) => Lanes;

const compiledByKey = new Map<string, ElementwiseFn>();
const compiledByOp = new WeakMap<Operation, ElementwiseFn>();

function attrKey(op: Operation): string {
  return Object.entries(op.attrs)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? String(v) : JSON.stringify(v)}`)
    .join(',');
}

function elementwiseFn(op: Operation): ElementwiseFn {
  let fn = compiledByOp.get(op);
  if (fn) return fn;
  const key = `${op.name}|${op.operands.map((v) => v.type.text).join(',')}|${op.result.type.text}|${attrKey(op)}`;
  fn = compiledByKey.get(key);
  if (!fn) {
    if (op.operands.length > 3) throw new SimulationError(`the simulator supports elementwise ops of at most 3 operands, not ${op.name}`);
    const names = op.operands.map((_, i) => `x${i}`);
    const expr = op.name === 'gpu.truncate_tf32' ? `$.tf32(x0)` : elementExpr(op, names);
    if (expr === undefined) throw unsupported(op);
    const loads = names.map((x, i) => `const ${x} = a${i}[t];`).join(' ');
    const body = `return function (n, a0, a1, a2) {\n  const out = ${allocCode(op.result.type)};\n  for (let t = 0; t < n; t++) { ${loads} out[t] = ${expr}; }\n  return out;\n};`;
    fn = new Function('$', body)(helpers) as ElementwiseFn;
    compiledByKey.set(key, fn);
  }
  compiledByOp.set(op, fn);
  return fn;
}

/** The bits of a gpu.inline_asm operand (i16, i32, i64, f32 or f64) as its register holds them. */
function registerBitsOf(t: Type, v: number | bigint): bigint {
  if (t instanceof FloatType) return t.width === 32 ? BigInt(f32ToBits(v as number)) : new BigUint64Array(new Float64Array([v as number]).buffer)[0]!;
  return BigInt.asUintN((t as IntType).width, BigInt(v));
}

/** The simulator's value of a gpu.inline_asm result of type t from its register's bits. */
function registerValueOf(t: Type, bits: bigint): number | bigint {
  if (t instanceof FloatType) return t.width === 32 ? f32FromBits(Number(BigInt.asUintN(32, bits))) : new Float64Array(new BigUint64Array([BigInt.asUintN(64, bits)]).buffer)[0]!;
  const w = (t as IntType).width;
  return w === 64 ? BigInt.asIntN(64, bits) : Number(BigInt.asIntN(w, bits));
}

function unsupported(op: Operation): SimulationError {
  return new SimulationError(`the SIMT simulator does not support ${op.name}:\n  ${describeOp(op)}`);
}

/** An op as text (printOp, with its location), for messages. */
export function describeOp(op: Operation): string {
  // printOp names the values it defines; operands defined elsewhere print as %<undefined:id>: name them by id.
  const text = op.regions.length ? `${op.name} (with regions)` : printOp(op).trim().replace(/%<undefined:(\d+)>/g, '%v$1');
  return `${text}\n  at ${formatLocation(op.loc)}`;
}

// ---- scalar helpers -----------------------------------------------------------------------------------------

/** The canonical JavaScript value of a constant of type t. */
function constantOf(a: IntegerAttr | FloatAttr, t: ScalarType): number | bigint {
  if (a instanceof IntegerAttr) {
    const w = (t as IntType).width;
    if (w === 64) return BigInt.asIntN(64, a.value);
    if (w === 1) return Number(a.value & 1n);
    return Number(BigInt.asIntN(w, a.value));
  }
  return roundToFloat(a.value, (t as FloatType).text as FloatFormatName);
}

/** Bytes of an element in memory (booleans take a byte, pointers 8). */
function bytesOf(t: Type): number {
  if (t instanceof PointerType) return 8;
  if (t instanceof IntType) return Math.max(1, t.width / 8);
  if (t instanceof FloatType) return t.width / 8;
  throw new SimulationError(`no memory size for ${t.text}`);
}

const zeroOf = (t: Type): number | bigint => (t instanceof IntType && t.width === 64 ? 0n : 0);

/**
 * The bits of a 16- or 8-bit float value, and back (wider floats are stored as themselves). A stored fp8 value is
 * one already, so it is encoded exactly (not saturating: e5m2's infinities stay), as the interpreter does.
 */
const floatBits: Record<string, { enc: (x: number) => number; dec: (b: number) => number }> = {
  f16: { enc: f16ToBits, dec: f16FromBits },
  bf16: { enc: bf16ToBits, dec: bf16FromBits },
  f8E4M3FN: { enc: (x) => e4m3ToBits(x, false), dec: e4m3FromBits },
  f8E5M2: { enc: (x) => e5m2ToBits(x, false), dec: e5m2FromBits },
};

/** A value as stored in a LaunchMemory view of its element type. */
function encodeGlobal(t: Type, v: number | bigint): number | bigint {
  if (t instanceof FloatType) return floatBits[t.text]?.enc(v as number) ?? v;
  if (t instanceof IntType && t.width === 1) return (v as number) & 1;
  return v;
}

function decodeGlobal(t: Type, raw: number | bigint): number | bigint {
  if (t instanceof FloatType) return floatBits[t.text]?.dec(raw as number) ?? raw;
  if (t instanceof IntType && t.width === 1) return raw ? 1 : 0;
  return raw;
}

/** The new contents of memory after an atomic read-modify-write (as the interpreter computes it). */
function rmw(kind: string, t: Type, old: number | bigint, v: number | bigint): number | bigint {
  const w = t instanceof IntType ? t.width : 0;
  const u = (x: number | bigint): number | bigint => (w === 64 ? BigInt.asUintN(64, x as bigint) : (x as number) >>> 0);
  switch (kind) {
    case 'add':
      return w === 64 ? BigInt.asIntN(64, (old as bigint) + (v as bigint)) : w === 32 ? ((old as number) + (v as number)) | 0 : (((old as number) + (v as number)) << (32 - w)) >> (32 - w);
    case 'fadd':
      return roundToFloat((old as number) + (v as number), (t as FloatType).text as FloatFormatName);
    case 'max':
      return old >= v ? old : v;
    case 'min':
      return old <= v ? old : v;
    case 'umax':
      return u(old) >= u(v) ? old : v;
    case 'umin':
      return u(old) <= u(v) ? old : v;
    case 'xchg':
      return v;
    case 'and':
      return w === 64 ? (old as bigint) & (v as bigint) : (old as number) & (v as number);
    case 'or':
      return w === 64 ? (old as bigint) | (v as bigint) : (old as number) | (v as number);
    case 'xor':
      return w === 64 ? (old as bigint) ^ (v as bigint) : (old as number) ^ (v as number);
  }
  throw new SimulationError(`unknown atomic ${kind}`);
}

/** C printf for the conversions the lowering emits (%d %u %lld %llu %f %x %llx), on PTX register values. */
function formatPrintf(format: string, args: readonly (number | bigint)[], types: readonly Type[]): string {
  let k = 0;
  return format.replace(/%(%|d|u|lld|llu|f|x|llx)/g, (_, conv: string) => {
    if (conv === '%') return '%';
    const v = args[k];
    const t = types[k++];
    if (v === undefined || t === undefined) throw new SimulationError(`printf format '${format}' has more conversions than arguments`);
    // Registers: narrow integers are kept sign-extended in 32 bits, booleans are 0 or 1, floats go as doubles.
    switch (conv) {
      case 'd':
        return String(Number(v) | 0);
      case 'u':
        return String(Number(v) >>> 0);
      case 'x':
        return (Number(v) >>> 0).toString(16);
      case 'lld':
        return String(BigInt.asIntN(64, BigInt(v)));
      case 'llu':
        return String(BigInt.asUintN(64, BigInt(v)));
      case 'llx':
        return BigInt.asUintN(64, BigInt(v)).toString(16);
      case 'f': {
        const x = Number(v);
        if (Number.isNaN(x)) return 'nan';
        if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
        return x.toFixed(6);
      }
    }
    return '';
  });
}

// ---- tensor cores -------------------------------------------------------------------------------------------

/**
 * wgmma for the simulator, through the executable model of the instructions (tensor-core-model.ts, written
 * from the PTX ISA and checked on an H200 by bench/tc-probe). A wgmma computes when it is issued, from the
 * warpgroup's descriptors (which must agree across its 128 threads) and registers. What the hardware leaves
 * undefined is an error here:
 *  - shared memory a wgmma reads, written before the wgmma.wait_group that retires it (the tensor cores read it
 *    asynchronously, any time until then);
 *  - a wgmma reading shared memory some thread wrote with st.shared and has not fenced (fence.proxy.async)
 *    since: the tensor cores read through the async proxy;
 *  - a wgmma with no wgmma.fence since the warpgroup's registers were last written by other instructions is
 *    not checked (kt issues one before every group).
 */
class TensorCores {
  /** Per byte of shared memory: the commit group of the last wgmma that reads it (groups count from 1). */
  private readBy: Int32Array;
  /** The group wgmmas issued now join (committed groups are those below it), and the newest group retired. */
  private open = 1;
  private retired = 0;
  /** Per thread, its fence.proxy.async count; per byte, the thread that last wrote it with st.shared (-1: none) and its count then. */
  private readonly fences: Int32Array;
  private readonly writer: Int32Array;
  private readonly writerFences: Int32Array;

  constructor(
    private readonly n: number,
    private readonly smem: SharedMemory,
    private readonly get: (v: Value) => Lanes,
    private readonly set: (v: Value, lanes: Lanes) => void,
    private readonly fail: (msg: string) => never,
  ) {
    this.fences = new Int32Array(n);
    this.writer = new Int32Array(smem.size).fill(-1);
    this.writerFences = new Int32Array(smem.size);
    this.readBy = new Int32Array(smem.size);
  }

  reset(): void {
    this.readBy.fill(0);
    this.open = 1;
    this.retired = 0;
    this.writer.fill(-1);
  }

  private whole(op: Operation, mask: Mask): void {
    if (mask.count !== this.n) this.fail(`${op.name} executed by ${mask.count} of the ${this.n} threads (warpgroup instructions need every thread)`);
  }

  /** A st.shared by thread t: fails if it overwrites what a wgmma in flight may still read. */
  genericWrite(t: number, addr: number, len: number): void {
    for (let b = addr; b < addr + len; b++) {
      this.writer[b] = t;
      this.writerFences[b] = this.fences[t]!;
      if (this.readBy[b]! > this.retired) this.fail(`thread ${t} writes shared memory byte ${b}, which a wgmma still in flight reads (wait for it with wgmma.wait_group first)`);
    }
  }

  /** A cp.async landing: it needs no proxy fence (as Triton relies on), but must not overwrite what a wgmma in flight reads. */
  asyncWrite(t: number, addr: number, len: number): void {
    for (let b = addr; b < addr + len; b++) {
      if (this.readBy[b]! > this.retired) this.fail(`an async copy of thread ${t} lands on shared memory byte ${b}, which a wgmma still in flight reads`);
    }
  }

  proxyFence(mask: Mask): void {
    for (let t = 0; t < this.n; t++) if (mask.bits[t]) this.fences[t]++;
  }

  fence(op: Operation, mask: Mask): void {
    this.whole(op, mask);
  }

  commit(op: Operation, mask: Mask): void {
    this.whole(op, mask);
    this.open++;
  }

  wait(op: Operation, mask: Mask): void {
    this.whole(op, mask);
    // Every committed group but the newest `pendings` is complete; uncommitted wgmmas are not waited for.
    const pendings = op.attrs['pendings'] as number;
    this.retired = Math.max(this.retired, this.open - 1 - pendings);
    op.results.forEach((r, i) => this.set(r, this.get(op.operands[i]!)));
  }

  wgmma(op: Operation, mask: Mask): void {
    this.whole(op, mask);
    const [descAV, descBV, ...accV] = op.operands;
    const descA = this.get(descAV!) as BigInt64Array;
    const descB = this.get(descBV!) as BigInt64Array;
    const acc = accV.map((v) => this.get(v));
    const out = op.results.map((r) => alloc(r.type, this.n));
    const attrs = op.attrs as { n: number; aType: InputType; bType: InputType; transA: boolean; transB: boolean };
    const accType = (accV[0]!.type as FloatType | IntType).text === 'f32' ? 'f32' : 's32';
    const spec: WgmmaSpec = { n: attrs.n, aType: attrs.aType, bType: attrs.bType, dType: accType, transA: attrs.transA, transB: attrs.transB };
    for (let g = 0; g * WARPGROUP < this.n; g++) {
      const first = g * WARPGROUP;
      const a = descA[first]!;
      const b = descB[first]!;
      for (let t = first; t < first + WARPGROUP; t++) {
        if (descA[t] !== a || descB[t] !== b) this.fail(`the threads of warpgroup ${g} give different wgmma descriptors (thread ${t})`);
      }
      const d = Array.from({ length: WARPGROUP }, (_, i) => acc.map((lanes) => Number(lanes[first + i]!)));
      let result: number[][];
      try {
        result = wgmmaMmaAsync(spec, this.smem.bytes, { desc: BigInt.asUintN(64, a) }, BigInt.asUintN(64, b), d, true);
      } catch (e) {
        this.fail(`wgmma of warpgroup ${g}: ${(e as Error).message}`);
      }
      result.forEach((regs, i) => regs.forEach((v, k) => (out[k]![first + i] = v as never)));
      this.recordReads(spec, BigInt.asUintN(64, a), BigInt.asUintN(64, b));
    }
    op.results.forEach((r, k) => this.set(r, out[k]!));
  }

  /** The shared bytes a wgmma reads stay reserved until its group retires. */
  private recordReads(spec: WgmmaSpec, a: bigint, b: bigint): void {
    const add = (desc: bigint, major: 'K' | 'MN', t: InputType, rows: number): void => {
      const d = decodeDescriptor(desc);
      const bytes = elementBits(t) / 8;
      for (let mn = 0; mn < rows; mn++) {
        for (let k = 0; k < kOf(t); k++) {
          const at = canonicalAddress(d, major, bytes, mn, k);
          this.readBy.fill(this.open, at, at + bytes);
          const w = this.writer[at]!;
          if (w >= 0 && this.fences[w] === this.writerFences[at]) this.fail(`a wgmma reads shared memory byte ${at}, which thread ${w} wrote with st.shared and has not fenced for the async proxy (fence.proxy.async) since`);
        }
      }
    };
    add(a, spec.transA ? 'MN' : 'K', spec.aType, 64);
    add(b, spec.transB ? 'MN' : 'K', spec.bType, spec.n);
  }
}

const WARPGROUP = 4 * WARP;

interface AsyncCopy {
  readonly dst: number;
  readonly data: Uint8Array;
  readonly size: number;
}

// ---- the simulator ------------------------------------------------------------------------------------------

/** Per-byte access history of shared memory since the last barrier (epoch-stamped, so a barrier is O(1)). */
class SharedMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private epoch = 1;
  /** The program being run (counting from 1), and the last program that wrote each byte. */
  private program = 0;
  private readonly writtenIn: Int32Array;
  private readonly writeEpoch: Int32Array;
  /** The thread that wrote the byte in this epoch; -2 when several wrote the same value. */
  private readonly writer: Int32Array;
  private readonly writerOp: Int32Array;
  private readonly readEpoch: Int32Array;
  /** The thread that read the byte in this epoch; -2 when several did. */
  private readonly reader: Int32Array;
  private readonly readerOp: Int32Array;
  /** Atomic adds in this epoch: the thread that made them (-2 when several did), which plain accesses of other threads race with. */
  private readonly atomicEpoch: Int32Array;
  private readonly atomicBy: Int32Array;
  private readonly atomicOp: Int32Array;

  constructor(
    readonly size: number,
    private readonly ops: readonly Operation[],
    private readonly fail: (msg: string) => never,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.writeEpoch = new Int32Array(size);
    this.writtenIn = new Int32Array(size);
    this.writer = new Int32Array(size);
    this.writerOp = new Int32Array(size);
    this.readEpoch = new Int32Array(size);
    this.reader = new Int32Array(size);
    this.readerOp = new Int32Array(size);
    this.atomicEpoch = new Int32Array(size);
    this.atomicBy = new Int32Array(size);
    this.atomicOp = new Int32Array(size);
  }

  /** A new program: contents are undefined (what the last program left), history is cleared. */
  reset(): void {
    this.epoch++;
    this.program++;
  }

  barrier(): void {
    this.epoch++;
  }

  private who(t: number): string {
    return t === -2 ? 'several threads' : `thread ${t}`;
  }

  check(addr: number, len: number, align: number, what: string): void {
    if (!(Number.isInteger(addr) && addr >= 0 && addr + len <= this.size)) this.fail(`shared-memory ${what} of ${len} bytes at offset ${addr} is outside the ${this.size} bytes allocated`);
    if (addr % align !== 0) this.fail(`misaligned shared-memory ${what}: offset ${addr} is not a multiple of ${align} bytes`);
  }

  read(t: number, addr: number, len: number, opId: number): void {
    const e = this.epoch;
    for (let b = addr; b < addr + len; b++) {
      // Fast path: this thread already read the byte since the last barrier.
      if (this.readEpoch[b] === e && this.reader[b] === t) continue;
      if (this.writtenIn[b] !== this.program) this.fail(`thread ${t} reads shared memory byte ${b}, which no thread of this program wrote (it holds what an earlier program left)`);
      if (this.writeEpoch[b] === e && this.writer[b] !== t) {
        this.fail(`data race on shared memory byte ${b}: thread ${t} reads it after ${this.who(this.writer[b]!)} wrote it with no barrier in between\n  the write: ${describeOp(this.ops[this.writerOp[b]!]!)}`);
      }
      this.afterAtomic(t, b, 'reads');
      if (this.readEpoch[b] !== e) {
        this.readEpoch[b] = e;
        this.reader[b] = t;
        this.readerOp[b] = opId;
      } else if (this.reader[b] !== t) this.reader[b] = -2;
    }
  }

  /** Records a write of `data` (len bytes) and stores it. */
  write(t: number, addr: number, data: Uint8Array, len: number, opId: number): void {
    const e = this.epoch;
    for (let k = 0; k < len; k++) {
      const b = addr + k;
      if (this.readEpoch[b] === e && this.reader[b] !== t) {
        this.fail(`data race on shared memory byte ${b}: thread ${t} writes it after ${this.who(this.reader[b]!)} read it with no barrier in between\n  the read: ${describeOp(this.ops[this.readerOp[b]!]!)}`);
      }
      this.afterAtomic(t, b, 'writes');
      if (this.writeEpoch[b] === e && this.writer[b] !== t) {
        if (this.bytes[b] !== data[k]) {
          this.fail(`data race on shared memory byte ${b}: thread ${t} writes ${data[k]} over the ${this.bytes[b]} that ${this.who(this.writer[b]!)} wrote, with no barrier in between\n  the other write: ${describeOp(this.ops[this.writerOp[b]!]!)}`);
        }
        this.writer[b] = -2;
      } else {
        this.writeEpoch[b] = e;
        this.writer[b] = t;
        this.writerOp[b] = opId;
      }
      this.bytes[b] = data[k]!;
      this.writtenIn[b] = this.program;
    }
  }

  /** A plain access of byte b by thread t races with atomics of other threads since the last barrier. */
  private afterAtomic(t: number, b: number, what: string): void {
    if (this.atomicEpoch[b] === this.epoch && this.atomicBy[b] !== t) {
      this.fail(`data race on shared memory byte ${b}: thread ${t} ${what} it after an atomic add by ${this.who(this.atomicBy[b]!)} with no barrier in between\n  the atomic: ${describeOp(this.ops[this.atomicOp[b]!]!)}`);
    }
  }

  /** red.shared.add.u32: adds `value` to the i32 at `addr`; atomics do not race with atomics, only with plain accesses of other threads. */
  atomicAdd(t: number, addr: number, value: number, opId: number): void {
    const e = this.epoch;
    for (let b = addr; b < addr + 4; b++) {
      if (this.writtenIn[b] !== this.program) this.fail(`thread ${t} adds to shared memory byte ${b}, which no thread of this program wrote (it holds what an earlier program left)`);
      if (this.writeEpoch[b] === e && this.writer[b] !== t) {
        this.fail(`data race on shared memory byte ${b}: thread ${t} adds to it after ${this.who(this.writer[b]!)} wrote it with no barrier in between\n  the write: ${describeOp(this.ops[this.writerOp[b]!]!)}`);
      }
      if (this.readEpoch[b] === e && this.reader[b] !== t) {
        this.fail(`data race on shared memory byte ${b}: thread ${t} adds to it after ${this.who(this.reader[b]!)} read it with no barrier in between\n  the read: ${describeOp(this.ops[this.readerOp[b]!]!)}`);
      }
      if (this.atomicEpoch[b] !== e) {
        this.atomicEpoch[b] = e;
        this.atomicBy[b] = t;
        this.atomicOp[b] = opId;
      } else if (this.atomicBy[b] !== t) this.atomicBy[b] = -2;
    }
    this.view.setInt32(addr, (this.view.getInt32(addr, true) + value) | 0, true);
  }
}

class Simulation {
  private readonly n: number;
  private readonly env = new Map<Value, Lanes>();
  private readonly full: Mask;
  private readonly mem: LaunchMemory;
  private readonly smem: SharedMemory;
  /** Memory ops by id (for LaunchMemory sites and race messages). */
  private readonly opIds = new Map<Operation, number>();
  private readonly ops: Operation[] = [];
  private readonly sites: OpSite[] = [];
  private readonly siteOf = new Map<Operation, number>();
  private readonly constants = new Map<Operation, Lanes>();
  private readonly threadIds: Int32Array;
  private readonly name: string;
  private pid: [number, number, number] = [0, 0, 0];
  private readonly scratch = new Uint8Array(16 * 8);
  private readonly scratchView = new DataView(this.scratch.buffer);
  readonly prints: string[] = [];
  opsExecuted = 0;

  constructor(
    private readonly fn: Operation,
    private readonly options: SimulateOptions,
  ) {
    this.n = WARP * options.numWarps;
    this.full = { bits: new Uint8Array(this.n).fill(1), count: this.n };
    this.threadIds = Int32Array.from({ length: this.n }, (_, t) => t);
    this.name = String(fn.attrs['sym_name'] ?? 'kernel');
    fn.walk((op) => {
      this.opIds.set(op, this.ops.length);
      this.ops.push(op);
      if (op.name === 'gpu.inline_asm') this.addAsmSites(op);
      const kind = op.name === 'gpu.load' || op.name === 'gpu.cp_async' ? 'load' : op.name === 'gpu.store' ? 'store' : op.name === 'gpu.atomic_rmw' || op.name === 'gpu.atomic_cas' ? 'atomic' : undefined;
      if (!kind) return;
      const el = op.name === 'gpu.store' ? op.operands[2]!.type : op.name === 'gpu.cp_async' ? (op.operands[1]!.type as PointerType).pointee : op.results[0]!.type;
      if (el instanceof PointerType) throw new SimulationError(`the simulator cannot access global memory as ${el.text}:\n  ${describeOp(op)}`);
      this.siteOf.set(op, this.sites.length);
      this.sites.push({ kind, loc: op.loc, element: el.text, bytes: bytesOf(el), shape: [] });
    });
    this.mem = new LaunchMemory(this.name, this.sites, (line) => this.prints.push(line));
    this.smem = new SharedMemory(options.sharedBytes, this.ops, (msg) => this.fail(msg));
    this.tensorCores = new TensorCores(this.n, this.smem, (v) => this.get(v), (v, lanes) => this.env.set(v, lanes), (msg) => this.fail(msg));
  }

  private readonly tensorCores: TensorCores;
  /** Each thread's cp.async copies: started, grouped, landing in shared memory at the wait that covers them. */
  private copies: CommitGroups<AsyncCopy>[] = [];

  /** cp.async: reads the source now (nothing in a launch writes it meanwhile) and holds the bytes until they land. */
  private cpAsync(op: Operation, mask: Mask): void {
    this.current = op;
    const [dstV, srcV, predV] = op.operands as [Value, Value, Value];
    const dst = this.get(dstV) as Int32Array;
    const src = this.get(srcV) as Float64Array;
    const pred = this.get(predV) as Int32Array;
    const el = (srcV.type as PointerType).pointee;
    const elBytes = bytesOf(el);
    const bytes = op.attrs['bytes'] as number;
    const site = this.siteOf.get(op)!;
    let encode = this.encoders.get(el);
    if (!encode) this.encoders.set(el, (encode = this.encoder(el)));
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t]) continue;
      this.currentThread = t;
      this.smem.check(dst[t]!, bytes, bytes, 'async copy');
      const data = new Uint8Array(bytes);
      if (pred[t]) {
        this.checkVector(src[t]!, bytes / elBytes, elBytes, 'async copy', t);
        for (let k = 0; k < bytes / elBytes; k++) {
          const { arr, j } = this.resolve(site, src[t]! + k * elBytes, t);
          encode(decodeGlobal(el, arr[j]!), k * elBytes);
        }
        data.set(this.scratch.subarray(0, bytes));
      }
      this.copies[t]!.add({ dst: dst[t]!, data, size: bytes });
    }
    this.currentThread = undefined;
  }

  /** cp.async.wait_group: the thread's groups older than the newest `pending` land now (its own writes, for the race checks). */
  private cpAsyncWait(op: Operation, mask: Mask): void {
    this.current = op;
    const id = this.opIds.get(op)!;
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t]) continue;
      this.currentThread = t;
      for (const c of this.copies[t]!.wait(op.attrs['pending'] as number)) {
        this.tensorCores.asyncWrite(t, c.dst, c.size);
        this.smem.write(t, c.dst, c.data, c.size, id);
      }
    }
    this.currentThread = undefined;
  }

  private where(t?: number): string {
    return `kernel '${this.name}', program (${this.pid.join(', ')})${t === undefined ? '' : `, thread ${t} (warp ${t >> 5}, lane ${t & 31})`}`;
  }

  private current?: Operation;
  private currentThread?: number;

  private fail(msg: string): never {
    const op = this.current;
    throw new SimulationError(`${msg}\n  in ${this.where(this.currentThread)}${op ? `\n  at op: ${describeOp(op)}` : ''}`);
  }

  run(): SimulationResult {
    const entry = this.fn.regions[0]!.entry;
    const args = this.options.args;
    if (args.length !== entry.args.length) throw new SimulationError(`kernel '${this.name}' takes ${entry.args.length} arguments, got ${args.length}`);
    entry.args.forEach((a, i) => this.env.set(a, this.argument(a, args[i]!, i)));
    const [gx, gy, gz] = this.options.grid;
    for (let z = 0; z < gz; z++) {
      for (let y = 0; y < gy; y++) {
        for (let x = 0; x < gx; x++) {
          this.pid = [x, y, z];
          this.mem.pid = [x, y, z];
          this.smem.reset();
          this.tensorCores.reset();
          this.copies = Array.from({ length: this.n }, () => new CommitGroups<AsyncCopy>());
          this.block(entry, this.full);
        }
      }
    }
    return { prints: this.prints, opsExecuted: this.opsExecuted };
  }

  private argument(a: Value, v: KernelArgValue, i: number): Lanes {
    const t = a.type;
    const name = a.nameHint ?? `arg${i}`;
    const out = alloc(t, this.n);
    let x: number | bigint;
    if (t instanceof PointerType) {
      if (!(v instanceof Tensor)) throw new SimulationError(`argument '${name}' must be a Tensor`);
      x = this.mem.addTensor(name, v);
    } else if (v instanceof Tensor) {
      throw new SimulationError(`argument '${name}' is a scalar (${t.text}), not a Tensor`);
    } else if (t instanceof IntType) {
      if (t.width === 64) x = BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
      else {
        const n = Number(v);
        x = t.width === 1 ? (n ? 1 : 0) : t.width === 32 ? n | 0 : (n << (32 - t.width)) >> (32 - t.width);
      }
    } else if (t instanceof FloatType) {
      x = roundToFloat(Number(v), t.text as FloatFormatName);
    } else throw new SimulationError(`argument '${name}' has unsupported type ${t.text}`);
    out.fill(x as never);
    return out;
  }

  private get(v: Value): Lanes {
    const l = this.env.get(v);
    if (!l) throw new SimulationError(`value %${v.nameHint ?? v.id} is used before it is defined`);
    return l;
  }

  /** Runs a block's ops under `mask`; returns the arrays of its terminator's operands. */
  private block(b: Block, mask: Mask): Lanes[] {
    const ops = b.ops;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      this.opsExecuted++;
      if (terminators.has(op.name)) {
        if (op.name === 'tt.return' && b !== this.fn.regions[0]!.entry) {
          this.current = op;
          this.fail('tt.return inside a region is not supported by the simulator');
        }
        return op.operands.map((v) => this.get(v));
      }
      this.op(op, mask);
    }
    return [];
  }

  private op(op: Operation, mask: Mask): void {
    const n = this.n;
    const compiled = compiledByOp.get(op);
    if (compiled) {
      const operands = op.operands;
      const env = this.env;
      this.env.set(op.results[0]!, compiled(n, env.get(operands[0]!), operands.length > 1 ? env.get(operands[1]!) : undefined, operands.length > 2 ? env.get(operands[2]!) : undefined));
      return;
    }
    this.current = op;
    this.currentThread = undefined;
    const handler = simulatorHandlerFor(op.name);
    if (!handler) throw unsupported(op);
    handler(this, op, mask);
  }

  /** How each op of the per-thread IR runs, by name (elementwise ops: `elementwiseHandler`; terminators: `block`). */
  static readonly handlers: Readonly<Record<string, SimHandler>> = {
    'arith.constant': (s, op) => s.constant(op),
    'gpu.thread_id': (s, op) => void s.env.set(op.result, s.threadIds),
    'gpu.block_id': (s, op) => void s.env.set(op.result, new Int32Array(s.n).fill(s.pid[op.attrs['axis'] as number]!)),
    'gpu.grid_dim': (s, op) => void s.env.set(op.result, new Int32Array(s.n).fill(s.options.grid[op.attrs['axis'] as number]!)),
    'gpu.shared_base': (s, op) => void s.env.set(op.result, new Int32Array(s.n)),
    'gpu.barrier': (s, op, mask) => {
      if (mask.count !== s.n) {
        s.current = op;
        s.currentThread = undefined;
        s.fail(`gpu.barrier reached by ${mask.count} of the ${s.n} threads (a barrier inside divergent control flow)`);
      }
      s.smem.barrier();
    },
    'gpu.load': (s, op, mask) => s.load(op, mask),
    'gpu.store': (s, op, mask) => s.store(op, mask),
    'gpu.atomic_rmw': (s, op, mask) => s.atomic(op, mask),
    'gpu.atomic_cas': (s, op, mask) => s.atomic(op, mask),
    'gpu.shared_load': (s, op, mask) => s.sharedLoad(op, mask),
    'gpu.shared_store': (s, op, mask) => s.sharedStore(op, mask),
    'gpu.shared_atomic_add': (s, op, mask) => s.sharedAtomicAdd(op, mask),
    'gpu.shfl': (s, op, mask) => s.shuffle(op, mask),
    'gpu.cp_async': (s, op, mask) => s.cpAsync(op, mask),
    'gpu.cp_async_commit': (s, _op, mask) => {
      for (let t = 0; t < s.n; t++) if (mask.bits[t]) s.copies[t]!.commit();
    },
    'gpu.cp_async_wait': (s, op, mask) => s.cpAsyncWait(op, mask),
    'gpu.pack': (s, op) => s.pack(op),
    'gpu.unpack': (s, op) => s.unpack(op),
    'gpu.ldmatrix': (s, op, mask) => s.ldmatrix(op, mask),
    'gpu.mma_sync': (s, op, mask) => s.mmaSync(op, mask),
    'gpu.wgmma': (s, op, mask) => s.tensorCores.wgmma(op, mask),
    'gpu.wgmma_fence': (s, op, mask) => s.tensorCores.fence(op, mask),
    'gpu.wgmma_commit': (s, op, mask) => s.tensorCores.commit(op, mask),
    'gpu.wgmma_wait': (s, op, mask) => s.tensorCores.wait(op, mask),
    'gpu.fence_proxy_async': (s, _op, mask) => s.tensorCores.proxyFence(mask),
    'gpu.printf': (s, op, mask) => s.printf(op, mask),
    'gpu.inline_asm': (s, op, mask) => s.inlineAsm(op, mask),
    'gpu.assert': (s, op, mask) => s.assert(op, mask),
    'scf.if': (s, op, mask) => s.ifOp(op, mask),
    'scf.for': (s, op, mask) => s.forOp(op, mask),
    'scf.while': (s, op, mask) => s.whileOp(op, mask),
  };

  /** The one rule for every op with the 'elementwise' trait: compiled once into a loop over the threads (see `op`). */
  static readonly elementwiseHandler: SimHandler = (s, op) => {
    if (op.results.length !== 1) throw unsupported(op);
    const [a0, a1, a2] = op.operands.map((v) => s.get(v));
    s.env.set(op.result, s.pointerCast(op, a0!) ?? elementwiseFn(op)(s.n, a0, a1, a2));
  };

  // ---- inline PTX (test/support/simt-asm.ts reads it) ----

  private readonly asmPrograms = new Map<Operation, { program: AsmProgram; firstSite: number }>();

  /** Parses an asm once; each of its global loads and stores becomes a LaunchMemory site (integers of its width). */
  private addAsmSites(op: Operation): void {
    let program: AsmProgram;
    try {
      program = parseAsm(op.attrs['asm_string'] as string, parseConstraints(op.attrs['constraints'] as string) as AsmConstraint[]);
    } catch (e) {
      throw new SimulationError(`${(e as Error).message}:\n  ${describeOp(op)}`);
    }
    this.asmPrograms.set(op, { program, firstSite: this.sites.length });
    for (const site of program.sites) this.sites.push({ kind: site.kind, loc: op.loc, element: `i${site.bytes * 8}`, bytes: site.bytes, shape: [] });
  }

  /** gpu.inline_asm: each thread of the mask runs the asm on its registers' bits. */
  private inlineAsm(op: Operation, mask: Mask): void {
    this.current = op;
    const { program, firstSite } = this.asmPrograms.get(op)!;
    const ins = op.operands.map((v) => ({ lanes: this.get(v), type: v.type }));
    const outs = op.results.map((r) => alloc(r.type, this.n));
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t]) continue;
      this.currentThread = t;
      const memory: AsmMemory = {
        load: (site, address, bytes) => {
          const { arr, j } = this.resolve(firstSite + site, this.mem.intToPtr(address), t);
          return BigInt.asUintN(bytes * 8, BigInt(arr[j]!));
        },
        store: (site, address, bytes, bits) => {
          const { arr, j } = this.resolve(firstSite + site, this.mem.intToPtr(address), t);
          arr[j] = bytes === 8 ? BigInt.asIntN(64, bits) : Number(BigInt.asIntN(bytes * 8, bits));
        },
      };
      let results: bigint[];
      try {
        results = runAsm(program, ins.map(({ lanes, type }) => registerBitsOf(type, lanes[t]!)), memory);
      } catch (e) {
        if (e instanceof AsmError) this.fail(e.message);
        throw e;
      }
      results.forEach((bits, k) => (outs[k]![t] = registerValueOf(op.results[k]!.type, bits) as never));
    }
    this.currentThread = undefined;
    op.results.forEach((r, k) => this.env.set(r, outs[k]!));
  }

  /**
   * tt.int_to_ptr and tt.ptr_to_int between int64 and pointers, as the interpreter converts them (through the
   * launch's memory, which keeps every int64 exact); undefined for any other op.
   */
  private pointerCast(op: Operation, a: Lanes): Lanes | undefined {
    const wide = (t: Type): boolean => t instanceof IntType && t.width === 64;
    if (op.name === 'tt.int_to_ptr' && wide(op.operands[0]!.type)) return Float64Array.from(a as BigInt64Array, (v) => this.mem.intToPtr(v));
    if (op.name === 'tt.ptr_to_int' && wide(op.result.type)) return BigInt64Array.from(a as Float64Array, (p) => this.mem.ptrToInt(p));
    return undefined;
  }

  private constant(op: Operation): void {
    let lanes = this.constants.get(op);
    if (!lanes) {
      const a = op.attrs['value'];
      const t = op.result.type;
      const s = a instanceof DenseAttr ? a.splat : a;
      if (!(s instanceof IntegerAttr || s instanceof FloatAttr)) throw unsupported(op);
      lanes = alloc(t, this.n);
      lanes.fill(constantOf(s, t as ScalarType) as never);
      this.constants.set(op, lanes);
    }
    this.env.set(op.result, lanes);
  }

  // ---- global memory ----

  /** The element index of `addr` in the view for op's site, checking bounds (through LaunchMemory). */
  private resolve(site: number, addr: number, t: number): { arr: ArrayLike<number | bigint> & { [i: number]: number | bigint }; j: number } {
    const cur: Cursor = this.mem.cursors[site]!;
    const bytes = this.sites[site]!.bytes;
    let j = (addr - cur.base) / bytes;
    if (j !== Math.floor(j) || j < 0 || j >= cur.n) {
      this.currentThread = t;
      try {
        j = this.mem.resolve(cur, addr, site, t);
      } catch (e) {
        this.fail((e as Error).message);
      }
    }
    return { arr: cur.arr as never, j };
  }

  private checkVector(addr: number, vec: number, bytes: number, what: string, t: number): void {
    if (vec > 1 && addr % (vec * bytes) !== 0) {
      this.currentThread = t;
      this.fail(`misaligned vector ${what}: address ${addr} (tensor offset ${addr % 2 ** 43}) is not a multiple of ${vec * bytes} bytes for ${vec} x ${bytes}-byte elements`);
    }
  }

  private load(op: Operation, mask: Mask): void {
    this.current = op;
    const [ptrV, predV, ...othersV] = op.operands;
    const ptr = this.get(ptrV!) as Float64Array;
    const pred = this.get(predV!) as Int32Array;
    const others = othersV.map((v) => this.get(v));
    const el = op.results[0]!.type;
    const vec = op.results.length;
    const site = this.siteOf.get(op)!;
    const bytes = bytesOf(el);
    const outs = op.results.map((r) => alloc(r.type, this.n));
    const bits = mask.bits;
    for (let t = 0; t < this.n; t++) {
      if (!bits[t]) continue;
      if (pred[t]) {
        const p = ptr[t]!;
        this.checkVector(p, vec, bytes, 'load', t);
        for (let k = 0; k < vec; k++) {
          const { arr, j } = this.resolve(site, p + k * bytes, t);
          outs[k]![t] = decodeGlobal(el, arr[j]!) as never;
        }
      } else {
        for (let k = 0; k < vec; k++) outs[k]![t] = (others[k] ? others[k]![t]! : zeroOf(el)) as never;
      }
    }
    op.results.forEach((r, k) => this.env.set(r, outs[k]!));
  }

  private store(op: Operation, mask: Mask): void {
    this.current = op;
    const [ptrV, predV, ...valsV] = op.operands;
    const ptr = this.get(ptrV!) as Float64Array;
    const pred = this.get(predV!) as Int32Array;
    const vals = valsV.map((v) => this.get(v));
    const el = valsV[0]!.type;
    const vec = vals.length;
    const site = this.siteOf.get(op)!;
    const bytes = bytesOf(el);
    const bits = mask.bits;
    for (let t = 0; t < this.n; t++) {
      if (!bits[t] || !pred[t]) continue;
      const p = ptr[t]!;
      this.checkVector(p, vec, bytes, 'store', t);
      for (let k = 0; k < vec; k++) {
        const { arr, j } = this.resolve(site, p + k * bytes, t);
        arr[j] = encodeGlobal(el, vals[k]![t]!);
      }
    }
  }

  private atomic(op: Operation, mask: Mask): void {
    this.current = op;
    const isCas = op.name === 'gpu.atomic_cas';
    const vals = op.operands.map((v) => this.get(v));
    const ptr = vals[0] as Float64Array;
    const pred = vals[vals.length - 1] as Int32Array;
    const el = op.result.type;
    const site = this.siteOf.get(op)!;
    const kind = op.attrs['atomic_rmw_op'] as string;
    const out = alloc(el, this.n);
    const bits = mask.bits;
    const sameBits = (a: number | bigint, b: number | bigint): boolean =>
      el instanceof FloatType ? elementwiseHelpers.floatToBits(a as number, el.text) === elementwiseHelpers.floatToBits(b as number, el.text) : a === b;
    for (let t = 0; t < this.n; t++) {
      if (!bits[t] || !pred[t]) continue;
      const { arr, j } = this.resolve(site, ptr[t]!, t);
      const old = decodeGlobal(el, arr[j]!);
      if (isCas) {
        if (sameBits(old, vals[1]![t]!)) arr[j] = encodeGlobal(el, vals[2]![t]!);
      } else {
        arr[j] = encodeGlobal(el, rmw(kind, el, old, vals[1]![t]!));
      }
      out[t] = old as never;
    }
    this.env.set(op.result, out);
  }

  // ---- shared memory ----

  /** Reads an element of type t at a byte offset of shared memory. */
  private decoder(t: Type): (at: number) => number | bigint {
    const dv = this.smem.view;
    if (t instanceof FloatType) {
      if (t.text === 'f32') return (at) => dv.getFloat32(at, true);
      if (t.text === 'f64') return (at) => dv.getFloat64(at, true);
      const { dec } = floatBits[t.text]!;
      return t.width === 8 ? (at) => dec(dv.getUint8(at)) : (at) => dec(dv.getUint16(at, true));
    }
    // Pointers are the simulator's numbers (signed: see LaunchMemory.intToPtr), kept as they are.
    if (t instanceof PointerType) return (at) => Number(dv.getBigInt64(at, true));
    const w = (t as IntType).width;
    if (w === 64) return (at) => dv.getBigInt64(at, true);
    if (w === 32) return (at) => dv.getInt32(at, true);
    if (w === 16) return (at) => dv.getInt16(at, true);
    return w === 1 ? (at) => dv.getInt8(at) & 1 : (at) => dv.getInt8(at);
  }

  /** Writes an element of type t at a byte offset of the scratch buffer (what a thread is about to store). */
  private encoder(t: Type): (v: number | bigint, at: number) => void {
    const dv = this.scratchView;
    if (t instanceof FloatType) {
      if (t.text === 'f32') return (v, at) => dv.setFloat32(at, v as number, true);
      if (t.text === 'f64') return (v, at) => dv.setFloat64(at, v as number, true);
      const { enc } = floatBits[t.text]!;
      return t.width === 8 ? (v, at) => dv.setUint8(at, enc(v as number)) : (v, at) => dv.setUint16(at, enc(v as number), true);
    }
    if (t instanceof PointerType) return (v, at) => dv.setBigInt64(at, BigInt(v), true);
    const w = (t as IntType).width;
    if (w === 64) return (v, at) => dv.setBigInt64(at, v as bigint, true);
    if (w === 32) return (v, at) => dv.setInt32(at, v as number, true);
    if (w === 16) return (v, at) => dv.setInt16(at, v as number, true);
    return w === 1 ? (v, at) => dv.setInt8(at, (v as number) & 1) : (v, at) => dv.setInt8(at, v as number);
  }

  private readonly decoders = new Map<Type, (at: number) => number | bigint>();
  private readonly encoders = new Map<Type, (v: number | bigint, at: number) => void>();

  private sharedLoad(op: Operation, mask: Mask): void {
    this.current = op;
    const addr = this.get(op.operands[0]!) as Int32Array;
    const el = op.results[0]!.type;
    const bytes = bytesOf(el);
    const vec = op.results.length;
    const len = vec * bytes;
    const outs = op.results.map((r) => alloc(r.type, this.n));
    const id = this.opIds.get(op)!;
    const bits = mask.bits;
    let decode = this.decoders.get(el);
    if (!decode) this.decoders.set(el, (decode = this.decoder(el)));
    for (let t = 0; t < this.n; t++) {
      if (!bits[t]) continue;
      this.currentThread = t;
      const a = addr[t]!;
      this.smem.check(a, len, len, 'load');
      this.smem.read(t, a, len, id);
      for (let k = 0; k < vec; k++) outs[k]![t] = decode(a + k * bytes) as never;
    }
    this.currentThread = undefined;
    op.results.forEach((r, k) => this.env.set(r, outs[k]!));
  }

  private sharedStore(op: Operation, mask: Mask): void {
    this.current = op;
    const [addrV, ...valsV] = op.operands;
    const addr = this.get(addrV!) as Int32Array;
    const vals = valsV.map((v) => this.get(v));
    const el = valsV[0]!.type;
    const bytes = bytesOf(el);
    const vec = vals.length;
    const len = vec * bytes;
    const id = this.opIds.get(op)!;
    const bits = mask.bits;
    let encode = this.encoders.get(el);
    if (!encode) this.encoders.set(el, (encode = this.encoder(el)));
    for (let t = 0; t < this.n; t++) {
      if (!bits[t]) continue;
      this.currentThread = t;
      const a = addr[t]!;
      this.smem.check(a, len, len, 'store');
      this.tensorCores.genericWrite(t, a, len);
      for (let k = 0; k < vec; k++) encode(vals[k]![t]!, k * bytes);
      this.smem.write(t, a, this.scratch, len, id);
    }
    this.currentThread = undefined;
  }

  /** gpu.shared_atomic_add: each active thread's add, in thread order. */
  private sharedAtomicAdd(op: Operation, mask: Mask): void {
    this.current = op;
    const addr = this.get(op.operands[0]!) as Int32Array;
    const value = this.get(op.operands[1]!) as Int32Array;
    const id = this.opIds.get(op)!;
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t]) continue;
      this.currentThread = t;
      this.smem.check(addr[t]!, 4, 4, 'atomic add');
      this.tensorCores.genericWrite(t, addr[t]!, 4);
      this.smem.atomicAdd(t, addr[t]!, value[t]!, id);
    }
    this.currentThread = undefined;
  }

  // ---- warps ----

  /** gpu.pack: each thread's elements as their bits, element 0 in the low bits of an i32. */
  private pack(op: Operation): void {
    const el = op.operands[0]!.type as ScalarType;
    const bits = el instanceof IntType ? el.width : (el as FloatType).width;
    const toBits = bitsOf(el);
    const lanes = op.operands.map((v) => this.get(v));
    const out = new Int32Array(this.n);
    for (let t = 0; t < this.n; t++) out[t] = (bits === 32 ? toBits(Number(lanes[0]![t]!)) : packRegister(lanes.map((l) => toBits(Number(l[t]!))), bits)) | 0;
    this.env.set(op.result, out);
  }

  /** gpu.unpack: the elements of each thread's register, element 0 from the low bits. */
  private unpack(op: Operation): void {
    const el = op.results[0]!.type as ScalarType;
    const bits = 32 / op.results.length;
    const fromBits = valueOfBits(el);
    const src = this.get(op.operands[0]!) as Int32Array;
    op.results.forEach((r, i) => {
      const out = alloc(r.type, this.n);
      for (let t = 0; t < this.n; t++) out[t] = fromBits((src[t]! >>> (i * bits)) & (2 ** bits - 1)) as never;
      this.env.set(r, out);
    });
  }

  /**
   * gpu.ldmatrix: per warp, through the model of ldmatrix (tensor-core-model.ts); lane 8q + i gives row i of
   * matrix q, whose 16 bytes count as that lane's read for the race checks. Every lane must execute it (.aligned).
   */
  private ldmatrix(op: Operation, mask: Mask): void {
    const num = op.attrs['num'] as 1 | 2 | 4;
    const addr = this.get(op.operands[0]!) as Int32Array;
    const out = op.results.map(() => new Int32Array(this.n));
    const id = this.opIds.get(op)!;
    for (let w = 0; w < this.n; w += WARP) {
      let active = 0;
      for (let l = 0; l < WARP; l++) active += mask.bits[w + l]!;
      if (active === 0) continue;
      if (active !== WARP) this.fail(`gpu.ldmatrix (ldmatrix.sync.aligned) executed by ${active} of the 32 lanes of warp ${w / WARP}`);
      const addrs = Array.from({ length: WARP }, (_, l) => addr[w + l]!);
      for (let l = 0; l < 8 * num; l++) {
        this.currentThread = w + l;
        this.smem.check(addrs[l]!, 16, 16, 'load');
        this.smem.read(w + l, addrs[l]!, 16, id);
      }
      this.currentThread = undefined;
      ldmatrixModel(this.smem.bytes, addrs, num, op.attrs['trans'] === true).forEach((regs, l) => regs.forEach((v, q) => (out[q]![w + l] = v | 0)));
    }
    op.results.forEach((r, q) => this.env.set(r, out[q]!));
  }

  /**
   * gpu.mma_sync: per warp, through the model of mma.sync (tensor-core-model.ts, checked on an H200 by
   * bench/tc-probe), from the 32 lanes' packed A and B registers and accumulators. Every lane must execute it
   * (.aligned).
   */
  private mmaSync(op: Operation, mask: Mask): void {
    const { aType, bType } = op.attrs as { aType: InputType; bType: InputType };
    const accType = op.results[0]!.type instanceof IntType ? 's32' : 'f32';
    const ins = op.operands.map((v) => this.get(v));
    const out = op.results.map((r) => alloc(r.type, this.n));
    // tf32 registers are the f32 values to the model; the others are packed bits.
    const register = (type: InputType, bits: number): number => (type === 'tf32' ? f32FromBits(bits) : bits);
    for (let w = 0; w < this.n; w += WARP) {
      let active = 0;
      for (let l = 0; l < WARP; l++) active += mask.bits[w + l]!;
      if (active === 0) continue;
      if (active !== WARP) this.fail(`gpu.mma_sync (mma.sync.aligned) executed by ${active} of the 32 lanes of warp ${w / WARP}`);
      const lanesOf = (from: number, count: number, type?: InputType): number[][] =>
        Array.from({ length: WARP }, (_, l) => Array.from({ length: count }, (_, i) => (type ? register(type, ins[from + i]![w + l] as number) : Number(ins[from + i]![w + l]!))));
      const d = mmaSync({ aType, bType, cType: accType, dType: accType }, lanesOf(0, 4, aType), lanesOf(4, 2, bType), lanesOf(6, 4));
      d.forEach((regs, l) => regs.forEach((v, i) => (out[i]![w + l] = v as never)));
    }
    op.results.forEach((r, i) => this.env.set(r, out[i]!));
  }

  private shuffle(op: Operation, mask: Mask): void {
    const v = this.get(op.operands[0]!);
    const arg = this.get(op.operands[1]!) as Int32Array;
    const mode = op.attrs['mode'] as string;
    const out = alloc(op.result.type, this.n);
    const bits = mask.bits;
    for (let w = 0; w < this.n; w += WARP) {
      let active = 0;
      for (let l = 0; l < WARP; l++) active += bits[w + l]!;
      if (active === 0) continue;
      if (active !== WARP) {
        this.current = op;
        this.currentThread = undefined;
        this.fail(`gpu.shfl (shfl.sync with a full member mask) executed by ${active} of the 32 lanes of warp ${w / WARP}`);
      }
      for (let lane = 0; lane < WARP; lane++) {
        const b = arg[w + lane]! & 31;
        let src: number;
        switch (mode) {
          case 'up':
            src = lane - b >= 0 ? lane - b : lane;
            break;
          case 'down':
            src = lane + b <= 31 ? lane + b : lane;
            break;
          case 'bfly':
            src = lane ^ b;
            break;
          case 'idx':
            src = b;
            break;
          default:
            throw unsupported(op);
        }
        out[w + lane] = v[w + src]! as never;
      }
    }
    this.env.set(op.result, out);
  }

  // ---- debugging ----

  private printf(op: Operation, mask: Mask): void {
    const vals = op.operands.map((v) => this.get(v));
    const types = op.operands.map((v) => v.type);
    const format = op.attrs['format'] as string;
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t]) continue;
      const text = formatPrintf(
        format,
        vals.map((a) => a[t]!),
        types,
      );
      for (const line of text.replace(/\n$/, '').split('\n')) this.prints.push(line);
    }
  }

  private assert(op: Operation, mask: Mask): void {
    const cond = this.get(op.operands[0]!) as Int32Array;
    for (let t = 0; t < this.n; t++) {
      if (!mask.bits[t] || cond[t]) continue;
      const message = String(op.attrs['message'] ?? '');
      throw new DeviceAssertError(`device assertion failed in ${this.where(t)}: ${message}\n  at ${op.attrs['file']}:${op.attrs['line']} (${op.attrs['function']})`, message);
    }
  }

  // ---- control flow ----

  private maskWhere(parent: Mask, cond: Int32Array, want: boolean): Mask {
    const bits = new Uint8Array(this.n);
    let count = 0;
    for (let t = 0; t < this.n; t++) {
      if (parent.bits[t] && (cond[t] !== 0) === want) {
        bits[t] = 1;
        count++;
      }
    }
    return { bits, count };
  }

  /** Per thread: a where the mask is set, else b. */
  private select(t: Type, mask: Mask, a: Lanes, b: Lanes): Lanes {
    const out = alloc(t, this.n);
    const bits = mask.bits;
    for (let i = 0; i < this.n; i++) out[i] = (bits[i] ? a[i]! : b[i]!) as never;
    return out;
  }

  private ifOp(op: Operation, mask: Mask): void {
    const cond = this.get(op.operands[0]!) as Int32Array;
    const thenMask = this.maskWhere(mask, cond, true);
    const elseMask = this.maskWhere(mask, cond, false);
    const thenRes = thenMask.count ? this.block(op.regions[0]!.entry, thenMask) : undefined;
    const elseRes = elseMask.count ? this.block(op.regions[1]!.entry, elseMask) : undefined;
    op.results.forEach((r, i) => {
      const lanes = !elseRes ? thenRes![i]! : !thenRes ? elseRes[i]! : this.select(r.type, thenMask, thenRes[i]!, elseRes[i]!);
      this.env.set(r, lanes);
    });
  }

  private forOp(op: Operation, mask: Mask): void {
    const [lbV, ubV, stepV, ...initV] = op.operands;
    const ub = this.get(ubV!);
    const step = this.get(stepV!);
    const body = op.regions[0]!.entry;
    const ivType = body.args[0]!.type as IntType;
    let iv = this.get(lbV!);
    let carried = initV.map((v) => this.get(v));
    let active = mask;
    for (;;) {
      // The threads still looping: iv < ub (signed, as setp.ge.s32 / s64 decides).
      const bits = new Uint8Array(this.n);
      let count = 0;
      for (let t = 0; t < this.n; t++) {
        if (active.bits[t] && iv[t]! < ub[t]!) {
          bits[t] = 1;
          count++;
        }
      }
      if (count === 0) break;
      const running: Mask = count === active.count ? active : { bits, count };
      this.env.set(body.args[0]!, iv);
      body.args.slice(1).forEach((a, i) => this.env.set(a, carried[i]!));
      const next = this.block(body, running);
      carried = running.count === mask.count ? next : next.map((v, i) => this.select(body.args[i + 1]!.type, running, v, carried[i]!));
      const nextIv = alloc(ivType, this.n);
      if (ivType.width === 64) for (let t = 0; t < this.n; t++) nextIv[t] = BigInt.asIntN(64, (iv[t] as bigint) + (step[t] as bigint)) as never;
      else for (let t = 0; t < this.n; t++) nextIv[t] = (((iv[t] as number) + (step[t] as number)) | 0) as never;
      iv = nextIv;
      active = running;
    }
    op.results.forEach((r, i) => this.env.set(r, carried[i]!));
  }

  private whileOp(op: Operation, mask: Mask): void {
    const [before, after] = [op.regions[0]!.entry, op.regions[1]!.entry];
    let state = op.operands.map((v) => this.get(v));
    const results = op.results.map((r) => alloc(r.type, this.n));
    let active = mask;
    for (;;) {
      before.args.forEach((a, i) => this.env.set(a, state[i]!));
      const [cond, ...fwd] = this.block(before, active);
      const running = this.maskWhere(active, cond as Int32Array, true);
      // Threads that leave now keep the forwarded values as the loop's results.
      for (let t = 0; t < this.n; t++) if (active.bits[t] && !running.bits[t]) for (let i = 0; i < results.length; i++) results[i]![t] = fwd[i]![t]! as never;
      if (running.count === 0) break;
      after.args.forEach((a, i) => this.env.set(a, fwd[i]!));
      state = this.block(after, running);
      active = running;
    }
    op.results.forEach((r, i) => this.env.set(r, results[i]!));
  }
}

/** Runs one op for the threads of `mask`. */
type SimHandler = (sim: Simulation, op: Operation, mask: Mask) => void;

/** Terminators, which `block` handles: they hand their operands to the op that runs the block. */
const terminators: ReadonlySet<string> = new Set(['scf.yield', 'scf.condition', 'tt.return']);

/** The handler of the op named `name`: one per op name, or the elementwise rule for ops with the 'elementwise' trait. */
function simulatorHandlerFor(name: string): SimHandler | undefined {
  if (Object.hasOwn(Simulation.handlers, name)) return Simulation.handlers[name];
  return getOpDef(name)?.traits.includes('elementwise') ? Simulation.elementwiseHandler : undefined;
}

/** Whether the simulator runs ops named `name` (a handler, the elementwise rule, or a terminator); ops-coverage.test.ts asks. */
export function simulatorHandles(name: string): boolean {
  return terminators.has(name) || simulatorHandlerFor(name) !== undefined;
}

/** Runs a per-thread function (a tt.func, or a builtin.module holding one) for a whole launch. */
export function simulate(threadFn: Operation, options: SimulateOptions): SimulationResult {
  let fn = threadFn;
  if (fn.name === 'builtin.module') {
    const f = fn.regions[0]!.entry.ops.find((o) => o.name === 'tt.func');
    if (!f) throw new SimulationError('the module holds no tt.func');
    fn = f;
  }
  if (fn.name !== 'tt.func') throw new SimulationError(`simulate expects a tt.func, got ${fn.name}`);
  if (!Number.isInteger(options.numWarps) || options.numWarps < 1) throw new SimulationError(`numWarps must be a positive integer, got ${options.numWarps}`);
  return new Simulation(fn, options).run();
}
