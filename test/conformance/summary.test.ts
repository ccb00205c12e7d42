// Checks on the conformance suite as a whole: names are unique, every deviation still names a case, the README
// states the counts the suite has, and no case passes whatever the kernel computes (a sample of cases is run with
// its outputs corrupted after the launch and must fail; KT_CONFORMANCE_MUTATE=all runs every case so).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Tensor, tensor } from 'kt';
import { allCases } from './all.ts';
import { deviations, deviationFor } from './deviations.ts';
import { caseName, interpreterLaunch, sampled, type Case, type Launch } from './suite.ts';

const cases = allCases();

/** The counts the README states, computed from the cases and the deviations. */
export function conformanceCounts(): { ported: number; tests: number; interpreter: number; simulated: number; simulatedPassing: number; gpu: number; byDesign: number; notYetSupported: number } {
  const byKind = (kind: string): number => cases.filter((c) => ['interpreter', 'gpu'].some((t) => deviationFor(c, t as 'interpreter' | 'gpu')?.kind === kind)).length;
  const sim = cases.filter((c) => c.simulate);
  return {
    ported: cases.length,
    tests: new Set(cases.map((c) => c.test)).size,
    interpreter: cases.filter((c) => !deviationFor(c, 'interpreter')).length,
    simulated: sim.length,
    simulatedPassing: sim.filter((c) => !deviationFor(c, 'gpu')).length,
    gpu: cases.filter((c) => !deviationFor(c, 'gpu')).length,
    byDesign: byKind('by design'),
    notYetSupported: byKind('not yet supported'),
  };
}

describe('the conformance suite', () => {
  test('case names are unique', () => {
    const names = cases.map(caseName);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  test('every deviation names at least one case on each of its tiers', () => {
    const stale = deviations.flatMap((d) =>
      (d.tiers ?? ['interpreter', 'gpu']).filter((tier) => !cases.some((c) => deviationFor(c, tier) === d)).map((tier) => `${d.test} (${tier}): ${d.reason.slice(0, 60)}`),
    );
    expect(stale).toEqual([]);
  });

  test('the README states the counts', () => {
    const c = conformanceCounts();
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    const line = `${c.ported} parametrisations of ${c.tests} tests ported; the interpreter passes ${c.interpreter}, the GPU tier on the simulator ${c.gpu} (all cases, KT_CONFORMANCE_SIMULATE=all), ${c.simulatedPassing} of the ${c.simulated} in CI's subset; ${c.byDesign} deliberately different, ${c.notYetSupported} not yet supported`;
    expect(readme, `README.md should contain: ${line}`).toContain(line);
  });
});

/** Every value changed: floats to NaN (NaN to 1), integers with their second-highest bit flipped, booleans negated. */
function corrupt(t: Tensor): void {
  const bits = t.dtype.bits;
  const values = Array.from(t.toArray() as ArrayLike<number | bigint>, (v) => {
    if (t.dtype.isBool) return Number(v) ? 0 : 1;
    if (t.dtype.isFloat) return Number.isNaN(Number(v)) ? 1 : NaN;
    return typeof v === 'bigint' ? v ^ (1n << BigInt(bits - 2)) : Number(v) ^ (1 << (bits - 2));
  });
  t.copyStorageFrom(tensor(values, { dtype: t.dtype, shape: t.shape }));
}

const corruptingLaunch: Launch = (k, grid, args, options) => {
  const out = interpreterLaunch(k, grid, args, options);
  for (const t of out) if (t instanceof Tensor && t.isContiguous && t.numel > 0) corrupt(t);
  return out;
};

describe('every case checks what the kernel computed', () => {
  const all = process.env['KT_CONFORMANCE_MUTATE'] === 'all';
  const sample = cases.filter((c: Case) => !c.refusal && !deviationFor(c, 'interpreter') && (all || sampled(caseName(c), 20)));
  test(`${sample.length} cases fail when their outputs are corrupted`, () => {
    const survivors = sample.filter((c) => {
      try {
        c.run(corruptingLaunch);
        return true;
      } catch {
        return false;
      }
    });
    expect(survivors.map(caseName)).toEqual([]);
  });
});
