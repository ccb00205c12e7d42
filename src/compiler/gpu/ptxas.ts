// ptxas, NVIDIA's PTX assembler, when it is on the PATH (or named by KT_PTXAS): kt uses it to turn PTX into a
// cubin ahead of time (loading a cubin is much faster than the driver's JIT) and to report registers and
// spills. Without it the driver compiles the PTX at load time.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PtxasReport {
  readonly registers: number;
  readonly spillStores: number;
  readonly spillLoads: number;
  readonly stackBytes: number;
  /** The whole `ptxas -v` output. */
  readonly log: string;
}

export interface Assembled extends PtxasReport {
  readonly cubin: Uint8Array;
}

/** PTX that ptxas refused: a kt compiler bug, reported with ptxas's own messages. */
export class PtxasError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(message);
    this.name = 'PtxasError';
  }
}

let found: string | null | undefined;

/** The ptxas to use, or undefined when there is none (or KT_PTXAS=none asks for the driver's JIT). */
export function findPtxas(): string | undefined {
  if (found !== undefined) return found ?? undefined;
  if (process.env['KT_PTXAS'] === 'none') {
    found = null;
    return undefined;
  }
  const candidates = [process.env['KT_PTXAS'], ...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'ptxas')), '/usr/local/cuda/bin/ptxas'];
  found = null;
  for (const c of candidates) {
    if (!c) continue;
    try {
      fs.accessSync(c, fs.constants.X_OK);
      found = c;
      break;
    } catch {
      // not here
    }
  }
  return found ?? undefined;
}

/** ptxas's version line, e.g. "Cuda compilation tools, release 13.0, V13.0.48". */
export function ptxasVersion(ptxas: string): string {
  const out = execFileSync(ptxas, ['--version'], { encoding: 'utf8' });
  return out.trim().split('\n').pop() ?? out.trim();
}

function parseReport(log: string): PtxasReport {
  const num = (re: RegExp): number => Number(re.exec(log)?.[1] ?? 0);
  return {
    registers: num(/Used (\d+) registers/),
    spillStores: num(/(\d+) bytes spill stores/),
    spillLoads: num(/(\d+) bytes spill loads/),
    stackBytes: num(/(\d+) bytes stack frame/),
    log,
  };
}

/** Assembles PTX for `target` (sm_90, ...) with `ptxas -v`; throws PtxasError with ptxas's messages if it fails. */
export function assemble(ptx: string, target: string, kernelName: string, ptxas = findPtxas()): Assembled {
  if (!ptxas) throw new Error('ptxas was not found on the PATH (set KT_PTXAS to its path)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-ptxas-'));
  try {
    const input = path.join(dir, `${kernelName}.ptx`);
    const output = path.join(dir, `${kernelName}.cubin`);
    fs.writeFileSync(input, ptx);
    const run = spawnSync(ptxas, ['--gpu-name', target, '-v', '-o', output, input], { encoding: 'utf8' });
    const log = `${run.stdout ?? ''}${run.stderr ?? ''}`.replaceAll(input, `${kernelName}.ptx`).trim();
    if (run.error) throw new Error(`could not run ${ptxas}: ${run.error.message}`);
    if (run.status !== 0) {
      throw new PtxasError(`ptxas rejected the PTX of kernel '${kernelName}' for ${target}:\n${log}\n  hint: this is a kt compiler bug; \`kt compile --emit ptx\` prints the PTX`, log);
    }
    return { ...parseReport(log), cubin: fs.readFileSync(output) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
