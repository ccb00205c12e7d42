// Tuning records cannot lie: a damaged, edited or misfiled record, a result with an impossible time, and a
// stored config outside the spec's current space are rejected with a note; a record that cannot be written is
// said to the tuner; a stale lock is reported and taken over, a live one waited for with a note.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi, type MockInstance } from 'vitest';
import type { Config } from 'kt';
import { summarize } from '../../src/autotune/measure.ts';
import { readRecord, recordPath, scanRecords, storeResults, type ConfigResult, type RecordIdentity } from '../../src/autotune/records.ts';
import { resolveSpace } from '../../src/autotune/space.ts';
import { specIdentity, tunedSpecConfig } from '../../src/autotune/spec-tuning.ts';
import { tune, type TuneTarget } from '../../src/autotune/tuner.ts';

let warn: MockInstance<typeof console.warn>;
beforeEach(() => {
  process.env['KT_CACHE_DIR'] = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-records-test-'));
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => warn.mockRestore());

const warnings = (): string[] => warn.mock.calls.map((c) => c.map(String).join(' '));

let problems = 0;
/** A new problem for each use, so that the once-per-process notes of one test do not hide another's. */
const identity = (): RecordIdentity => ({ kernel: 'k', sourceHash: 'h', key: { n: ++problems }, dtypes: ['f32'], device: 'test', driver: 'test', kt: 'test' });

const ok = (A: number, ms: number): ConfigResult => ({ status: 'ok', config: { A }, medianMs: ms, minMs: ms, maxMs: ms, spread: 0, runs: 3, measuredAt: 'then' });

describe('reading records', () => {
  test('a record kt wrote reads back whole, with no note', () => {
    const id = identity();
    expect(storeResults(id, [ok(1, 2), ok(2, 3)])).toBeUndefined();
    expect([...readRecord(id).keys()]).toEqual(['A=1', 'A=2']);
    expect(warnings()).toEqual([]);
  });

  test('a result with a negative or zero time is rejected with a note; the others are kept', () => {
    const id = identity();
    storeResults(id, [ok(1, 2), ok(2, -1), ok(3, 0)]);
    expect([...readRecord(id).keys()]).toEqual(['A=1']);
    const file = recordPath(id);
    expect(warnings()).toEqual([
      `kt: ignoring the result for A=2 in the tuning record ${file}: its times (min -1, median -1, max -1 ms) are not all positive; that config will be measured again`,
      `kt: ignoring the result for A=3 in the tuning record ${file}: its times (min 0, median 0, max 0 ms) are not all positive; that config will be measured again`,
    ]);
    // Once per process, not at every read.
    readRecord(id);
    expect(warnings()).toHaveLength(2);
  });

  test('a record whose time was edited fails its checksum and is ignored with a note', () => {
    const id = identity();
    storeResults(id, [ok(1, 2), ok(2, 3)]);
    const file = recordPath(id);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"medianMs": 3', '"medianMs": 0.5'));
    expect(fs.readFileSync(file, 'utf8')).not.toBe(text);
    expect(readRecord(id).size).toBe(0);
    expect(warnings()).toEqual([`kt: ignoring the tuning record ${file}: it is damaged (its checksum does not match its content); its configs will be measured again`]);
  });

  test('a truncated record, and one with a changed checksum, are ignored with a note', () => {
    const id = identity();
    storeResults(id, [ok(1, 2)]);
    const file = recordPath(id);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, 40));
    expect(readRecord(id).size).toBe(0);
    expect(warnings()).toEqual([`kt: ignoring the tuning record ${file}: it is damaged (not valid JSON: truncated or edited); its configs will be measured again`]);
    const record = JSON.parse(text);
    fs.writeFileSync(file, JSON.stringify({ ...record, sum: '0'.repeat(64) }));
    expect(readRecord(id).size).toBe(0);
    expect(warnings()[1]).toBe(`kt: ignoring the tuning record ${file}: it is damaged (its checksum does not match its content); its configs will be measured again`);
  });

  test("a record copied under another problem's name is not used for that problem", () => {
    const [a, b] = [identity(), identity()];
    storeResults(a, [ok(1, 2)]);
    fs.copyFileSync(recordPath(a), recordPath(b));
    expect(readRecord(b).size).toBe(0);
    expect(warnings()).toEqual([`kt: ignoring the tuning record ${recordPath(b)}: it is damaged (it holds another problem than its name says); its configs will be measured again`]);
  });

  test('a record of an older kt (format 1, no checksum) is not used', () => {
    const id = identity();
    fs.mkdirSync(path.dirname(recordPath(id)), { recursive: true });
    fs.writeFileSync(recordPath(id), JSON.stringify({ format: 1, identity: id, results: { 'A=1': ok(1, 2) } }));
    expect(readRecord(id).size).toBe(0);
    expect(warnings()[0]).toMatch(/it was written by another version of kt \(format 1, not 3\)/);
  });

  test('storing into a damaged record starts it anew', () => {
    const id = identity();
    fs.mkdirSync(path.dirname(recordPath(id)), { recursive: true });
    fs.writeFileSync(recordPath(id), '{"format": 2, "identity": {"ker');
    expect(storeResults(id, [ok(1, 2)])).toBeUndefined();
    expect([...readRecord(id).keys()]).toEqual(['A=1']);
    expect(warnings()).toHaveLength(1);
  });

  test('scanRecords (kt tune --show) lists unusable records named for the kernel, and rejected results', () => {
    const [good, bad] = [identity(), identity()];
    storeResults(good, [ok(1, 2), ok(2, 0)]);
    storeResults(bad, [ok(1, 2)]);
    fs.truncateSync(recordPath(bad), 10);
    const other = { ...identity(), kernel: 'other' };
    storeResults(other, [ok(1, 2)]);
    fs.truncateSync(recordPath(other), 10);
    const listing = scanRecords('k');
    expect(listing.records.map((r) => [r.file, Object.keys(r.record.results), r.rejected.map((x) => x.key)])).toEqual([[recordPath(good), ['A=1'], ['A=2']]]);
    expect(listing.unusable).toEqual([{ file: recordPath(bad), reason: 'it is damaged (not valid JSON: truncated or edited)' }]);
    expect(scanRecords().unusable).toHaveLength(2);
  });
});

