// Which backends this machine can run. The CUDA driver is looked up lazily, so that importing kt on a
// machine without one works and only a GPU launch would fail.
import { createRequire } from 'node:module';

export interface DriverProbe {
  readonly found: boolean;
  /** Why not, when not found. */
  readonly reason?: string;
}

let probe: DriverProbe | undefined;

/** Looks for libcuda.so.1 (once per process). */
export function probeCudaDriver(): DriverProbe {
  if (probe) return probe;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as { load(path: string): unknown };
    koffi.load('libcuda.so.1');
    probe = { found: true };
  } catch (e) {
    probe = { found: false, reason: `no CUDA driver found (libcuda.so.1: ${(e as Error).message.replace(/^Failed to load shared library: /, '')})` };
  }
  return probe;
}

/**
 * Why a launch that asked for the GPU runs on the interpreter instead, or undefined if it should not.
 * This build has no GPU backend yet, so every launch runs on the interpreter; the message says why.
 */
export function interpreterFallbackReason(): string {
  if (process.env['KT_INTERPRET'] === '1') return 'KT_INTERPRET=1';
  const driver = probeCudaDriver();
  if (!driver.found) return driver.reason!;
  return 'this build of kt has no GPU backend yet';
}
