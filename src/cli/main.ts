// The kt command line: run, tune, bench, list, compile, opt, build, doctor. Every error a user can cause ends in one line
// (`error: what went wrong`, with `= hint: what to do` under it where there is something to say) and exit code 2,
// never a stack trace: a stack only helps kt's developers, who get it with KT_STACK=1.
import chalk from 'chalk';
import yargs, { type Argv } from 'yargs';
import { CompileError } from '../compiler/diagnostics.ts';
import { PtxasError } from '../compiler/gpu/ptxas.ts';
import { KernelRuntimeError } from '../interp/memory.ts';
import { KernelInterrupted } from '../interp/sanitizer.ts';
import { CudaError, NoGpuError } from '../runtime/cuda.ts';
import { strategies } from '../autotune/strategies.ts';
import { BenchmarkError } from '../tools/benchmark.ts';
import { UsageError, didYouMean, listOption, parseIntegerOption, singleOption } from './args.ts';
import { epilogue } from './help.ts';
import { userFrame } from './target.ts';
import { ktVersion } from './version.ts';

const commands = ['run', 'tune', 'bench', 'list', 'compile', 'opt', 'build', 'doctor'];

/**
 * JavaScript's own out-of-memory errors (a typed array, an array or a string too large to allocate). kt
 * estimates a problem's memory before making it (memory.ts), so these mean the estimate missed.
 */
const outOfMemory = /^(Array buffer allocation failed|Invalid typed array length|Invalid array length|Invalid string length)/;

/** Prints an error as kt reports errors and returns the exit code: 2 (130 for Ctrl-C during a launch on the interpreter). */
function report(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  const error = chalk.red('error:');
  if (err instanceof UsageError) {
    console.error(`${error} ${err.message}${err.hint ? `\n  = hint: ${err.hint}` : ''}`);
  } else if (err instanceof KernelInterrupted) {
    // Ctrl-C during a launch on the interpreter: where it was, and 128 + SIGINT, as a shell gives a process it ends.
    console.error(err.message);
    return 130;
  } else if (err instanceof CompileError || err instanceof KernelRuntimeError) {
    // Located diagnostics: file:line:col, the line and a caret.
    console.error(err.message);
  } else if (err instanceof CudaError || err instanceof NoGpuError || err instanceof PtxasError || err instanceof BenchmarkError) {
    console.error(`${error} ${err.message}`);
  } else if (process.env['KT_STACK'] === '1') {
    console.error(`${error} ${err.stack ?? err.message}`);
  } else if (err instanceof RangeError && outOfMemory.test(err.message)) {
    console.error(`${error} out of memory: ${err.message.split('\n')[0]}\n  = hint: the problem's tensors did not fit in memory: choose smaller sizes with --size`);
  } else {
    // Not an error kt expected: its first line and where it was thrown (in the user's spec or kernel file if
    // it came from there), with the stack a variable away.
    const at = userFrame(err);
    const more = err.message.includes('\n') ? ' (its message goes on: KT_STACK=1 shows it whole)' : '';
    console.error(`${error} ${err.name}: ${err.message.split('\n')[0]}${at ? ` (at ${at})` : ''}${more}\n  = hint: KT_STACK=1 prints the stack`);
  }
  return 2;
}

async function guard(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    return report(e);
  }
}

/**
 * A yargs complaint about the command line as a UsageError: yargs' own report prints the whole help before
 * one line of complaint; this names the command or option that is wrong, suggests the one probably meant, and
 * points at the help.
 */
function usageError(message: string, argv: readonly string[], options: readonly string[]): UsageError {
  const command = commands.includes(argv[0] ?? '') ? argv[0] : undefined;
  const help = command ? `kt ${command} --help lists its options` : 'kt --help describes the commands';
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const name = unknown[1]!.split(', ')[0]!;
    const dashed = argv.find((a) => a.replace(/^-+/, '').split('=')[0] === name && a.startsWith('-'));
    if (dashed) {
      // yargs also knows each --kebab-case option as camelCase: suggest the spelling the help shows.
      const flags = options.filter((o) => !/[A-Z]/.test(o)).map((o) => (o.length === 1 ? `-${o}` : `--${o}`));
      const guess = didYouMean(dashed.split('=')[0]!, flags);
      return new UsageError(`unknown option ${dashed.split('=')[0]}${command ? ` for kt ${command}` : ''}`, `${guess ? `did you mean ${guess}? ` : ''}${help}`);
    }
    if (!command) {
      const guess = didYouMean(name, commands);
      return new UsageError(`unknown command '${name}'`, `${guess ? `did you mean ${guess}? ` : ''}the commands are ${commands.join(', ')}; ${help}`);
    }
    return new UsageError(`unexpected argument '${name}' for kt ${command}`, help);
  }
  if (/^Not enough non-option arguments/.test(message) && command) {
    if (command === 'bench') return new UsageError('kt bench needs a .ts file that exports benchmarks', help);
    const what = command === 'compile' ? 'a kernel' : 'a kernel spec';
    return new UsageError(`kt ${command} needs ${what}: a library kernel (add, matmul, ...) or a .ts file`, help);
  }
  return new UsageError(message.replace(/\s*\n\s*/g, ' '), help);
}

