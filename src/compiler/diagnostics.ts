// Compile errors that point at the user's source: file:line:col, the line itself and a caret under the span.
import fs from 'node:fs';
import path from 'node:path';
import { presentToUser } from '../user-errors.ts';
import { outermostLocation, type Location } from './ir/core.ts';

/** A span of source text, with the text of the lines it starts on. */
export interface SourceSpan {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  /** Length of the underline on the first line (at least 1). */
  readonly length: number;
  /** The full text of the line where the span starts. */
  readonly lineText: string;
}

export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Renders `file:line:col: error: message`, the source line with a caret, and the hint. */
export function renderDiagnostic(kind: string, message: string, span: SourceSpan | undefined, hint?: string, notes: readonly string[] = []): string {
  const lines: string[] = [];
  if (span) {
    lines.push(`${displayPath(span.file)}:${span.line}:${span.col}: ${kind}: ${message}`);
    const gutter = String(span.line).length;
    const text = span.lineText.replace(/\t/g, ' ');
    lines.push(`${' '.repeat(gutter)} |`);
    lines.push(`${span.line} | ${text}`);
    const width = Math.max(1, Math.min(span.length, text.length - (span.col - 1)));
    lines.push(`${' '.repeat(gutter)} | ${' '.repeat(span.col - 1)}^${'~'.repeat(width - 1)}`);
  } else {
    lines.push(`${kind}: ${message}`);
  }
  if (hint) lines.push(`  = hint: ${hint}`);
  for (const n of notes) lines.push(`  = note: ${n}`);
  return lines.join('\n');
}

/** An error in a kernel's source, raised before anything runs. */
export class CompileError extends Error {
  readonly notes: string[] = [];
  constructor(
    readonly reason: string,
    readonly span: SourceSpan | undefined,
    readonly hint?: string,
  ) {
    super(reason);
    this.name = 'CompileError';
    this.refresh();
    presentToUser(this, ['reason', 'span', 'hint', 'notes']);
  }

  /** Adds context such as "in helper `f` called from ...", keeping the original location. */
  addNote(note: string): this {
    this.notes.push(note);
    this.refresh();
    return this;
  }

  get location(): Location | undefined {
    return this.span && { file: this.span.file, line: this.span.line, col: this.span.col };
  }

  private refresh(): void {
    this.message = renderDiagnostic('error', this.reason, this.span, this.hint, this.notes);
  }
}

/** The span of an IR location (one character wide), reading the line from the file; undefined if unreadable. */
export function locationSpan(loc: Location): SourceSpan | undefined {
  let text: string;
  try {
    text = fs.readFileSync(loc.file, 'utf8');
  } catch {
    return undefined;
  }
  const lineText = text.split('\n')[loc.line - 1]?.replace(/\r$/, '') ?? '';
  const rest = lineText.slice(loc.col - 1);
  const word = /^[A-Za-z_$][\w$.]*(\([^)]*\))?/.exec(rest)?.[0] ?? rest.slice(0, 1);
  return { file: loc.file, line: loc.line, col: loc.col, length: Math.max(1, word.length), lineText };
}

/** A compile error at an IR location; an inlined helper's location adds a note naming the call site. */
export function errorAt(loc: Location, message: string, hint?: string): CompileError {
  const err = new CompileError(message, locationSpan(loc), hint);
  if (loc.callsite) {
    const outer = outermostLocation(loc);
    err.addNote(`inlined from ${displayPath(outer.file)}:${outer.line}:${outer.col}`);
  }
  return err;
}
