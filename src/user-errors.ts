// How the errors kt raises for users read when they go uncaught in a user's program. Free of kt's other modules,
// so that every part of kt (the bundle runtime included) can use it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * kt's own code, src/ and dist/: its frames are left out of the stacks users see. Both, whichever this module runs
 * from: an installed kt runs dist/, but under a loader that applies source maps (tsx, kt/register) its frames
 * point at src/.
 */
const ktRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/**
 * How kt's frames start: the directories as paths and as file URLs (ES modules' frames are URLs, percent-encoded).
 * None where this module was bundled into an application (kt's package.json is not beside it): the directories
 * would then be the application's own.
 */
const ktCode = isKtPackage(ktRoot) ? ['src', 'dist'].flatMap((d) => [path.join(ktRoot, d) + path.sep, pathToFileURL(path.join(ktRoot, d)).href + '/']) : [];

function isKtPackage(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'kt';
  } catch {
    return false;
  }
}

/**
 * Makes an error kt raises for the user read as a report, not a crash, when it goes uncaught: its `stack` is its
 * message and the user's frames only (kt's and Node's internals help only kt's developers, who get them with
 * KT_STACK=1), and its own fields (`fields`, kept for code that catches it) are left out of what Node prints.
 */
export function presentToUser(err: Error, fields: readonly string[]): void {
  for (const f of fields) Object.defineProperty(err, f, { enumerable: false });
  if (process.env['KT_STACK'] === '1') return;
  // kt's frames above the user's can be more than the 10 a stack keeps: capture this one deeper.
  const saved = Error.stackTraceLimit;
  const deep: { stack?: string } = {};
  Error.stackTraceLimit = 200;
  Error.captureStackTrace(deep, presentToUser);
  Error.stackTraceLimit = saved;
  // The user's frames: not kt's, not Node's, not built-ins without a file (`at Array.forEach (<anonymous>)`).
  const frames = (deep.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l) && !ktCode.some((dir) => l.includes(dir)) && !/\(?node:/.test(l.trim().slice(3)) && !l.endsWith('(<anonymous>)'));
  // A getter: the message may still grow (notes added while the error travels up).
  Object.defineProperty(err, 'stack', { get: () => [`${err.name}: ${err.message}`, ...frames].join('\n'), set: undefined, configurable: true, enumerable: false });
}