export async function main(argv: readonly string[]): Promise<number> {
  let failure: UsageError | undefined;
  // Handlers only choose the action: it runs once yargs has validated the whole command line.
  let action: (() => Promise<number>) | undefined;
  // The yargs of the command being parsed, for the options it knows (did you mean --seed?).
  // (getOptions is yargs' own, left out of its type declarations.)
  let commandYargs: { getOptions(): { key: Record<string, unknown> } } | undefined;
  const track = <T>(y: Argv<T>): Argv<T> => {
    commandYargs = y as unknown as typeof commandYargs;
    return y;
  };
  // Options have no yargs defaults: yargs would put a default in place of a missing value (`--seed` alone,
  // `--size` alone), which kt then could not tell from an option not given. The defaults are applied below.
  const parser = yargs([...argv])
    .scriptName('kt')
    .usage('$0 <command> [options]\n\nWrite GPU kernels in TypeScript; run them on an NVIDIA GPU or on the CPU interpreter.')
    .command(
      'run <target> [kernel]',
      'run a kernel spec: make inputs, launch, compare with the reference',
      (y) =>
        track(y)
          .positional('target', { type: 'string', describe: 'a library kernel (add, softmax, matmul, ...) or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which spec (or kernel) of the file, if it has several' })
          .option('interpret', { type: 'boolean', default: false, describe: 'run on the CPU interpreter (the default without a GPU)' })
          .option('check', { type: 'boolean', default: false, describe: 'run on the GPU and on the interpreter and compare them element by element' })
          .option('size', { type: 'string', array: true, describe: 'sizes, e.g. M=512,N=512 or M=N=K=2**10' })
          .option('dtype', { type: 'string', describe: 'element dtype (f32, f16, bf16, ...)' })
          .option('config', { alias: 'c', type: 'string', array: true, describe: 'constexpr overrides, e.g. -c BLOCK_M=64' })
          // Integer options are read as text and parsed by kt, so that `--seed abc` is refused, not taken as NaN.
          .option('seed', { type: 'string', describe: 'seed of the random inputs (default 0)' })
          .option('repeat', { type: 'string', describe: 'after the checked run, time this many more and report the median (default 0)' })
          .option('sanitize', { type: 'boolean', default: false, describe: 'run on the interpreter under the sanitizer: races, uninitialised reads, integer division by zero, index overflow, hangs' })
          .option('timeout', { type: 'string', describe: 'with --sanitize: stop a launch running longer than this as hung, e.g. 30s, 2m (default 60s; 0: no limit)' })
          .example('$0 run matmul --interpret --size M=N=K=256 --dtype f16', '')
          .example('$0 run my-kernels.ts relu -c BLOCK=256', ''),
      async (a) => {
        const { runCommand } = await import('./run.ts');
        action = () =>
          runCommand({
            target: a.target!,
            kernel: a.kernel,
            interpret: a.interpret,
            check: a.check,
            size: listOption('--size', a.size, 'M=512,N=512'),
            dtype: singleOption('--dtype', a.dtype),
            config: listOption('-c', a.config, 'BLOCK_M=64'),
            seed: parseIntegerOption('--seed', a.seed ?? '0', { min: 0, max: 2 ** 32 - 1 }),
            repeat: parseIntegerOption('--repeat', a.repeat ?? '0', { min: 0 }),
            sanitize: a.sanitize,
            timeout: singleOption('--timeout', a.timeout),
          });
      },
    )
    .command(
      'tune <target> [kernel]',
      "tune a kernel spec: sweep its tuning space, measure each config, remember the best (kt run then uses it)",
      (y) =>
        track(y)
          .positional('target', { type: 'string', describe: 'a library kernel (matmul, softmax, layernorm) or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which spec of the file, if it has several' })
          .option('size', { type: 'string', array: true, describe: 'sizes, e.g. M=4096,N=4096,K=4096 or M=N=K=2**12' })
          .option('dtype', { type: 'string', describe: 'element dtype (f32, f16, bf16, ...)' })
          .option('config', { alias: 'c', type: 'string', array: true, describe: 'hold parameters at these values, e.g. -c GROUP_M=8' })
          .option('space', { type: 'string', describe: "which of the spec's tuning spaces (default: default)" })
          .option('strategy', { type: 'string', describe: `search strategy: ${Object.values(strategies).map((st) => `${st.name} (${st.description})`).join('; ')}; default exhaustive up to 64 configs, else guided` })
          .option('budget', { type: 'string', describe: 'how much to measure: a count of configs (40), a time (30s, 2m) or both (40,30s)' })
          .option('interpret', { type: 'boolean', default: false, describe: 'tune on the CPU interpreter (the default without a GPU)' })
          .option('force', { type: 'boolean', default: false, describe: 'measure every config again, ignoring cached results' })
          .option('show', { type: 'boolean', default: false, describe: 'print the cached tuning results for the spec and stop' })
          .option('out', { type: 'string', describe: 'directory for the JSON report and SVG chart (default: beside the tuning cache)' })
          .option('seed', { type: 'string', describe: 'seed of the inputs and of randomised strategies (default 0)' })
          .example('$0 tune matmul --size M=N=K=4096 --dtype f16', '')
          .example('$0 tune matmul --interpret --size M=N=K=128 --budget 12', '')
          .example('$0 tune matmul --show', ''),
      async (a) => {
        const { tuneCommand } = await import('./tune.ts');
        action = () =>
          tuneCommand({
            target: a.target!,
            kernel: a.kernel,
            size: listOption('--size', a.size, 'M=N=K=4096'),
            dtype: singleOption('--dtype', a.dtype),
            config: listOption('-c', a.config, 'GROUP_M=8'),
            space: singleOption('--space', a.space ?? 'default'),
            strategy: singleOption('--strategy', a.strategy),
            budget: singleOption('--budget', a.budget),
            interpret: a.interpret,
            force: a.force,
            show: a.show,
            out: singleOption('--out', a.out),
            seed: parseIntegerOption('--seed', a.seed ?? '0', { min: 0, max: 2 ** 32 - 1 }),
          });
      },
    )
    .command(
      'bench <file> [benchmark..]',
      'run the benchmarks a file exports: time each provider over the sweep, print a table, write CSV and an SVG chart',
      (y) =>
        track(y)
          .positional('file', { type: 'string', describe: 'a .ts file that exports Benchmarks', demandOption: true })
          .positional('benchmark', { type: 'string', array: true, describe: 'which benchmarks to run, by name (default: all)' })
          .option('out', { type: 'string', describe: 'directory for <name>.csv and <name>.svg (default: the current directory)' })
          .example('$0 bench my-benchmarks.ts', '')
          .example('$0 bench my-benchmarks.ts vector-add --out results', ''),
      async (a) => {
        const { benchCommand } = await import('./bench.ts');
        action = () => benchCommand({ file: a.file!, names: [...(a.benchmark ?? [])], out: singleOption('--out', a.out ?? '.') });
      },
    )
    .command(
      'list',
      "list the library's kernels with their parameters",
      (y) => track(y),
      async () => {
        const { listCommand } = await import('./list.ts');
        action = listCommand;
      },
    )
    .command(
      'compile <source> [kernel]',
      'compile a kernel for one specialisation and print a stage: IR, GPU IR, PTX, or a cubin with its registers and spills',
      (y) =>
        track(y)
          .positional('source', { type: 'string', describe: 'a library kernel or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which kernel of the file, if it has several' })
          .option('emit', { type: 'string', choices: ['ir', 'gpu-ir', 'ptx', 'cubin'], describe: 'what to print (cubin: writes the file and prints ptxas -v; default ir)' })
          .option('target', { type: 'string', describe: 'GPU architecture for gpu-ir, ptx and cubin (default sm_90)' })
          .option('num-warps', { type: 'string', describe: "warps per program (default: the launch's, from -c numWarps=... or the spec's config; else 4)" })
          .option('num-stages', { type: 'string', describe: "stages of the software pipeline of loops whose loads feed tensor-core dots (1: none; default: the launch's, else 3)" })
          .option('output', { alias: 'o', type: 'string', describe: 'where --emit cubin writes (default <kernel>.cubin)' })
          .option('signature', { alias: 's', type: 'string', describe: 'argument types in order: *f32 for pointers, i32 for scalars, literals for constexprs' })
          .option('config', { alias: 'c', type: 'string', array: true, describe: 'constexpr values, e.g. -c BLOCK=1024' })
          .option('size', { type: 'string', array: true, describe: "sizes for the spec's launch (when no signature is given)" })
          .option('dtype', { type: 'string', describe: "dtype for the spec's launch (when no signature is given)" })
          .option('locations', { type: 'boolean', default: false, describe: 'print source locations' })
          .option('passes', { type: 'boolean', default: true, describe: 'run the pass pipeline (--no-passes prints the frontend IR)' })
          .option('print-after-all', { type: 'boolean', default: false, describe: 'print the IR after every pass' })
          .example('$0 compile add', 'IR for the spec\'s default launch')
          .example('$0 compile kernels/add.ts add -s "*f16,*f16,*f16,i32" -c BLOCK=256', ''),
      async (a) => {
        const { compileCommand } = await import('./compile.ts');
        action = () =>
          compileCommand({
            target: a.source!,
            kernel: a.kernel,
            emit: singleOption('--emit', a.emit ?? 'ir'),
            gpuTarget: singleOption('--target', a.target ?? 'sm_90'),
            numWarps: a['num-warps'] === undefined ? undefined : parseIntegerOption('--num-warps', a['num-warps'], { min: 1, max: 32 }),
            numStages: a['num-stages'] === undefined ? undefined : parseIntegerOption('--num-stages', a['num-stages'], { min: 1, max: 8 }),
            output: singleOption('--output', a.output),
            signature: singleOption('--signature', a.signature),
            config: listOption('-c', a.config, 'BLOCK=1024'),
            size: listOption('--size', a.size, 'N=4096'),
            dtype: singleOption('--dtype', a.dtype),
            locations: a.locations,
            passes: a.passes,
            printAfterAll: a['print-after-all'],
          });
      },
    )
    .command(
      'opt [input]',
      'run passes over IR text (a file, or - for stdin) and print the IR, as mlir-opt does',
      (y) =>
        track(y)
          .positional('input', { type: 'string', default: '-', describe: 'an IR file (.mlir), or - for stdin' })
          .option('passes', { alias: 'p', type: 'string', default: '', describe: 'the pipeline: pass names separated by commas, options in braces, e.g. "canonicalize,cse,convert-to-gpu{num-warps=8}"' })
          .option('print-after-all', { type: 'boolean', default: false, describe: 'print the IR after every pass, under a header naming it' })
          .option('locations', { type: 'boolean', default: false, describe: 'print source locations' })
          .option('list', { type: 'boolean', default: false, describe: 'list the passes with their options' })
          .example('$0 opt kernel.mlir --passes "canonicalize,cse,dce"', '')
          .example('$0 compile add | $0 opt - --passes "convert-to-gpu{num-warps=8},coalesce"', '')
          .example('$0 opt --list', ''),
      async (a) => {
        const { optCommand } = await import('./opt.ts');
        action = () => optCommand({ input: a.input!, passes: singleOption('--passes', a.passes), printAfterAll: a['print-after-all'], locations: a.locations, list: a.list });
      },
    )
    .command(
      'build <file>',
      "compile ahead of time every kernel launch the file's build() makes into a bundle, which kt/runtime's loadBundle launches without the compiler",
      (y) =>
        track(y)
          .positional('file', { type: 'string', describe: 'a .ts or .js file that exports build()', demandOption: true })
          .option('out', { alias: 'o', type: 'string', describe: 'the bundle to write (default <file>.ktb.json)' })
          .option('target', { type: 'string', describe: "GPU architecture (default: this machine's GPU's; sm_90a for H100/H200)" })
          .example('$0 build kernels/build.ts --target sm_90a -o dist/kernels.ktb.json', ''),
      async (a) => {
        const { buildCommand } = await import('./build.ts');
        action = () => buildCommand({ file: a.file!, out: singleOption('--out', a.out), target: singleOption('--target', a.target) });
      },
    )
    .command(
      'doctor',
      'print what kt found: Node, the CUDA driver and GPU, ptxas, the cache',
      (y) => track(y),
      async () => {
        const { doctorCommand } = await import('./doctor.ts');
        action = doctorCommand;
      },
    )
    .demandCommand(1, 'give a command: run, tune, bench, list, compile, opt, build or doctor')
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      // yargs may complain twice about one command line (`kt --frob`: no command, then the unknown option):
      // the unknown argument says more.
      if (failure && !/^Unknown argument/.test(msg)) return;
      failure = usageError(msg, argv, Object.keys(commandYargs?.getOptions().key ?? {}));
    })
    .help()
    .alias('h', 'help')
    .version('version', "print kt's version", ktVersion())
    .epilogue(epilogue())
    .wrap(Math.min(110, process.stdout.columns ?? 100));
  try {
    await parser.parseAsync();
  } catch (e) {
    // A command's module failing to load, or an error yargs passes on: reported as any other error.
    return report(e);
  }
  if (failure) return report(failure);
  return action ? guard(action) : 0;
}
