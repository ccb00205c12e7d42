// What `kt --help` says after the commands: the environment variables kt reads and its exit codes. `kt doctor`
// shows the variables that are set. Lines stay under 90 characters: yargs wraps longer ones without indent.

/** The environment variables kt reads, with what each does. */
export const environmentVariables: Readonly<Record<string, string>> = {
  KT_INTERPRET: '1: run every launch on the CPU interpreter',
  KT_SANITIZE: '1: run every launch on the interpreter under the sanitizer',
  KT_SANITIZE_TIMEOUT: "the sanitizer's limit per launch, e.g. 30s (default 60s; 0: none)",
  KT_DEVICE: 'which GPU to use (default 0)',
  KT_CACHE_DIR: 'where compiled kernels and tuning results go (default ~/.cache/kt)',
  KT_PTXAS: "the ptxas to use; none: leave PTX to the driver's JIT",
  KT_ALWAYS_COMPILE: '1: compile every kernel afresh, not from the on-disk caches',
  KT_DUMP_DIR: 'write the stages of every compilation (IR, PTX, cubin, ...) here',
  KT_TUNE_WORKERS: 'threads compiling configs for kt tune (default: half the cores, up to 8)',
  KT_PRINT_AUTOTUNING: '1: autotune prints each key it tunes and the result table',
  KT_MAX_MEMORY: "most memory a problem may take, e.g. 64GB (default: 80% of RAM, 90% of GPU's)",
  KT_STACK: '1: print the stack of an unexpected error, not only its first line',
};

export function epilogue(): string {
  const width = Math.max(...Object.keys(environmentVariables).map((k) => k.length));
  const vars = Object.entries(environmentVariables).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return [
    'Environment variables:',
    ...vars,
    '',
    'Exit codes:',
    '  0  success',
    '  1  a wrong result (kt run), no config that ran correctly (kt tune)',
    '  2  a bad command line, or an error',
    '  130  Ctrl-C (kt run on the interpreter: where the launch was; kt tune: what is kept)',
  ].join('\n');
}
