// The GPU architectures kt can compile for, as ptxas names them (`sm_90`, `sm_90a`), read by the compiler (which
// instructions a target has) and the runtime (whether a cubin runs on the GPU at hand), so a module of neither.
// `kt compile --target` and `kernel.warmup(..., { target })` check a target here before compiling: ptxas would
// reject a typo (`sm_5`, `sm_900`) only after kt compiled the whole kernel, and PTX printed for a GPU that does not
// exist helps no one.

/** The compute capabilities NVIDIA has made, as in `sm_90`. */
export const architectures: readonly number[] = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90, 100, 101, 103, 110, 120, 121];

/** Architectures from this one on have an architecture-specific variant (`sm_90a`: wgmma, which other GPUs cannot run). */
const specificFrom = 90;

/** A target name's architecture number and whether it is the architecture-specific variant (sm_90a); undefined if it is no such name. */
export function parseTarget(target: string): { sm: number; specific: boolean } | undefined {
  const m = /^sm_(\d+)(a?)$/.exec(target);
  return m ? { sm: Number(m[1]), specific: m[2] === 'a' } : undefined;
}

/** A target's architecture number (90 for sm_90 and sm_90a); the compiler's passes read it to choose instructions. */
export function smOf(target: string): number {
  const t = parseTarget(target);
  if (!t) throw new Error(`'${target}' names no GPU architecture (one such as sm_90 or sm_90a)`);
  return t.sm;
}

/**
 * Whether code assembled for `target` runs as it is on a GPU of compute capability [major, minor]: code for the
 * same major architecture and a minor one no newer (sm_80 code runs on an sm_86), or exactly that one for an
 * architecture-specific target (sm_90a). Elsewhere the driver must compile the PTX. True for a name it cannot read.
 */
export function nativeOn(target: string, [major, minor]: readonly [number, number]): boolean {
  const t = parseTarget(target);
  if (!t) return true;
  const [tMajor, tMinor] = [Math.floor(t.sm / 10), t.sm % 10];
  return tMajor === major && (t.specific ? tMinor === minor : tMinor <= minor);
}

/** What is wrong with a target name, and what to give instead; undefined for a real architecture. */
export function gpuTargetProblem(target: string): { why: string; hint: string } | undefined {
  const t = parseTarget(target);
  const sm = t?.sm ?? NaN;
  if (t && architectures.includes(sm) && (!t.specific || sm >= specificFrom)) return undefined;
  const why = t && architectures.includes(sm) ? `sm_${sm} has no architecture-specific variant (sm_90a and later have)` : 'not an NVIDIA GPU architecture';
  return { why, hint: `give one such as sm_80 (A100), sm_89 (L40), sm_90 (H100), sm_120; the architectures are ${architectures.map((a) => `sm_${a}`).join(', ')}` };
}
