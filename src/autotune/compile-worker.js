// A compile worker thread: loads kt through tsx (kt is TypeScript) and runs compile jobs (or warm-ups, which
// parse a kernel file ahead of its jobs) in the order they arrive on its port. Each reply is followed by a bump of the shared signal, which wakes a tuner blocked in
// CompilePool.wait().
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

const { port, signal } = workerData;
const wake = () => {
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
};
let jobs;
let loadError;
try {
  register();
  jobs = await import('./compile-job.ts');
} catch (e) {
  loadError = e;
}

port.on('message', ({ id, job, warm }) => {
  const start = performance.now();
  let reply;
  if (loadError) reply = { id, ms: 0, fatal: `a compile worker could not load kt: ${loadError?.message ?? loadError}` };
  else {
    try {
      if (warm) jobs.warmUp(warm);
      else jobs.runCompileJob(job);
      reply = { id, ms: performance.now() - start };
    } catch (e) {
      reply = { id, ms: performance.now() - start, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } };
    }
  }
  port.postMessage(reply);
  wake();
});
