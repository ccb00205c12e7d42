// The autotuner on the interpreter: autotune() on kernels with right, wrong and broken configs; the tuning
// cache (hits, growth of the space, damaged records, concurrent writers); exclusion for resources and faults.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { Random, autotune, cdiv, empty, tensor, type Config } from 'kt';
import { summarize } from '../../src/autotune/measure.ts';
import { readRecord, recordPath, storeResults, type RecordIdentity } from '../../src/autotune/records.ts';
import { configKey, resolveSpace } from '../../src/autotune/space.ts';
import { TuneInterrupted, tune, type TuneTarget } from '../../src/autotune/tuner.ts';
import { CudaError } from '../../src/runtime/cuda.ts';
import { double, total } from '../fixtures/tune-kernels.ts';

beforeEach(() => {
  process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-tune-test-'));
});

const n = 1000;
const x = tensor(Float32Array.from({ length: n }, (_, i) => (i % 17) - 8));
const grid = (meta: Record<string, unknown>) => [cdiv(n, meta['BLOCK'] as number)];

function tunedDouble(configs: Config[]) {
  return autotune({ configs, key: ['n'] }, double);
}

describe('autotune()', () => {
  test('tunes on the first launch with a key, then launches the best config; a new process finds it in the cache', () => {
    const configs = [{ BLOCK: 64 }, { BLOCK: 128 }, { BLOCK: 256 }];
    const k = tunedDouble(configs);
    const out = empty([n]);
    k(grid, x, out, n);
    expect(Array.from(out.toArray() as Float32Array).slice(0, 4)).toEqual([-16, -14, -12, -10]);
    const outcome = [...k.tuned.values()][0]!;
    expect(outcome.results.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(outcome.results.every((r) => !r.cached)).toBe(true);
    // The same key again: no tuning.
    k(grid, x, out, n);
    expect(k.tuned.size).toBe(1);
    // A fresh wrapper (as in a new process) settles every config from the cache and measures nothing.
    const again = tunedDouble(configs);
    expect(again.bestConfig(grid, x, out, n)).toEqual(outcome.best!.config);
    const replay = [...again.tuned.values()][0]!;
    expect(replay.results.every((r) => r.cached)).toBe(true);
    expect(replay.timing.measureMs + replay.timing.checkMs + replay.timing.compileMs).toBe(0);
  });

  test('a config with a wrong answer and one that does not compile are excluded with their reasons, and the sweep goes on', () => {
    // The reference is the interpreter running the first config that runs: BLOCK 128 here.
    const k = tunedDouble([{ BLOCK: 48 }, { BLOCK: 128 }, { BLOCK: 64, WRONG: true }]);
    const out = empty([n]);
    k(grid, x, out, n);
    const outcome = [...k.tuned.values()][0]!;
    const byBlock = new Map(outcome.results.map((r) => [r.config['BLOCK'], r]));
    expect(byBlock.get(48)).toMatchObject({ status: 'excluded', stage: 'compile', reason: expect.stringMatching(/power of (two|2)/) });
    expect(byBlock.get(64)).toMatchObject({ status: 'excluded', stage: 'check', reason: expect.stringMatching(/wrong answer: out: \d+ of 1000 elements differ/) });
    expect(byBlock.get(128)?.status).toBe('ok');
    expect(outcome.best?.config['BLOCK']).toBe(128);
    expect(out.toArray()[5]).toBe(-6);
  });

  test('when no config runs, the launch fails with every reason', () => {
    expect(() => tunedDouble([{ BLOCK: 48 }, { BLOCK: 96 }])(grid, x, empty([n]), n)).toThrow(/no config of kernel 'double' ran correctly[\s\S]*\[compile\][\s\S]*\[compile\]/);
  });

  test('adding configs to the space measures only the new ones', () => {
    const out = empty([n]);
    tunedDouble([{ BLOCK: 64 }, { BLOCK: 128 }])(grid, x, out, n);
    const grown = tunedDouble([{ BLOCK: 64 }, { BLOCK: 128 }, { BLOCK: 256 }, { BLOCK: 512 }]);
    grown(grid, x, out, n);
    const results = [...grown.tuned.values()][0]!.results;
    expect(results.filter((r) => !r.cached).map((r) => r.config['BLOCK'])).toEqual([256, 512]);
    expect(results.filter((r) => r.cached).map((r) => r.config['BLOCK'])).toEqual([64, 128]);
  });

  test('a damaged record is ignored and measured again', () => {
    const out = empty([n]);
    const first = tunedDouble([{ BLOCK: 64 }, { BLOCK: 128 }]);
    first(grid, x, out, n);
    const file = recordPath([...first.tuned.values()][0]!.identity);
    fs.writeFileSync(file, '{"format": 1, "identity": {"kern');
    const second = tunedDouble([{ BLOCK: 64 }, { BLOCK: 128 }]);
    second(grid, x, out, n);
    expect([...second.tuned.values()][0]!.results.every((r) => !r.cached && r.status === 'ok')).toBe(true);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).format).toBe(3);
  });

  test('trial runs leave no trace: an accumulating kernel adds once, with or without resetToZero', () => {
    const ones = tensor(new Float32Array(n).fill(1));
    const configs = [{ BLOCK: 128 }, { BLOCK: 256 }];
    for (const resetToZero of [undefined, ['out']]) {
      const out = tensor(new Float32Array([5]));
      const k = autotune({ configs, key: ['n'], resetToZero }, total);
      k(grid, ones, out, n);
      expect([...k.tuned.values()][0]!.results.map((r) => r.status)).toEqual(['ok', 'ok']);
      expect(out.toArray()[0]).toBe(1005);
    }
  });

  test('constraints and the prune hook see the launch, and the key must name arguments', () => {
    const k = autotune(
      { configs: { params: { BLOCK: [32, 64, 128, 256, 512] }, where: (c, p) => (c['BLOCK'] as number) <= (p.values['n'] as number) / 4 }, key: ['n'], prune: (cs) => cs.filter((c) => c['BLOCK'] !== 64) },
      double,
    );
    k(grid, x, empty([n]), n);
    expect([...k.tuned.values()][0]!.results.map((r) => r.config['BLOCK'])).toEqual([32, 128]);
    expect(() => autotune({ configs: [{ BLOCK: 64 }], key: ['size'] }, double)(grid, x, empty([n]), n)).toThrow(/has no argument 'size'/);
  });
});

