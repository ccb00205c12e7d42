// A user's project outside kt, with kt installed as a link to this checkout, for running the kt command and
// users' scripts the way users run them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ktRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Makes the project in a new temporary directory, with these files (name to content); returns its path. Its
 * package.json is an ES module project's unless `packageJson` gives another (or null: none).
 */
export function userProject(prefix: string, files: Readonly<Record<string, string>>, packageJson: string | null = '{ "type": "module" }'): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(project, 'node_modules'));
  fs.symlinkSync(ktRoot, path.join(project, 'node_modules', 'kt'));
  if (packageJson !== null) fs.writeFileSync(path.join(project, 'package.json'), packageJson);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(project, name), content);
  return project;
}
