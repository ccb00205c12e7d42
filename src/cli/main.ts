// The kt command line: run, list, compile.
import chalk from 'chalk';
import yargs from 'yargs';
import { CompileError } from '../compiler/diagnostics.ts';
import { KernelRuntimeError } from '../interp/memory.ts';
import { UsageError } from './args.ts';

async function guard(f: () => Promise<number>): Promise<number> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${chalk.red('error:')} ${e.message}${e.hint ? `\n  = hint: ${e.hint}` : ''}`);
    } else if (e instanceof CompileError || e instanceof KernelRuntimeError) {
      console.error(e.message);
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
    .usage('$0 <command> [options]\n\nWrite GPU kernels in TypeScript; run them on the CPU interpreter.')
    .command(
      'run <target> [kernel]',
      'run a kernel spec: make inputs, launch, compare with the reference',
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'a library kernel (add, softmax, matmul, ...) or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which spec (or kernel) of the file, if it has several' })
          .option('interpret', { type: 'boolean', default: false, describe: 'run on the CPU interpreter' })
          .option('size', { type: 'string', array: true, default: [], describe: 'sizes, e.g. M=512,N=512 or M=N=K=2**10' })
          .option('dtype', { type: 'string', describe: 'element dtype (f32, f16, bf16, ...)' })
          .option('config', { alias: 'c', type: 'string', array: true, default: [], describe: 'constexpr overrides, e.g. -c BLOCK_M=64' })
          .option('seed', { type: 'number', default: 0, describe: 'seed of the random inputs' })
          .option('repeat', { type: 'number', default: 0, describe: 'after the checked run, time this many more and report the median' })
          .example('$0 run matmul --interpret --size M=N=K=256 --dtype f16', '')
          .example('$0 run my-kernels.ts relu -c BLOCK=256', ''),
      async (a) => {
        const { runCommand } = await import('./run.ts');
        action = () => runCommand({ target: a.target!, kernel: a.kernel, interpret: a.interpret, size: a.size, dtype: a.dtype, config: a.config, seed: a.seed, repeat: a.repeat });
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
      'compile <target> [kernel]',
      'compile a kernel for one specialisation and print its IR',
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'a library kernel or a .ts file', demandOption: true })
          .positional('kernel', { type: 'string', describe: 'which kernel of the file, if it has several' })
          .option('emit', { type: 'string', choices: ['ir'], default: 'ir', describe: 'what to print' })
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
            target: a.target!,
            kernel: a.kernel,
            emit: a.emit,
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
    .demandCommand(1, 'give a command: run, list or compile')
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
