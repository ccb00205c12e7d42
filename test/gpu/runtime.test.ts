// The GPU runtime: tensors between host and device (every dtype, views, fill, clone), streams and events, launch
// options, and KT_INTERPRET=1 on GPU tensors.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { GpuEvent, GpuStream, Random, empty, synchronize, tensor, type DTypeSpec } from 'kt';
import { add } from '../../kernels/add.ts';
import { randomTensor } from '../../kernels/common.ts';
import { realGpu } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe.skipIf(!realGpu)('the GPU runtime', () => {
  test.each(['i1', 'i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'i64', 'u64', 'f16', 'bf16', 'f32', 'f64'] as DTypeSpec[])('%s tensors go to the GPU and back unchanged', (dtype) => {
    const t = randomTensor([3, 37], dtype, new Random(1));
    const g = t.cuda();
    expect(g.device).toBe('cuda');
    expect(Array.from(g.toArray() as ArrayLike<unknown>)).toEqual(Array.from(t.toArray() as ArrayLike<unknown>));
    expect(Array.from(g.cpu().toArray() as ArrayLike<unknown>)).toEqual(Array.from(t.toArray() as ArrayLike<unknown>));
    g.dispose();
  });

  test('views keep their strides and offset on the GPU; fill and clone work there', () => {
    const t = tensor(Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4] });
    const g = t.cuda().transpose();
    expect(g.toNumbers()).toEqual(t.transpose().toNumbers());
    const f = empty([5], 'f16', 'cuda').fill(1.5);
    expect(f.toNumbers()).toEqual([1.5, 1.5, 1.5, 1.5, 1.5]);
    const d = empty([3], 'f64', 'cuda').fill(-2);
    expect(d.clone().toNumbers()).toEqual([-2, -2, -2]);
    [g, f, d].forEach((x) => x.dispose());
  });

  test('fill writes 8-byte elements, and strided views, on the GPU; clone copies on the device', () => {
    // A transposed 64-bit tensor: neither a memset nor a dense copy of its storage.
    const whole = tensor(Array.from({ length: 12 }, (_, i) => i), { shape: [3, 4], dtype: 'i64' }).cuda();
    const view = whole.transpose();
    expect(view.isContiguous).toBe(false);
    view.fill(-7n);
    expect(Array.from(whole.toArray() as ArrayLike<bigint>).map(Number)).toEqual(Array(12).fill(-7));
    const dense = empty([5], 'f64', 'cuda').fill(0.25);
    expect(dense.toNumbers()).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    const cloned = dense.clone();
    expect(cloned.device).toBe('cuda');
    dense.fill(1);
    expect(cloned.toNumbers()).toEqual([0.25, 0.25, 0.25, 0.25, 0.25]);
    [whole, dense, cloned].forEach((x) => x.dispose());
  });

  test('a snapshot of GPU memory nothing has written reads none of it and holds a poison pattern', () => {
    const fresh = empty([6], 'f32', 'cuda');
    const snapshot = fresh.storageSnapshot();
    expect(snapshot.toNumbers().every(Number.isNaN)).toBe(true);
    fresh.copyStorageFrom(snapshot);
    expect(fresh.toNumbers().every(Number.isNaN)).toBe(true);
    const written = tensor([1, 2, 3]).cuda();
    expect(written.storageSnapshot().toNumbers()).toEqual([1, 2, 3]);
    [fresh, snapshot, written].forEach((x) => x.dispose());
  });

  test('launches on a stream run in order there; events time them', () => {
    const stream = new GpuStream();
    const n = 1 << 20;
    const x = randomTensor(n, 'f32', new Random(3)).cuda();
    const out = empty([n], 'f32', 'cuda');
    const [start, end] = [new GpuEvent(), new GpuEvent()];
    start.record(stream);
    add([n / 1024], x, x, out, n, { BLOCK: 1024, stream });
    add([n / 1024], out, out, out, n, { BLOCK: 1024, stream });
    end.record(stream);
    stream.synchronize();
    expect(end.elapsedSince(start)).toBeGreaterThan(0);
    const xs = x.toArray() as Float32Array;
    const got = out.toArray() as Float32Array;
    for (let i = 0; i < n; i += 4099) expect(got[i]).toBe(4 * xs[i]!);
    [x, out].forEach((t) => t.dispose());
    [start, end].forEach((e) => e.destroy());
    stream.destroy();
    synchronize();
  });

  test('repeated launches follow changes of scalars, constexprs and tensors', () => {
    const xs = Array.from({ length: 64 }, (_, i) => i);
    const [x, y] = [tensor(xs).cuda(), tensor(xs.map((v) => 100 * v)).cuda()];
    const out = empty([64], 'f32', 'cuda');
    const run = (first: typeof x, n: number, block: number): number[] => {
      out.fill(-1);
      add([Math.ceil(64 / block)], first, x, out, n, { BLOCK: block });
      return out.toNumbers();
    };
    const sum = (a: number[], n: number): number[] => xs.map((v, i) => (i < n ? a[i]! + v : -1));
    expect(run(x, 64, 64)).toEqual(sum(xs, 64));
    expect(run(x, 64, 64)).toEqual(sum(xs, 64));
    expect(run(x, 33, 64)).toEqual(sum(xs, 33));
    expect(run(x, 16, 64)).toEqual(sum(xs, 16));
    expect(run(x, 64, 32)).toEqual(sum(xs, 64));
    expect(run(y, 64, 32)).toEqual(sum(xs.map((v) => 100 * v), 64));
    [x, y, out].forEach((t) => t.dispose());
  });

  test('launch options are checked', () => {
    const x = empty([4], 'f32', 'cuda');
    expect(() => add([1], x, x, x, 4, { BLOCK: 4, numWarps: 64 })).toThrow(/numWarps must be a power of two from 1 to 32/);
    expect(() => add([1], x, x, x, 4, { BLOCK: 4, stream: 3 as never })).toThrow(/stream must be a GpuStream/);
    x.dispose();
  });

  test('KT_INTERPRET=1 runs launches on GPU tensors on the interpreter, with its bounds checks', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run-ts.js'), path.join(root, 'test/gpu/scripts/interpret.ts')], { encoding: 'utf8', cwd: root, env: { ...process.env, KT_INTERPRET: '1' } });
    expect(r.stdout).toContain('result 2 4 6 8 10');
    expect(r.stdout).toMatch(/op-kernels\.ts:\d+:\d+: error: out-of-bounds store in kernel 'wild'/);
  });
});
