// `kt doctor`: what kt found on this machine — Node, the CUDA driver and GPU, ptxas, the cache — so that a
// user can see at once why kernels run where they do.
import chalk from 'chalk';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../compiler/cache.ts';
import { findPtxas, ptxasVersion } from '../compiler/gpu/ptxas.ts';
import { gpu, gpuUnavailableReason } from '../runtime/gpu.ts';
import { environmentVariables } from './help.ts';
import { ktVersion } from './version.ts';

const ok = chalk.green('ok');
const no = chalk.yellow('no');

function cacheSummary(dir: string): string {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        files++;
        bytes += fs.statSync(p).size;
      }
    }
  };
  try {
    walk(dir);
  } catch {
    return 'empty (not created yet)';
  }
  let writable = true;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    writable = false;
  }
  return `${files} entries, ${(bytes / 2 ** 20).toFixed(1)} MiB${writable ? '' : chalk.red(' (not writable: set KT_CACHE_DIR)')}`;
}

export function doctorCommand(): Promise<number> {
  const lines: [string, string][] = [];
  lines.push(['kt', ktVersion()]);
  lines.push(['Node.js', process.version]);
  const noGpu = gpuUnavailableReason();
  if (noGpu) {
    lines.push(['GPU', `${no}: ${noGpu}; kernels run on the CPU interpreter`]);
  } else {
    const { info } = gpu();
    const v = info.driverVersion;
    lines.push(['CUDA driver', `${ok}: CUDA ${Math.floor(v / 1000)}.${(v % 1000) / 10}`]);
    lines.push([`GPU ${info.ordinal}`, `${info.name}, compute capability ${info.computeCapability.join('.')} (${info.target}), ${info.multiprocessors} SMs, ${(info.totalMemory / 2 ** 30).toFixed(1)} GiB, ${info.maxSharedPerBlock / 1024} KiB shared memory per program`]);
  }
  const ptxas = findPtxas();
  lines.push(['ptxas', ptxas ? `${ok}: ${ptxas} (${ptxasVersion(ptxas)})` : `${no}: not on the PATH; the driver compiles PTX when a kernel is first loaded`]);
  const dir = cacheDir();
  lines.push(['cache', `${dir}: ${cacheSummary(dir)}`]);
  for (const name of Object.keys(environmentVariables)) {
    if (process.env[name] !== undefined) lines.push([name, process.env[name]!]);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${chalk.bold(k.padEnd(width))}  ${v}`);
  return Promise.resolve(0);
}
