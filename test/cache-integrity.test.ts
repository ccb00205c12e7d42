// The disk caches of compiled kernels cannot lie: an entry of compiled IR, of a kernel's signature or of a GPU
// binary (PTX and cubin) that was edited, truncated, given another checksum or copied under another key's name
// is reported once on stderr, compiled afresh and rewritten; the launch gives the right answer. An entry that
// kt itself wrote is read back (the controls below show the cache is really consulted).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import { KernelDefinition, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { cacheDir, readEntry, writeEntry, writeFileAtomically } from '../src/compiler/cache.ts';
import { buildGpuBinary } from '../src/compiler/gpu/binary.ts';

const addk = kernel(function addk(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(out + offs, tl.load(x + offs, { mask }) + tl.load(y + offs, { mask }), { mask });
});

const n = 10;
const x = tensor(Float32Array.from({ length: n }, (_, i) => i + 1));
const y = tensor(Float32Array.from({ length: n }, (_, i) => 100 * (i + 1)));
const sum = Array.from({ length: n }, (_, i) => 101 * (i + 1));
const difference = Array.from({ length: n }, (_, i) => -99 * (i + 1));

/** A definition of the same kernel with nothing in memory, as in a new process: it reads the disk cache. */
const fresh = (): KernelDefinition => new KernelDefinition(addk.definition.functionName, addk.definition.site);

/** Runs a definition on the interpreter with BLOCK 16 and returns what it wrote. */
function run(def: KernelDefinition, block = 16): number[] {
  const out = empty([n]);
  def.launch([1], [x, y, out, n, { BLOCK: block }]);
  return Array.from(out.toArray() as Float32Array);
}

const files = (kind: string): Set<string> => {
  const dir = path.join(cacheDir(), kind);
  return new Set(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)) : []);
};

/** Runs `f` and returns the entry files of `kind` it added. */
function added(kind: string, f: () => void): string[] {
  const before = files(kind);
  f();
  return [...files(kind)].filter((file) => !before.has(file));
}

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  // Each test starts from an empty cache, so each compiles (and writes) its entries itself.
  process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(process.env['KT_CACHE_DIR'] ?? '/tmp', 'integrity-'));
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

const warnings = (): string[] => warn.mock.calls.map((c) => c.map(String).join(' '));
const keyOf = (file: string): string => path.basename(file, '.json');