describe('the tuner and the record', () => {
  const space = resolveSpace({ params: { A: [1, 2, 3] } }, { values: {}, dtypes: [] });
  function target(id: RecordIdentity, time: (c: Config) => number): TuneTarget {
    return { identity: id, space, compile: () => () => 0, check: () => undefined, measure: (c) => summarize([time(c)]) };
  }

  test('a config measured at 0 ms is excluded, not stored as the fastest', () => {
    const id = identity();
    const outcome = tune(target(id, (c) => (c['A'] === 2 ? 0 : (c['A'] as number))));
    expect(outcome.best?.config['A']).toBe(1);
    expect(outcome.results.find((r) => r.config['A'] === 2)).toMatchObject({ status: 'excluded', stage: 'run', reason: expect.stringMatching(/^its measurement cannot be right: times \(min 0, median 0, max 0 ms\) are not all positive/) });
    expect(readRecord(id).get('A=2,numStages=3,numWarps=4')?.status).toBe('excluded');
    expect(outcome.recordError).toBeUndefined();
  });

  test('when the record cannot be written, the outcome says why', () => {
    // The tuning directory is a file: nothing can be written under it.
    fs.writeFileSync(path.join(process.env['KT_CACHE_DIR']!, 'tune'), '');
    const id = identity();
    const outcome = tune(target(id, (c) => c['A'] as number));
    expect(outcome.best?.config['A']).toBe(1);
    expect(outcome.recordError).toMatch(/EEXIST|ENOTDIR/);
    expect(storeResults(id, [ok(1, 2)])).toMatch(/EEXIST|ENOTDIR/);
  });
});

