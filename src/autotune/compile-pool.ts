// A pool of worker threads that compile tuning candidates while the tuner's thread measures others. Compiling
// (the frontend, the GPU passes, PTX and ptxas) needs no GPU, so the workers fill kt's disk caches and the
// tuner's thread later only loads what they made. The pool is synchronous to use (the first launch of an
// autotuned kernel tunes before it returns): start() hands a job to a worker at once, and wait() blocks on a
// shared signal, reading replies with receiveMessageOnPort. Where workers cannot run, jobs compile in this thread.
import os from 'node:os';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
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

type Reply = { id: number; ms: number; error?: { name: string; message: string }; fatal?: string };

interface Slot {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** Jobs sent to this worker and not yet answered, in order. */
  readonly outstanding: Set<number>;
}

/** How long wait() lets a compilation run before it gives up on the worker (a crashed worker never answers). */
const WORKER_TIMEOUT_MS = 10 * 60_000;

/**
 * The number of compile workers by default (KT_TUNE_WORKERS overrides it): half the logical cores (often one per
 * physical core), at most 8, so that the tuner's own thread, which makes inputs and measures, keeps a core.
 */
function defaultWorkerCount(): number {
  const fromEnv = process.env['KT_TUNE_WORKERS'];
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.max(1, Math.min(8, Math.floor(os.availableParallelism() / 2)));
}

export class CompilePool {
  private readonly slots: Slot[] = [];
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly jobs = new Map<number, CompileJob>();
  private readonly replies = new Map<number, Reply>();
  /** Warm-up messages in flight: their replies are dropped. */
  private readonly warming = new Set<number>();
  private nextId = 0;
  private broken?: string;

  /** `size` 0 compiles in the calling thread, when wait() is called. */
  constructor(readonly size: number = defaultWorkerCount()) {}

  /** Whether jobs run on worker threads (false once workers failed). */
  get threaded(): boolean {
    return this.size > 0 && this.broken === undefined;
  }

  /** Why workers could not be used, if they could not. */
  get failure(): string | undefined {
    return this.broken;
  }

  /**
   * Starts `workers` workers now (up to the pool's size) and has each parse the kernel files, so that the first
   * jobs find them ready; meanwhile the caller can prepare inputs.
   */
  warmUp(files: readonly string[], workers: number): void {
    if (!this.threaded) return;
    while (this.slots.length < Math.min(this.size, workers)) {
      const slot = this.spawn();
      if (!slot) return;
      for (const file of files) {
        const id = this.nextId++;
        this.warming.add(id);
        slot.outstanding.add(id);
        slot.port.postMessage({ id, warm: file });
      }
    }
  }

  /** Starts a job on the least busy worker (starting another worker while all are busy); returns its ticket. */
  start(job: CompileJob): number {
    const id = this.nextId++;
    this.jobs.set(id, job);
    if (!this.threaded) return id;
    let slot = this.slots.reduce<Slot | undefined>((a, s) => (!a || s.outstanding.size < a.outstanding.size ? s : a), undefined);
    if ((!slot || slot.outstanding.size > 0) && this.slots.length < this.size) slot = this.spawn() ?? slot;
    if (!slot) return id;
    slot.outstanding.add(id);
    slot.port.postMessage({ id, job });
    return id;
  }

  /** Waits for a job (compiling it here if no worker has it) and returns its outcome; throws its error. */
  wait(ticket: number): CompileOutcome {
    const job = this.jobs.get(ticket);
    if (!job) throw new RangeError(`compile pool: no job ${ticket}`);
    const deadline = performance.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      this.drain();
      const reply = this.replies.get(ticket);
      if (reply) {
        this.replies.delete(ticket);
        this.jobs.delete(ticket);
        if (reply.error) throw new CompileJobError(reply.error.name, reply.error.message);
        return { ms: reply.ms };
      }
      const owner = this.slots.find((s) => s.outstanding.has(ticket));
      if (!owner) {
        this.jobs.delete(ticket);
        return this.compileHere(job);
      }
      if (performance.now() > deadline) {
        this.abandon(`a compile worker did not answer within ${WORKER_TIMEOUT_MS / 1000} s`);
        continue;
      }
      Atomics.wait(this.signal, 0, seen, 1000);
    }
  }

  private compileHere(job: CompileJob): CompileOutcome {
    const start = performance.now();
    runCompileJob(job);
    return { ms: performance.now() - start };
  }

  /** Reads every reply that has arrived. */
  private drain(): void {
    for (const slot of this.slots) {
      for (let m = receiveMessageOnPort(slot.port); m; m = receiveMessageOnPort(slot.port)) {
        const reply = m.message as Reply;
        slot.outstanding.delete(reply.id);
        if (reply.fatal) this.abandon(reply.fatal);
        else if (!this.warming.delete(reply.id)) this.replies.set(reply.id, reply);
      }
    }
  }

  private spawn(): Slot | undefined {
    try {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./compile-worker.js', import.meta.url), { workerData: { port: port2, signal: this.signal }, transferList: [port2], env: process.env });
      worker.unref();
      // An error the worker could not report itself; jobs it held are compiled here by wait().
      worker.on('error', (e) => this.abandon(`a compile worker failed: ${e.message}`));
      const slot: Slot = { worker, port: port1, outstanding: new Set() };
      this.slots.push(slot);
      return slot;
    } catch (e) {
      this.abandon(`compile workers cannot start: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Gives up on the workers: whatever they held is compiled in this thread by wait(). */
  private abandon(reason: string): void {
    this.broken ??= reason;
    this.close();
  }

  close(): void {
    for (const s of this.slots.splice(0)) {
      s.port.close();
      void s.worker.terminate();
    }
  }
}
