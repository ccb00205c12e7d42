// What `kt tune` and `kt run` say about tuning records that cannot be used or written: `kt tune --show` names a
// damaged record (rather than "no tuning results") and rejected results; `kt tune` does not claim that kt run
// uses a result it could not store; `kt run` does not launch a stored config its spec's space no longer has.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, expect, test } from 'vitest';
import { recordPath, storeResults, type ConfigResult } from '../../src/autotune/records.ts';
import { specIdentity } from '../../src/autotune/spec-tuning.ts';
import type { Config } from 'kt';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let cache: string;

function kt(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_CACHE_DIR: cache } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeEach(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-tune-records-cli-'));
  // Records written by this process go where the commands look.
  process.env['KT_CACHE_DIR'] = cache;
});

const result = (config: Config, ms: number): ConfigResult => ({ status: 'ok', config, medianMs: ms, minMs: ms, maxMs: ms, spread: 0, runs: 3, measuredAt: 'then' });
const sizes = { M: 40, N: 40, K: 40 };
const inSpace = { BLOCK_M: 32, BLOCK_N: 32, BLOCK_K: 16, GROUP_M: 1, numWarps: 4, numStages: 3 };

test('kt tune --show says a record is damaged instead of "no tuning results", and lists rejected results', async () => {
  expect(kt(['tune', 'matmul', '--show']).stdout).toBe(`no tuning results for matmul in ${path.join(cache, 'tune')}\n`);

  const { spec } = await import('../../kernels/matmul.ts');
  const damaged = recordPath(specIdentity(spec, sizes, 'f32', 'interpreter'));
  storeResults(specIdentity(spec, sizes, 'f32', 'interpreter'), [result(inSpace, 2)]);
  fs.truncateSync(damaged, 50);
  const show = kt(['tune', 'matmul', '--show']);
  expect(show.code).toBe(0);
  expect(show.stdout).toBe(
    `tuning record ${damaged} is not used: it is damaged (not valid JSON: truncated or edited); kt tune measures its configs again\n` +
      `no usable tuning results for matmul in ${path.join(cache, 'tune')}\n`,
  );

  const other = specIdentity(spec, { M: 48, N: 40, K: 40 }, 'f32', 'interpreter');
  storeResults(other, [result(inSpace, 2), result({ ...inSpace, BLOCK_N: 64 }, -3)]);
  const both = kt(['tune', 'matmul', '--show']);
  expect(both.stdout).toContain(`tuning record ${damaged} is not used: it is damaged`);
  expect(both.stdout).toMatch(/matmul {2}M=48 N=40 K=40 {2}f32 {2}on interpreter on/);
  expect(both.stdout).toContain('1 measured, 0 excluded; best 2.0000 ms');
  expect(both.stdout).toContain('  rejected BLOCK_K=16,BLOCK_M=32,BLOCK_N=64,GROUP_M=1,numStages=3,numWarps=4: its times (min -3, median -3, max -3 ms) are not all positive\n');
  expect(both.stdout).not.toContain('no usable tuning results');
}, 60_000);

test('kt tune does not say that kt run uses a result it could not store, and fails', () => {
  // The tuning directory is a file, so no record can be written in it.
  fs.writeFileSync(path.join(cache, 'tune'), '');
  const r = kt(['tune', 'softmax', '--interpret', '--size', 'M=4,N=100', '--out', path.join(cache, 'reports')]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^best: numWarps=4 numStages=3 {2}\d/m);
  expect(r.stdout).not.toContain('now uses it');
  expect(r.stdout).toMatch(/^kt run softmax --size M=4,N=100 --dtype f32 --interpret does not use it: the tuning record could not be written \((EEXIST|ENOTDIR)\b.*\)$/m);
  expect(r.stderr).toMatch(/^kt: cannot write the tuning cache in /);

  // Written, it says so.
  fs.rmSync(path.join(cache, 'tune'));
  const ok = kt(['tune', 'softmax', '--interpret', '--size', 'M=4,N=100', '--out', path.join(cache, 'reports')]);
  expect(ok.code).toBe(0);
  expect(ok.stdout).toContain('kt run softmax --size M=4,N=100 --dtype f32 --interpret now uses it');
  expect(ok.stderr).toBe('');
}, 60_000);

test('kt run does not launch a stored config outside the current space: it says so and uses the best one inside', async () => {
  const { spec } = await import('../../kernels/matmul.ts');
  storeResults(specIdentity(spec, sizes, 'f32', 'interpreter'), [result(inSpace, 2), result({ ...inSpace, BLOCK_M: 48 }, 1)]);
  const run = kt(['run', 'matmul', '--interpret', '--size', 'M=40,N=40,K=40']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('using the config tuned by kt tune: BLOCK_M=32 BLOCK_N=32 BLOCK_K=16 GROUP_M=1 numWarps=4 numStages=3');
  expect(run.stdout).toMatch(/^PASS$/m);
  expect(run.stderr).toBe(
    'kt: ignoring 1 tuned config of matmul that is not in its current tuning spaces (the fastest: BLOCK_M=48 BLOCK_N=32 BLOCK_K=16 GROUP_M=1 numWarps=4 numStages=3, 1.0000 ms); run kt tune again to measure the current space\n',
  );
}, 60_000);