describe('the tuning engine', () => {
  const identity = (name: string): RecordIdentity => ({ kernel: name, sourceHash: 'h', key: { n: 1 }, dtypes: ['f32'], device: 'test', driver: 'test', kt: 'test' });
  const space = resolveSpace({ params: { A: [1, 2, 3, 4] } }, { values: {}, dtypes: [] });

  /** A target whose configs cost A ms, where `fail` decides what throws when a config is checked. */
  function fakeTarget(name: string, fail: (c: Config) => Error | undefined): TuneTarget & { checked: string[] } {
    const checked: string[] = [];
    return {
      identity: identity(name),
      space,
      checked,
      compile: () => () => 0,
      check(c) {
        checked.push(configKey(c));
        const e = fail(c);
        if (e) throw e;
        return undefined;
      },
      measure: (c) => summarize([c['A'] as number]),
    };
  }

  /**
   * A GPU-like target: the first pass times A = 1 at 1.00 ms, A = 2 at 1.01, A = 3 at 1.02 and A = 4 at `fourth`
   * ms; under sustained load (the final round) every config slows by 12%, and A = 1 by 20%.
   */
  function clockedTarget(name: string, fourth = 2): TuneTarget & { sustained: number[] } {
    const sustained: number[] = [];
    const brief: Record<number, number> = { 1: 1, 2: 1.01, 3: 1.02, 4: fourth };
    return {
      identity: identity(name),
      space,
      finalRound: true,
      sustained,
      compile: () => () => 0,
      check: () => undefined,
      measure(c, long) {
        const a = c['A'] as number;
        if (!long) return summarize([brief[a]!]);
        sustained.push(a);
        return summarize([a === 1 ? 1.2 : brief[a]! * 1.12]);
      },
    };
  }

  test('the final round times the best and its close rivals again under sustained load, in turns, and picks from that', () => {
    const target = clockedTarget('final');
    const outcome = tune(target);
    expect(outcome.best?.config['A']).toBe(2);
    // A = 4 is twice as slow: not a rival. The other three, three turns each, each turn in another order, after
    // one measurement of the best thrown away.
    expect(target.sustained).toEqual([1, 1, 2, 3, 2, 3, 1, 3, 1, 2]);
    const byA = new Map(outcome.results.map((r) => [r.config['A'], r]));
    // The first pass's time stays; the final round's is beside it.
    expect(byA.get(1)).toMatchObject({ status: 'ok', medianMs: 1, sustained: { medianMs: 1.2, runs: 3, spread: 0 } });
    expect(byA.get(4)).not.toHaveProperty('sustained');
    // The record keeps the final round's times: kt run takes A = 2, and a new run from the cache decides nothing again.
    expect([...readRecord(identity('final')).values()].find((r) => r.config['A'] === 1)).toMatchObject({ medianMs: 1, sustained: { medianMs: 1.2 } });
    const again = clockedTarget('final');
    expect(tune(again).best?.config['A']).toBe(2);
    expect(again.sustained).toEqual([]);
  });

  test("sustained times decide among the final round's contenders only: a config outside it is not compared with them", () => {
    // A = 4 at 1.05 ms is beyond the final round's margin, yet faster than every contender's sustained time
    // (1.13 ms and more): the contenders' winner is still the best, since A = 4 would slow down as much.
    const target = clockedTarget('outside', 1.05);
    const outcome = tune(target);
    expect(target.sustained).not.toContain(4);
    expect(outcome.best?.config['A']).toBe(2);
    expect(outcome.best?.sustained?.medianMs).toBeCloseTo(1.01 * 1.12);
  });

  test('a final round over a larger space takes the decision from an earlier one', () => {
    // First A = 3 and A = 4 (1.02 and 1.03 ms): a round between them.
    const small = { ...clockedTarget('regrown', 1.03), space: resolveSpace({ params: { A: [3, 4] } }, { values: {}, dtypes: [] }) };
    expect(tune(small).best?.config['A']).toBe(3);
    expect(small.sustained.sort()).toEqual([3, 3, 3, 3, 4, 4, 4]);
    // Then all four: A = 1 is the first pass's best, and its rivals are 2 and 3 (two at most). A new round over
    // them; A = 4 loses its time from the old round, which no longer compares with anything.
    const full = clockedTarget('regrown', 1.03);
    const outcome = tune(full);
    expect([...new Set(full.sustained)].sort()).toEqual([1, 2, 3]);
    expect(outcome.best?.config['A']).toBe(2);
    const stored = [...readRecord(identity('regrown')).values()];
    expect(stored.filter((r) => r.status === 'ok' && r.sustained).map((r) => r.config['A']).sort()).toEqual([1, 2, 3]);
  });

  test('no final round without rivals, nor for targets that do not ask for one (the interpreter)', () => {
    const lone = clockedTarget('lone');
    const farApart = { ...lone, measure: (c: Config, long?: boolean) => (long ? lone.measure(c, long) : summarize([(c['A'] as number) * 10])) };
    expect(tune(farApart).best?.config['A']).toBe(1);
    expect(lone.sustained).toEqual([]);
    const cpu = { ...clockedTarget('cpu'), finalRound: false };
    expect(tune(cpu).best?.config['A']).toBe(1);
    expect(cpu.sustained).toEqual([]);
  });

  test('a config over the resource limits is excluded as such and the sweep goes on', () => {
    const target = fakeTarget('resources', (c) => (c['A'] === 1 ? new CudaError("kernel 'k' needs 300000 bytes of shared memory per program", 0, 'KT_OUT_OF_SHARED_MEMORY') : undefined));
    const outcome = tune(target);
    expect(outcome.results[0]).toMatchObject({ status: 'excluded', stage: 'resources', reason: expect.stringMatching(/shared memory/) });
    expect(outcome.best?.config['A']).toBe(2);
  });

  test('a GPU fault stops the sweep with TuneInterrupted after storing what was settled, including the faulting config', () => {
    const target = fakeTarget('fault', (c) => (c['A'] === 3 ? new CudaError('illegal address', 700, 'CUDA_ERROR_ILLEGAL_ADDRESS') : undefined));
    expect(() => tune(target)).toThrow(TuneInterrupted);
    const stored = readRecord(identity('fault'));
    expect([...stored.values()].map((r) => [r.config['A'], r.status])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'excluded'],
    ]);
    // The next process resumes: it checks only the config never reached.
    const resumed = fakeTarget('fault', () => undefined);
    const outcome = tune(resumed);
    expect(resumed.checked).toEqual([configKey({ A: 4, numWarps: 4, numStages: 3 })]);
    expect(outcome.best?.config['A']).toBe(1);
  });

  test('--force measures again', () => {
    tune(fakeTarget('force', () => undefined));
    const again = fakeTarget('force', () => undefined);
    tune(again, { force: true });
    expect(again.checked.length).toBe(4);
  });

  test('concurrent writers to one record lose nothing', async () => {
    const script = path.join(import.meta.dirname, '../fixtures/store-results.ts');
    const writers = [0, 1, 2, 3].map(
      (w) =>
        new Promise<number>((resolve, reject) => {
          const child = spawn(process.execPath, [path.join(import.meta.dirname, '../../bin/run-ts.js'), script, String(w), '25'], { env: process.env, stdio: 'inherit' });
          child.on('error', reject);
          child.on('exit', (code) => resolve(code ?? 1));
        }),
    );
    expect(await Promise.all(writers)).toEqual([0, 0, 0, 0]);
    const stored = readRecord(identity('concurrent'));
    expect(stored.size).toBe(100);
  }, 60_000);

  test('a record that cannot be parsed reads as empty', () => {
    storeResults(identity('damaged'), [{ status: 'ok', config: { A: 1 }, medianMs: 1, minMs: 1, maxMs: 1, spread: 0, runs: 1, measuredAt: 'now' }]);
    expect(readRecord(identity('damaged')).size).toBe(1);
    fs.writeFileSync(recordPath(identity('damaged')), JSON.stringify({ format: 3, identity: identity('damaged'), results: { x: { status: 'ok' } } }));
    expect(readRecord(identity('damaged')).size).toBe(0);
  });
});

test("a spec's referenceAt agrees with its reference (what the tuner checks large problems with)", async () => {
  const { spec } = await import('../../kernels/matmul.ts');
  const sizes = { M: 37, N: 29, K: 45 };
  const inputs = spec.inputs(sizes, 'f16', new Random(3));
  const full = spec.reference(inputs, sizes)['c'] as Float64Array;
  const at = spec.referenceAt!(inputs, sizes)['c']!;
  for (let i = 0; i < full.length; i++) expect(at(i)).toBeCloseTo(full[i]!, 9);
});
