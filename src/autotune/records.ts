// The tuning cache: one record per (kernel source, key values, dtypes, device, driver, kt version), beside the
// compiled kernels in KT_CACHE_DIR/tune. A record holds every config measured for that problem, each with its
// time or the reason it was excluded, so a later run reuses them and a grown space measures only what is new.
// Writers merge into the record under a lock file, so concurrent tuners never drop each other's results;
// the record itself is replaced atomically (written aside, then renamed), and a damaged record is ignored.
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, ktFingerprint, readJsonFile, sha256, writeFileAtomically } from '../compiler/cache.ts';
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
}

export interface ExcludedResult {
  readonly status: 'excluded';
  readonly config: Config;
  readonly stage: ExclusionStage;
  readonly reason: string;
  readonly measuredAt: string;
}

export type ConfigResult = MeasuredResult | ExcludedResult;

export interface TuneRecord {
  readonly format: 1;
  readonly identity: RecordIdentity;
  /** By config key. */
  readonly results: Readonly<Record<string, ConfigResult>>;
}

export function ktVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${pkg.version}+${ktFingerprint().slice(0, 16)}`;
}

export function tuneDir(): string {
  return path.join(cacheDir(), 'tune');
}

export function recordPath(identity: RecordIdentity): string {
  const id = sha256(JSON.stringify([identity.kernel, identity.sourceHash, Object.entries(identity.key).sort(), identity.dtypes, identity.device, identity.driver, identity.kt]));
  return path.join(tuneDir(), `${identity.kernel.replace(/[^\w.-]/g, '_')}-${id.slice(0, 24)}.json`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isResult(v: unknown): v is ConfigResult {
  if (!isObject(v) || !isObject(v['config']) || typeof v['measuredAt'] !== 'string') return false;
  if (v['status'] === 'ok') return ['medianMs', 'minMs', 'maxMs', 'spread', 'runs'].every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]));
  return v['status'] === 'excluded' && typeof v['reason'] === 'string' && typeof v['stage'] === 'string';
}

function isRecord(v: unknown): v is TuneRecord {
  return isObject(v) && v['format'] === 1 && isObject(v['identity']) && typeof v['identity']['kernel'] === 'string' && isObject(v['results']) && Object.values(v['results']).every(isResult);
}

/** Reads a record file; undefined when missing, unreadable or damaged (a damaged one is then re-measured). */
const readRecordFile = (file: string): TuneRecord | undefined => readJsonFile(file, isRecord).value;

/** The stored results for a problem, by config key (empty when there are none). */
export function readRecord(identity: RecordIdentity): Map<string, ConfigResult> {
  const record = readRecordFile(recordPath(identity));
  return new Map(record ? Object.entries(record.results).filter(([k, r]) => k === configKey(r.config)) : []);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

/** A lock older than this was left by a process that died while writing: it may be taken over. */
const STALE_LOCK_MS = 10_000;

function withLock<T>(file: string, f: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 2 * STALE_LOCK_MS;
  for (;;) {
    try {
      fs.closeSync(fs.openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) fs.rmSync(lock, { force: true });
      } catch {
        // the holder released it meanwhile
      }
      if (Date.now() > deadline) throw new Error(`the tuning record ${file} stays locked by ${lock}; delete that file if no kt process is running`);
      sleep(5 + Math.random() * 10);
    }
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
 * ignored: tuning still returns its results.
 */
export function storeResults(identity: RecordIdentity, results: readonly ConfigResult[]): void {
  if (!results.length) return;
  const file = recordPath(identity);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    withLock(file, () => {
      const merged: Record<string, ConfigResult> = { ...readRecordFile(file)?.results };
      for (const r of results) merged[configKey(r.config)] = r;
      writeFileAtomically(file, JSON.stringify({ format: 1, identity, results: merged } satisfies TuneRecord, null, 1));
    });
  } catch (e) {
    if (!warned) {
      warned = true;
      console.warn(`kt: cannot write the tuning cache in ${tuneDir()} (${(e as Error).message}); set KT_CACHE_DIR to a writable directory`);
    }
  }
}

/** Every readable record, optionally only those of one kernel (for `kt tune --show`). */
export function listRecords(kernel?: string): { file: string; record: TuneRecord }[] {
  let names: string[];
  try {
    names = fs.readdirSync(tuneDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  return names
    .map((n) => ({ file: path.join(tuneDir(), n), record: readRecordFile(path.join(tuneDir(), n)) }))
    .filter((r): r is { file: string; record: TuneRecord } => r.record !== undefined && (kernel === undefined || r.record.identity.kernel === kernel));
}

/** The fastest measured result among those for these configs (or all, when not given). */
export function bestResult(results: Iterable<ConfigResult>, among?: ReadonlySet<string>): MeasuredResult | undefined {
  let best: MeasuredResult | undefined;
  for (const r of results) {
    if (r.status !== 'ok' || (among && !among.has(configKey(r.config)))) continue;
    if (!best || r.medianMs < best.medianMs) best = r;
  }
  return best;
}
