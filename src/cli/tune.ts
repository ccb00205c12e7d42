// `kt tune`: sweeps a spec's tuning space for one problem, with a progress bar, a result table, a JSON report
// and an SVG chart; the results go into the tuning cache, where `kt run` and later tuning runs find them. This
// module is the supervisor, kept light (it loads nothing of the tuner): the sweep itself is tune-sweep.ts, run in
// a child process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chalk from 'chalk';

export interface TuneArgs {
  target: string;
  kernel?: string;
  size: string[];
  dtype?: string;
  config: string[];
  space: string;
  strategy?: string;
  budget?: string;
  interpret: boolean;
  force: boolean;
  show: boolean;
  out?: string;
  seed: number;
}


/** How many times a tuning run restarts itself after GPU faults before giving up. */
const MAX_RESTARTS = 16;
/** The exit code of a sweep stopped by a GPU fault, which its supervisor answers by starting it again. */
export const RESTART_EXIT = 75;
/** Set in the sweep's process: the file where it keeps how far it got, for its supervisor (bin/kt.js reads it too). */
const STATUS_ENV = 'KT_TUNE_STATUS';

export interface SweepStatus {
  readonly done: number;
  readonly total: number;
}

/**
 * `kt tune` runs its sweep in a child process and watches it. The sweep is synchronous (compiling waits on
 * workers, measuring on the GPU), so a process running it never gets to a signal handler: Ctrl-C would end it
 * without a word. The supervisor's event loop is free: on Ctrl-C (the terminal sends it to both; a SIGINT or
 * SIGTERM sent to the supervisor alone is passed on) it waits for the sweep to end and says how many results are
 * kept. A sweep that a GPU fault stopped (its context is lost) is started again, and goes on from the cache.
 */
export async function tuneCommand(args: TuneArgs): Promise<number> {
  if (!process.env[STATUS_ENV]) return superviseTune(process.argv.slice(2));
  const { sweepCommand } = await import('./tune-sweep.ts');
  return sweepCommand(args, process.env[STATUS_ENV]);
}

/**
 * Runs `kt <argv>` (a `kt tune` command line) as a sweep in a child process and watches it. bin/kt.js calls this
 * before it loads the rest of kt: the child parses and checks the command line itself, so the supervisor's own
 * start-up does not delay the sweep's.
 */
export async function superviseTune(argv: readonly string[]): Promise<number> {
  const force = argv.includes('--force');
  const status = path.join(os.tmpdir(), `kt-tune-${process.pid}-${Date.now()}.json`);
  let child: ReturnType<typeof spawn> | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    child?.kill(signal);
  };
  const onSignal = { SIGINT: () => stop('SIGINT'), SIGTERM: () => stop('SIGTERM') };
  process.on('SIGINT', onSignal.SIGINT);
  process.on('SIGTERM', onSignal.SIGTERM);
  try {
    // A restarted sweep goes on from the cache: --force would measure everything again.
    let args = [process.argv[1]!, ...argv];
    for (let restarts = 0; ; restarts++) {
      const sweep = spawn(process.execPath, [...process.execArgv, ...args], { stdio: 'inherit', env: { ...process.env, [STATUS_ENV]: status } });
      child = sweep;
      const code = await new Promise<number>((resolve) => {
        sweep.on('error', () => resolve(1));
        sweep.on('exit', (c, signal) => resolve(c ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1)));
      });
      if (interrupted) {
        if (process.stdout.isTTY) process.stdout.write('\r\x1b[K');
        const got = readStatus(status);
        const kept = got ? `${got.done} of ${got.total} configs settled before it stopped are kept in the tuning cache` : 'no config had been settled';
        console.log(chalk.yellow(`kt tune: interrupted; ${kept}. Run the same command again to go on from there${force ? ' (without --force, which would measure them again)' : ''}.`));
        return 128 + (os.constants.signals[interrupted] ?? 0);
      }
      if (code !== RESTART_EXIT) return code;
      if (restarts >= MAX_RESTARTS) {
        console.log(chalk.red(`kt tune: the sweep was stopped by GPU faults ${restarts + 1} times; giving up (the results so far are in the tuning cache)`));
        return 1;
      }
      console.log(chalk.yellow(`restarting the sweep in a new process (${restarts + 1} of at most ${MAX_RESTARTS})`));
      args = args.filter((a) => a !== '--force');
    }
  } finally {
    process.off('SIGINT', onSignal.SIGINT);
    process.off('SIGTERM', onSignal.SIGTERM);
    fs.rmSync(status, { force: true });
  }
}

function readStatus(file: string): SweepStatus | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepStatus;
    return typeof v.done === 'number' && typeof v.total === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

