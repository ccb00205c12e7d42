// The conformance suite's machinery: a case is one parametrisation of one of Triton's language tests
// (python/test/unit/language/test_core.py), ported as kt kernels with a NumPy-2 reference. Each case runs on a
// tier through a `Launch`: on the interpreter a plain launch, on the GPU tier test/gpu/harness.ts's
// gpuMatchesInterpreter (the GPU, or the SIMT simulator with KT_TEST_GPU=simulate, must agree with the
// interpreter element by element) before the case checks the reference. Cases listed in deviations.ts are
// skipped on the tiers they name, and only those.
import { afterAll, describe, expect, test } from 'vitest';
import { Tensor, type Grid, type Kernel } from 'kt';
import { compileErrorOf } from '../support/located-errors.ts';
import { timeLimit } from '../support/time-limit.ts';
import { deviationFor, type Tier } from './deviations.ts';

export type { Tier };

export interface LaunchOptions {
  /** GPU tier: the tolerance between the GPU and the interpreter for float tensors (default: the dtype's). */
  tol?: { atol: number; rtol: number };
  /** GPU tier: tensor arguments (by index among the tensors) not compared with the interpreter. */
  skip?: readonly number[];
}

/** Launches a kernel on a tier and returns its tensor arguments afterwards (on the host), in order. */
export type Launch = (k: Kernel, grid: Grid, args: readonly unknown[], options?: LaunchOptions) => Tensor[];

export interface Case {
  /** Triton's test function, e.g. 'test_bin_op'. */
  readonly test: string;
  /** The parametrisation, in the order of Triton's parameters, e.g. 'int8-uint8-+'. */
  readonly id: string;
  /** Part of the subset the SIMT simulator runs in CI (the real GPU runs every case). */
  readonly simulate: boolean;
  /** The case checks that the kernel is refused at compile time, as Triton refuses it (it computes nothing). */
  readonly refusal?: boolean;
  /**
   * The case's time limit in ms, where vitest's default (60 s) is too short: kernels whose compilation alone takes
   * half a minute (ptxas on a dot of 8192 FMAs per thread).
   */
  readonly timeoutMs?: number;
  /** Builds the inputs, launches through `launch`, and checks the results against the reference. */
  readonly run: (launch: Launch) => void;
}

export const caseName = (c: Pick<Case, 'test' | 'id'>): string => `${c.test}[${c.id}]`;

/** A stable hash of a case's name, to pick a deterministic, spread-out subset for the simulator. */
export function stableHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** About one case in `every` (by hash of the name), or all of them with every = 1. */
export const sampled = (name: string, every: number): boolean => every <= 1 || stableHash(name) % every === 0;

/** Expects `fn` to be refused at compile time, with a message matching `message`. */
export function expectCompileError(fn: () => unknown, message: RegExp): void {
  expect(compileErrorOf(fn).message).toMatch(message);
}

/** Tier launchers. */
export const interpreterLaunch: Launch = (k, grid, args) => {
  k(grid, ...args);
  return args.filter((a): a is Tensor => a instanceof Tensor);
};

export interface TierCounts {
  ported: number;
  run: number;
  byDesign: number;
  notYetSupported: number;
  notInSubset: number;
}

/**
 * Registers one vitest test per case for a tier. A case with a deviation on this tier is skipped with its
 * reason in the name; with KT_CONFORMANCE_DEVIATIONS=1 it runs instead and must fail (test.fails), so that a
 * deviation that no longer holds is noticed. `inSubset` limits the simulator to its subset.
 */
export function registerCases(group: string, tier: Tier, cases: readonly Case[], launch: Launch, inSubset: (c: Case) => boolean = () => true): TierCounts {
  const counts: TierCounts = { ported: cases.length, run: 0, byDesign: 0, notYetSupported: 0, notInSubset: 0 };
  const checkDeviations = process.env['KT_CONFORMANCE_DEVIATIONS'] === '1';
  // KT_CONFORMANCE_ONLY=<regex>: only the cases whose names match (to investigate one).
  const only = process.env['KT_CONFORMANCE_ONLY'] ? new RegExp(process.env['KT_CONFORMANCE_ONLY']) : undefined;
  describe(`conformance ${group} (${tier})`, () => {
    for (const c of cases) {
      const name = caseName(c);
      if (only && !only.test(name)) continue;
      if (!inSubset(c)) {
        counts.notInSubset++;
        continue;
      }
      const dev = deviationFor(c, tier);
      if (dev) {
        if (dev.kind === 'by design') counts.byDesign++;
        else counts.notYetSupported++;
        if (checkDeviations) test.fails(`${name} (deviation, must still fail: ${dev.kind})`, () => c.run(launch));
        else test.skip(`${name} — ${dev.kind}: ${dev.reason}`, () => {});
        continue;
      }
      counts.run++;
      test(name, () => c.run(launch), c.timeoutMs === undefined ? undefined : timeLimit(c.timeoutMs));
    }
    afterAll(() => {
      const skipped = counts.byDesign + counts.notYetSupported;
      const subset = counts.notInSubset ? `, ${counts.ported - counts.notInSubset} in this tier's subset` : '';
      console.log(`conformance ${group} (${tier}): ${counts.ported} ported${subset}, ${counts.run} run, ${skipped} skipped as deviations (${counts.byDesign} by design, ${counts.notYetSupported} not yet supported)`);
    });
  });
  return counts;
}
