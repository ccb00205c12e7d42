// Ctrl-C during a launch on the interpreter, run as a user runs kt (a subprocess sent SIGINT): `kt run --sanitize`
// and a script under KT_SANITIZE=1 report the kernel, the program and the loop it is in (the hang report's
// format), a plain `kt run --interpret` says the kernel and the program in one line, and each ends with exit code
// 130. The signal is sent only once the child has printed that it is where the test wants it (a devicePrint in the
// loop that never ends, a line printed by the spec's reference), never after a fixed wait.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { ktRoot as root, userProject } from '../support/user-project.ts';

const kernels = `import { defineSpec, empty, full, kernel, tl, type Ptr, type i32 } from 'kt';

// Programs 0 and 1 skip the loop; program 2 says once that it is in it (from inside: a Ctrl-C sent on that line
// finds it there), and never leaves.
export const spin = kernel(function spin(out: Ptr, n: i32) {
  const pid = tl.programId(0);
  let i = 0;
  if (pid < 2) i = n;
  let said = 0;
  while (i < n) {
    if (said === 0) {
      tl.devicePrint('in the loop');
    }
    said = 1;
    i = i * 1;
  }
  tl.store(out + pid, i + said);
});

export const hang = defineSpec({
  name: 'hang',
  description: 'a loop that never ends',
  kernels: [spin],
  sizes: { N: 4 },
  dtypes: ['i32'],
  config: {},
  inputs: ({ N }) => ({ out: empty([N!], 'i32') }),
  launch: ({ out }, { N }) => spin([N!], out, 5),
  reference: ({}, { N }) => ({ out: new Array(N!).fill(5) }),
});

export const copy = kernel(function copy(x: Ptr, out: Ptr) {
  const pid = tl.programId(0);
  tl.store(out + pid, tl.load(x + pid));
});

// The launch ends; the reference (host code, after it) never does.
export const slowReference = defineSpec({
  name: 'slowReference',
  description: 'a reference that never ends',
  kernels: [copy],
  sizes: { N: 4 },
  dtypes: ['f32'],
  config: {},
  inputs: ({ N }) => ({ x: full([N!], 1), out: empty([N!]) }),
  launch: ({ x, out }, { N }) => copy([N!], x, out),
  reference: () => {
    console.log('computing the reference');
    for (;;);
  },
});
`;

const loopLine = kernels.split('\n').findIndex((l) => l.includes('while (i < n)')) + 1;
/** The report's gutter: as wide as the line number. */
const gutter = ' '.repeat(String(loopLine).length);

let project: string;

beforeAll(() => {
  project = userProject('kt-interrupt-', {
    'spin.ts': kernels,
    'script.ts': `import { empty } from 'kt';
import { spin } from './spin.ts';
spin([4], empty([4], 'i32'), 5);
console.log('the launch ended');
`,
  });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node args...` in the project, sends it SIGINT once its stdout has `ready` in it, and waits for it to end.
 * A child that ends before it gets there fails the test with what it printed.
 */
async function interrupt(args: string[], ready: string, env: Record<string, string> = {}): Promise<Ended> {
  const child = spawn(process.execPath, args, {
    cwd: project,
    env: { ...process.env, FORCE_COLOR: '0', KT_INTERPRET: '', KT_SANITIZE: '', KT_SANITIZE_TIMEOUT: '', KT_STACK: '', NODE_OPTIONS: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!sent && stdout.includes(ready)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  expect(sent, `it ended before printing '${ready}':\n${stdout}\n${stderr}`).toBe(true);
  return { code, signal, stdout, stderr };
}

const kt = path.join(root, 'bin/kt.js');

describe('Ctrl-C during kt run on the interpreter', () => {
  test('--sanitize: the kernel, the program and the loop it is in, as a hang is reported; exit code 130', async () => {
    const r = await interrupt([kt, 'run', 'spin.ts', 'hang', '--sanitize'], 'pid (2, 0, 0) in the loop');
    expect(r.code, `signal ${r.signal}: ${r.stderr}`).toBe(130);
    expect(r.stderr).toBe(
      [
        `spin.ts:${loopLine}:3: error: kernel 'spin' was interrupted (Ctrl-C) in program (2, 0, 0) (2 of 4 programs done), in this loop`,
        `${gutter} |`,
        `${loopLine} |   while (i < n) {`,
        `${gutter} |   ^~~~~`,
        '',
      ].join('\n'),
    );
    expect(r.stdout).not.toContain('PASS');
  }, 180_000);

  test('--interpret: one line with the kernel and the program, no stack; exit code 130', async () => {
    const r = await interrupt([kt, 'run', 'spin.ts', 'hang', '--interpret'], 'pid (2, 0, 0) in the loop');
    expect(r.code, `signal ${r.signal}: ${r.stderr}`).toBe(130);
    expect(r.stderr).toBe("error: kernel 'spin' was interrupted (Ctrl-C) in program (2, 0, 0) (2 of 4 programs done); under the sanitizer the report shows the loop it is in\n");
  }, 180_000);

  test('outside any launch (the reference being computed): one line; exit code 130', async () => {
    const r = await interrupt([kt, 'run', 'spin.ts', 'slowReference', '--interpret'], 'computing the reference');
    expect(r.code, `signal ${r.signal}: ${r.stderr}`).toBe(130);
    expect(r.stderr).toBe('error: interrupted (Ctrl-C) while no kernel was running\n');
  }, 180_000);

  test('KT_SANITIZE=1 sanitizes kt run --interpret, and Ctrl-C reports the loop', async () => {
    const r = await interrupt([kt, 'run', 'spin.ts', 'hang', '--interpret'], 'pid (2, 0, 0) in the loop', { KT_SANITIZE: '1' });
    expect(r.code, `signal ${r.signal}: ${r.stderr}`).toBe(130);
    expect(r.stderr).toContain(`spin.ts:${loopLine}:3: error: kernel 'spin' was interrupted (Ctrl-C) in program (2, 0, 0) (2 of 4 programs done), in this loop`);
  }, 180_000);

  test("a user's script under KT_SANITIZE=1: the report, uncaught, and exit code 130", async () => {
    const r = await interrupt([path.join(root, 'bin/run-ts.js'), 'script.ts'], 'pid (2, 0, 0) in the loop', { KT_SANITIZE: '1' });
    expect(r.code, `signal ${r.signal}: ${r.stderr}`).toBe(130);
    expect(r.stdout).not.toContain('the launch ended');
    expect(r.stderr).toContain(`KernelInterrupted: spin.ts:${loopLine}:3: error: kernel 'spin' was interrupted (Ctrl-C) in program (2, 0, 0) (2 of 4 programs done), in this loop\n`);
    expect(r.stderr).toContain(`${loopLine} |   while (i < n) {\n${gutter} |   ^~~~~`);
    // The user's frame, not kt's.
    expect(r.stderr).toMatch(/at .*script\.ts:3:1/);
    expect(r.stderr).not.toContain(path.join(root, 'src'));
  }, 180_000);

  test('kt --help lists exit code 130', () => {
    const r = spawnSync(process.execPath, [kt, '--help'], { cwd: project, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
    expect(r.stdout).toMatch(/^Exit codes:\n(?: {2}\d .*\n)+ {2}130 {2}Ctrl-C \(kt run on the interpreter: where the launch was; kt tune: what is kept\)$/m);
  });
});
