// `kt opt`: runs a pipeline of passes, written as text, over IR text (a file or stdin) and prints the IR, as
// mlir-opt does. It is how pass tests and bug reports start from IR rather than from a kernel's source. Every
// bad input ends in one line with exit code 2 (an IR parse error adds the line and a caret), never a stack trace.
import fs from 'node:fs';
import chalk from 'chalk';
import { CompileError } from '../compiler/diagnostics.ts';
import type { Operation } from '../compiler/ir/core.ts';
import { IrParseError, parseModule } from '../compiler/ir/parser.ts';
import { printOp } from '../compiler/ir/printer.ts';
import { IrVerifyError, verify } from '../compiler/ir/verifier.ts';
import { runPasses } from '../compiler/passes/pass-manager.ts';
import { PipelineError, allPasses, parsePipeline, type PassOption, type PipelineEntry } from '../compiler/passes/registry.ts';
import { UsageError } from './args.ts';

export interface OptArgs {
  /** An IR file, or `-` for stdin. */
  input: string;
  /** The pipeline text, e.g. `canonicalize,cse,convert-to-gpu{num-warps=8}`. */
  passes: string;
  printAfterAll: boolean;
  locations: boolean;
  list: boolean;
}

export interface OptimizeOptions {
  /** The input's name in error messages (default `<input>`). */
  file?: string;
  /** Print source locations in the output (`loc(...)`). */
  locations?: boolean;
  /** Called after each pass with its pipeline entry and the IR it left. */
  printAfter?: (entry: PipelineEntry, irText: string) => void;
}

/**
 * Parses IR text, verifies it, runs the pipeline (the pass manager verifies after each pass) and returns the
 * resulting IR text. Bad input throws a UsageError with a one-line message, or for IR that does not parse a
 * CompileError pointing at the line and column.
 */
export function optimizeIr(text: string, pipeline: string | readonly PipelineEntry[], options: OptimizeOptions = {}): string {
  const file = options.file ?? '<input>';
  const entries = typeof pipeline === 'string' ? readPipeline(pipeline) : pipeline;
  let module = parseInput(text, file);
  try {
    verify(module);
  } catch (e) {
    if (e instanceof IrVerifyError) throw new UsageError(`${file}: the input IR does not verify: ${verifyMessage(e)}`);
    throw e;
  }
  entries.forEach((entry, i) => {
    const which = `pass '${entry.text}' (${i + 1} of ${entries.length} in --passes)`;
    try {
      module = runPasses(module, [entry.pass]);
    } catch (e) {
      if (e instanceof IrVerifyError) throw new UsageError(`the IR after ${which} does not verify: ${verifyMessage(e)}`);
      throw new UsageError(`${which} failed: ${oneLine((e as Error).message ?? String(e))}`);
    }
    options.printAfter?.(entry, printOp(module, { locations: options.locations }));
  });
  return printOp(module, { locations: options.locations });
}

/** The pipeline, with its errors located in the --passes text. */
function readPipeline(text: string): PipelineEntry[] {
  try {
    return parsePipeline(text);
  } catch (e) {
    if (e instanceof PipelineError) throw new UsageError(`--passes ${e.message}`);
    throw e;
  }
}

/** Parses the IR; a parse error becomes a diagnostic at file:line:col with the line and a caret. */
function parseInput(text: string, file: string): Operation {
  try {
    return parseModule(text);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const where = e instanceof IrParseError ? parseErrorPosition(e) : undefined;
    if (!where) throw new UsageError(`${file}: the IR does not parse: ${oneLine(e.message)}`);
    const lineText = text.split('\n')[where.line - 1]?.replace(/\r$/, '') ?? '';
    throw new CompileError(where.reason, { file, line: where.line, col: where.col, length: 1, lineText });
  }
}

/**
 * Where an IrParseError points. It carries line and column only in its message (`IR text 3:7: reason\n...`);
 * fields of those names are preferred should it gain them.
 */
function parseErrorPosition(e: IrParseError): { line: number; col: number; reason: string } | undefined {
  const m = /^IR text (\d+):(\d+): ([^\n]*)/.exec(e.message);
  const fields = e as unknown as { line?: unknown; col?: unknown };
  const line = typeof fields.line === 'number' ? fields.line : m ? Number(m[1]) : undefined;
  const col = typeof fields.col === 'number' ? fields.col : m ? Number(m[2]) : undefined;
  if (line === undefined || col === undefined) return undefined;
  return { line, col, reason: m?.[3] ?? e.message.split('\n')[0]! };
}

/** A verifier error on one line: the reason, then the op's text (its location too when the IR has one). */
function verifyMessage(e: IrVerifyError): string {
  const [first = '', ...rest] = e.message.split('\n');
  const reason = first.replace(/^IR verification failed at <unknown>:0:0: /, '').replace(/^IR verification failed at /, 'at ');
  // The op is printed alone, so its operands have no names there (`%<undefined:12>`): give them their own
  // names where the IR had them (numbered values had none: `%?`).
  const op = rest
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/%<undefined:(\d+)>/g, (_, id: string) => `%${e.op.operands.find((v) => String(v.id) === id)?.nameHint ?? '?'}`);
  return op ? `${reason}, in: ${op}` : reason;
}

/** A multi-line message (a diagnostic, a pass's error) on one line. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\d*\s*\|/.test(l))
    .join('; ');
}

/** The passes, their descriptions and options, for --list. */
export function passListing(): string {
  const passes = allPasses();
  const width = Math.max(...passes.map((p) => p.name.length)) + 2;
  const lines = ['passes (kt opt --passes "name,name{option=value},..."):'];
  for (const p of passes) {
    lines.push(`  ${chalk.cyan(p.name.padEnd(width))}${p.description}`);
    for (const [key, option] of Object.entries(p.options) as [string, PassOption<unknown>][]) {
      const fallback = option.default === undefined ? '' : ` (default ${String(option.default)})`;
      lines.push(`  ${' '.repeat(width)}  {${key}=${option.syntax}}  ${option.description}${fallback}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Reads the input: a file, or stdin for `-`. */
function readInput(input: string): string {
  try {
    return fs.readFileSync(input === '-' ? 0 : input, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new UsageError(`cannot read ${input === '-' ? 'stdin' : `'${input}'`}: ${why}`);
  }
}

export async function optCommand(args: OptArgs): Promise<number> {
  if (args.list) {
    process.stdout.write(passListing());
    return 0;
  }
  // The pipeline is checked before the input is read, so that a typo does not wait on stdin.
  const entries = readPipeline(args.passes);
  const text = readInput(args.input);
  const printAfter = args.printAfterAll
    ? (entry: PipelineEntry, ir: string) => process.stdout.write(`// ----- IR after ${entry.text} -----\n${ir}`)
    : undefined;
  const result = optimizeIr(text, entries, { file: args.input === '-' ? '<stdin>' : args.input, locations: args.locations, printAfter });
  // With --print-after-all the last pass's dump is the result already; an empty pipeline still prints the IR.
  if (!printAfter || !entries.length) process.stdout.write(result);
  return 0;
}
