// Where kt deliberately or for now differs from Triton's language tests: the one list. Each entry names a test of
// python/test/unit/language/test_core.py, which of its parametrisations (by the ids the suite gives them), the
// tiers it concerns, whether it is by design (with why) or not yet supported (a gap to close), and the cause as
// far as it is known. The suite skips exactly these cases on those tiers and reports the counts;
// KT_CONFORMANCE_DEVIATIONS=1 runs them instead and expects each to fail, so that a stale entry is noticed.

/** interpreter: kt's CPU interpreter; gpu: the GPU compiler, on the GPU or (in CI) the SIMT simulator. */
export type Tier = 'interpreter' | 'gpu';

export interface Deviation {
  readonly test: string;
  /** Which parametrisations of the test: exact ids, or a predicate on the id. */
  readonly cases: readonly string[] | ((id: string) => boolean);
  /** The tiers it concerns (default: all). */
  readonly tiers?: readonly Tier[];
  readonly kind: 'by design' | 'not yet supported';
  readonly reason: string;
}

/** Triton's inline PTX tests: the interpreter runs no PTX (the GPU tier runs them, on the simulator in CI). */
const inlineAsmDeviations: readonly Deviation[] = ['test_inline_asm', 'test_inline_asm_packed', 'test_inline_asm_with_pointers', 'test_inline_asm_multiple_outputs', 'test_inline_asm_packed_multiple_outputs'].map((test) => ({
  test,
  cases: ['1'],
  tiers: ['interpreter'],
  kind: 'by design',
  reason:
    'tl.inlineAsmElementwise runs PTX, which has no meaning on the CPU: the interpreter refuses the kernel at compile time with a located error ' +
    '(as Triton\'s interpreter cannot run inline_asm_elementwise either); the GPU tier runs these cases, on the SIMT simulator in CI.',
}));

export const deviations: readonly Deviation[] = [
  ...inlineAsmDeviations,
];

export function deviationFor(c: { test: string; id: string }, tier: Tier): Deviation | undefined {
  return deviations.find((d) => d.test === c.test && (d.tiers ?? ['interpreter', 'gpu']).includes(tier) && (typeof d.cases === 'function' ? d.cases(c.id) : d.cases.includes(c.id)));
}
