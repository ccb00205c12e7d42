// The autotuner on a real GPU: autotune() with right, wrong and over-the-limit configs, and `kt tune` as a
// command whose result `kt run` then uses.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { autotune, cdiv, empty, tensor } from 'kt';
import { double } from '../fixtures/tune-kernels.ts';
import { timeLimit } from '../support/time-limit.ts';
import { realGpu } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../..');

beforeEach(() => {
  process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-gpu-tune-'));
});

describe.skipIf(!realGpu)('tuning on the GPU', () => {
  test('autotune() measures with GPU events, excludes a wrong config, and launches the best', () => {
    const n = 1 << 20;
    const x = tensor(Float32Array.from({ length: n }, (_, i) => i % 1000)).cuda();
    const out = empty([n], 'f32', 'cuda');
    const k = autotune({ configs: [{ BLOCK: 1024 }, { BLOCK: 256, numWarps: 2 }, { BLOCK: 512, WRONG: true }, { BLOCK: 2048, numWarps: 8 }], key: ['n'] }, double);
    k((meta) => [cdiv(n, meta['BLOCK'] as number)], x, out, n);
    const outcome = [...k.tuned.values()][0]!;
    expect(outcome.identity.device).toMatch(/\(sm_\d+\)$/);
    const wrong = outcome.results.find((r) => r.config['WRONG'] === true)!;
    expect(wrong).toMatchObject({ status: 'excluded', stage: 'check' });
    const ok = outcome.results.filter((r) => r.status === 'ok');
    expect(ok).toHaveLength(3);
    // A time, not a bound on it: under compute-sanitizer a launch takes a hundred times as long.
    for (const r of ok) expect(r.status === 'ok' && Number.isFinite(r.medianMs) && r.medianMs > 0).toBe(true);
    const got = out.toArray() as Float32Array;
    expect([got[0], got[1], got[n - 1]]).toEqual([0, 2, 2 * ((n - 1) % 1000)]);
  });

  test('kt tune on the GPU, then kt run at that size uses the tuned config', () => {
    const env = { ...process.env, FORCE_COLOR: '0' };
    const tune = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'tune', 'matmul', '--size', 'M=N=K=256', '--dtype', 'f16', '--budget', '10'], { cwd: root, env, encoding: 'utf8' });
    expect(tune.status, tune.stderr).toBe(0);
    expect(tune.stdout).toMatch(/on the GPU \(/);
    // Throughput in whatever unit suits it (MFLOP/s under compute-sanitizer).
    expect(tune.stdout).toMatch(/ [kMGT]?FLOP\/s /);
    expect(tune.stdout).toMatch(/(guided|exhaustive) search over \d+ configs: 10 measured/);
    const best = /best: (.*?)  \d/.exec(tune.stdout)![1]!;
    const run = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'run', 'matmul', '--size', 'M=N=K=256', '--dtype', 'f16'], { cwd: root, env, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`using the config tuned by kt tune: ${best}`);
  }, timeLimit(120_000));
});
