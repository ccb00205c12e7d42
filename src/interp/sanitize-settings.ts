// Whether launches run under the sanitizer, and its time limit: `KT_SANITIZE=1` (and `KT_SANITIZE_TIMEOUT`),
// `kt run --sanitize [--timeout 30s]`, or `{ sanitize: true }` / `{ sanitize: { timeout: ms } }` on one launch.
// Kept free of other imports so that tensors (which poison GPU memory only when every launch is sanitized) can
// read it.

/** A sanitized launch's settings. */
export interface SanitizeOptions {
  /** Milliseconds a launch may run before the sanitizer stops it as hung (0: no limit; default 60 s). */
  timeout?: number;
}

export interface SanitizeSettings {
  readonly timeoutMs: number;
}

export const DEFAULT_SANITIZE_TIMEOUT_MS = 60_000;

/** A duration as written on the command line or in KT_SANITIZE_TIMEOUT: `500ms`, `30s`, `2m`, `1h`, or seconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = m[2] ?? 's';
  return Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000);
}

let all: SanitizeSettings | null | undefined;

/** The settings of KT_SANITIZE=1 (read once, as KT_INTERPRET is), or of setSanitizeAll; undefined when off. */
export function sanitizeAll(): SanitizeSettings | undefined {
  if (all === undefined) {
    all = null;
    if (process.env['KT_SANITIZE'] === '1') {
      const text = process.env['KT_SANITIZE_TIMEOUT'];
      const ms = text === undefined || text === '' ? DEFAULT_SANITIZE_TIMEOUT_MS : parseDuration(text);
      if (ms === undefined) throw new RangeError(`KT_SANITIZE_TIMEOUT must be a duration such as 30s, 2m or 500ms (0: no limit), got '${text}'`);
      all = { timeoutMs: ms };
    }
  }
  return all ?? undefined;
}

/** Sanitizes every launch from now on (`kt run --sanitize`), or none (undefined). */
export function setSanitizeAll(options: SanitizeOptions | undefined): void {
  all = options ? settingsOf(options) : null;
}

function settingsOf(options: SanitizeOptions): SanitizeSettings {
  const t = options.timeout ?? DEFAULT_SANITIZE_TIMEOUT_MS;
  if (typeof t !== 'number' || !(t >= 0) || !Number.isFinite(t)) throw new RangeError(`the sanitizer's timeout must be a non-negative number of milliseconds (0: no limit), got ${String(t)}`);
  return { timeoutMs: t };
}

/** A launch's `sanitize` option against the process-wide setting: the settings to run with, or undefined. */
export function launchSanitize(option: boolean | SanitizeOptions | undefined): SanitizeSettings | undefined {
  if (option === undefined) return sanitizeAll();
  if (option === false) return undefined;
  return settingsOf(option === true ? { timeout: sanitizeAll()?.timeoutMs } : option);
}
