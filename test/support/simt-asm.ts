// The simulator's reading of inline PTX (gpu.inline_asm, from tl.inlineAsmElementwise): the asm text is parsed
// once per op into instructions over named registers, then run thread by thread on register bits (bigints). It
// knows the subset of PTX that the tests' asm uses, with PTX's semantics, and refuses anything else by name, so a
// test that needs another instruction fails saying which.
//
// Registers: the operands $i are %asm<i> (as the PTX printer names them), of their constraint's type; `.reg`
// declarations add others (`.reg .b8 tmp<4>` declares tmp0..tmp3). Nested { } scopes are flattened: names are
// assumed unique within one asm. A register holds its bits zero-extended to its width; an instruction reads the
// low bits of its type's width and writes its result extended (signed types sign-extend) to the register's width.
// Global memory goes through the simulator's LaunchMemory: each ld.global/st.global of the asm is a site of its own.
import { bf16FromBits, bf16ToBits, bigIntToDoubleOdd, f16FromBits, f16ToBits } from '../../src/numerics.ts';
import { registerPtxType, substituteOperands, type AsmConstraint } from '../../src/compiler/ir/inline-asm.ts';

/** A PTX type: .b32 is { kind: 'b', bits: 32 }; .pred is { kind: 'pred', bits: 1 }. */
interface PtxType {
  readonly kind: 'b' | 'u' | 's' | 'f' | 'bf' | 'pred';
  readonly bits: number;
}

type AsmOperand =
  | { readonly kind: 'reg'; readonly name: string }
  | { readonly kind: 'imm'; readonly text: string }
  | { readonly kind: 'vec'; readonly names: readonly string[] }
  | { readonly kind: 'mem'; readonly base: string; readonly offset: bigint };

interface AsmInstruction {
  readonly text: string;
  readonly guard?: { readonly name: string; readonly negate: boolean };
  readonly opcode: string;
  readonly mods: readonly string[];
  readonly operands: readonly AsmOperand[];
  /** For ld.global and st.global: the index of its memory site among the asm's. */
  readonly site?: number;
}

export interface AsmMemorySite {
  readonly kind: 'load' | 'store';
  readonly bytes: number;
}

export interface AsmProgram {
  readonly registers: ReadonlyMap<string, PtxType>;
  readonly instructions: readonly AsmInstruction[];
  readonly sites: readonly AsmMemorySite[];
  readonly numOutputs: number;
}

/** Global memory as the asm sees it: 64-bit addresses, little-endian values of `bytes` bytes. */
export interface AsmMemory {
  load(site: number, address: bigint, bytes: number): bigint;
  store(site: number, address: bigint, bytes: number, bits: bigint): void;
}

export class AsmError extends Error {}

function parseType(mod: string): PtxType | undefined {
  if (mod === 'pred') return { kind: 'pred', bits: 1 };
  if (mod === 'bf16') return { kind: 'bf', bits: 16 };
  const m = /^([bsuf])(8|16|32|64)$/.exec(mod);
  return m ? { kind: m[1] as PtxType['kind'], bits: Number(m[2]) } : undefined;
}