describe('compiled IR', () => {
  /** Compiles once, returning the IR entry's file; nothing is reported. */
  function compiled(): string {
    let entries: string[] = [];
    entries = added('ir', () => expect(run(fresh())).toEqual(sum));
    expect(entries).toHaveLength(1);
    expect(warnings()).toEqual([]);
    return entries[0]!;
  }

  test('an IR whose arith.addf was edited to arith.subf is not run: it is reported once and compiled again', () => {
    const file = compiled();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('arith.addf');
    fs.writeFileSync(file, text.replace('arith.addf', 'arith.subf'));
    expect(run(fresh())).toEqual(sum);
    expect(warnings()).toEqual([`kt: ignoring the damaged compiled-IR cache entry ${file} (its checksum does not match its content); compiling it again`]);
    // It was written anew: the next definition reads it, with nothing more to say.
    expect(fs.readFileSync(file, 'utf8')).toContain('arith.addf');
    expect(run(fresh())).toEqual(sum);
    expect(warnings()).toHaveLength(1);
  });

  test('control: an entry written by kt is what the launch runs (so the edit above would have been run)', () => {
    const file = compiled();
    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { value: { ir: string } };
    writeEntry('ir', keyOf(file), { ...entry.value, ir: entry.value.ir.replace('arith.addf', 'arith.subf') });
    expect(run(fresh())).toEqual(difference);
    expect(warnings()).toEqual([]);
  });

  test('a truncated entry, and one whose checksum was changed, are reported and compiled again', () => {
    const file = compiled();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length >> 1));
    expect(run(fresh())).toEqual(sum);
    expect(warnings()).toEqual([`kt: ignoring the damaged compiled-IR cache entry ${file} (it is not valid JSON: truncated or damaged); compiling it again`]);

    const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { sum: string };
    fs.writeFileSync(file, JSON.stringify({ ...entry, sum: entry.sum.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    expect(run(fresh())).toEqual(sum);
    expect(warnings()[1]).toBe(`kt: ignoring the damaged compiled-IR cache entry ${file} (its checksum does not match its content); compiling it again`);
    expect(warnings()).toHaveLength(2);
  });

  test('an entry copied under another key is reported as made for another key', () => {
    const file16 = compiled();
    const file32 = added('ir', () => expect(run(fresh(), 32)).toEqual(sum))[0]!;
    // The BLOCK 16 entry's IR under BLOCK 32's name: the launch with BLOCK 32 must not take it.
    fs.copyFileSync(file16, file32);
    expect(run(fresh(), 32)).toEqual(sum);
    expect(warnings()).toEqual([`kt: ignoring the damaged compiled-IR cache entry ${file32} (it was made for another key); compiling it again`]);
    expect(JSON.parse(fs.readFileSync(file32, 'utf8')).key).toBe(keyOf(file32));
  });

  test('a damaged entry is reported once, not at every lookup', () => {
    const file = compiled();
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('arith.addf', 'arith.mulf'));
    const valid = (v: unknown): v is object => typeof v === 'object';
    expect(readEntry('ir', keyOf(file), valid)).toBeUndefined();
    expect(readEntry('ir', keyOf(file), valid)).toBeUndefined();
    expect(warnings()).toHaveLength(1);
    // Another kind of damage to the same entry is news.
    fs.writeFileSync(file, '{');
    expect(readEntry('ir', keyOf(file), valid)).toBeUndefined();
    expect(warnings()).toHaveLength(2);
  });
});

describe('signatures', () => {
  /** The signature entry with BLOCK (a constexpr) marked as an i32 scalar argument. */
  const retyped = (value: { params: { name: string; kind: string; dtype?: string }[] }) => ({
    ...value,
    params: value.params.map((p) => (p.name === 'BLOCK' ? { ...p, kind: 'scalar', dtype: 'i32' } : p)),
  });

  function signatureFile(): string {
    const entries = added('signatures', () => expect(fresh().params.find((p) => p.name === 'BLOCK')?.kind).toBe('constexpr'));
    expect(entries).toHaveLength(1);
    return entries[0]!;
  }

  test('a signature edited to make a constexpr an i32 is reported and read again from the source', () => {
    const file = signatureFile();
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...entry, value: retyped(entry.value) }));
    const def = fresh();
    expect(def.params.find((p) => p.name === 'BLOCK')?.kind).toBe('constexpr');
    expect(run(def)).toEqual(sum);
    expect(warnings()).toEqual([`kt: ignoring the damaged kernel-signature cache entry ${file} (its checksum does not match its content); compiling it again`]);
  });

  test('control: a signature entry written by kt is believed (so the edit above would have blamed the source)', () => {
    const file = signatureFile();
    const entry = JSON.parse(fs.readFileSync(file, 'utf8'));
    writeEntry('signatures', keyOf(file), retyped(entry.value));
    expect(fresh().params.find((p) => p.name === 'BLOCK')?.kind).toBe('scalar');
    expect(warnings()).toEqual([]);
  });

  test('a truncated signature is reported and read again', () => {
    const file = signatureFile();
    fs.truncateSync(file, 20);
    expect(run(fresh())).toEqual(sum);
    expect(warnings()).toEqual([`kt: ignoring the damaged kernel-signature cache entry ${file} (it is not valid JSON: truncated or damaged); compiling it again`]);
  });
});

