// Pointers kept as data on the interpreter, as in Triton's grouped GEMM (tutorial 08): host tensors' dataPtr()s
// stored in a tensor of int64, loaded by a kernel and converted to pointers, selected with tl.where, followed with
// the same bounds checks as tensor arguments; and int64s of every size round-tripping through pointers exactly.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { KernelRuntimeError, Random, Tensor, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { BLOCKS, groupGrid, groupOperands, groupedGemm, pointerTable, referenceMatmul, sizesTable, type Group } from '../support/grouped-gemm.ts';

const thisFile = fileURLToPath(import.meta.url);
const lineOf = (marker: string): number => fs.readFileSync(thisFile, 'utf8').split('\n').findIndex((l) => l.includes(`// @${marker}`)) + 1;

describe('pointer tables', () => {
  const groups: Group[] = [
    { m: 20, n: 17, k: 33 },
    { m: 16, n: 40, k: 8 },
    { m: 5, n: 9, k: 16 },
  ];

  test('a grouped GEMM follows loaded pointers into each group, through tl.where on pointers', () => {
    const { a, b } = groupOperands(groups, 1);
    // Group 2 uses the shared B argument: its table entry is 0.
    const c = groups.map((gr) => empty([gr.m, gr.n], 'f16'));
    const echo = empty([groups.length], 'i64');
    const aTable = pointerTable(a);
    groupedGemm(groupGrid(groups), aTable, pointerTable([b[0], b[1], undefined]), pointerTable(c), sizesTable(groups), b[2]!, empty([1], 'f16'), echo, { ...BLOCKS, C_FLAT: false });
    groups.forEach((_, g) => expect(Array.from(c[g]!.toArray() as ArrayLike<number>), `group ${g}`).toEqual(referenceMatmul(a[g]!, b[g]!)));
    expect(echo.toArray()).toEqual(aTable.toArray());
  });

  test('the sanitizer follows loaded pointers too: a clean grouped GEMM passes, a read of unwritten memory names the tensor', () => {
    const { a, b } = groupOperands(groups, 2);
    const c = groups.map((gr) => empty([gr.m, gr.n], 'f16'));
    groupedGemm(groupGrid(groups), pointerTable(a), pointerTable(b), pointerTable(c), sizesTable(groups), b[0]!, empty([1], 'f16'), empty([groups.length], 'i64'), { ...BLOCKS, C_FLAT: false, sanitize: true });
    groups.forEach((_, g) => expect(Array.from(c[g]!.toArray() as ArrayLike<number>), `group ${g}`).toEqual(referenceMatmul(a[g]!, b[g]!)));
    const unwritten = empty([8]);
    expect(() => gather([1], pointerTable([unwritten]), empty([8]), 8, { sanitize: true })).toThrow(/uninitialised read in kernel 'gather' .*of the host tensor at 0x[0-9a-f]+ \(32 bytes of storage, reached through a pointer loaded from memory\)/);
  });

  test('dataPtr() is stable, and views are offset into their storage', () => {
    const t = tensor(Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4] });
    expect(t.dataPtr()).toBe(t.dataPtr());
    expect(new Tensor(t.dtype, [4], t.storage, [1], 4).dataPtr() - t.dataPtr()).toBe(16n);
    expect(tensor([1]).dataPtr()).not.toBe(t.dataPtr());
  });

  const gather = kernel(function gather(table: Ptr, out: Ptr, n: i32) {
    const p = tl.load(table).to(tl.pointerType(tl.float32));
    const offs = tl.arange(0, 8);
    tl.store(out + offs, tl.load(p + offs, { mask: offs < n })); // @gatherload
  });

  test('an access past the end of a tensor reached through a loaded pointer names it and the line', () => {
    const small = tensor([1, 2, 3, 4]);
    let err: unknown;
    try {
      gather([1], pointerTable([small]), empty([8]), 8);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KernelRuntimeError);
    const message = (err as Error).message;
    expect(message).toMatch(/out-of-bounds load in kernel 'gather' \(program \(0, 0, 0\), tile index \[4\] of 8\): element offset 4 is outside the host tensor at 0x[0-9a-f]+ \(16 bytes of storage, reached through a pointer loaded from memory\) \(f32, shape \[4\], 4 f32 elements\)/);
    expect(message).toContain(`:${lineOf('gatherload')}:`);
    const out = empty([8]);
    gather([1], pointerTable([small]), out, 4);
    expect(Array.from(out.toArray() as Float32Array).slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  test('an address that is no tensor of the launch is a located error', () => {
    for (const bad of [12345n, -(2n ** 60n) + 7n]) {
      expect(() => gather([1], tensor([bad], { dtype: 'i64' }), empty([8]), 8)).toThrow(
        new RegExp(`:${lineOf('gatherload')}:.*address 0x${BigInt.asUintN(64, bad).toString(16)} points into no tensor of this launch[\\s\\S]*hint: a pointer made from an integer must hold an address from a tensor's dataPtr\\(\\)`),
      );
    }
  });
});

describe('int64 through pointers', () => {
  const roundTrip = kernel(function roundTrip(x: Ptr, y: Ptr, choose: Ptr, out: Ptr, BLOCK: constexpr) {
    const offs = tl.arange(0, BLOCK);
    const p = tl.load(x + offs).to(tl.pointerType(tl.int32));
    const q = tl.load(y + offs).to(tl.pointerType(tl.int32));
    tl.store(out + offs, tl.where(tl.load(choose + offs) !== 0, p + 1, q - 2));
  });

  test('every int64 comes back exactly, offsets applied with 64-bit wrap-around', () => {
    const rng = new Random(3);
    const random64 = (): bigint => BigInt.asIntN(64, (BigInt(Math.floor(rng.next() * 2 ** 32)) << 32n) | BigInt(Math.floor(rng.next() * 2 ** 32)));
    const edges = [0n, 1n, -1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 51n, -(2n ** 51n), 3n * 2n ** 51n];
    const xs = [...edges, ...Array.from({ length: 54 }, random64)];
    const ys = [...xs].reverse();
    const choose = xs.map((_, i) => i % 3);
    const out = empty([64], 'i64');
    roundTrip([1], tensor(xs, { dtype: 'i64' }), tensor(ys, { dtype: 'i64' }), tensor(choose, { dtype: 'i32' }), out, { BLOCK: 64 });
    expect(Array.from(out.toArray() as BigInt64Array)).toEqual(xs.map((x, i) => BigInt.asIntN(64, choose[i] ? x + 4n : ys[i]! - 8n)));
  });
});
