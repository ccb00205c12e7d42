// Compares what the tensor-core probe (bench/tc-probe/probe.cu) measured on a GPU with what the model
// (test/support/tensor-core-model.ts) says for the same inputs, and prints every disagreement:
//   node bin/run-ts.js test/support/tensor-core-probe-check.ts path/to/tc-probe.json
// The probe's file has one JSON object per line: every input register, shared-memory image and descriptor of each
// run, and the registers or memory that came out. Each record is replayed through the model and compared bit for bit.
// Disagreements are failures, except where the model states a guess rather than the ISA (records marked
// experimental, and the bit pattern of NaN results, where any NaN is accepted): those are printed as notes, since
// they are exactly what the probe is for. Exit status 1 when anything failed or the file is incomplete.
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { f16FromBits, f16ToBits, roundTf32 } from '../../src/numerics.ts';
import {
  CpAsyncThread,
  decodeFloat,
  e4m3FromBits,
  e4m3ToBits,
  e5m2FromBits,
  e5m2ToBits,
  encodeFloat,
  f32FromBits,
  f32ToBits,
  ldmatrix,
  mmaCLayout,
  mmaSync,
  stmatrix,
  tf32ToBits,
  wgmmaDLayout,
  wgmmaMmaAsync,
  type AccType,
  type ElementType,
  type FloatFormat,
  type FragmentLayout,
  type InputType,
} from './tensor-core-model.ts';

/** A probe record as parsed from JSON: fields are read through the accessors below. */
type ProbeRecord = Record<string, unknown>;

export interface RecordResult {
  /** One line naming the record. */
  title: string;
  failures: string[];
  notes: string[];
}

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const parseHex = (s: unknown): number => Number.parseInt(String(s), 16) >>> 0;

function field<T>(rec: ProbeRecord, key: string): T {
  if (!(key in rec)) throw new Error(`record has no "${key}"`);
  return rec[key] as T;
}

