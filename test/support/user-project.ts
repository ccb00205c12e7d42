// A user's project outside kt, with kt installed as a link to this checkout, for running the kt command and
// users' scripts the way users run them. (test/cli.test.ts, test/interp/sanitizer.test.ts and
// test/package/jsdoc.test.ts make the same by hand and could use this.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ktRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Makes the project in a new temporary directory, with these files (name to content); returns its path. */
export function userProject(prefix: string, files: Readonly<Record<string, string>>): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(ktRoot, path.join(project, 'node_modules', 'kt'));
  fs.writeFileSync(path.join(project, 'package.json'), '{ "type": "module" }');
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(project, name), content);
  return project;
}
