// The GPU architectures kt can compile for, as ptxas names them (`sm_90`, `sm_90a`). `kt compile --target` and
// `kernel.warmup(..., { target })` check a target here before compiling: ptxas would reject a typo (`sm_5`,
// `sm_900`) only after kt compiled the whole kernel, and PTX printed for a GPU that does not exist helps no one.

/** The compute capabilities NVIDIA has made, as in `sm_90`. */
export const architectures: readonly number[] = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90, 100, 101, 103, 110, 120, 121];

/** Architectures from this one on have an architecture-specific variant (`sm_90a`: wgmma, which other GPUs cannot run). */
const specificFrom = 90;

/** What is wrong with a target name, and what to give instead; undefined for a real architecture. */
export function gpuTargetProblem(target: string): { why: string; hint: string } | undefined {
  const m = /^sm_(\d+)(a?)$/.exec(target);
  const sm = m ? Number(m[1]) : NaN;
  if (m && architectures.includes(sm) && (!m[2] || sm >= specificFrom)) return undefined;
  const why = m && architectures.includes(sm) ? `sm_${sm} has no architecture-specific variant (sm_90a and later have)` : 'not an NVIDIA GPU architecture';
  return { why, hint: `give one such as sm_80 (A100), sm_89 (L40), sm_90 (H100), sm_120; the architectures are ${architectures.map((a) => `sm_${a}`).join(', ')}` };
}
