// A pool of worker threads that compile tuning candidates while the tuner's thread measures others. Compiling
// (the frontend, the GPU passes, PTX and ptxas) needs no GPU, so the workers fill kt's disk caches and the
// tuner's thread later only loads what they made. Where workers cannot start, jobs run in this thread.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { runCompileJob, type CompileJob } from './compile-job.ts';

export interface CompileOutcome {
  /** Time the compilation itself took, in milliseconds. */
  readonly ms: number;
}

/** A compilation that failed: its error's name and message, as the worker reported them. */
export class CompileJobError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Pending {
  readonly id: number;
  readonly job: CompileJob;
  readonly resolve: (o: CompileOutcome) => void;
  readonly reject: (e: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  busy?: Pending;
}

type Reply = { id: number; ms: number; error?: { name: string; message: string } };

/** The number of compile workers by default: the cores but one (the tuner's thread measures), at most 8. */
export function defaultWorkerCount(): number {
  const fromEnv = process.env['KT_TUNE_WORKERS'];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.max(1, Math.min(8, os.availableParallelism() - 1));
}

export class CompilePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private broken?: string;
  private closing = false;

  /** `size` 0 compiles in the calling thread, when compile() is called. */
  constructor(readonly size: number = defaultWorkerCount()) {}

  /** Whether jobs run on worker threads (false once workers failed to start). */
  get threaded(): boolean {
    return this.size > 0 && this.broken === undefined;
  }

  compile(job: CompileJob): Promise<CompileOutcome> {
    if (!this.threaded) return Promise.resolve(this.compileHere(job));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  private compileHere(job: CompileJob): CompileOutcome {
    const start = performance.now();
    runCompileJob(job);
    return { ms: performance.now() - start };
  }

  private dispatch(): void {
    while (this.queue.length) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.postMessage({ id: p.id, job: p.job });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./compile-worker.js', import.meta.url), { env: process.env });
    const slot: Slot = { worker };
    worker.on('message', (r: Reply) => {
      const p = slot.busy;
      slot.busy = undefined;
      if (p && p.id === r.id) {
        if (r.error) p.reject(new CompileJobError(r.error.name, r.error.message));
        else p.resolve({ ms: r.ms });
      }
      this.dispatch();
    });
    worker.on('error', (e) => this.fail(slot, e));
    worker.on('exit', (code) => {
      if (code !== 0 && !this.closing) this.fail(slot, new Error(`a compile worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** A worker died: its job and any queued ones compile in this thread from now on. */
  private fail(slot: Slot, e: Error): void {
    this.broken ??= e.message;
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    const orphans = [...(slot.busy ? [slot.busy] : []), ...this.queue.splice(0)];
    slot.busy = undefined;
    for (const p of orphans) {
      try {
        p.resolve(this.compileHere(p.job));
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  /** Why workers could not be used, if they could not. */
  get failure(): string | undefined {
    return this.broken;
  }

  async close(): Promise<void> {
    this.closing = true;
    const workers = this.slots.splice(0).map((s) => s.worker);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
