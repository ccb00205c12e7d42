// The environment variables that change how kt compiles, read at each compilation (compiling costs far more
// than reading them), so that a process may set them before any kernel it wants them for:
//   KT_ALWAYS_COMPILE=1  compile every specialisation afresh: the on-disk caches of kernel signatures, IR and GPU
//                        binaries are not read (they are still written), as Triton's TRITON_ALWAYS_COMPILE.
//   KT_DUMP_DIR=dir      write every stage of every compilation into dir (stage-dump.ts); implies compiling
//                        afresh, so that every specialisation the process uses is written there.

/** The directory KT_DUMP_DIR names, or undefined when it is unset. */
export function dumpDirectory(): string | undefined {
  return process.env['KT_DUMP_DIR'] || undefined;
}

/** Whether the disk caches of compiled kernels are to be passed over (KT_ALWAYS_COMPILE=1, or KT_DUMP_DIR set). */
export function alwaysCompile(): boolean {
  return process.env['KT_ALWAYS_COMPILE'] === '1' || dumpDirectory() !== undefined;
}
