// Launch hooks: functions called before and after every kernel launch, with the kernel, the grid, where it runs
// and (after) how long it took, to build profilers, launch logs or NVTX ranges on. A launch checks one array's
// length when no hook is registered, so launches without hooks keep their cost; a GPU launch is timed with events
// (and then waits for the GPU) only while a hook asks for timing.
import { GpuEvent, type GpuStream } from '../runtime/gpu.ts';

/** A launch about to run. */
export interface LaunchInfo {
  /** The kernel's name. */
  readonly kernel: string;
  /** The grid's three sizes. */
  readonly grid: readonly [number, number, number];
  /** Where it runs: on the GPU, or on the CPU interpreter (also for sanitized launches and under KT_INTERPRET=1). */
  readonly backend: 'gpu' | 'interpreter';
}

/** A launch that has run (or failed). */
export interface LaunchEnd extends LaunchInfo {
  /**
   * Milliseconds it took: wall-clock time on the interpreter; GPU time between events on the GPU, when a
   * registered hook asks for timing (else undefined, since the launch has only been queued). Undefined when
   * the launch threw.
   */
  readonly elapsedMs: number | undefined;
}

export interface LaunchHook {
  /** Called before the launch. */
  before?(launch: LaunchInfo): void;
  /** Called after the launch, also when it threw (the error then goes on to the launch's caller). */
  after?(launch: LaunchEnd): void;
  /** Time GPU launches with events: each launch then waits for the GPU to finish it. */
  timing?: boolean;
}

let hooks: readonly LaunchHook[] = [];
let events: { start: GpuEvent; end: GpuEvent } | undefined;

/**
 * Registers a hook for every launch from now on; returns the function that removes it. Hooks are called in the
 * order they were added.
 */
export function addLaunchHook(hook: LaunchHook): () => void {
  // Copied on change: a hook that removes itself (or adds another) during a launch leaves that launch's list as it was.
  hooks = [...hooks, hook];
  return () => {
    hooks = hooks.filter((h) => h !== hook);
  };
}

/** Whether any hook is registered: launches check this, and take observeLaunch's way only if so. */
export function launchesObserved(): boolean {
  return hooks.length !== 0;
}

/** Runs `launch` between the registered hooks' before and after calls, timing it as they ask. */
export function observeLaunch(info: LaunchInfo, stream: GpuStream | undefined, launch: () => void): void {
  const current = hooks;
  for (const h of current) h.before?.(info);
  let elapsedMs: number | undefined;
  try {
    if (info.backend === 'interpreter') {
      const start = performance.now();
      launch();
      elapsedMs = performance.now() - start;
    } else if (current.some((h) => h.timing)) {
      events ??= { start: new GpuEvent(), end: new GpuEvent() };
      events.start.record(stream);
      launch();
      elapsedMs = events.end.record(stream).elapsedSince(events.start);
    } else launch();
  } finally {
    const end: LaunchEnd = { ...info, elapsedMs };
    for (const h of current) h.after?.(end);
  }
}