/** Statements of the asm: comments dropped, scope braces dropped, vector braces kept. */
function statements(asm: string): string[] {
  const text = asm.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const out: string[] = [];
  let current = '';
  let vectorDepth = 0;
  for (const ch of text) {
    if (ch === '{') {
      if (current.trim() === '') continue;
      vectorDepth++;
    } else if (ch === '}') {
      if (vectorDepth === 0) {
        if (current.trim() !== '') throw new AsmError(`unexpected '}' in '${current.trim()}'`);
        continue;
      }
      vectorDepth--;
    } else if (ch === ';' && vectorDepth === 0) {
      if (current.trim()) out.push(current.trim().replace(/\s+/g, ' '));
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) throw new AsmError(`'${current.trim()}' does not end with ';'`);
  return out;
}

/** Splits operands at top-level commas (not inside {} or []). */
function splitOperands(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '{' || ch === '[') depth++;
    if (ch === '}' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function parseOperand(text: string): AsmOperand {
  if (text.startsWith('{')) return { kind: 'vec', names: text.slice(1, -1).split(',').map((s) => s.trim()) };
  if (text.startsWith('[')) {
    const m = /^\[\s*([%\w$]+)\s*(?:\+\s*(-?\w+))?\s*\]$/.exec(text);
    if (!m) throw new AsmError(`unsupported address ${text}`);
    return { kind: 'mem', base: m[1]!, offset: m[2] ? BigInt(m[2]) : 0n };
  }
  if (/^[-0-9]/.test(text)) return { kind: 'imm', text };
  return { kind: 'reg', name: text };
}

/** Parses the asm of a gpu.inline_asm, its operands named and typed by the constraints. */
export function parseAsm(asm: string, constraints: readonly AsmConstraint[]): AsmProgram {
  const registers = new Map<string, PtxType>();
  const names = constraints.map((c, i) => {
    registers.set(`%asm${i}`, parseType(registerPtxType(c.letter).slice(1))!);
    return `%asm${i}`;
  });
  const instructions: AsmInstruction[] = [];
  const sites: AsmMemorySite[] = [];
  for (const st of statements(substituteOperands(asm, names))) {
    if (st.startsWith('.reg ')) {
      const m = /^\.reg \.(\w+) (.+)$/.exec(st);
      const type = m && parseType(m[1]!);
      if (!type) throw new AsmError(`unsupported declaration '${st}'`);
      for (const decl of m![2]!.split(',').map((s) => s.trim())) {
        const range = /^([%\w$]+)<(\d+)>$/.exec(decl);
        if (range) for (let i = 0; i < Number(range[2]); i++) registers.set(`${range[1]}${i}`, type);
        else registers.set(decl, type);
      }
      continue;
    }
    if (st.startsWith('.')) throw new AsmError(`unsupported directive '${st}'`);
    const m = /^(?:@(!?)([%\w$]+) )?([a-z][\w.:]*)(?: (.*))?$/.exec(st);
    if (!m) throw new AsmError(`cannot read '${st}'`);
    const [opcode, ...mods] = m[3]!.split('.');
    const operands = m[4] ? splitOperands(m[4]).map(parseOperand) : [];
    let site: number | undefined;
    if (opcode === 'ld' || opcode === 'st') {
      if (!mods.includes('global')) throw new AsmError(`only global memory is supported: '${st}'`);
      const type = mods.map(parseType).find((t) => t !== undefined);
      if (!type) throw new AsmError(`no type in '${st}'`);
      site = sites.push({ kind: opcode === 'ld' ? 'load' : 'store', bytes: type.bits / 8 }) - 1;
    }
    instructions.push({ text: st, guard: m[2] ? { name: m[2], negate: m[1] === '!' } : undefined, opcode: opcode!, mods, operands, site });
  }
  return { registers, instructions, sites, numOutputs: constraints.filter((c) => c.output).length };
}

// ---- values ----------------------------------------------------------------------------------------------------

const mask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const f32View = new DataView(new ArrayBuffer(8));

function floatOf(bits: bigint, t: PtxType): number {
  if (t.bits === 64) {
    f32View.setBigUint64(0, bits);
    return f32View.getFloat64(0);
  }
  if (t.bits === 32) {
    f32View.setUint32(0, Number(bits));
    return f32View.getFloat32(0);
  }
  if (t.bits === 16) return t.kind === 'bf' ? bf16FromBits(Number(bits)) : f16FromBits(Number(bits));
  throw new AsmError(`no float of ${t.bits} bits`);
}

/** The bits of x rounded to nearest even in the type. */
function floatBits(x: number, t: PtxType): bigint {
  if (t.bits === 64) {
    f32View.setFloat64(0, x);
    return f32View.getBigUint64(0);
  }
  if (t.bits === 32) {
    f32View.setFloat32(0, x);
    return BigInt(f32View.getUint32(0));
  }
  if (t.bits === 16) return BigInt(t.kind === 'bf' ? bf16ToBits(x) : f16ToBits(x));
  throw new AsmError(`no float of ${t.bits} bits`);
}

const intOf = (bits: bigint, t: PtxType): bigint => (t.kind === 's' ? BigInt.asIntN(t.bits, bits) : BigInt.asUintN(t.bits, bits));

class Thread {
  private readonly regs = new Map<string, bigint>();
  constructor(
    private readonly program: AsmProgram,
    private readonly memory: AsmMemory,
  ) {}

  private regType(name: string): PtxType {
    const t = this.program.registers.get(name);
    if (!t) throw new AsmError(`register ${name} is not declared`);
    return t;
  }

  /** The operand's bits as an instruction of type t reads them. */
  private read(op: AsmOperand, t: PtxType): bigint {
    if (op.kind === 'reg') return (this.regs.get(op.name) ?? (this.regType(op.name), 0n)) & mask(t.bits);
    if (op.kind === 'imm') {
      const s = op.text;
      if (/^0[fF][0-9a-fA-F]{8}$/.test(s) || /^0[dD][0-9a-fA-F]{16}$/.test(s)) {
        const raw = BigInt(`0x${s.slice(2)}`);
        return s.length === 10 && t.bits === 64 ? floatBits(floatOf(raw, { kind: 'f', bits: 32 }), t) : raw & mask(t.bits);
      }
      if (/[.eE]/.test(s) && !/^-?0[xX]/.test(s)) return floatBits(Number(s), t);
      const v = s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
      return t.kind === 'f' ? floatBits(Number(v), t) : BigInt.asUintN(t.bits, v);
    }
    throw new AsmError(`expected a register or an immediate, got ${op.kind}`);
  }

  /** Writes a result of type t (its bits, or a signed value) to a register, extended or cut to its width. */
  private write(op: AsmOperand, t: PtxType, value: bigint): void {
    if (op.kind !== 'reg') throw new AsmError('the destination must be a register');
    const rt = this.regType(op.name);
    const v = t.kind === 's' ? BigInt.asIntN(t.bits, value) : BigInt.asUintN(t.bits, value);
    this.regs.set(op.name, BigInt.asUintN(rt.bits, v));
  }

  run(inputs: readonly bigint[]): bigint[] {
    const { program } = this;
    inputs.forEach((bits, i) => this.regs.set(`%asm${program.numOutputs + i}`, bits));
    for (const ins of program.instructions) {
      if (ins.guard) {
        const p = (this.regs.get(ins.guard.name) ?? 0n) !== 0n;
        if (p === ins.guard.negate) continue;
      }
      try {
        this.execute(ins);
      } catch (e) {
        if (e instanceof AsmError) throw new AsmError(`${e.message} (in '${ins.text}')`);
        throw e;
      }
    }
    return Array.from({ length: program.numOutputs }, (_, i) => this.regs.get(`%asm${i}`) ?? 0n);
  }

  private execute(ins: AsmInstruction): void {
    const types = ins.mods.map(parseType).filter((t): t is PtxType => t !== undefined);
    const t = types[types.length - 1];
    const ops = ins.operands;
    const need = (): PtxType => t ?? unsupported(ins);
    const a = (i: number, ty = need()): bigint => this.read(ops[i]!, ty);
    const f = (i: number): number => floatOf(a(i), need());
    const round = (x: number): bigint => floatBits(x, need());
    const signedOrNot = (i: number): bigint => intOf(a(i), need());
    switch (ins.opcode) {
      case 'mov':
        return this.mov(ins, need());
      case 'add':
      case 'sub':
      case 'mul':
      case 'mad':
        return this.arithmetic(ins, need());
      case 'min':
      case 'max': {
        const ty = need();
        const pick = ins.opcode === 'max' ? (x: number, y: number) => x > y : (x: number, y: number) => x < y;
        if (ty.kind === 'f') {
          const [x, y] = [f(1), f(2)];
          // PTX's min and max give the other operand when one is NaN.
          const r = Number.isNaN(x) ? y : Number.isNaN(y) ? x : pick(x, y) ? x : y;
          return this.write(ops[0]!, ty, round(r));
        }
        const [x, y] = [signedOrNot(1), signedOrNot(2)];
        return this.write(ops[0]!, ty, (ins.opcode === 'max' ? x > y : x < y) ? x : y);
      }
      case 'and':
      case 'or':
      case 'xor': {
        const [x, y] = [a(1), a(2)];
        return this.write(ops[0]!, need(), ins.opcode === 'and' ? x & y : ins.opcode === 'or' ? x | y : x ^ y);
      }
      case 'not':
        return this.write(ops[0]!, need(), ~a(1));
      case 'shl':
      case 'shr': {
        const ty = need();
        const n = this.read(ops[2]!, { kind: 'u', bits: 32 });
        const k = n > BigInt(ty.bits) ? BigInt(ty.bits) : n;
        if (ins.opcode === 'shl') return this.write(ops[0]!, ty, k >= BigInt(ty.bits) ? 0n : a(1) << k);
        const x = ty.kind === 's' ? BigInt.asIntN(ty.bits, a(1)) : a(1);
        return this.write(ops[0]!, ty, x >> k);
      }
      case 'shf': {
        // shf.{l,r}.{wrap,clamp}.b32 d, a, b, c: a funnel shift of the 64 bits b:a by c.
        const n = this.read(ops[3]!, { kind: 'u', bits: 32 });
        const k = ins.mods.includes('wrap') ? n & 31n : n > 32n ? 32n : n;
        const wide = (a(2) << 32n) | a(1);
        return this.write(ops[0]!, need(), ins.mods.includes('l') ? (wide << k) >> 32n : wide >> k);
      }
      case 'neg':
        return this.write(ops[0]!, need(), need().kind === 'f' ? round(-f(1)) : -a(1));
      case 'abs': {
        const ty = need();
        return this.write(ops[0]!, ty, ty.kind === 'f' ? round(Math.abs(f(1))) : BigInt.asIntN(ty.bits, a(1)) < 0n ? -BigInt.asIntN(ty.bits, a(1)) : a(1));
      }
      case 'selp': {
        const p = this.read(ops[3]!, { kind: 'pred', bits: 1 });
        return this.write(ops[0]!, need(), p ? a(1) : a(2));
      }
      case 'setp':
        return this.setp(ins, need());
      case 'cvt':
        return this.cvt(ins, types);
      case 'ld':
      case 'st':
        return this.access(ins, need());
    }
    unsupported(ins);
  }

  private mov(ins: AsmInstruction, t: PtxType): void {
    const [d, s] = ins.operands as [AsmOperand, AsmOperand];
    if (d.kind === 'vec') {
      // mov.b32 {a, b, c, d}, x: x's bits split among the registers, the first from the low bits.
      let bits = this.read(s, t);
      for (const name of d.names) {
        const w = this.regType(name).bits;
        this.regs.set(name, bits & mask(w));
        bits >>= BigInt(w);
      }
      return;
    }
    if (s.kind === 'vec') {
      let bits = 0n;
      let at = 0n;
      for (const name of s.names) {
        const w = this.regType(name).bits;
        bits |= ((this.regs.get(name) ?? 0n) & mask(w)) << at;
        at += BigInt(w);
      }
      return this.write(d, t, bits);
    }
    this.write(d, t, this.read(s, t));
  }

  private arithmetic(ins: AsmInstruction, t: PtxType): void {
    const ops = ins.operands;
    const { opcode, mods } = ins;
    if (t.kind === 'f') {
      const [x, y] = [floatOf(this.read(ops[1]!, t), t), floatOf(this.read(ops[2]!, t), t)];
      if (opcode === 'add') return this.write(ops[0]!, t, floatBits(x + y, t));
      if (opcode === 'sub') return this.write(ops[0]!, t, floatBits(x - y, t));
      if (opcode === 'mul') return this.write(ops[0]!, t, floatBits(x * y, t));
      unsupported(ins);
    }
    const [x, y] = [intOf(this.read(ops[1]!, t), t), intOf(this.read(ops[2]!, t), t)];
    if (opcode === 'add') return this.write(ops[0]!, t, x + y);
    if (opcode === 'sub') return this.write(ops[0]!, t, x - y);
    const product = x * y;
    const wide = { kind: t.kind, bits: t.bits * 2 } as PtxType;
    if (opcode === 'mul') {
      if (mods.includes('wide')) return this.write(ops[0]!, wide, product);
      if (mods.includes('hi')) return this.write(ops[0]!, t, product >> BigInt(t.bits));
      return this.write(ops[0]!, t, product);
    }
    if (opcode === 'mad' && mods.includes('lo')) return this.write(ops[0]!, t, product + intOf(this.read(ops[3]!, t), t));
    unsupported(ins);
  }

  private setp(ins: AsmInstruction, t: PtxType): void {
    const cmp = ins.mods[0]!;
    const ops = ins.operands;
    let r: boolean;
    if (t.kind === 'f') {
      const [x, y] = [floatOf(this.read(ops[1]!, t), t), floatOf(this.read(ops[2]!, t), t)];
      const table: Record<string, boolean> = { eq: x === y, ne: x !== y && !Number.isNaN(x) && !Number.isNaN(y), lt: x < y, le: x <= y, gt: x > y, ge: x >= y };
      if (!(cmp in table)) unsupported(ins);
      r = table[cmp]!;
    } else {
      const unsignedCmp = ['lo', 'ls', 'hi', 'hs'].includes(cmp);
      const ty: PtxType = unsignedCmp ? { kind: 'u', bits: t.bits } : t;
      const [x, y] = [intOf(this.read(ops[1]!, ty), ty), intOf(this.read(ops[2]!, ty), ty)];
      const table: Record<string, boolean> = { eq: x === y, ne: x !== y, lt: x < y, le: x <= y, gt: x > y, ge: x >= y, lo: x < y, ls: x <= y, hi: x > y, hs: x >= y };
      if (!(cmp in table)) unsupported(ins);
      r = table[cmp]!;
    }
    this.write(ops[0]!, { kind: 'pred', bits: 1 }, r ? 1n : 0n);
  }

  private cvt(ins: AsmInstruction, types: readonly PtxType[]): void {
    const [dt, st] = types as [PtxType, PtxType];
    if (!dt || !st) unsupported(ins);
    const [d, s] = ins.operands as [AsmOperand, AsmOperand];
    const rounding = ins.mods.find((m) => /^r(n|z|m|p)i?$/.test(m));
    if (ins.mods.includes('sat')) unsupported(ins);
    const bits = this.read(s, st);
    const srcFloat = st.kind === 'f' || st.kind === 'bf';
    const dstFloat = dt.kind === 'f' || dt.kind === 'bf';
    if (!srcFloat && !dstFloat) return this.write(d, dt, intOf(bits, st));
    if (!srcFloat) {
      // Integer to float: only round-to-nearest, rounded once (to a narrower float through a double rounded to odd).
      if (rounding !== 'rn') unsupported(ins);
      const v = intOf(bits, st);
      return this.write(d, dt, floatBits(dt.bits === 64 ? Number(v) : bigIntToDoubleOdd(v), dt));
    }
    const x = floatOf(bits, st);
    if (dstFloat) {
      if (dt.bits < st.bits && rounding !== 'rn') unsupported(ins);
      return this.write(d, dt, floatBits(x, dt));
    }
    const integral = rounding === 'rzi' ? Math.trunc(x) : rounding === 'rmi' ? Math.floor(x) : rounding === 'rpi' ? Math.ceil(x) : rounding === 'rni' ? roundHalfEven(x) : unsupported(ins);
    const [lo, hi] = dt.kind === 's' ? [-(2n ** BigInt(dt.bits - 1)), 2n ** BigInt(dt.bits - 1) - 1n] : [0n, mask(dt.bits)];
    // PTX's float-to-integer conversions saturate, and NaN gives 0.
    const v = Number.isNaN(integral) ? 0n : integral === Infinity ? hi : integral === -Infinity ? lo : BigInt(integral);
    this.write(d, dt, v < lo ? lo : v > hi ? hi : v);
  }

  private access(ins: AsmInstruction, t: PtxType): void {
    const [first, second] = ins.operands as [AsmOperand, AsmOperand];
    const addrOp = ins.opcode === 'ld' ? second : first;
    if (addrOp.kind !== 'mem') throw new AsmError('expected an address [reg]');
    const address = BigInt.asIntN(64, (this.regs.get(addrOp.base) ?? (this.regType(addrOp.base), 0n)) + addrOp.offset);
    const bytes = t.bits / 8;
    if (ins.opcode === 'ld') return this.write(first, t, intOf(this.memory.load(ins.site!, address, bytes), t));
    this.memory.store(ins.site!, address, bytes, this.read(second, t));
  }
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function unsupported(ins: AsmInstruction): never {
  throw new AsmError(`the simulator does not run the PTX instruction ${[ins.opcode, ...ins.mods].join('.')}; add it to test/support/simt-asm.ts`);
}

/** Runs the asm for one thread: the input registers' bits in, the output registers' bits out. */
export function runAsm(program: AsmProgram, inputs: readonly bigint[], memory: AsmMemory): bigint[] {
  return new Thread(program, memory).run(inputs);
}
