// The GPU runtime where there is no GPU: clear errors, launches staying on the interpreter, argument facts and
// launch keys, and the disk cache of compiled kernels (which needs no GPU, only the compiler and ptxas).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { add } from '../kernels/add.ts';
import { cacheDir } from '../src/compiler/cache.ts';
import { buildGpuBinary } from '../src/compiler/gpu/binary.ts';
import { factsKey } from '../src/compiler/passes/specialize-arguments.ts';
import { argumentFacts, copiesOnHost } from '../src/dsl/kernel.ts';
import { DeviceAllocation, gpuAvailable } from '../src/runtime/gpu.ts';
import { cubinRunsOn } from '../src/runtime/launcher.ts';
import { Tensor } from '../src/runtime/tensor.ts';

const hasGpu = gpuAvailable();

/** A tensor that claims GPU memory at `address` without any (no driver call is made until it is used). */
function fakeGpuTensor(n: number, address = 1048576n): Tensor {
  return new Tensor(empty([1]).dtype, [n], new DeviceAllocation(address, n * 4));
}

describe.skipIf(hasGpu)('without a GPU', () => {
  test('moving a tensor to the GPU says that no driver was found and how to run on the CPU', () => {
    expect(() => empty([4]).cuda()).toThrow(/no CUDA driver found \(libcuda\.so\.1: .*\); kt cannot run on the GPU here\. Run with --interpret \(or KT_INTERPRET=1\)/);
    expect(() => empty([4], 'f32', 'cuda')).toThrow(/no CUDA driver found/);
  });

  test('launches on CPU tensors run on the interpreter', () => {
    const x = tensor([1, 2, 3]);
    const out = empty([3]);
    add([1], x, x, out, 3, { BLOCK: 4 });
    expect(out.toNumbers()).toEqual([2, 4, 6]);
  });
});

describe('launch placement and specialisation', () => {
  test('a GPU tensor next to a CPU tensor is an error that names both', () => {
    const cpu = empty([4]);
    expect(() => add([1], fakeGpuTensor(4), cpu, cpu, 4, { BLOCK: 4 })).toThrow(/'x' is a GPU tensor but 'y' is on the CPU[\s\S]*\.cuda\(\)/);
  });

  test('argument facts: addresses and integers divisible by 16, integers equal to 1', () => {
    const facts = argumentFacts([fakeGpuTensor(8, 4096n), fakeGpuTensor(8, 4100n), 32, 1, 7, 2.5, true]);
    expect(facts).toEqual([
      { divisibleBy16: true, equalsOne: false },
      { divisibleBy16: false, equalsOne: false },
      { divisibleBy16: true, equalsOne: false },
      { divisibleBy16: false, equalsOne: true },
      { divisibleBy16: false, equalsOne: false },
      { divisibleBy16: false, equalsOne: false },
      { divisibleBy16: false, equalsOne: false },
    ]);
    expect(factsKey(facts)).toBe('d-d1---');
    // A view at an offset of 4 bytes is not aligned; host tensors count from their allocation's start.
    const host = empty([8]);
    expect(argumentFacts([host, new Tensor(host.dtype, [4], host.buffer, undefined, 1), new Tensor(host.dtype, [4], host.buffer, undefined, 4)]).map((f) => f.divisibleBy16)).toEqual([true, false, true]);
  });

});

const scale = kernel(function scale(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }) * 2, { mask: offs < n });
});

describe('the compiled-kernel cache', () => {
  const module = (): ReturnType<typeof scale.definition.specialize>['ir']['module'] => {
    const def = scale.definition;
    return def.specialize(def.bind([empty([8]), empty([8]), 8, { BLOCK: 256 }]).bindings).ir.module;
  };
  const options = { numWarps: 4, numStages: 3, target: 'sm_90', argFacts: [true, true, false].map((d) => ({ divisibleBy16: d, equalsOne: false })) };
  const entries = (): string[] => {
    const dir = path.join(cacheDir(), 'gpu');
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  };

  test('stores each compiled kernel once, and reads it back the same', () => {
    const before = new Set(entries());
    const first = buildGpuBinary(module(), options);
    const added = entries().filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    const again = buildGpuBinary(module(), options);
    expect(entries().filter((f) => !before.has(f))).toHaveLength(1);
    expect(again.ptx).toBe(first.ptx);
    if (first.cubin) expect(Buffer.from(again.cubin!).equals(Buffer.from(first.cubin))).toBe(true);
    // Other options are other entries.
    buildGpuBinary(module(), { ...options, numWarps: 8 });
    expect(entries().filter((f) => !before.has(f))).toHaveLength(2);
  });

  test('a damaged entry is rebuilt, not fatal', () => {
    const good = buildGpuBinary(module(), options);
    const dir = path.join(cacheDir(), 'gpu');
    for (const f of entries()) fs.writeFileSync(path.join(dir, f), '{"name": "trunc');
    const rebuilt = buildGpuBinary(module(), options);
    expect(rebuilt.ptx).toBe(good.ptx);
    // The rebuilt entry was written anew (the others stay damaged until they are needed).
    const readable = entries().filter((f) => {
      try {
        JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
        return true;
      } catch {
        return false;
      }
    });
    expect(readable).toHaveLength(1);
  });
});

describe('which cubin a GPU loads', () => {
  test("a cubin for the GPU's own architecture or an older minor one; PTX for another major one (the driver compiles it)", () => {
    const ptx = (target: string): string => `.version 8.0\n.target ${target}\n.address_size 64\n`;
    expect(cubinRunsOn(ptx('sm_90'), [9, 0])).toBe(true);
    expect(cubinRunsOn(ptx('sm_90a'), [9, 0])).toBe(true);
    expect(cubinRunsOn(ptx('sm_80'), [8, 6])).toBe(true);
    expect(cubinRunsOn(ptx('sm_86'), [8, 0])).toBe(false);
    expect(cubinRunsOn(ptx('sm_80'), [9, 0])).toBe(false);
    expect(cubinRunsOn(ptx('sm_90a'), [10, 0])).toBe(false);
    expect(cubinRunsOn(ptx('sm_100'), [10, 0])).toBe(true);
  });
});

describe('GPU memory that nothing has written', () => {
  test('is not read when an interpreted launch stages it on the host: zeros stand in, and the address once taken ends that', () => {
    const fresh = fakeGpuTensor(4);
    const storage = fresh.storage as DeviceAllocation;
    expect(storage.untouched).toBe(true);
    // No driver call is made (this machine may have no GPU): the staged copy is a new zeroed buffer.
    const { hostValues } = copiesOnHost([fresh, 3], false);
    expect(Array.from((hostValues[0] as Tensor).toArray() as Float32Array)).toEqual([0, 0, 0, 0]);
    expect(hostValues[1]).toBe(3);
    // Asking for its alignment (as compiling a launch on it does: the tuner compiles before it snapshots the
    // outputs) writes nothing.
    expect(fresh.aligned16).toBe(true);
    expect(fakeGpuTensor(4, 1048580n).aligned16).toBe(false);
    expect(storage.untouched).toBe(true);
    // Any use of the address (a copy, a fill, a launch, dataPtr()) may write it: from then on it is read.
    fresh.deviceAddress();
    expect(storage.untouched).toBe(false);
  });
});
