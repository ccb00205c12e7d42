// The checks behind the CLI's one-line errors, in-process: option parsing, "did you mean", -c values against a
// spec, GPU architectures, writable places, and the memory estimate against the tensors a spec really makes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { UsageError, didYouMean, formatBytes, listOption, parseBytes, parseIntegerOption, parseSizes, singleOption } from '../../src/cli/args.ts';
import { checkMemory, estimateFootprint } from '../../src/cli/memory.ts';
import { loadTarget } from '../../src/cli/target.ts';
import { checkConfig, checkGpuTarget, checkWritableDirectory, checkWritableFile, knownConfig } from '../../src/cli/validate.ts';
import { Random, Tensor } from '../../src/runtime/tensor.ts';
import type { KernelSpec, Sizes } from '../../src/dsl/spec.ts';
import type { DTypeName } from '../../src/compiler/semantic/dtype.ts';

/** The UsageError `f` throws, or a failure if it throws none (or another error). */
function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

const librarySpec = async (name: string): Promise<KernelSpec> => (await loadTarget(name)).specs[0]!;

describe('option values', () => {
  test('integer options quote what was typed', () => {
    expect(parseIntegerOption('--seed', '42', { min: 0 })).toBe(42);
    expect(usageError(() => parseIntegerOption('--seed', 'abc', { min: 0, max: 9 })).message).toBe("--seed must be an integer from 0 to 9, got 'abc'");
    expect(usageError(() => parseIntegerOption('--repeat', '1.5', { min: 0 })).message).toBe("--repeat must be an integer of at least 0, got '1.5'");
    expect(usageError(() => parseIntegerOption('--seed', '', { min: 0 })).message).toBe('--seed needs a value');
    expect(usageError(() => parseIntegerOption('--seed', ['1', '2'], { min: 0 })).message).toBe('--seed is given 2 times (1, 2)');
    expect(usageError(() => parseIntegerOption('--seed', '99999999999999999999', { min: 0 })).message).toMatch(/must be an integer/);
  });

  test('single and repeatable options', () => {
    expect(singleOption('--dtype', 'f16')).toBe('f16');
    expect(usageError(() => singleOption('--dtype', ['f16', 'f32'])).message).toBe('--dtype is given 2 times (f16, f32)');
    expect(listOption('--size', undefined, 'N=1')).toEqual([]);
    expect(listOption('--size', ['N=1'], 'N=1')).toEqual(['N=1']);
    expect(usageError(() => listOption('--size', [], 'N=1')).hint).toBe('for example --size N=1');
  });

  test('sizes past 2**53 are refused', async () => {
    expect(await parseSizes(['N=2**52'])).toEqual({ N: 2 ** 52 });
    await expect(parseSizes(['N=2**53+2'])).rejects.toThrow(/size N = 2\*\*53\+2 is too large/);
  });

  test('byte counts, read and written', () => {
    expect(parseBytes('64GB', 'X')).toBe(64e9);
    expect(parseBytes('16GiB', 'X')).toBe(16 * 2 ** 30);
    expect(parseBytes('500m', 'X')).toBe(500e6);
    expect(parseBytes('1024', 'X')).toBe(1024);
    expect(usageError(() => parseBytes('lots', 'KT_MAX_MEMORY')).message).toBe("KT_MAX_MEMORY must be a size such as 64GB, 500MB or 16GiB, got 'lots'");
    expect(formatBytes(154.6e9)).toBe('154.6 GB');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1.5e6)).toBe('1.5 MB');
  });

  test('did you mean: close names only, swaps count once', () => {
    expect(didYouMean('lsit', ['run', 'tune', 'list'])).toBe('list');
    expect(didYouMean('--sede', ['--size', '--seed'])).toBe('--seed');
    expect(didYouMean('BLOK_M', ['BLOCK_M', 'BLOCK_N', 'GROUP_M'])).toBe('BLOCK_M');
    expect(didYouMean('block_m', ['BLOCK_M'])).toBe('BLOCK_M');
    expect(didYouMean('xyz', ['run', 'tune', 'list'])).toBeUndefined();
  });
});

describe('-c values against a spec', () => {
  test("matmul's names and the kinds of their values", async () => {
    const spec = await librarySpec('matmul');
    const known = knownConfig(spec, spec.kernels.map((k) => k.definition));
    expect([...known.values.keys()]).toEqual(expect.arrayContaining(['BLOCK_M', 'BLOCK_N', 'BLOCK_K', 'GROUP_M', 'PRECISION', 'ACC_INT', 'numWarps', 'numStages']));
    expect([...known.runtime]).toEqual(expect.arrayContaining(['a', 'b', 'c', 'M', 'N', 'K']));
    // Accepted: the kinds the spec uses, any positive block size, and launch options.
    checkConfig({ BLOCK_M: 16, GROUP_M: 3, PRECISION: 'tf32', ACC_INT: false, numWarps: 2, numStages: 5 }, known, 'matmul');
    expect(usageError(() => checkConfig({ BLOCK_M: 'abc' }, known, 'matmul')).message).toBe('-c BLOCK_M=abc: BLOCK_M must be a number');
    expect(usageError(() => checkConfig({ GROUP_M: 0 }, known, 'matmul')).message).toBe('-c GROUP_M=0: GROUP_M must be a positive integer');
    expect(usageError(() => checkConfig({ ACC_INT: 'yes' }, known, 'matmul')).message).toBe('-c ACC_INT=yes: ACC_INT must be true or false');
    expect(usageError(() => checkConfig({ numWarps: 64 }, known, 'matmul')).message).toBe('-c numWarps=64: numWarps must be a power of two from 1 to 32');
    expect(usageError(() => checkConfig({ M: 64 }, known, 'matmul')).message).toBe('-c M=64: M is a run-time argument of matmul, not a constexpr that a config sets');
    // kt compile with a signature may fix a run-time parameter's value.
    checkConfig({ M: 64 }, known, 'matmul', { runtimeAllowed: true });
  });
});

