// Where kernel() was called from: the file and line of the first stack frame outside kt, which is where the
// kernel's source is read from. It must be exact for any path (spaces, parentheses, non-ASCII, file:// URLs,
// node_modules) or absent: a guess could name another file that exists, and kt would compile the wrong kernel.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CallSite {
  readonly file: string;
  readonly line: number;
}

/** A file name as V8 reports it (a path, or a file:// URL for ES modules) as a path; undefined for other URLs. */
function toPath(name: string): string | undefined {
  if (name.startsWith('file://')) return fileURLToPath(name);
  if (path.isAbsolute(name)) return name;
  return undefined;
}

/**
 * The frames below `below`, twice: V8's structured call sites, whose file names are exact, and the formatted
 * stack, whose line numbers source maps (tsx, a user's tsc build) have translated to the .ts source.
 */
function captureFrames(below: (...args: never[]) => unknown): { names: (string | undefined)[]; lines: string[] } {
  const saved = Error.prepareStackTrace;
  let names: (string | undefined)[] = [];
  const structured: { stack?: unknown } = {};
  try {
    Error.prepareStackTrace = (_error, sites) => {
      names = sites.map((s) => s.getFileName() ?? undefined);
      return '';
    };
    Error.captureStackTrace(structured, below);
    void structured.stack; // stacks are formatted when first read
  } finally {
    Error.prepareStackTrace = saved;
  }
  const formatted: { stack?: string } = {};
  Error.captureStackTrace(formatted, below);
  // The first line is the header ("Error"); one line per frame follows.
  return { names, lines: (formatted.stack ?? '').split('\n').slice(1) };
}

/**
 * The file and line a formatted frame names. When the structured file name appears in it, that settles the
 * file; otherwise (a source map gave the frame another file) each place the location could start (after "at "
 * or after a "(") is tried, and the frame counts only if exactly one of them is a file that exists.
 */
function locate(frame: string, name: string | undefined): CallSite | undefined {
  const text = frame.trim().replace(/^at\s+/, '');
  const m = /:(\d+):(\d+)\)?$/.exec(text);
  if (!m) return undefined;
  const line = Number(m[1]);
  const locationText = text.slice(0, m.index);
  if (name && locationText.endsWith(name)) {
    const file = toPath(name);
    return file ? { file, line } : undefined;
  }
  const starts = [0, ...[...locationText].flatMap((ch, i) => (ch === '(' ? [i + 1] : []))];
  const candidates = new Set(starts.map((i) => locationText.slice(i)).map(toPath).filter((f): f is string => f !== undefined && fs.existsSync(f)));
  if (candidates.size !== 1) return undefined;
  const [file] = candidates;
  return { file: file!, line };
}

/**
 * The first frame below `below` (kernel(), which passes itself) that is neither kt's own code (under
 * `ktSourceDir`) nor Node's: the user's call. Frames under node_modules count, so an installed package's
 * kernels are found as any others. Undefined when that frame has no file (eval, a REPL) or cannot be read exactly.
 */
export function callerOutside(ktSourceDir: string, below: (...args: never[]) => unknown): CallSite | undefined {
  const { names, lines } = captureFrames(below);
  for (let i = 0; i < Math.max(names.length, lines.length); i++) {
    const name = names[i];
    if (name !== undefined && (name.startsWith('node:') || isInside(toPath(name), ktSourceDir))) continue;
    const frame = lines[i];
    if (frame === undefined) return undefined;
    const site = locate(frame, name);
    if (site && isInside(site.file, ktSourceDir)) continue;
    return site;
  }
  return undefined;
}

function isInside(file: string | undefined, dir: string): boolean {
  return file !== undefined && file.startsWith(dir + path.sep);
}