describe('kt run and configs outside the current space', () => {
  const sizes = { M: 40, N: 40, K: 40 };
  const inSpace = { BLOCK_M: 32, BLOCK_N: 32, BLOCK_K: 16, GROUP_M: 1, numWarps: 4, numStages: 3 };
  const result = (config: Config, ms: number): ConfigResult => ({ status: 'ok', config, medianMs: ms, minMs: ms, maxMs: ms, spread: 0, runs: 3, measuredAt: 'then' });

  test('a faster stored config that the space no longer has is not used, with a note', async () => {
    const { spec } = await import('../../kernels/matmul.ts');
    const id = specIdentity(spec, sizes, 'f32', 'interpreter');
    storeResults(id, [result(inSpace, 2)]);
    expect(tunedSpecConfig(spec, sizes, 'f32', 'interpreter')).toEqual(inSpace);
    expect(warnings()).toEqual([]);
    // BLOCK_M 48 is no choice of any of matmul's spaces (say, a space that has changed since): kt run would fail to compile it.
    storeResults(id, [result({ ...inSpace, BLOCK_M: 48 }, 1)]);
    expect(tunedSpecConfig(spec, sizes, 'f32', 'interpreter')).toEqual(inSpace);
    expect(warnings()).toEqual([
      'kt: ignoring 1 tuned config of matmul that is not in its current tuning spaces (the fastest: BLOCK_M=48 BLOCK_N=32 BLOCK_K=16 GROUP_M=1 numWarps=4 numStages=3, 1.0000 ms); run kt tune again to measure the current space',
    ]);
  });
});

describe('locks', () => {
  /** A process id that no longer runs: a child that has exited. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

  function lockFor(id: RecordIdentity, holder: object | string): string {
    const lock = `${recordPath(id)}.lock`;
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    fs.writeFileSync(lock, typeof holder === 'string' ? holder : JSON.stringify(holder));
    return lock;
  }

  test('a lock left by a process that died is reported and taken over at once', () => {
    const id = identity();
    const pid = deadPid();
    const lock = lockFor(id, { pid, host: os.hostname(), since: '2024-01-01T00:00:00.000Z' });
    const start = Date.now();
    expect(storeResults(id, [ok(1, 2)])).toBeUndefined();
    expect(Date.now() - start).toBeLessThan(5000);
    expect(readRecord(id).size).toBe(1);
    expect(warnings()).toEqual([`kt: removed the stale lock ${lock}: process ${pid}, which held it since 2024-01-01T00:00:00.000Z, is no longer running`]);
    expect(fs.existsSync(lock)).toBe(false);
  });

  test('an old lock of an unknown holder is reported and taken over', () => {
    const id = identity();
    const lock = lockFor(id, '');
    const old = (Date.now() - 60_000) / 1000;
    fs.utimesSync(lock, old, old);
    expect(storeResults(id, [ok(1, 2)])).toBeUndefined();
    expect(readRecord(id).size).toBe(1);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(new RegExp(`^kt: removed the stale lock ${lock.replace(/[.]/g, '\\.')}: an unknown process has held it for (59|6\\d) s \\(more than 10 s\\); a record it was writing may lose its last result$`));
  });

  test('a lock held by a running process is waited for, with a note, and the result is not lost', async () => {
    const id = identity();
    const lock = `${recordPath(id)}.lock`;
    fs.mkdirSync(path.dirname(lock), { recursive: true });
    // The holder releases the lock 1.5 s after it starts.
    const holder = spawn(process.execPath, ['-e', `setTimeout(() => require('fs').rmSync(${JSON.stringify(lock)}), 1500)`], { stdio: 'ignore' });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    lockFor(id, { pid: holder.pid, host: os.hostname(), since: 'now' });
    expect(storeResults(id, [ok(1, 2)])).toBeUndefined();
    await exited;
    expect(readRecord(id).size).toBe(1);
    expect(warnings()).toEqual([`kt: waiting for the lock ${lock}, held by process ${holder.pid} since now (it is taken over once it is 10 s old)`]);
  });
});