describe('GPU architectures', () => {
  test.each(['sm_80', 'sm_86', 'sm_89', 'sm_90', 'sm_90a', 'sm_100a', 'sm_120'])('%s is accepted', (t) => checkGpuTarget(t));
  test.each([
    ['sm_5', '--target sm_5: not an NVIDIA GPU architecture'],
    ['sm_900', '--target sm_900: not an NVIDIA GPU architecture'],
    ['volta', '--target volta: not an NVIDIA GPU architecture'],
    ['sm_80a', '--target sm_80a: sm_80 has no architecture-specific variant (sm_90a and later have)'],
  ])('%s is refused', (t, message) => {
    expect(usageError(() => checkGpuTarget(t)).message).toBe(message);
  });
});

describe('writable places', () => {
  test('a directory to be created is checked through its closest existing ancestor, and not created', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-writable-'));
    checkWritableDirectory(path.join(dir, 'a', 'b'), '--out');
    expect(fs.existsSync(path.join(dir, 'a'))).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]); // the probe file is gone
    fs.writeFileSync(path.join(dir, 'f'), '');
    expect(usageError(() => checkWritableDirectory(path.join(dir, 'f'), '--out')).message).toBe(`--out ${path.join(dir, 'f')} is a file, not a directory`);
    expect(usageError(() => checkWritableDirectory(path.join(dir, 'f', 'g'), '--out')).message).toBe(`--out ${path.join(dir, 'f', 'g')} cannot be created: ${path.join(dir, 'f')} is a file, not a directory`);
    checkWritableFile(path.join(dir, 'out.cubin'), '-o');
    expect(usageError(() => checkWritableFile(path.join(dir, 'nodir', 'out.cubin'), '-o')).message).toBe(`-o ${path.join(dir, 'nodir', 'out.cubin')} cannot be written: no directory ${path.join(dir, 'nodir')}`);
  });

  test('a place that takes no files (as root too)', () => {
    // /proc takes no new files even for root; fs.mkdirSync(..., { recursive: true }) would never return here.
    expect(usageError(() => checkWritableDirectory('/proc/kt-reports', '--out')).message).toMatch(/^--out \/proc\/kt-reports cannot be written: \/proc: /);
  });
});

describe('the memory estimate', () => {
  /** The tensors a spec really makes. */
  function made(spec: KernelSpec, sizes: Sizes, dtype: DTypeName): { bytes: number; elements: number; largest: number } {
    const tensors = Object.values(spec.inputs(sizes, dtype, new Random(0))).filter((t): t is Tensor => t instanceof Tensor);
    return {
      bytes: tensors.reduce((n, t) => n + t.numel * t.dtype.bytes, 0),
      elements: tensors.reduce((n, t) => n + t.numel, 0),
      largest: Math.max(...tensors.map((t) => t.numel)),
    };
  }

  test.each([
    ['matmul', { M: 1024, N: 768, K: 640 }, 'f16'],
    ['layernorm', { M: 2000, N: 8192 }, 'f32'],
    ['softmax', { M: 3000, N: 1000 }, 'bf16'],
    ['add', { N: 300000 }, 'f32'],
    ['cumsum', { M: 100, N: 4000 }, 'f64'],
  ] as const)('%s at %j (%s) is what its inputs make', async (name, sizes, dtype) => {
    const spec = await librarySpec(name);
    const full = { ...spec.sizes, ...sizes };
    const estimate = estimateFootprint(spec, full, dtype);
    const real = made(spec, full, dtype);
    expect(estimate).toBeDefined();
    expect(estimate!.bytes / real.bytes).toBeCloseTo(1, 2);
    expect(estimate!.elements / real.elements).toBeCloseTo(1, 2);
    expect(estimate!.largest).toBe(real.largest);
  });

  test('sizes no larger than the defaults are not probed', async () => {
    const spec = await librarySpec('matmul');
    expect(estimateFootprint(spec, spec.sizes, 'f32')).toBeUndefined();
    expect(estimateFootprint(spec, { M: 64, N: 64, K: 64 }, 'f32')).toBeUndefined();
  });

  test('checkMemory refuses beyond KT_MAX_MEMORY and passes below it', async () => {
    const spec = await librarySpec('add');
    const saved = process.env['KT_MAX_MEMORY'];
    try {
      process.env['KT_MAX_MEMORY'] = '1GB';
      checkMemory(spec, { N: 2 ** 20 }, 'f32', { command: 'kt run', backend: 'interpreter' });
      const e = usageError(() => checkMemory(spec, { N: 2 ** 26 }, 'f32', { command: 'kt run', backend: 'interpreter' }));
      // 3 * 2**26 f32 elements: 805 MB of tensors, three times over, and 24 bytes an element for the reference.
      expect(e.message).toBe('kt run add at N=67108864 (f32) would need about 7.2 GB of memory, more than the 1.0 GB kt allows (KT_MAX_MEMORY)');
      // kt compile only makes the inputs: 805 MB fits.
      checkMemory(spec, { N: 2 ** 26 }, 'f32', { command: 'kt compile', backend: 'none' });
    } finally {
      if (saved === undefined) delete process.env['KT_MAX_MEMORY'];
      else process.env['KT_MAX_MEMORY'] = saved;
    }
  });
});
