// The kt command line: run, tune, list, compile, opt, doctor.
import chalk from 'chalk';
import yargs from 'yargs';
import { CompileError } from '../compiler/diagnostics.ts';
import { PtxasError } from '../compiler/gpu/ptxas.ts';
import { KernelRuntimeError } from '../interp/memory.ts';
import { CudaError, NoGpuError } from '../runtime/cuda.ts';
import { strategies } from '../autotune/strategies.ts';
import { UsageError } from './args.ts';

async function guard(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${chalk.red('error:')} ${e.message}${e.hint ? `\n  = hint: ${e.hint}` : ''}`);
    } else if (e instanceof CompileError || e instanceof KernelRuntimeError) {
      console.error(e.message);
    } else if (e instanceof CudaError || e instanceof NoGpuError || e instanceof PtxasError) {
      console.error(`${chalk.red('error:')} ${e.message}`);
    } else {
      console.error(`${chalk.red('error:')} ${(e as Error).stack ?? String(e)}`);
    }
    return 2;
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  // Handlers only choose the action: it runs once yargs has validated the whole command line.
  let action: (() => Promise<number>) | undefined;
  const parser = yargs([...argv])
    .scriptName('kt')
    .usage('$0 <command> [options]\n\nWrite GPU kernels in TypeScript; run them on an NVIDIA GPU or on the CPU interpreter.')
    .command(
      'run <target> [kernel]',
      'run a kernel spec: make inputs, launch, compare with the reference',
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'a library kernel (add, softmax, matmul, ...) or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which spec (or kernel) of the file, if it has several' })
          .option('interpret', { type: 'boolean', default: false, describe: 'run on the CPU interpreter (the default without a GPU)' })
          .option('check', { type: 'boolean', default: false, describe: 'run on the GPU and on the interpreter and compare them element by element' })
          .option('size', { type: 'string', array: true, default: [], describe: 'sizes, e.g. M=512,N=512 or M=N=K=2**10' })
          .option('dtype', { type: 'string', describe: 'element dtype (f32, f16, bf16, ...)' })
          .option('config', { alias: 'c', type: 'string', array: true, default: [], describe: 'constexpr overrides, e.g. -c BLOCK_M=64' })
          .option('seed', { type: 'number', default: 0, describe: 'seed of the random inputs' })
          .option('repeat', { type: 'number', default: 0, describe: 'after the checked run, time this many more and report the median' })
          .example('$0 run matmul --interpret --size M=N=K=256 --dtype f16', '')
          .example('$0 run my-kernels.ts relu -c BLOCK=256', ''),
      async (a) => {
        const { runCommand } = await import('./run.ts');
        action = () => runCommand({ target: a.target!, kernel: a.kernel, interpret: a.interpret, check: a.check, size: a.size, dtype: a.dtype, config: a.config, seed: a.seed, repeat: a.repeat });
      },
    )
    .command(
      'tune <target> [kernel]',
      "tune a kernel spec: sweep its tuning space, measure each config, remember the best (kt run then uses it)",
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'a library kernel (matmul, softmax, layernorm) or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which spec of the file, if it has several' })
          .option('size', { type: 'string', array: true, default: [], describe: 'sizes, e.g. M=4096,N=4096,K=4096 or M=N=K=2**12' })
          .option('dtype', { type: 'string', describe: 'element dtype (f32, f16, bf16, ...)' })
          .option('config', { alias: 'c', type: 'string', array: true, default: [], describe: 'hold parameters at these values, e.g. -c GROUP_M=8' })
          .option('space', { type: 'string', default: 'default', describe: "which of the spec's tuning spaces" })
          .option('strategy', { type: 'string', describe: `search strategy: ${Object.values(strategies).map((st) => `${st.name} (${st.description})`).join('; ')}; default exhaustive up to 64 configs, else guided` })
          .option('budget', { type: 'string', describe: 'how much to measure: a count of configs (40), a time (30s, 2m) or both (40,30s)' })
          .option('interpret', { type: 'boolean', default: false, describe: 'tune on the CPU interpreter (the default without a GPU)' })
          .option('force', { type: 'boolean', default: false, describe: 'measure every config again, ignoring cached results' })
          .option('show', { type: 'boolean', default: false, describe: 'print the cached tuning results for the spec and stop' })
          .option('out', { type: 'string', describe: 'directory for the JSON report and SVG chart (default: beside the tuning cache)' })
          .option('seed', { type: 'number', default: 0, describe: 'seed of the inputs and of randomised strategies' })
          .example('$0 tune matmul --size M=N=K=4096 --dtype f16', '')
          .example('$0 tune matmul --interpret --size M=N=K=128 --budget 12', '')
          .example('$0 tune matmul --show', ''),
      async (a) => {
        const { tuneCommand } = await import('./tune.ts');
        action = () =>
          tuneCommand({
            target: a.target!,
            kernel: a.kernel,
            size: a.size,
            dtype: a.dtype,
            config: a.config,
            space: a.space,
            strategy: a.strategy,
            budget: a.budget,
            interpret: a.interpret,
            force: a.force,
            show: a.show,
            out: a.out,
            seed: a.seed,
          });
      },
    )
    .command(
      'list',
      "list the library's kernels with their parameters",
      (y) => y,
      async () => {
        const { listCommand } = await import('./list.ts');
        action = listCommand;
      },
    )
    .command(
      'compile <source> [kernel]',
      'compile a kernel for one specialisation and print a stage: IR, GPU IR, PTX, or a cubin with its registers and spills',
      (y) =>
        y
          .positional('source', { type: 'string', describe: 'a library kernel or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which kernel of the file, if it has several' })
          .option('emit', { type: 'string', choices: ['ir', 'gpu-ir', 'ptx', 'cubin'], default: 'ir', describe: 'what to print (cubin: writes the file and prints ptxas -v)' })
          .option('target', { type: 'string', default: 'sm_90', describe: 'GPU architecture for gpu-ir, ptx and cubin' })
          .option('num-warps', { type: 'number', default: 4, describe: 'warps per program' })
          .option('num-stages', { type: 'number', default: 3, describe: 'stages of the software pipeline of loops whose loads feed tensor-core dots (1: none)' })
          .option('output', { alias: 'o', type: 'string', describe: 'where --emit cubin writes (default <kernel>.cubin)' })
          .option('signature', { alias: 's', type: 'string', describe: 'argument types in order: *f32 for pointers, i32 for scalars, literals for constexprs' })
          .option('config', { alias: 'c', type: 'string', array: true, default: [], describe: 'constexpr values, e.g. -c BLOCK=1024' })
          .option('size', { type: 'string', array: true, default: [], describe: "sizes for the spec's launch (when no signature is given)" })
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
            emit: a.emit,
            gpuTarget: a.target,
            numWarps: a['num-warps'],
            numStages: a['num-stages'],
            output: a.output,
            signature: a.signature,
            config: a.config,
            size: a.size,
            dtype: a.dtype,
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
        y
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
        action = () => optCommand({ input: a.input!, passes: a.passes, printAfterAll: a['print-after-all'], locations: a.locations, list: a.list });
      },
    )
    .command(
      'doctor',
      'print what kt found: Node, the CUDA driver and GPU, ptxas, the cache',
      (y) => y,
      async () => {
        const { doctorCommand } = await import('./doctor.ts');
        action = doctorCommand;
      },
    )
    .demandCommand(1, 'give a command: run, tune, list, compile, opt or doctor')
    .strict()
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(`${y.help()}\n\n${chalk.red('error:')} ${msg}`);
      code = 2;
    })
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100));
  await parser.parseAsync();
  if (code === 0 && action) code = await guard(action);
  return code;
}
