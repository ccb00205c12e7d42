// A module loading hook (see loaders.js): a user's .ts file written with `import`/`export` is an ES module even in
// a package that npm made CommonJS (`npm init` writes "type": "commonjs"). Loaded as CommonJS it would require()
// kt's ES modules from inside kt's own loading, which Node refuses ("Cannot require() ES Module ... in a cycle").
// Files without import or export statements (CommonJS written in TypeScript) keep the package's format.
import fs from 'node:fs';

const esmSyntax = /^\s*(import|export)\s/m;

export async function resolve(specifier, context, nextResolve) {
  const r = await nextResolve(specifier, context);
  if (r.format !== 'commonjs' || !r.url.startsWith('file:') || !/\.tsx?$/.test(r.url) || r.url.includes('/node_modules/')) return r;
  let text;
  try {
    text = fs.readFileSync(new URL(r.url), 'utf8');
  } catch {
    return r;
  }
  return esmSyntax.test(text) ? { ...r, format: 'module' } : r;
}
