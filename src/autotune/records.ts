// The tuning cache: one record per (kernel source, key values, dtypes, device, driver, kt version), beside the
// compiled kernels in KT_CACHE_DIR/tune. A record holds every config measured for that problem, each with its
// time or the reason it was excluded, so a later run reuses them and a grown space measures only what is new.
// Writers merge into the record under a lock file, so concurrent tuners never drop each other's results;
// the record itself is replaced atomically (written aside, then renamed). A record carries a checksum of its
// problem and results: one that is damaged, edited, or filed under another problem's name is ignored with a
// note (and its configs measured again), as is a result with an impossible time. A lock left by a process
// that died is reported and removed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, ktFingerprint, sha256, writeFileAtomically } from '../compiler/cache.ts';
import type { Config } from '../dsl/spec.ts';
import { configKey } from './space.ts';

/** What a tuning result is valid for. */
export interface RecordIdentity {
  /** The spec or kernel name (for people reading `kt tune --show`). */
  readonly kernel: string;
  /** A hash of the source files the kernels come from. */
  readonly sourceHash: string;
  /** The key's values: sizes, or the launch's arguments named by the key. */
  readonly key: Readonly<Record<string, string | number | boolean>>;
  readonly dtypes: readonly string[];
  /** The GPU's name and compute capability, or 'interpreter'. */
  readonly device: string;
  readonly driver: string;
  /** kt's version and a fingerprint of its sources: a changed compiler makes different code. */
  readonly kt: string;
}

export type ExclusionStage = 'compile' | 'resources' | 'check' | 'run';

const stages: readonly string[] = ['compile', 'resources', 'check', 'run'] satisfies ExclusionStage[];

export interface MeasuredResult {
  readonly status: 'ok';
  readonly config: Config;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Half the interquartile range, relative to the median. */
  readonly spread: number;
  readonly runs: number;
  readonly measuredAt: string;
  /**
   * The config's time in the tuner's final round, when it was a contender: the first pass's best and its rivals
   * within noise, timed again in turns under sustained load. The fields above stay the first pass's, which every
   * measured config has and which compare with each other; sustained times compare only with each other (a GPU
   * under sustained load runs at lower clocks, 10% slower at 8192^3 on an H200).
   */
  readonly sustained?: SustainedTime;
}

/** A final-round time: the median of the turns' medians, how far they lie apart, and the runs in all. */
export interface SustainedTime {
  readonly medianMs: number;
  readonly spread: number;
  readonly runs: number;
}

export interface ExcludedResult {
  readonly status: 'excluded';
  readonly config: Config;
  readonly stage: ExclusionStage;
  readonly reason: string;
  readonly measuredAt: string;
}

export type ConfigResult = MeasuredResult | ExcludedResult;

/** The record format; a record of another format (an older kt's, without a checksum) is not used. */
const FORMAT = 3;

export interface TuneRecord {
  readonly format: typeof FORMAT;
  readonly identity: RecordIdentity;
  /** By config key. */
  readonly results: Readonly<Record<string, ConfigResult>>;
  /** A checksum of the format, the identity and the results. */
  readonly sum: string;
}

