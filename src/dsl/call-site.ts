// Where kernel() was called from: the file and line of the first stack frame outside kt, which is where the
// kernel's source is read from. It must be exact for any path (spaces, parentheses, non-ASCII, file:// URLs,
// node_modules) or absent: a guess could name another file that exists, and kt would compile the wrong kernel.
// A call from compiled JavaScript with a source map (a user's tsc build, kt's own kt/kernels/*) is taken back to
// the original .ts file, whose annotations (`BLOCK: constexpr`) the compiled file has lost.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
function locate(frame: string, name: string | undefined): (CallSite & { column: number }) | undefined {
  const text = frame.trim().replace(/^at\s+/, '');
  const m = /:(\d+):(\d+)\)?$/.exec(text);
  if (!m) return undefined;
  const line = Number(m[1]);
  const column = Number(m[2]);
  const locationText = text.slice(0, m.index);
  if (name && locationText.endsWith(name)) {
    const file = toPath(name);
    return file ? { file, line, column } : undefined;
  }
  const starts = [0, ...[...locationText].flatMap((ch, i) => (ch === '(' ? [i + 1] : []))];
  const candidates = new Set(starts.map((i) => locationText.slice(i)).map(toPath).filter((f): f is string => f !== undefined && fs.existsSync(f)));
  if (candidates.size !== 1) return undefined;
  const [file] = candidates;
  return { file: file!, line, column };
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
    return site && originalSite(site);
  }
  return undefined;
}

/**
 * A site in a JavaScript file (1-based line and column), taken through the file's source map to the original
 * source when it has one and that file exists; otherwise the site itself. Stack traces are not mapped unless
 * Node runs with --enable-source-maps, so kt reads the map itself: the `sourceMappingURL` comment (a file beside
 * the script or an inline data: URL), then the last mapping at or before the call.
 */
export function originalSite(site: CallSite & { readonly column: number }): CallSite {
  const plain = { file: site.file, line: site.line };
  if (!/\.[cm]?js$/.test(site.file)) return plain;
  const map = sourceMapOf(site.file);
  const found = map && map.lookup(site.line - 1, site.column - 1);
  return found && fs.existsSync(found.file) ? { file: found.file, line: found.line + 1 } : plain;
}

interface SourceMap {
  /** The original file and 0-based line of the last mapping at or before a 0-based generated line and column. */
  lookup(line: number, column: number): { file: string; line: number } | undefined;
}

/** Source maps by script, read again when the script changes. */
const sourceMaps = new Map<string, { stamp: string; map: SourceMap | undefined }>();

function sourceMapOf(file: string): SourceMap | undefined {
  let stamp: string;
  try {
    const st = fs.statSync(file);
    stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
  let known = sourceMaps.get(file);
  if (known?.stamp !== stamp) sourceMaps.set(file, (known = { stamp, map: readSourceMap(file) }));
  return known.map;
}

function readSourceMap(file: string): SourceMap | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const url = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
    if (!url) return undefined;
    const fileUrl = pathToFileURL(file);
    let json: string;
    let mapUrl: URL;
    if (url.startsWith('data:')) {
      const comma = url.indexOf(',');
      const data = url.slice(comma + 1);
      json = /;base64$/.test(url.slice(0, comma)) ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
      mapUrl = fileUrl;
    } else {
      mapUrl = new URL(url, fileUrl);
      json = fs.readFileSync(mapUrl, 'utf8');
    }
    const raw = JSON.parse(json) as { version?: number; sources?: string[]; sourceRoot?: string; mappings?: string };
    if (raw.version !== 3 || !Array.isArray(raw.sources) || typeof raw.mappings !== 'string') return undefined;
    const root = raw.sourceRoot ? raw.sourceRoot.replace(/\/?$/, '/') : '';
    const sources = raw.sources.map((s) => {
      const u = new URL(root + s, mapUrl);
      return u.protocol === 'file:' ? fileURLToPath(u) : undefined;
    });
    return decodeMappings(raw.mappings, sources);
  } catch {
    return undefined;
  }
}

const base64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Source map v3 `mappings`: per generated line, segments of base64 VLQ fields relative to the previous ones. */
function decodeMappings(mappings: string, sources: readonly (string | undefined)[]): SourceMap {
  // Each segment with a source: generated column, source index, original line, by generated line.
  const lines: { column: number; source: number; line: number }[][] = [];
  let source = 0;
  let originalLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments: { column: number; source: number; line: number }[] = [];
    let column = 0;
    for (const segment of lineText.split(',')) {
      if (!segment) continue;
      const fields = decodeVlq(segment);
      column += fields[0]!;
      if (fields.length >= 4) {
        source += fields[1]!;
        originalLine += fields[2]!;
        segments.push({ column, source, line: originalLine });
      }
    }
    lines.push(segments);
  }
  return {
    lookup(line, column) {
      for (let l = Math.min(line, lines.length - 1); l >= 0; l--) {
        const at = (l === line ? lines[l]!.filter((s) => s.column <= column) : lines[l]!).at(-1);
        if (!at) continue;
        const file = sources[at.source];
        return file === undefined ? undefined : { file, line: at.line };
      }
      return undefined;
    },
  };
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of segment) {
    const digit = base64.indexOf(ch);
    if (digit < 0) throw new Error(`bad source map segment ${segment}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
      value = 0;
      shift = 0;
    }
  }
  return values;
}

function isInside(file: string | undefined, dir: string): boolean {
  return file !== undefined && file.startsWith(dir + path.sep);
}
