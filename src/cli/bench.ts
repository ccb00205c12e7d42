// `kt bench`: runs the Benchmarks a file exports (all, or those named), prints each one's table, and writes its
// CSV and SVG line chart into --out.
import path from 'node:path';
import { perfReport } from '../tools/benchmark.ts';
import { UsageError, didYouMean } from './args.ts';
import { loadTarget } from './target.ts';
import { checkWritableDirectory } from './validate.ts';

export interface BenchArgs {
  file: string;
  /** The benchmarks to run, by name (all when empty). */
  names: string[];
  /** Where the CSV and SVG files go. */
  out: string;
}

export async function benchCommand(args: BenchArgs): Promise<number> {
  if (!args.out) throw new UsageError('--out needs a directory', 'for example --out results');
  checkWritableDirectory(args.out, '--out');
  const t = await loadTarget(args.file);
  const shown = path.relative(process.cwd(), t.file) || t.file;
  if (!t.benchmarks.length) {
    throw new UsageError(`${shown} exports no benchmarks`, "export one: export const bench = new Benchmark({ name, x: { name, values }, providers: { ... } }) (see the README)");
  }
  const byName = new Map<string, (typeof t.benchmarks)[number]>();
  for (const b of t.benchmarks) {
    // Each writes <name>.csv and <name>.svg: two of one name would overwrite each other's files.
    if (byName.has(b.name) && byName.get(b.name) !== b) throw new UsageError(`${shown} exports two benchmarks named '${b.name}'`, 'give each its own name');
    byName.set(b.name, b);
  }
  const names = [...byName.keys()];
  const picked = args.names.length ? args.names.map((n) => byName.get(n) ?? unknownBenchmark(n, names, shown)) : [...byName.values()];
  perfReport([...new Set(picked)], { out: args.out });
  return 0;
}

function unknownBenchmark(name: string, names: readonly string[], file: string): never {
  const guess = didYouMean(name, names);
  throw new UsageError(`no benchmark named '${name}' in ${file}`, `${guess ? `did you mean ${guess}? ` : ''}it has ${names.join(', ')}`);
}
