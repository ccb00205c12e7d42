// The sweep of `kt tune` (see tune.ts, its supervisor): loads the spec, checks the command line, tunes with a
// progress bar, and prints the table, the report's files and the best config.
import fs from 'node:fs';
import path from 'node:path';
import chalk from 'chalk';
import { recordPath, scanRecords, tuneDir, type RejectedResult, type TuneRecord } from '../autotune/records.ts';
import { formatConfig, resultTable, varyingParams, writeReports, type Work } from '../autotune/report.ts';
import { tuneSpec, whyRunWillNotUse, type Backend } from '../autotune/spec-tuning.ts';
import { strategies } from '../autotune/strategies.ts';
import { TuneInterrupted, type TuneProgress } from '../autotune/tuner.ts';
import type { Budget } from '../autotune/strategies.ts';
import type { KernelSpec, Sizes } from '../dsl/spec.ts';
import { gpu, gpuUnavailableReason } from '../runtime/gpu.ts';
import { UsageError, parseConfig } from './args.ts';
import { checkMemory } from './memory.ts';
import { loadTarget, pickSpec, specProblemArgs } from './target.ts';
import { checkConfig, checkWritableDirectory, knownConfig } from './validate.ts';
import { RESTART_EXIT, type SweepStatus, type TuneArgs } from './tune.ts';

/** Parses `--budget`: a count of configs (`40`), a time (`30s`, `2m`, `500ms`), or both (`40,30s`). */
export function parseBudget(text: string): Budget {
  let configs: number | undefined;
  let ms: number | undefined;
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)?$/.exec(part);
    if (!m) throw new UsageError(`bad budget '${part}'`, 'give a count of configs (40), a time (30s, 2m) or both (40,30s)');
    const n = Number(m[1]);
    if (!m[2]) {
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`a budget of configs must be a positive integer, got '${part}'`);
      configs = n;
    } else ms = n * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60000);
  }
  return { configs, ms };
}

const fmtSeconds = (ms: number): string => (ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`);
const fmtSizes = (sizes: Sizes): string =>
  Object.entries(sizes)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * The best config so far in at most `room` characters: whole `name=value` items, as many as fit, then an
 * ellipsis; never a config cut in the middle of a word.
 */
export function bestText(p: TuneProgress, room: number): string {
  if (!p.best) return room >= 6 ? 'best -' : '';
  const time = `best ${p.best.medianMs.toFixed(3)} ms`;
  if (time.length > room) return '';
  const items = formatConfig(p.best.config).split(' ');
  for (let n = items.length; n > 0; n--) {
    const shown = items.slice(0, n).join(' ') + (n < items.length ? ' …' : '');
    const text = `${time} (${shown})`;
    if (text.length <= room) return text;
  }
  return time;
}

/** A one-line progress bar on stderr, redrawn in place. */
function progressBar(): { update(p: TuneProgress): void; clear(): void } {
  let last = '';
  return {
    update(p) {
      const width = 24;
      const filled = Math.round((p.done / Math.max(1, p.total)) * width);
      const eta = p.etaMs !== undefined ? `, ~${fmtSeconds(p.etaMs)} left` : p.done < p.total ? ', estimating time left' : '';
      const head = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}  ${fmtSeconds(p.elapsedMs)}${eta}`;
      const cols = process.stderr.columns ?? 120;
      last = `${head}  ${bestText(p, cols - 1 - head.length - 2)}`.trimEnd().slice(0, cols - 1);
      process.stderr.write(`\r\x1b[2K${last}`);
    },
    clear() {
      if (last) process.stderr.write('\r\x1b[2K');
    },
  };
}

function work(spec: KernelSpec, sizes: Sizes, dtype: string): Work {
  return { flops: spec.flops?.(sizes), bytes: spec.bytes?.(sizes, dtype as never) };
}

