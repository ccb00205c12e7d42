// kt's version, from its package.json (for `kt --version`, `kt doctor` and bug reports).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function ktVersion(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}
