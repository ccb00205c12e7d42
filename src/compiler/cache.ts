// The on-disk compilation cache (KT_CACHE_DIR, default ~/.cache/kt). Entries are JSON files named by a hash
// of everything that determines them, including a fingerprint of kt's own sources, so that a changed
// compiler never reuses an old result. Writes are atomic (write a temporary file, then rename), and an entry
// that cannot be read or parsed is treated as missing and written anew.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ktRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function cacheDir(): string {
  const dir = process.env['KT_CACHE_DIR'];
  if (dir) return path.resolve(dir);
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'kt');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

let fingerprint: string | undefined;

/** A hash of kt's version and source files: any change to kt invalidates every cache entry. */
export function ktFingerprint(): string {
  if (fingerprint) return fingerprint;
  const h = createHash('sha256');
  h.update(fs.readFileSync(path.join(ktRoot, 'package.json')));
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) h.update(p.slice(ktRoot.length)).update(fs.readFileSync(p));
    }
  };
  walk(path.join(ktRoot, 'src'));
  fingerprint = h.digest('hex');
  return fingerprint;
}

const fileHashes = new Map<string, { mtimeMs: number; size: number; hash: string }>();

/** The sha256 of a file's contents (re-read only when its size or mtime changes); undefined if unreadable. */
export function fileHash(file: string): string | undefined {
  try {
    const st = fs.statSync(file);
    const known = fileHashes.get(file);
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known.hash;
    const hash = sha256(fs.readFileSync(file, 'utf8'));
    fileHashes.set(file, { mtimeMs: st.mtimeMs, size: st.size, hash });
    return hash;
  } catch {
    return undefined;
  }
}

/** The key of an entry: a hash of its parts and kt's fingerprint. */
export function cacheKey(...parts: readonly string[]): string {
  return sha256([ktFingerprint(), ...parts].join('\u0000'));
}

function entryPath(kind: string, key: string): string {
  return path.join(cacheDir(), kind, `${key}.json`);
}

/**
 * Reads a JSON file: its value when it parses and passes `valid`; undefined when it cannot be read, and also
 * when it is damaged, which `damaged` then says.
 */
export function readJsonFile<T>(file: string, valid: (v: unknown) => v is T): { value?: T; damaged: boolean } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { damaged: false };
  }
  try {
    const v: unknown = JSON.parse(text);
    if (valid(v)) return { value: v, damaged: false };
  } catch {
    // fall through: damaged
  }
  return { damaged: true };
}

/** Replaces a file atomically: writes a temporary file beside it, then renames it over (throws on failure). */
export function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw e;
  }
}

/** Reads an entry; undefined when missing or damaged (a damaged entry is removed). */
export function readEntry<T>(kind: string, key: string, valid: (v: unknown) => v is T): T | undefined {
  const file = entryPath(kind, key);
  const { value, damaged } = readJsonFile(file, valid);
  if (damaged) {
    try {
      fs.unlinkSync(file);
    } catch {
      // another process may have replaced or removed it already
    }
  }
  return value;
}

let warned = false;

/** Writes an entry atomically; the cache is best-effort, so a failure is reported once and otherwise ignored. */
export function writeEntry(kind: string, key: string, value: unknown): void {
  try {
    writeFileAtomically(entryPath(kind, key), JSON.stringify(value));
  } catch (e) {
    if (!warned) {
      warned = true;
      console.warn(`kt: cannot write the compilation cache in ${cacheDir()} (${(e as Error).message}); set KT_CACHE_DIR to a writable directory`);
    }
  }
}