/** `kt tune --show`: what the cache holds for a spec. */
function show(spec: KernelSpec): number {
  const { records, unusable } = scanRecords(spec.name);
  for (const { file, reason } of unusable) console.log(chalk.yellow(`tuning record ${file} is not used: ${reason}; kt tune measures its configs again`));
  if (!records.length) {
    console.log(unusable.length ? `no usable tuning results for ${spec.name} in ${tuneDir()}` : `no tuning results for ${spec.name} in ${tuneDir()}`);
    return 0;
  }
  for (const { file, record, rejected } of records) printRecord(file, record, rejected);
  return 0;
}

function printRecord(file: string, record: TuneRecord, rejected: readonly RejectedResult[]): void {
  const id = record.identity;
  const results = Object.values(record.results);
  const ok = results.filter((r) => r.status === 'ok').sort((a, b) => a.medianMs - b.medianMs);
  const names = varyingParams(results.map((r) => r.config));
  console.log(chalk.bold(`${id.kernel}  ${Object.entries(id.key).map(([k, v]) => `${k}=${v}`).join(' ')}  ${id.dtypes.join(',')}  on ${id.device}`));
  console.log(chalk.dim(`  ${file}  (${id.driver}, kt ${id.kt})`));
  console.log(`  ${ok.length} measured, ${results.length - ok.length} excluded${ok[0] ? `; best ${ok[0].medianMs.toFixed(4)} ms: ${formatConfig(ok[0].config)}` : ''}`);
  for (const r of ok.slice(0, 5)) console.log(`    ${r.medianMs.toFixed(4)} ms  ±${(r.spread * 100).toFixed(1)}%  ${formatConfig(r.config, names)}`);
  if (ok.length > 5) console.log(`    ... ${ok.length - 5} more`);
  for (const r of rejected) console.log(chalk.yellow(`  rejected ${r.key}: ${r.reason}`));
}