export function ktVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${pkg.version}+${ktFingerprint().slice(0, 16)}`;
}

export function tuneDir(): string {
  return path.join(cacheDir(), 'tune');
}

/** A canonical text of an identity (the key's entries sorted). */
const identityText = (identity: RecordIdentity): string =>
  JSON.stringify([identity.kernel, identity.sourceHash, Object.entries(identity.key).sort(), identity.dtypes, identity.device, identity.driver, identity.kt]);

const fileStem = (kernel: string): string => kernel.replace(/[^\w.-]/g, '_');

export function recordPath(identity: RecordIdentity): string {
  return path.join(tuneDir(), `${fileStem(identity.kernel)}-${sha256(identityText(identity)).slice(0, 24)}.json`);
}

/** The checksum of a record: of its format, identity and results as JSON (which JSON.parse and stringify keep). */
const recordSum = (identity: unknown, results: unknown): string => sha256(JSON.stringify(['kt-tune-record', FORMAT, identity, results]));

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isResult(v: unknown): v is ConfigResult {
  if (!isObject(v) || !isObject(v['config']) || typeof v['measuredAt'] !== 'string') return false;
  if (v['status'] === 'ok') return ['medianMs', 'minMs', 'maxMs', 'spread', 'runs'].every((k) => typeof v[k] === 'number');
  return v['status'] === 'excluded' && typeof v['reason'] === 'string' && typeof v['stage'] === 'string';
}

function isIdentity(v: unknown): v is RecordIdentity {
  return (
    isObject(v) &&
    ['kernel', 'sourceHash', 'device', 'driver', 'kt'].every((k) => typeof v[k] === 'string') &&
    isObject(v['key']) &&
    Array.isArray(v['dtypes']) &&
    v['dtypes'].every((d) => typeof d === 'string')
  );
}

/** Why a stored result cannot be true, if it cannot: a time that is not positive, or other impossible numbers. */
export function implausibleResult(r: ConfigResult): string | undefined {
  if (r.status === 'excluded') return stages.includes(r.stage) ? undefined : `it is excluded at an unknown stage '${r.stage}'`;
  const times = [r.minMs, r.medianMs, r.maxMs];
  if (!times.every((t) => Number.isFinite(t) && t > 0)) return `its times (min ${r.minMs}, median ${r.medianMs}, max ${r.maxMs} ms) are not all positive`;
  if (!(r.minMs <= r.medianMs && r.medianMs <= r.maxMs)) return `its min, median and max times (${r.minMs}, ${r.medianMs}, ${r.maxMs} ms) are out of order`;
  if (!Number.isInteger(r.runs) || r.runs < 1) return `it claims ${r.runs} timed runs`;
  if (!Number.isFinite(r.spread) || r.spread < 0) return `its spread ${r.spread} is not a non-negative number`;
  if (r.sustained !== undefined) {
    const s: unknown = r.sustained;
    if (!isObject(s) || !['medianMs', 'spread', 'runs'].every((k) => typeof s[k] === 'number')) return 'its final-round time is malformed';
    const { medianMs, spread, runs } = s as unknown as SustainedTime;
    if (!(Number.isFinite(medianMs) && medianMs > 0) || !(Number.isFinite(spread) && spread >= 0) || !Number.isInteger(runs) || runs < 1) {
      return `its final-round time (median ${medianMs} ms, spread ${spread}, ${runs} runs) cannot be true`;
    }
  }
  return undefined;
}

/** A result the reader refused, with why. */
export interface RejectedResult {
  readonly key: string;
  readonly reason: string;
}

type RecordFile = { readonly status: 'missing' } | { readonly status: 'unusable'; readonly reason: string } | { readonly status: 'ok'; readonly record: TuneRecord; readonly rejected: readonly RejectedResult[] };

/**
 * Reads a record file. Unusable when it cannot be parsed (truncated), is not a record of this format, fails
 * its checksum or is filed under another problem's name; its results are kept only where they are plausible
 * and filed under their own config's key (the rest are listed as rejected).
 */
function readRecordFile(file: string): RecordFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { status: 'missing' } : { status: 'unusable', reason: `it cannot be read (${(e as Error).message})` };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { status: 'unusable', reason: text.length ? 'it is damaged (not valid JSON: truncated or edited)' : 'it is damaged (empty)' };
  }
  if (!isObject(v) || typeof v['format'] !== 'number') return { status: 'unusable', reason: 'it is damaged (not a kt tuning record)' };
  if (v['format'] !== FORMAT) return { status: 'unusable', reason: `it was written by another version of kt (format ${v['format']}, not ${FORMAT})` };
  const { identity, results, sum } = v;
  if (!isIdentity(identity) || !isObject(results) || typeof sum !== 'string') return { status: 'unusable', reason: 'it is damaged (its problem or results are missing or malformed)' };
  if (sum !== recordSum(identity, results)) return { status: 'unusable', reason: 'it is damaged (its checksum does not match its content)' };
  if (path.basename(file) !== path.basename(recordPath(identity))) return { status: 'unusable', reason: 'it is damaged (it holds another problem than its name says)' };
  const kept: Record<string, ConfigResult> = {};
  const rejected: RejectedResult[] = [];
  for (const [key, r] of Object.entries(results)) {
    const why = !isResult(r) ? 'it is malformed' : key !== configKey(r.config) ? `it is filed under another config (${configKey(r.config)})` : implausibleResult(r);
    if (why) rejected.push({ key, reason: why });
    else kept[key] = r as ConfigResult;
  }
  return { status: 'ok', record: { format: FORMAT, identity, results: kept, sum }, rejected };
}

/** Notes already given by this process: each is given once. */
const noted = new Set<string>();

function note(text: string): void {
  if (noted.has(text)) return;
  noted.add(text);
  console.warn(text);
}

function noteProblems(file: string, read: RecordFile): void {
  if (read.status === 'unusable') note(`kt: ignoring the tuning record ${file}: ${read.reason}; its configs will be measured again`);
  if (read.status === 'ok') for (const r of read.rejected) note(`kt: ignoring the result for ${r.key} in the tuning record ${file}: ${r.reason}; that config will be measured again`);
}

/**
 * The stored results for a problem, by config key (empty when there are none). A damaged record and
 * implausible results are left out, with a note on stderr (once per process).
 */
export function readRecord(identity: RecordIdentity): Map<string, ConfigResult> {
  const file = recordPath(identity);
  let read = readRecordFile(file);
  if (read.status === 'ok' && identityText(read.record.identity) !== identityText(identity)) {
    read = { status: 'unusable', reason: 'it is damaged (it holds another problem than its name says)' };
  }
  noteProblems(file, read);
  return new Map(read.status === 'ok' ? Object.entries(read.record.results) : []);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

/** A lock older than this was left by a process that died or hangs while writing: it is taken over. */
const STALE_LOCK_MS = 10_000;
/** Waiting this long for a lock is said on stderr. */
const WAIT_NOTE_MS = 1_000;

interface LockHolder {
  readonly pid?: number;
  readonly host?: string;
  readonly since?: string;
}

function lockHolder(lock: string): LockHolder {
  try {
    const v: unknown = JSON.parse(fs.readFileSync(lock, 'utf8'));
    if (isObject(v)) return { pid: typeof v['pid'] === 'number' ? v['pid'] : undefined, host: typeof v['host'] === 'string' ? v['host'] : undefined, since: typeof v['since'] === 'string' ? v['since'] : undefined };
  } catch {
    // empty (being written) or not kt's: an unknown holder
  }
  return {};
}

const describeHolder = (h: LockHolder): string => (h.pid === undefined ? 'an unknown process' : `process ${h.pid}${h.host && h.host !== os.hostname() ? ` on ${h.host}` : ''}`);

/** Whether the lock's holder is known to be gone: a process of this host that no longer runs. */
function holderIsGone(h: LockHolder): boolean {
  if (h.pid === undefined || h.host !== os.hostname()) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Makes the lock file, with who holds it, in one step: false if it exists. */
function tryLock(lock: string): boolean {
  const holder = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() } satisfies LockHolder);
  const tmp = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, holder);
  try {
    fs.linkSync(tmp, lock);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: create it exclusively, then say who holds it.
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, holder);
      fs.closeSync(fd);
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function withLock<T>(file: string, f: () => T): T {
  const lock = `${file}.lock`;
  const start = Date.now();
  let saidWaiting = false;
  while (!tryLock(lock)) {
    let st: fs.Stats;
    try {
      st = fs.statSync(lock);
    } catch {
      continue; // released meanwhile
    }
    const holder = lockHolder(lock);
    const ageMs = Date.now() - st.mtimeMs;
    const gone = holderIsGone(holder);
    if (gone || ageMs > STALE_LOCK_MS) {
      // Remove it only if it is still the lock judged stale (not one another process has just made).
      try {
        const now = fs.statSync(lock);
        if (now.ino === st.ino && now.mtimeMs === st.mtimeMs) fs.rmSync(lock, { force: true });
      } catch {
        // released meanwhile
      }
      const since = holder.since ? ` since ${holder.since}` : '';
      note(
        gone
          ? `kt: removed the stale lock ${lock}: ${describeHolder(holder)}, which held it${since}, is no longer running`
          : `kt: removed the stale lock ${lock}: ${describeHolder(holder)} has held it for ${(ageMs / 1000).toFixed(0)} s (more than ${STALE_LOCK_MS / 1000} s); a record it was writing may lose its last result`,
      );
      continue;
    }
    if (!saidWaiting && Date.now() - start > WAIT_NOTE_MS) {
      saidWaiting = true;
      note(`kt: waiting for the lock ${lock}, held by ${describeHolder(holder)}${holder.since ? ` since ${holder.since}` : ''} (it is taken over once it is ${STALE_LOCK_MS / 1000} s old)`);
    }
    if (Date.now() - start > 2 * STALE_LOCK_MS) throw new Error(`the tuning record ${file} stays locked by ${describeHolder(holder)} (${lock}); delete that file if no kt process is running`);
    sleep(5 + Math.random() * 10);
  }
  try {
    return f();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

let warned = false;

/**
 * Adds results to a problem's record (replacing results for the same configs): read, merge and atomic
 * replacement happen under the record's lock. A cache that cannot be written is reported once and otherwise
 * ignored (tuning still returns its results); the reason is returned, undefined when the record was written.
 */
export function storeResults(identity: RecordIdentity, results: readonly ConfigResult[]): string | undefined {
  if (!results.length) return undefined;
  const file = recordPath(identity);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    withLock(file, () => {
      const read = readRecordFile(file);
      noteProblems(file, read);
      const merged: Record<string, ConfigResult> = read.status === 'ok' && identityText(read.record.identity) === identityText(identity) ? { ...read.record.results } : {};
      for (const r of results) merged[configKey(r.config)] = r;
      // The parts as they will read back (undefined properties dropped), so that the checksum matches.
      const stored = JSON.parse(JSON.stringify({ identity, results: merged })) as { identity: RecordIdentity; results: Record<string, ConfigResult> };
      writeFileAtomically(file, JSON.stringify({ format: FORMAT, ...stored, sum: recordSum(stored.identity, stored.results) } satisfies TuneRecord, null, 1));
    });
    return undefined;
  } catch (e) {
    const reason = (e as Error).message;
    if (!warned) {
      warned = true;
      console.warn(`kt: cannot write the tuning cache in ${tuneDir()} (${reason}); set KT_CACHE_DIR to a writable directory`);
    }
    return reason;
  }
}

/** What the tuning cache holds (for `kt tune --show`): the usable records, and the files that are not. */
export interface RecordListing {
  readonly records: { readonly file: string; readonly record: TuneRecord; readonly rejected: readonly RejectedResult[] }[];
  readonly unusable: { readonly file: string; readonly reason: string }[];
}

/**
 * Every record, optionally only those of one kernel: a record that cannot be used counts as that kernel's
 * when its file is named for it.
 */
export function scanRecords(kernel?: string): RecordListing {
  const listing: { records: RecordListing['records']; unusable: RecordListing['unusable'] } = { records: [], unusable: [] };
  let names: string[];
  try {
    names = fs.readdirSync(tuneDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return listing;
  }
  const named = kernel === undefined ? undefined : new RegExp(`^${fileStem(kernel).replace(/[.]/g, '\\.')}-[0-9a-f]{24}\\.json$`);
  for (const n of names.sort()) {
    const file = path.join(tuneDir(), n);
    const read = readRecordFile(file);
    if (read.status === 'ok' && (kernel === undefined || read.record.identity.kernel === kernel)) listing.records.push({ file, record: read.record, rejected: read.rejected });
    else if (read.status === 'unusable' && (!named || named.test(n))) listing.unusable.push({ file, reason: read.reason });
  }
  return listing;
}

/** Every usable record, optionally only those of one kernel. */
export function listRecords(kernel?: string): { file: string; record: TuneRecord }[] {
  return scanRecords(kernel).records;
}

/**
 * Whether `a` is the better result: the final round decides among its contenders, and its winner beats every
 * config that was not a contender (those were slower than the first pass's best beyond noise); configs without
 * a final round compare by their first-pass times.
 */
export function isFaster(a: MeasuredResult, b: MeasuredResult): boolean {
  if (a.sustained && b.sustained) return a.sustained.medianMs < b.sustained.medianMs;
  if (a.sustained || b.sustained) return a.sustained !== undefined;
  return a.medianMs < b.medianMs;
}

/** The best measured result among those for these configs (or all, when not given). */
export function bestResult(results: Iterable<ConfigResult>, among?: ReadonlySet<string>): MeasuredResult | undefined {
  let best: MeasuredResult | undefined;
  for (const r of results) {
    if (r.status !== 'ok' || (among && !among.has(configKey(r.config)))) continue;
    if (!best || isFaster(r, best)) best = r;
  }
  return best;
}
