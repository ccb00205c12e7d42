// Kernels shipped ahead of time, on a real GPU: `kt build` compiles test/fixtures/bundle-build.ts's launches for
// this GPU, and the bundle's launchers (kt/runtime's loadBundle) compute what kt's own kernels compute, in this
// process and in a fresh Node process that imports only kt/runtime.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Random, rand, synchronize, zeros } from 'kt';
import { loadBundle } from '../../src/runtime/bundle.ts';
import { rowSum, scale } from '../fixtures/bundle-build.ts';
import { timeLimit } from '../support/time-limit.ts';
import { userProject } from '../support/user-project.ts';
import { realGpu } from './harness.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe.skipIf(!realGpu)('bundled kernels on the GPU', () => {
  // A project with kt installed, for the fresh process (its script is an .mjs: no package.json needed).
  const dir = userProject('kt-bundle-gpu-', {}, null);
  const file = path.join(dir, 'kernels.ktb.json');

  test('a bundled launch computes what the kernel computes', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/kt.js'), 'build', 'test/fixtures/bundle-build.ts', '-o', file], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const bundled = loadBundle(file, 'scale', 'rowSum');
    const rng = new Random(3);
    const x = rand([4096], { rng }).cuda();
    const [want, got] = [zeros([4096]).cuda(), zeros([4096]).cuda()];
    scale([4], x, want, 4096, 2.5);
    bundled.scale([4], x, got, 4096, 2.5);
    const m = rand([64, 100], { rng }).cuda();
    const [wantRows, gotRows] = [zeros([64]).cuda(), zeros([64]).cuda()];
    rowSum([64], m, wantRows, 100, { BLOCK: 128 });
    bundled.rowSum([64], m, gotRows, 100, { BLOCK: 128 });
    synchronize();
    expect(Array.from(got.cpu().toArray() as Float32Array)).toEqual(Array.from(want.cpu().toArray() as Float32Array));
    expect(Array.from(gotRows.cpu().toArray() as Float32Array)).toEqual(Array.from(wantRows.cpu().toArray() as Float32Array));
  }, timeLimit(120_000));

  test('a fresh process that imports only kt/runtime launches it', () => {
    const script = path.join(dir, 'serve.mjs');
    fs.writeFileSync(
      script,
      `import { loadBundle, rand, zeros, synchronize } from 'kt/runtime';\n` +
        `const { scale } = loadBundle(${JSON.stringify(file)});\n` +
        `const x = rand([4096]).cuda(), y = zeros([4096]).cuda();\n` +
        `scale([4], x, y, 4096, 2.5); synchronize();\n` +
        `const [a, b] = [x.cpu().toArray(), y.cpu().toArray()];\n` +
        `console.log(a.every((v, i) => Math.abs(b[i] - 2.5 * v) <= 1e-6 * Math.abs(b[i])) ? 'ok' : 'wrong');\n`,
    );
    const r = spawnSync(process.execPath, ['--conditions=kt-source', '--import', path.join(root, 'bin/register.js'), script], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
  }, timeLimit(60_000));
});
