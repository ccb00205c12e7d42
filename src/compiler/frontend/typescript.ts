// ts-morph, loaded lazily with require. Only compiling a kernel needs it: a launch served from the
// compilation cache never loads it, and loading it costs a quarter of a second. (`require` also avoids the
// ES-module path, where Node scans ts-morph's large CommonJS files for named exports.)
import { createRequire } from 'node:module';
import type * as Morph from 'ts-morph';

let morph: typeof Morph | undefined;
const load = (): typeof Morph => (morph ??= createRequire(import.meta.url)('ts-morph') as typeof Morph);

/** The TypeScript compiler API bundled with ts-morph (values; types come from `import type { ts }`). */
export const TS: typeof Morph.ts = new Proxy({} as typeof Morph.ts, { get: (_, key) => load().ts[key as keyof typeof Morph.ts] });

export function createProject(options: Morph.ProjectOptions): Morph.Project {
  return new (load().Project)(options);
}
