// Expecting compile errors: compileErrorOf runs code that must be refused; locatedErrors also checks where the error
// points in the test's own source (the offending line carries a `// @marker` comment, and the expected column is
// where a given snippet starts on it). Shared by the tests of located errors.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { CompileError } from 'kt';

/** Runs `run`, expects it to throw a CompileError, and returns that error. */
export function compileErrorOf(run: () => unknown): CompileError {
  let err: unknown;
  try {
    run();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a CompileError').toBeInstanceOf(CompileError);
  return err as CompileError;
}

/**
 * For the test module at `moduleUrl` (its import.meta.url): a function that runs `run`, expects it to throw a
 * CompileError whose reason matches `message`, located at the marker's line and the snippet's column of this
 * file, and rendered with file:line:col, the source line and a caret under the snippet; it returns the error.
 */
export function locatedErrors(moduleUrl: string): (run: () => void, marker: string, snippet: string, message: RegExp) => CompileError {
  const file = fileURLToPath(moduleUrl);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const locate = (marker: string, snippet: string): { line: number; col: number } => {
    const i = lines.findIndex((l) => l.includes(`// @${marker}`));
    if (i < 0) throw new Error(`no marker ${marker}`);
    const col = lines[i]!.indexOf(snippet);
    if (col < 0) throw new Error(`no snippet ${snippet} on the line of ${marker}`);
    return { line: i + 1, col: col + 1 };
  };
  return (run, marker, snippet, message) => {
    const e = compileErrorOf(run);
    const where = locate(marker, snippet);
    expect(e.reason).toMatch(message);
    expect({ file: e.span?.file, line: e.span?.line, col: e.span?.col }).toEqual({ file, ...where });
    // The rendered message shows file:line:col, the source line and a caret under the snippet.
    expect(e.message).toContain(`:${where.line}:${where.col}: error:`);
    expect(e.message).toContain(lines[where.line - 1]!.trim());
    expect(e.message).toMatch(new RegExp(`\\| {${where.col}}\\^`));
    return e;
  };
}
