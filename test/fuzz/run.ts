// The differential fuzzer: `npm run fuzz -- [--seed S] [--count N] [--time SECONDS] [--size K] [--out DIR] [--no-shrink]`.
// Generates random valid kernels (test/fuzz/program.ts), runs each on the interpreter and on the SIMT simulator
// (and on the GPU when one is present), compares them (test/fuzz/exec.ts), shrinks each mismatch
// (test/fuzz/shrink.ts) and writes it as a regression test under test/fuzz/cases/ (test/fuzz/cases.ts).
// Program i uses seed S + i, so `--seed S+i --count 1` reruns it. Exits 1 when a mismatch was found.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';

// Compile into a fresh cache, as the tests do: generated kernels are thrown away.
if (!process.env['KT_CACHE_DIR']) {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-fuzz-cache-'));
  process.env['KT_CACHE_DIR'] = cache;
  process.on('exit', () => fs.rmSync(cache, { recursive: true, force: true }));
}

const argv = yargs(process.argv.slice(2))
  .option('seed', { type: 'number', default: 1, describe: 'first seed (program i uses seed + i)' })
  .option('count', { type: 'number', describe: 'how many programs (default: 100, or unbounded with --time)' })
  .option('time', { type: 'number', describe: 'stop after this many seconds' })
  .option('size', { type: 'number', default: 8, describe: 'statements per program, at most' })
  .option('out', { type: 'string', describe: 'where to write shrunk cases (default test/fuzz/cases)' })
  .option('all', { type: 'boolean', default: false, describe: 'also generate the features with known bugs (KNOWN_BUGS in program.ts)' })
  .option('shrink', { type: 'boolean', default: true, describe: 'shrink mismatches (--no-shrink to skip)' })
  .strict()
  .parseSync();

const { Random } = await import('kt');
const { generate, KNOWN_BUGS } = await import('./program.ts');
const { runProgram, defaultTiers } = await import('./exec.ts');
const { shrink } = await import('./shrink.ts');
const { writeCase, casesDir } = await import('./cases.ts');

const count = argv.count ?? (argv.time !== undefined ? Infinity : 100);
const deadline = argv.time !== undefined ? Date.now() + argv.time * 1000 : Infinity;
const tiers = defaultTiers();
console.log(`kt fuzz: interpreter vs ${tiers.join(' and ')}; seeds from ${argv.seed}${Number.isFinite(count) ? `, ${count} programs` : ''}${argv.time !== undefined ? `, for ${argv.time} s` : ''}`);
if (!argv.all && Object.keys(KNOWN_BUGS).length) console.log(`leaving out features with known bugs (--all to include): ${Object.keys(KNOWN_BUGS).join(', ')}`);

let ran = 0;
let invalid = 0;
const found: { seed: number; detail: string; file?: string }[] = [];
const signatures = new Set<string>();
const start = Date.now();
for (let i = 0; i < count && Date.now() < deadline; i++) {
  const seed = argv.seed + i;
  const p = generate(new Random(seed), { size: argv.size, avoid: argv.all ? [] : Object.keys(KNOWN_BUGS) });
  const r = await runProgram(p, tiers);
  ran++;
  if (r.status === 'invalid') {
    invalid++;
    console.log(`seed ${seed}: generator produced an invalid program: ${r.detail}`);
    continue;
  }
  if (r.status === 'ok') continue;
  console.log(`seed ${seed}: MISMATCH: ${r.detail}`);
  const entry: { seed: number; detail: string; file?: string } = { seed, detail: r.detail };
  found.push(entry);
  if (!argv.shrink) continue;
  if (signatures.has(r.signature!)) {
    console.log(`  (same kind of failure as one already shrunk: ${r.signature}; not shrunk again)`);
    continue;
  }
  signatures.add(r.signature!);
  const s = await shrink(p, r, (q) => runProgram(q, tiers));
  entry.file = writeCase(s.program, s.outcome, `seed ${seed}`, argv.out ?? casesDir);
  console.log(`  shrunk in ${s.tried} runs to ${s.program.stmts.length} statements, ${s.program.M} x ${s.program.N}, BR ${s.program.BR}, BC ${s.program.BC}, ${s.program.numWarps} warps: ${path.relative(process.cwd(), entry.file)}`);
  console.log(`  ${s.outcome.detail}`);
}
const secs = ((Date.now() - start) / 1000).toFixed(1);
console.log(`\n${ran} programs run in ${secs} s; ${found.length} mismatches; ${invalid} invalid programs (generator bugs)`);
for (const f of found) console.log(`  seed ${f.seed}${f.file ? ` -> ${path.relative(process.cwd(), f.file)}` : ''}`);
process.exitCode = found.length || invalid ? 1 : 0;