/** The sweep, writing how far it got into `statusFile` for the supervisor as each config settles. */
export async function sweepCommand(args: TuneArgs, statusFile: string): Promise<number> {
  const target = await loadTarget(args.target);
  const spec = pickSpec(target, args.kernel);
  if (!spec.tuning) throw new UsageError(`${spec.name} declares no tuning space`, 'add `tuning: { spaces: { default: { params: {...} } } }` to its spec');
  if (args.show) return show(spec);
  const { sizes, dtype } = await specProblemArgs(spec, args.size, args.dtype);
  const fixed = await parseConfig(args.config);
  checkConfig(fixed, knownConfig(spec, spec.kernels.map((k) => k.definition)), spec.name);
  // The report is written after the sweep: a place it cannot go is refused now, not after minutes of measuring.
  if (args.out === '') throw new UsageError('--out needs a directory');
  if (args.out !== undefined) checkWritableDirectory(args.out, '--out');
  if (!(args.space in spec.tuning.spaces)) throw new UsageError(`${spec.name} has no tuning space '${args.space}'`, `its spaces are ${Object.keys(spec.tuning.spaces).join(', ')}`);
  if (args.strategy !== undefined && !(args.strategy in strategies)) throw new UsageError(`unknown strategy '${args.strategy}'`, `the strategies are ${Object.keys(strategies).join(', ')}`);
  const budget = args.budget === undefined ? undefined : parseBudget(args.budget);
  const noGpu = args.interpret ? undefined : gpuUnavailableReason();
  if (noGpu) console.log(chalk.yellow(`kt: ${noGpu}; tuning on the CPU interpreter`));
  const backend: Backend = args.interpret || noGpu ? 'interpreter' : 'gpu';
  checkMemory(spec, sizes, dtype, { command: 'kt tune', backend });
  const where = backend === 'gpu' ? `GPU (${gpu().info.name})` : 'interpreter';
  console.log(chalk.bold(`tuning ${spec.name}  ${fmtSizes(sizes)}  ${dtype}  on the ${where}`));
  // The space's numWarps and numStages collapse to the launch defaults there (spec-tuning.ts): say so, or a space of
  // numWarps 8 only would print a best with numWarps=4 unexplained.
  if (backend === 'interpreter') console.log(chalk.dim('numWarps and numStages change nothing on the interpreter: held at 4 and 3'));

  const bar = process.stdout.isTTY && process.stderr.isTTY ? progressBar() : undefined;
  const onProgress = (p: TuneProgress): void => {
    bar?.update(p);
    fs.writeFileSync(statusFile, JSON.stringify({ done: p.done, total: p.total } satisfies SweepStatus));
  };
  let outcome;
  try {
    outcome = tuneSpec({ spec, sizes, dtype, backend, spaceName: args.space, fixed, seed: args.seed }, { strategy: args.strategy, budget, force: args.force, seed: args.seed, onProgress });
  } catch (e) {
    bar?.clear();
    if (!(e instanceof TuneInterrupted)) throw e;
    // The faulting config is recorded as excluded; the supervisor starts a fresh process (and GPU context).
    console.log(chalk.yellow(e.message));
    return RESTART_EXIT;
  }
  bar?.clear();

  const w = work(spec, sizes, dtype);
  console.log(resultTable(outcome, w));
  const t = outcome.timing;
  const cached = outcome.results.filter((r) => r.cached).length;
  const fresh = outcome.results.length - cached;
  const workers = outcome.workers === 'in-thread' ? 'in this thread' : `on ${outcome.workers} worker thread${outcome.workers === 1 ? '' : 's'}`;
  console.log('');
  console.log(
    `${outcome.strategy} search over ${outcome.spaceSize} configs: ${fresh} measured, ${cached} from the cache, in ${fmtSeconds(t.totalMs)} ` +
      `(compile ${fmtSeconds(t.compileMs)} ${workers}, waited for ${fmtSeconds(t.compileWaitMs)}; inputs and reference ${fmtSeconds(t.prepareMs)}; check ${fmtSeconds(t.checkMs)}; measure ${fmtSeconds(t.measureMs)})`,
  );
  if (outcome.workerFailure) console.log(chalk.yellow(`note: compiled in this thread: ${outcome.workerFailure}`));
  const identity = outcome.identity;
  const base = `${spec.name}-${fmtSizes(sizes).replace(/[=,]/g, (c) => (c === '=' ? '' : '-'))}-${dtype}-${backend}`;
  const dir = args.out ? path.resolve(args.out) : path.join(tuneDir(), 'reports');
  const title = `kt tune ${spec.name}  ${fmtSizes(sizes)}  ${dtype}  on ${identity.device}`;
  try {
    const files = writeReports(dir, base, outcome, w, title, { workers: outcome.workers, record: recordPath(identity) });
    console.log(`report: ${files.json}\nchart:  ${files.svg}`);
  } catch (e) {
    // Only the default place gets here (--out was checked before the sweep): the results are in the cache anyway.
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    console.log(chalk.yellow(`kt: could not write the report and chart in ${dir} (${why}); give --out a writable directory, or set KT_CACHE_DIR`));
  }
  if (!outcome.best) {
    console.log(chalk.red.bold('no config ran correctly'));
    return 1;
  }
  const { best } = outcome;
  const time = best.sustained ? `${best.sustained.medianMs.toFixed(4)} ms in the final round (${best.medianMs.toFixed(4)} ms in the first pass)` : `${best.medianMs.toFixed(4)} ms`;
  console.log(chalk.green.bold(`best: ${formatConfig(best.config)}  ${time}`));
  const notUsed = whyRunWillNotUse(outcome, { spec, sizes, dtype, backend });
  const run = `kt run ${args.target}${args.kernel ? ` ${args.kernel}` : ''} --size ${fmtSizes(sizes)} --dtype ${dtype}${args.interpret ? ' --interpret' : ''}`;
  if (notUsed) console.log(chalk.yellow(`${run} does not use it: ${notUsed}`));
  else console.log(chalk.dim(`${run} now uses it`));
  return outcome.recordError ? 1 : 0;
}
