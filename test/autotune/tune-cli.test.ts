// `kt tune` as users run it, on the interpreter: the sweep, the table, the report files, the cache that
// `kt run` and `kt tune --show` read, and bad command lines.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let cache: string;
let out: string;

function kt(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_CACHE_DIR: cache } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-tune-cli-'));
  out = path.join(cache, 'reports-here');
});

const tuneArgs = ['tune', 'matmul', '--interpret', '--size', 'M=40,N=48,K=56', '--budget', '6', '--out'];

test('kt tune --interpret sweeps, prints the table, writes the report and chart; kt run then uses the best config', () => {
  const r = kt([...tuneArgs, out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('tuning matmul  M=40,N=48,K=56  f32  on the interpreter');
  expect(r.stdout).toMatch(/#\s+config\s+median ms\s+spread\s+[KMGT]?(FLOP|B)\/s\s+% of fastest\s+runs/);
  expect(r.stdout).toMatch(/^1\s+(\w+=\d+ )*\w+=\d+\s+\d+\.\d{4}\s+±\d+\.\d%\s+\d+\.\d\d\s+100\.0%/m);
  expect(r.stdout).toMatch(/^6\s+(\w+=\d+ )*\w+=\d+\s+\d+\.\d{4}\s/m);
  expect(r.stdout).toMatch(/exhaustive search over \d+ configs: 6 measured, 0 from the cache/);
  const best = /best: (.*?)  \d/.exec(r.stdout)![1]!;

  const report = JSON.parse(fs.readFileSync(path.join(out, 'matmul-M40-N48-K56-f32-interpreter.json'), 'utf8'));
  expect(report.results).toHaveLength(6);
  expect(report.results.every((x: { status: string; medianMs?: number }) => x.status === 'ok' && x.medianMs! > 0)).toBe(true);
  expect(report.identity).toMatchObject({ kernel: 'matmul', key: { M: 40, N: 48, K: 56 }, dtypes: ['f32'] });
  expect(report.timing.totalMs).toBeGreaterThan(0);
  const svg = fs.readFileSync(path.join(out, 'matmul-M40-N48-K56-f32-interpreter.svg'), 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.match(/<rect x=/g)).toHaveLength(6);

  const run = kt(['run', 'matmul', '--interpret', '--size', 'M=40,N=48,K=56']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`using the config tuned by kt tune: ${best}`);
  // -c overrides the tuned config.
  const overridden = kt(['run', 'matmul', '--interpret', '--size', 'M=40,N=48,K=56', '-c', 'BLOCK_M=16']);
  expect(overridden.stdout).not.toContain('using the config tuned');
  expect(overridden.stdout).toContain('BLOCK_M=16');

  // The same command again replays the search from the cache; --force measures again.
  expect(kt([...tuneArgs, out]).stdout).toMatch(/0 measured, 6 from the cache/);
  expect(kt([...tuneArgs, out, '--force']).stdout).toMatch(/6 measured, 0 from the cache/);

  const show = kt(['tune', 'matmul', '--show']);
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(/matmul {2}M=40 N=48 K=56 {2}f32 {2}on interpreter on/);
  expect(show.stdout).toMatch(/6 measured, 0 excluded; best/);
}, 120_000);

test('an exhaustive sweep of a small space; softmax tunes only its warps, which the interpreter ignores', () => {
  const r = kt(['tune', 'layernorm', '--interpret', '--size', 'M=3,N=300', '--strategy', 'exhaustive', '--out', out]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/exhaustive search over 2 configs: 2 measured/);
  expect(r.stdout).toMatch(/fixed: numWarps=4 numStages=3/);
  const s = kt(['tune', 'softmax', '--interpret', '--size', 'M=4,N=100', '--out', out]);
  expect(s.code).toBe(0);
  expect(s.stdout).toMatch(/exhaustive search over 1 configs: 1 measured/);
}, 60_000);

test('bad command lines are refused with a reason', () => {
  const cases: [string[], RegExp][] = [
    [['tune', 'matmul', '--interpret', '--budget', 'lots'], /bad budget 'lots'/],
    [['tune', 'matmul', '--interpret', '--budget', '0'], /positive integer/],
    [['tune', 'matmul', '--interpret', '--strategy', 'annealing'], /unknown strategy 'annealing'[\s\S]*exhaustive, random, guided/],
    [['tune', 'matmul', '--interpret', '--space', 'huge'], /matmul has no tuning space 'huge'[\s\S]*default, triton/],
    [['tune', 'matmul', '--interpret', '--size', 'Q=3'], /matmul has no size 'Q'/],
    [['tune', 'matmul', '--interpret', '--size', 'M=N=K=8', '-c', 'BLOCK_M=7'], /no config of matmul's tuning space 'default' is legal/],
    [['tune', 'add', '--interpret'], /add declares no tuning space/],
  ];
  for (const [args, message] of cases) {
    const r = kt(args);
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stderr, args.join(' ')).toMatch(message);
  }
}, 60_000);

test('Ctrl-C ends a sweep with a line saying how many results are kept, and they are', async () => {
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-tune-sigint-'));
  const tuneRecords = path.join(own, 'tune');
  const child = spawn(process.execPath, [path.join(root, 'bin/kt.js'), 'tune', 'matmul', '--interpret', '--size', 'M=96,N=96,K=96', '--budget', '40'], {
    cwd: root,
    env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_CACHE_DIR: own },
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Interrupt once the first result is in the tuning cache (the supervisor gets the signal and passes it on).
  const recorded = (): boolean => fs.existsSync(tuneRecords) && fs.readdirSync(tuneRecords).some((f) => f.endsWith('.json'));
  for (let waited = 0; !recorded() && waited < 60_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  expect(await exited).toBe(130);
  const line = /kt tune: interrupted; (\d+) of (\d+) configs settled before it stopped are kept in the tuning cache\. Run the same command again to go on from there\./.exec(stdout);
  expect(line, stdout).not.toBeNull();
  expect(Number(line![1])).toBeGreaterThanOrEqual(1);
  expect(Number(line![1])).toBeLessThan(40);
  const shown = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'tune', 'matmul', '--show'], { cwd: root, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', KT_CACHE_DIR: own } });
  // The count is written just after each result is stored: the signal may fall between the two.
  const measured = Number(/(\d+) measured, 0 excluded/.exec(shown.stdout)![1]);
  expect(measured - Number(line![1])).toBeGreaterThanOrEqual(0);
  expect(measured - Number(line![1])).toBeLessThanOrEqual(1);
}, 120_000);
