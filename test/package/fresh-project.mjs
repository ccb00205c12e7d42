// Writes package.json and package-lock.json for a fresh project that depends on a packed kt tarball (and on
// TypeScript, as a user's project would), with every other package at the version the checkout's
// package-lock.json pins. `npm ci --offline` then installs it from the npm cache that the checkout's `npm ci`
// filled, with no download: a lockfile of kt's dependencies as the checkout resolved them, rebased onto
// node_modules/kt. (Without a lockfile npm would ask the registry which versions to take.)
//
//   node test/package/fresh-project.mjs <checkout> <project dir> <kt tarball in the project dir>
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [checkout, project, tarball] = process.argv.slice(2);
if (!checkout || !project || !tarball) {
  console.error('usage: fresh-project.mjs <checkout> <project dir> <kt tarball in the project dir>');
  process.exit(2);
}
const pkg = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(checkout, 'package-lock.json'), 'utf8'));
if (lock.lockfileVersion !== 3) throw new Error(`expected lockfileVersion 3 in ${checkout}/package-lock.json, found ${lock.lockfileVersion}`);
const packages = lock.packages;

const spec = `file:${path.basename(tarball)}`;
const typescript = pkg.devDependencies.typescript;
const user = { name: 'kt-package-check', version: '1.0.0', private: true, type: 'module', dependencies: { kt: spec }, devDependencies: { typescript } };

// Node's lookup from a package at `from` (a lockfile path such as node_modules/a/node_modules/b): its own
// node_modules, then each enclosing one.
function resolve(name, from) {
  for (let dir = from; ; ) {
    const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[at]) return at;
    if (!dir) return undefined;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i < 0 ? '' : dir.slice(0, i);
  }
}

// Every lockfile entry reachable from kt's dependencies and TypeScript. kt sits at node_modules/kt with no
// nested node_modules, so its dependencies resolve from the root as the checkout's own do: the paths carry over.
const entries = {};
const visit = (name, from, optional) => {
  const at = resolve(name, from);
  if (!at) {
    if (optional) return;
    throw new Error(`${name} (needed by ${from || 'the project'}) is not in the checkout's package-lock.json`);
  }
  if (entries[at]) return;
  const { dev, devOptional, peer, ...entry } = packages[at];
  if (devOptional) entry.optional = true;
  entries[at] = entry;
  for (const dep of Object.keys(entry.dependencies ?? {})) visit(dep, at, false);
  for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(dep, at, true);
  for (const [dep, range] of Object.entries(entry.peerDependencies ?? {})) visit(dep, at, entry.peerDependenciesMeta?.[dep]?.optional === true || !range);
};
for (const dep of Object.keys(pkg.dependencies)) visit(dep, '', false);
visit('typescript', '', false);

const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(path.join(project, tarball))).digest('base64')}`;
const kt = { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines };
const freshLock = {
  name: user.name,
  version: user.version,
  lockfileVersion: 3,
  requires: true,
  packages: { '': { name: user.name, version: user.version, dependencies: user.dependencies, devDependencies: user.devDependencies }, 'node_modules/kt': kt, ...entries },
};
fs.writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(user, null, 2)}\n`);
fs.writeFileSync(path.join(project, 'package-lock.json'), `${JSON.stringify(freshLock, null, 2)}\n`);
console.log(`${Object.keys(entries).length + 1} packages pinned from the checkout's lockfile`);