function bytesOf(hexString: string): Uint8Array {
  const out = new Uint8Array(hexString.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hexString.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Registers as printed (32-bit patterns) to the model's convention: f32/tf32 values, s32 integers, packed bits. */
function toModelRegs(t: ElementType, regs: readonly (readonly string[])[]): number[][] {
  return regs.map((r) =>
    r.map((h) => {
      const bits = parseHex(h);
      if (t === 'f32' || t === 'tf32') return f32FromBits(bits);
      if (t === 's32') return bits | 0;
      return bits;
    }),
  );
}

/** The model's register values back to 32-bit patterns. */
function toBits(t: ElementType, v: number): number {
  return t === 'f32' || t === 'tf32' ? f32ToBits(v) : v >>> 0;
}

/** Whether two accumulator registers agree: same bits, or both hold NaN in the same places. */
function sameAccumulator(t: AccType, expected: number, got: number): boolean {
  if (expected === got) return true;
  if (t === 'f32') return Number.isNaN(f32FromBits(expected)) && Number.isNaN(f32FromBits(got));
  if (t === 'f16') return [0, 16].every((s) => ((expected >>> s) & 0xffff) === ((got >>> s) & 0xffff) || (Number.isNaN(f16FromBits(expected >>> s)) && Number.isNaN(f16FromBits(got >>> s))));
  return false;
}

/** Compares accumulator fragments register by register; lists the first mismatches with their matrix positions. */
function compareAccumulators(layout: FragmentLayout, t: AccType, expected: number[][], got: readonly (readonly string[])[]): string[] {
  const bad: string[] = [];
  let count = 0;
  for (let thread = 0; thread < layout.threads; thread++) {
    for (let r = 0; r < layout.regs; r++) {
      const e = toBits(t, expected[thread]![r]!);
      const g = parseHex(got[thread]?.[r]);
      if (sameAccumulator(t, e, g)) continue;
      count++;
      if (bad.length < 8) {
        const where = Array.from({ length: layout.perReg }, (_, j) => layout.coord(thread, r * layout.perReg + j).join(',')).join(' ');
        const show = (b: number): string => (t === 'f32' ? `${hex32(b)} (${f32FromBits(b)})` : t === 's32' ? `${b | 0}` : `${hex32(b)} (${f16FromBits(b)}, ${f16FromBits(b >>> 16)})`);
        bad.push(`thread ${thread} register ${r} [D ${where}]: model ${show(e)}, GPU ${show(g)}`);
      }
    }
  }
  if (count > bad.length) bad.push(`... ${count} registers differ in all`);
  return bad;
}

function checkMma(rec: ProbeRecord): RecordResult {
  const aType = field<InputType>(rec, 'aType');
  const bType = field<InputType>(rec, 'bType');
  const cType = field<AccType>(rec, 'cType');
  const dType = field<AccType>(rec, 'dType');
  const title = `mma ${field<string>(rec, 'name')}`;
  const d = mmaSync(
    { aType, bType, cType, dType, satfinite: field<boolean>(rec, 'satfinite') },
    toModelRegs(aType, field(rec, 'a')),
    toModelRegs(bType, field(rec, 'b')),
    toModelRegs(cType, field(rec, 'c')),
  );
  return { title, failures: compareAccumulators(mmaCLayout(dType), dType, d, field(rec, 'd')), notes: [] };
}

function checkWgmma(rec: ProbeRecord): RecordResult {
  const aType = field<InputType>(rec, 'aType');
  const bType = field<InputType>(rec, 'bType');
  const dType = field<AccType>(rec, 'dType');
  const n = field<number>(rec, 'n');
  const title = `wgmma ${field<string>(rec, 'name')}`;
  const image = bytesOf(field<string>(rec, 'smem'));
  const base = field<number>(rec, 'smemBase');
  const shared = new Uint8Array(base + image.length);
  shared.set(image, base);
  const a = field<string>(rec, 'aSource') === 'regs' ? { regs: toModelRegs(aType, field(rec, 'a')) } : { desc: BigInt(field<string>(rec, 'aDesc')) };
  const spec = {
    n,
    aType,
    bType,
    dType,
    transA: field<boolean>(rec, 'transA'),
    transB: field<boolean>(rec, 'transB'),
    scaleA: field<1 | -1>(rec, 'scaleA'),
    scaleB: field<1 | -1>(rec, 'scaleB'),
    satfinite: field<boolean>(rec, 'satfinite'),
  };
  const d = wgmmaMmaAsync(spec, shared, a, BigInt(field<string>(rec, 'bDesc')), toModelRegs(dType, field(rec, 'dIn')), field<number>(rec, 'scaleD') !== 0);
  const bad = compareAccumulators(wgmmaDLayout(n, dType), dType, d, field(rec, 'd'));
  if (base % 1024 !== 0) bad.unshift(`(note: shared memory starts at ${base}, not on a 1024-byte boundary: the one-hot data is scrambled, the comparison still holds)`);
  if (field<boolean>(rec, 'experimental')) return { title, failures: [], notes: bad.map((b) => `experimental case disagrees: ${b}`) };
  return { title, failures: bad, notes: [] };
}

/** Shared memory whose 16-bit element at byte 2i holds i (mod 2^16). */
function iotaShared(bytes: number): Uint8Array {
  const s = new Uint8Array(bytes);
  const v = new DataView(s.buffer);
  for (let i = 0; i < bytes / 2; i++) v.setUint16(2 * i, i & 0xffff, true);
  return s;
}

function checkLdmatrix(rec: ProbeRecord): RecordResult {
  const num = field<1 | 2 | 4>(rec, 'num');
  const trans = field<boolean>(rec, 'trans');
  const title = `ldmatrix .x${num}${trans ? '.trans' : ''}`;
  if (field<string>(rec, 'smemPattern') !== 'u16-index') return { title, failures: ['unknown smemPattern'], notes: [] };
  const expected = ldmatrix(iotaShared(field<number>(rec, 'smemBytes')), field<number[]>(rec, 'addrs'), num, trans);
  const got = field<string[][]>(rec, 'd');
  const failures: string[] = [];
  expected.forEach((regs, lane) =>
    regs.forEach((e, q) => {
      const g = parseHex(got[lane]?.[q]);
      const halves = (x: number): string => `[${x & 0xffff}, ${x >>> 16}]`;
      if (g !== e && failures.length < 8) failures.push(`lane ${lane} register ${q}: model elements ${halves(e)}, GPU ${halves(g)} (element i is the u16 at byte 2i)`);
    }),
  );
  return { title, failures, notes: [] };
}

function checkStmatrix(rec: ProbeRecord): RecordResult {
  const num = field<1 | 2 | 4>(rec, 'num');
  const trans = field<boolean>(rec, 'trans');
  const title = `stmatrix .x${num}${trans ? '.trans' : ''}`;
  const shared = new Uint8Array(field<number>(rec, 'smemBytes'));
  const view = new DataView(shared.buffer);
  for (let i = 0; i < shared.length; i += 2) view.setUint16(i, field<number>(rec, 'fill'), true);
  stmatrix(shared, field<number[]>(rec, 'addrs'), toModelRegs('f16', field(rec, 'r')), num, trans);
  const got = new DataView(bytesOf(field<string>(rec, 'smem')).buffer);
  const failures: string[] = [];
  let count = 0;
  for (let i = 0; i < shared.length; i += 2) {
    if (view.getUint16(i, true) === got.getUint16(i, true)) continue;
    count++;
    if (failures.length < 8) failures.push(`u16 at byte ${i}: model ${hex32(view.getUint16(i, true))}, GPU ${hex32(got.getUint16(i, true))}`);
  }
  if (count > failures.length) failures.push(`... ${count} elements differ in all`);
  return { title, failures, notes: [] };
}

interface CpOp {
  op: 'copy' | 'commit' | 'wait' | 'waitAll';
  cache?: 'ca' | 'cg';
  dst?: number;
  src?: number;
  cpSize?: 4 | 8 | 16;
  srcSize?: number;
  ignoreSrc?: boolean;
  n?: number;
  snapshot?: string;
}

function checkCpAsync(rec: ProbeRecord): RecordResult {
  const title = 'cp.async commit_group / wait_group';
  const fill = field<number>(rec, 'smemFill');
  const shared = new Uint8Array(field<number>(rec, 'smemBytes')).fill(fill);
  const t = new CpAsyncThread(shared, bytesOf(field<string>(rec, 'global')));
  const failures: string[] = [];
  const notes: string[] = [];
  for (const op of field<CpOp[]>(rec, 'ops')) {
    if (op.op === 'copy') t.copy(op.cache!, op.dst!, op.src!, op.cpSize!, op.ignoreSrc ? { ignoreSrc: true } : (op.srcSize ?? op.cpSize!));
    else if (op.op === 'commit') t.commitGroup();
    else {
      const label = op.op === 'waitAll' ? 'wait_all' : `wait_group ${op.n}`;
      if (op.op === 'waitAll') t.waitAll();
      else t.waitGroup(op.n!);
      const snap = bytesOf(op.snapshot!);
      const early: number[] = [];
      for (let i = 0; i < shared.length; i++) {
        const inFlight = t.pending().find((c) => i >= c.dst && i < c.dst + c.cpSize);
        if (inFlight) {
          // Not guaranteed yet: either the old byte or the copied one may be there.
          const landed = inFlight.data[i - inFlight.dst]!;
          if (snap[i] === landed && landed !== fill) early.push(i);
          else if (snap[i] !== fill && snap[i] !== landed) failures.push(`after ${label}: byte ${i} (in flight) is ${snap[i]}, neither the old ${fill} nor the copy's ${landed}`);
        } else if (snap[i] !== shared[i]) failures.push(`after ${label}: byte ${i} is ${snap[i]}, the model says ${shared[i]}`);
      }
      if (early.length) notes.push(`after ${label}: bytes ${early[0]}..${early[early.length - 1]} (${early.length}) already held data of copies not yet guaranteed complete (allowed)`);
    }
  }
  return { title, failures: failures.slice(0, 12), notes };
}

/** What one cvt record's op computes per input: its result fields, low first, and the model's bits for each. */
interface CvtModel {
  format: FloatFormat;
  width: 8 | 16 | 32;
  expected(input: number): number[];
}

const sat = { satfinite: true };
const negate = (x: number): number => -x;

const CVT_MODELS: Record<string, CvtModel> = {
  // Two f32 inputs (x, -x): a = x goes to the upper byte, b = -x to the lower.
  'cvt.rn.satfinite.e4m3x2.f32': { format: 'e4m3', width: 8, expected: (i) => [e4m3ToBits(negate(f32FromBits(i)), sat), e4m3ToBits(f32FromBits(i), sat)] },
  'cvt.rn.satfinite.e5m2x2.f32': { format: 'e5m2', width: 8, expected: (i) => [e5m2ToBits(negate(f32FromBits(i)), sat), e5m2ToBits(f32FromBits(i), sat)] },
  // An f16x2 input: the f16 code in the low half, its negation in the high half; halves map to bytes in order.
  'cvt.rn.satfinite.e4m3x2.f16x2': { format: 'e4m3', width: 8, expected: (i) => [e4m3ToBits(f16FromBits(i), sat), e4m3ToBits(f16FromBits(i ^ 0x8000), sat)] },
  'cvt.rn.satfinite.e5m2x2.f16x2': { format: 'e5m2', width: 8, expected: (i) => [e5m2ToBits(f16FromBits(i), sat), e5m2ToBits(f16FromBits(i ^ 0x8000), sat)] },
  // Two fp8 codes: the code in the low byte, its complement in the high byte; each becomes an f16.
  'cvt.rn.f16x2.e4m3x2': { format: 'f16', width: 16, expected: (i) => [f16ToBits(e4m3FromBits(i & 0xff)), f16ToBits(e4m3FromBits(~i & 0xff))] },
  'cvt.rn.f16x2.e5m2x2': { format: 'f16', width: 16, expected: (i) => [f16ToBits(e5m2FromBits(i & 0xff)), f16ToBits(e5m2FromBits(~i & 0xff))] },
  'cvt.rn.tf32.f32': { format: 'tf32', width: 32, expected: (i) => [tf32ToBits(f32FromBits(i))] },
  'cvt.rna.tf32.f32': { format: 'tf32', width: 32, expected: (i) => [f32ToBits(roundTf32(f32FromBits(i)))] },
  'cvt.rn.satfinite.f16x2.f32': { format: 'f16', width: 16, expected: (i) => [encodeFloat('f16', negate(f32FromBits(i)), sat), encodeFloat('f16', f32FromBits(i), sat)] },
  'cvt.rn.satfinite.bf16x2.f32': { format: 'bf16', width: 16, expected: (i) => [encodeFloat('bf16', negate(f32FromBits(i)), sat), encodeFloat('bf16', f32FromBits(i), sat)] },
};

function isNaNIn(format: FloatFormat, bits: number): boolean {
  return Number.isNaN(format === 'tf32' ? f32FromBits(bits) : decodeFloat(format, bits));
}

function checkCvt(rec: ProbeRecord): RecordResult {
  const op = field<string>(rec, 'op');
  const title = op;
  const model = CVT_MODELS[op];
  if (!model) return { title, failures: [`no model for ${op}`], notes: [] };
  // Inputs: a list, or "inRange": [lo, hi) for exhaustive runs. Outputs: one string of outDigits hex digits each.
  const range = rec['inRange'] as [number, number] | undefined;
  const inputs = range ? Array.from({ length: range[1] - range[0] }, (_, i) => range[0] + i) : field<string[]>(rec, 'in').map(parseHex);
  const digits = field<number>(rec, 'outDigits');
  const text = field<string>(rec, 'out');
  const outputs = inputs.map((_, k) => parseHex(text.slice(k * digits, (k + 1) * digits)));
  if (text.length !== inputs.length * digits) return { title, failures: [`${text.length / digits} outputs for ${inputs.length} inputs`], notes: [] };
  const mask = model.width === 32 ? 0xffffffff : (1 << model.width) - 1;
  const failures: string[] = [];
  const nanPatterns = new Map<string, number>();
  let count = 0;
  inputs.forEach((input, k) => {
    model.expected(input).forEach((e, j) => {
      const g = model.width === 32 ? outputs[k]! : (outputs[k]! >>> (j * model.width)) & mask;
      if (g === (e & mask) >>> 0) return;
      if (isNaNIn(model.format, e) && isNaNIn(model.format, g)) {
        const key = `model ${hex32(e)} GPU ${hex32(g)}`;
        nanPatterns.set(key, (nanPatterns.get(key) ?? 0) + 1);
        return;
      }
      count++;
      if (failures.length < 10) failures.push(`input ${hex32(input)} (${f32FromBits(input)} as f32) field ${j}: model ${hex32(e)} (${decodeFloat(model.format, e)}), GPU ${hex32(g)} (${decodeFloat(model.format, g)})`);
    });
  });
  if (count > failures.length) failures.push(`... ${count} results differ in all`);
  const notes = [...nanPatterns].map(([k, n]) => `NaN results with other bits than the model's: ${k} (${n} times)`);
  return { title, failures, notes };
}

/** Checks one probe record (a parsed JSON line). */
export function checkProbeRecord(rec: ProbeRecord): RecordResult {
  try {
    switch (rec['kind']) {
      case 'mma':
        return checkMma(rec);
      case 'wgmma':
        return checkWgmma(rec);
      case 'ldmatrix':
        return checkLdmatrix(rec);
      case 'stmatrix':
        return checkStmatrix(rec);
      case 'cpasync':
        return checkCpAsync(rec);
      case 'cvt':
        return checkCvt(rec);
      case 'error':
        return { title: 'probe error', failures: [JSON.stringify(rec)], notes: [] };
      default:
        return { title: String(rec['kind']), failures: [], notes: [JSON.stringify(rec)] };
    }
  } catch (e) {
    return { title: `${String(rec['kind'])} ${String(rec['name'] ?? rec['op'] ?? '')}`, failures: [`the model refused the record: ${(e as Error).message}`], notes: [] };
  }
}

/** Checks a whole probe output; returns the per-record results and whether the probe ran to the end. */
export function checkProbeOutput(text: string): { results: RecordResult[]; complete: boolean } {
  const lines = text.split('\n').filter((l) => l.trim());
  const records = lines.map((l) => JSON.parse(l) as ProbeRecord);
  const complete = records.some((r) => r['kind'] === 'done');
  return { results: records.filter((r) => r['kind'] !== 'done').map(checkProbeRecord), complete };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bin/run-ts.js test/support/tensor-core-probe-check.ts tc-probe.json');
    process.exit(2);
  }
  const { results, complete } = checkProbeOutput(fs.readFileSync(file, 'utf8'));
  let failed = 0;
  for (const r of results) {
    if (r.failures.length) failed++;
    console.log(`${r.failures.length ? 'FAIL' : r.notes.length ? 'note' : 'ok  '} ${r.title}`);
    for (const f of r.failures) console.log(`       ${f}`);
    for (const n of r.notes) console.log(`       note: ${n}`);
  }
  if (!complete) console.log('FAIL the probe did not finish (no "done" record): later instructions were not checked');
  console.log(`\n${results.length - failed} of ${results.length} records agree with the model${failed ? `; ${failed} disagree` : ''}.`);
  process.exit(failed || !complete ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
