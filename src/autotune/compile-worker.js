// A compile worker thread: loads kt through tsx (kt is TypeScript) and runs compile jobs one at a time.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { runCompileJob } = await import('./compile-job.ts');

parentPort.on('message', ({ id, job }) => {
  const start = performance.now();
  try {
    runCompileJob(job);
    parentPort.postMessage({ id, ms: performance.now() - start });
  } catch (e) {
    parentPort.postMessage({ id, ms: performance.now() - start, error: { name: e?.name ?? 'Error', message: e?.message ?? String(e) } });
  }
});
