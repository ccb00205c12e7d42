// The on-disk compilation cache (KT_CACHE_DIR, default ~/.cache/kt). Entries are JSON files named by a hash
// of everything that determines them, including a fingerprint of kt's own sources, so that a changed
// compiler never reuses an old result. Each entry carries the kind and key it was made for and a checksum of
// them and its content: an entry that was edited, truncated or copied under another name is reported (once,
// on stderr), compiled afresh and written anew, never trusted. Writes are atomic (write a temporary file,
// then rename), so an interrupted run leaves either the old entry or the new one.
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

/** What each kind of entry holds, for messages. */
const kindNames: Readonly<Record<string, string>> = { ir: 'compiled-IR', signatures: 'kernel-signature', gpu: 'GPU-binary (PTX and cubin)' };

/**
 * An entry on disk: its value with the kind and key it was made for and a checksum of all three, so that an
 * entry that was edited, truncated, or copied under another key's name is never trusted.
 */
interface Envelope {
  kt: 'cache';
  kind: string;
  key: string;
  sum: string;
  value: unknown;
}

/** The checksum of an entry: of its kind, its key and its value as JSON (which JSON.parse and stringify keep). */
function entrySum(kind: string, key: string, value: unknown): string {
  return sha256(`kt-cache\u0000${kind}\u0000${key}\u0000${JSON.stringify(value)}`);
}

/** Why an entry's file cannot be trusted for this kind and key, or its value. */
function openEnvelope(text: string, kind: string, key: string): { value: unknown } | { damage: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { damage: text.length ? 'it is not valid JSON: truncated or damaged' : 'it is empty' };
  }
  const e = v as Partial<Envelope>;
  if (typeof v !== 'object' || v === null || e.kt !== 'cache' || typeof e.sum !== 'string' || !('value' in e)) return { damage: 'it is not a kt cache entry' };
  if (e.kind !== kind || e.key !== key) return { damage: 'it was made for another key' };
  if (e.sum !== entrySum(kind, key, e.value)) return { damage: 'its checksum does not match its content' };
  return { value: e.value };
}

/** Damaged entries already reported by this process, by file and content: each is reported once. */
const reported = new Set<string>();

/**
 * Reports a damaged entry (one line on stderr, once per file and content in this process); the caller then
 * compiles afresh and writes the entry anew.
 */
export function reportDamagedEntry(kind: string, key: string, reason: string, text?: string): void {
  const file = entryPath(kind, key);
  if (text === undefined) {
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = '';
    }
  }
  const id = `${file}\u0000${sha256(text)}`;
  if (reported.has(id)) return;
  reported.add(id);
  console.warn(`kt: ignoring the damaged ${kindNames[kind] ?? kind} cache entry ${file} (${reason}); compiling it again`);
}

/**
 * Reads an entry: undefined when it is missing, and also when it is damaged (edited, truncated, made for
 * another key, or not what `valid` expects), which is reported. A damaged entry is left for writeEntry to
 * replace, so that a concurrent reader never removes an entry another process has just repaired.
 */
export function readEntry<T>(kind: string, key: string, valid: (v: unknown) => v is T): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(entryPath(kind, key), 'utf8');
  } catch {
    return undefined;
  }
  const opened = openEnvelope(text, kind, key);
  if ('damage' in opened) {
    reportDamagedEntry(kind, key, opened.damage, text);
    return undefined;
  }
  if (!valid(opened.value)) {
    reportDamagedEntry(kind, key, 'its content is not what kt writes', text);
    return undefined;
  }
  return opened.value;
}

let warned = false;

/**
 * Writes an entry atomically, with its kind, key and checksum; the cache is best-effort, so a failure is
 * reported once and otherwise ignored.
 */
export function writeEntry(kind: string, key: string, value: unknown): void {
  try {
    // The value as it will read back (undefined properties dropped), so that its checksum matches.
    const stored: unknown = JSON.parse(JSON.stringify(value));
    writeFileAtomically(entryPath(kind, key), JSON.stringify({ kt: 'cache', kind, key, sum: entrySum(kind, key, stored), value: stored } satisfies Envelope));
  } catch (e) {
    if (!warned) {
      warned = true;
      console.warn(`kt: cannot write the compilation cache in ${cacheDir()} (${(e as Error).message}); set KT_CACHE_DIR to a writable directory`);
    }
  }
}