describe('GPU binaries (PTX and cubin)', () => {
  const module = () => addk.definition.specialize(addk.definition.bind([empty([8]), empty([8]), empty([8]), 8, { BLOCK: 256 }]).bindings).ir.module;
  const options = { numWarps: 4, numStages: 3, target: 'sm_90', argFacts: [true, true, true, false].map((d) => ({ divisibleBy16: d, equalsOne: false })) };
  type Entry = { sum: string; value: { ptx: string; cubin?: string } };

  function built(): { file: string; ptx: string; cubin?: Uint8Array } {
    let binary: ReturnType<typeof buildGpuBinary> | undefined;
    const entries = added('gpu', () => (binary = buildGpuBinary(module(), options)));
    expect(entries).toHaveLength(1);
    expect(binary!.ptx).toMatch(/add\.f32|add\.rn\.f32/);
    return { file: entries[0]!, ptx: binary!.ptx, cubin: binary!.cubin };
  }

  test('PTX edited in the entry (add.f32 to sub.f32) is reported and rebuilt', () => {
    const good = built();
    const text = fs.readFileSync(good.file, 'utf8');
    const edited = text.replace(/add(\.rn)?\.f32/, 'sub$1.f32');
    expect(edited).not.toBe(text);
    fs.writeFileSync(good.file, edited);
    expect(buildGpuBinary(module(), options).ptx).toBe(good.ptx);
    expect(warnings()).toEqual([`kt: ignoring the damaged GPU-binary (PTX and cubin) cache entry ${good.file} (its checksum does not match its content); compiling it again`]);
  });

  test('control: PTX in an entry written by kt is what is loaded', () => {
    const good = built();
    const entry = JSON.parse(fs.readFileSync(good.file, 'utf8')) as Entry;
    writeEntry('gpu', keyOf(good.file), { ...entry.value, ptx: entry.value.ptx.replace(/add(\.rn)?\.f32/, 'sub$1.f32') });
    expect(buildGpuBinary(module(), options).ptx).toMatch(/sub(\.rn)?\.f32/);
    expect(warnings()).toEqual([]);
  });

  test('a cubin changed in the entry is reported and rebuilt', (ctx) => {
    const good = built();
    if (!good.cubin) ctx.skip(); // no ptxas here: entries hold no cubin
    const entry = JSON.parse(fs.readFileSync(good.file, 'utf8')) as Entry;
    const bytes = Buffer.from(entry.value.cubin!, 'base64');
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileAtomically(good.file, JSON.stringify({ ...entry, value: { ...entry.value, cubin: bytes.toString('base64') } }));
    const rebuilt = buildGpuBinary(module(), options);
    expect(Buffer.from(rebuilt.cubin!).equals(Buffer.from(good.cubin!))).toBe(true);
    expect(warnings()).toEqual([`kt: ignoring the damaged GPU-binary (PTX and cubin) cache entry ${good.file} (its checksum does not match its content); compiling it again`]);
  });

  test('an empty entry (an interrupted write of an older kt) is reported and rebuilt', () => {
    const good = built();
    fs.writeFileSync(good.file, '');
    expect(buildGpuBinary(module(), options).ptx).toBe(good.ptx);
    expect(warnings()).toEqual([`kt: ignoring the damaged GPU-binary (PTX and cubin) cache entry ${good.file} (it is empty); compiling it again`]);
  });
});

test('writes are atomic: a write replaces the entry whole and leaves no temporary file', () => {
  const dir = path.join(cacheDir(), 'ir');
  writeEntry('ir', 'k', { ir: 'a'.repeat(100_000), kernel: 'k', deps: [] });
  writeEntry('ir', 'k', { ir: 'b', kernel: 'k', deps: [] });
  expect(fs.readdirSync(dir)).toEqual(['k.json']);
  expect(readEntry('ir', 'k', (v): v is { ir: string } => typeof v === 'object')?.ir).toBe('b');
  // A write that fails (here: the entry's path is a directory) leaves the old state and no temporary file.
  fs.mkdirSync(path.join(dir, 'd.json'));
  expect(() => writeFileAtomically(path.join(dir, 'd.json'), 'x')).toThrow();
  expect(fs.readdirSync(dir).sort()).toEqual(['d.json', 'k.json']);
});
