// How kt's launchers load code. Kernel files are TypeScript, loaded through tsx. kt itself runs from its compiled
// JavaScript (dist/) when installed, and from its TypeScript sources in a checkout: there (a tsconfig.json, which
// is never packed, sits beside package.json) `kt` resolves to src/ through the "kt-source" export condition.
import fs from 'node:fs';
import { register as registerHooks } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

const root = new URL('../', import.meta.url);

export const inCheckout = fs.existsSync(new URL('tsconfig.json', root)) && fs.existsSync(new URL('src/index.ts', root));

/** Loads .ts files from here on (tsx), and in a checkout resolves `kt` to its sources. */
export function registerLoaders() {
  registerTsx();
  registerHooks('./ts-modules.js', import.meta.url);
  if (inCheckout) registerHooks('./source-conditions.js', import.meta.url);
}

/** The URL of one of kt's modules, by its path under src/ without an extension: ktModule('cli/main'). */
export function ktModule(name) {
  return new URL(inCheckout ? `src/${name}.ts` : `dist/${name}.js`, root).href;
}
