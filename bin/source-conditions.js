// A module resolution hook, registered only in a checkout of kt (see loaders.js): `kt` and `kt/...` resolve with
// the "kt-source" condition of package.json's exports, to kt's TypeScript sources, instead of the compiled dist/
// that `npm pack` builds and installed copies use.
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'kt' || specifier.startsWith('kt/')) {
    return nextResolve(specifier, { ...context, conditions: [...context.conditions, 'kt-source'] });
  }
  return nextResolve(specifier, context);
}
