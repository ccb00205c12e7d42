// A small FileCheck (after LLVM's) for tests on printed IR: `fileCheck(output, checks)` matches `checks`, text with
// lines such as `CHECK: %[[X:.*]] = arith.addi`, against `output`, and throws a FileCheckError whose message
// shows the failing check line, where the search started and the output around it.
//
// Directives (anywhere in a check line, e.g. after `//`):
//   CHECK: p        p matches at or after the end of the previous match (later on the same line, or below)
//   CHECK-NEXT: p   ... and on the line right after the previous match's line
//   CHECK-SAME: p   ... and on the same line as the previous match
//   CHECK-NOT: p    p does not occur between the previous match and the next one (or the end of the block)
//   CHECK-DAG: p    consecutive CHECK-DAGs match in any order, never two on overlapping text; the next
//                   directive continues after the one that ends last
//   CHECK-LABEL: p  labels are matched first, in order; they cut the output into blocks and the directives
//                   between two labels match only in the block that starts at the first of them
// Patterns match within one line, as substrings. `{{re}}` is a JavaScript regular expression; `[[NAME:re]]`
// captures what `re` matched as NAME; `[[NAME]]` matches exactly the text captured last for NAME (by this or
// an earlier directive). Outside `{{ }}` and `[[ ]]` text is literal, except that a whitespace run matches
// any run of spaces and tabs, and leading and trailing whitespace is ignored. Variables live for the whole
// check text (as LLVM's do without --enable-var-scope); a later capture of the same name replaces it.

type Directive = 'CHECK' | 'CHECK-NEXT' | 'CHECK-SAME' | 'CHECK-NOT' | 'CHECK-DAG' | 'CHECK-LABEL';

const directives: readonly Directive[] = ['CHECK', 'CHECK-NEXT', 'CHECK-SAME', 'CHECK-NOT', 'CHECK-DAG', 'CHECK-LABEL'];

/** One piece of a pattern: literal text, a regex, a capture, or a use of a captured variable. */
type Piece =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'regex'; readonly source: string }
  | { readonly kind: 'define'; readonly name: string; readonly source: string }
  | { readonly kind: 'use'; readonly name: string };

interface Check {
  readonly directive: Directive;
  /** The pattern as written (trimmed). */
  readonly pattern: string;
  readonly pieces: readonly Piece[];
  /** 1-based line of the check text. */
  readonly checkLine: number;
}

/** A place in the output: a 0-based line and a column (a UTF-16 offset in that line). */
interface Pos {
  readonly line: number;
  readonly col: number;
}

/** A match: on one line, columns [start, end), with the regex groups its captures came from. */
interface Match {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly groups?: Readonly<Record<string, string | undefined>>;
}

/** A failed check (or a malformed check text). The message is meant to be read in a test runner's report. */
export class FileCheckError extends Error {
  constructor(
    message: string,
    /** 1-based line of the check text that failed. */
    readonly checkLine: number,
  ) {
    super(message);
    this.name = 'FileCheckError';
  }
}

const startOf = (m: Match): Pos => ({ line: m.line, col: m.start });
const endOf = (m: Match): Pos => ({ line: m.line, col: m.end });
const compare = (a: Pos, b: Pos): number => a.line - b.line || a.col - b.col;

// ---------------------------------------------------------------------------------------------------------
// Reading the check text.

/** A directive in a line: the name CHECK not glued to a word before it, optional -SUFFIXes, then ':'. */
const directiveRe = /(?<![\w-])CHECK((?:-[A-Za-z]+)*):/;

/** Reads every directive of the check text, rejecting what would otherwise silently check nothing. */
function parseChecks(text: string): Check[] {
  const checks: Check[] = [];
  text.split('\n').forEach((raw, i) => {
    const m = directiveRe.exec(raw);
    if (!m) return;
    const checkLine = i + 1;
    const directive = `CHECK${m[1]}` as Directive;
    if (!directives.includes(directive)) {
      throw new FileCheckError(`FileCheck: bad check line ${checkLine}: unknown directive '${directive}:' (known: ${directives.join(', ')})\n  ${raw.trim()}`, checkLine);
    }
    const pattern = raw.slice(m.index + m[0].length).trim();
    const bad = (why: string): never => {
      throw new FileCheckError(`FileCheck: bad check line ${checkLine}: ${why}\n  ${raw.trim()}`, checkLine);
    };
    if (!pattern) bad(`${directive} has an empty pattern`);
    const pieces = parsePattern(pattern, bad);
    if (directive === 'CHECK-LABEL' && pieces.some((p) => p.kind === 'define' || p.kind === 'use')) bad('CHECK-LABEL cannot define or use variables (labels are matched before anything else)');
    if (directive === 'CHECK-NOT' && pieces.some((p) => p.kind === 'define')) bad('CHECK-NOT cannot define variables (it never matches)');
    if ((directive === 'CHECK-NEXT' || directive === 'CHECK-SAME') && !checks.some((c) => c.directive !== 'CHECK-NOT')) {
      bad(`${directive} needs an earlier positive directive (CHECK, CHECK-LABEL, ...) to be relative to`);
    }
    checks.push({ directive, pattern, pieces, checkLine });
  });
  if (!checks.length) throw new FileCheckError('FileCheck: the check text has no CHECK lines', 0);
  return checks;
}

/** Index of the `}}` closing a `{{` whose regex starts at `from`, skipping balanced braces and escapes. */
function regexEnd(p: string, from: number): number {
  let depth = 0;
  for (let i = from; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') i++;
    else if (ch === '{') depth++;
    else if (ch === '}') {
      if (depth > 0) depth--;
      else if (p[i + 1] === '}') return i;
    }
  }
  return -1;
}

/** Index of the `]]` closing a `[[` whose body starts at `from`, skipping balanced brackets and escapes. */
function variableEnd(p: string, from: number): number {
  let depth = 0;
  for (let i = from; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') i++;
    else if (ch === '[') depth++;
    else if (ch === ']') {
      if (depth > 0) depth--;
      else if (p[i + 1] === ']') return i;
    }
  }
  return -1;
}

/** Splits a pattern into literal text, `{{regex}}`, `[[NAME:regex]]` and `[[NAME]]` pieces. */
function parsePattern(p: string, bad: (why: string) => never): Piece[] {
  const pieces: Piece[] = [];
  let text = '';
  const flush = (): void => {
    if (text) pieces.push({ kind: 'text', text });
    text = '';
  };
  const checkRegex = (source: string): void => {
    try {
      new RegExp(source);
    } catch (e) {
      bad(`bad regular expression {{${source}}}: ${(e as Error).message}`);
    }
  };
  let i = 0;
  while (i < p.length) {
    if (p.startsWith('{{', i)) {
      const end = regexEnd(p, i + 2);
      if (end < 0) bad("'{{' without its closing '}}'");
      const source = p.slice(i + 2, end);
      checkRegex(source);
      flush();
      pieces.push({ kind: 'regex', source });
      i = end + 2;
    } else if (p.startsWith('[[', i)) {
      const end = variableEnd(p, i + 2);
      if (end < 0) bad("'[[' without its closing ']]'");
      const body = p.slice(i + 2, end);
      if (body.startsWith('#')) bad(`numeric variables ([[${body}]]) are not supported`);
      const colon = body.indexOf(':');
      const name = colon < 0 ? body : body.slice(0, colon);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) bad(`bad variable name '${name}' in [[${body}]]`);
      flush();
      if (colon < 0) pieces.push({ kind: 'use', name });
      else {
        const source = body.slice(colon + 1);
        checkRegex(source);
        pieces.push({ kind: 'define', name, source });
      }
      i = end + 2;
    } else {
      text += p[i++];
    }
  }
  flush();
  return pieces;
}

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Literal text as a regex: a whitespace run matches any run of spaces and tabs. */
const literal = (text: string): string => text.split(/[ \t]+/).map(escapeRegex).join('[ \\t]+');

// ---------------------------------------------------------------------------------------------------------
// Matching.

class Checker {
  private readonly vars = new Map<string, string>();
  private readonly endPos: Pos;

  constructor(private readonly lines: readonly string[]) {
    this.endPos = { line: lines.length - 1, col: lines[lines.length - 1]!.length };
  }

  variables(): Record<string, string> {
    return Object.fromEntries(this.vars);
  }

  run(checks: readonly Check[]): void {
    // Labels first: each after the previous one; they split the output into blocks.
    const labels: { index: number; match: Match }[] = [];
    let from: Pos = { line: 0, col: 0 };
    checks.forEach((c, index) => {
      if (c.directive !== 'CHECK-LABEL') return;
      const match = this.search(c, from, this.endPos);
      if (!match) throw this.failure(c, 'no match for the label', from, this.endPos, []);
      labels.push({ index, match });
      from = endOf(match);
    });
    const firstEnd = labels[0] ? startOf(labels[0].match) : this.endPos;
    this.block(checks.slice(0, labels[0]?.index ?? checks.length), { line: 0, col: 0 }, firstEnd, undefined);
    labels.forEach(({ index, match }, k) => {
      const next = labels[k + 1];
      const end = next ? startOf(next.match) : this.endPos;
      this.block(checks.slice(index + 1, next?.index ?? checks.length), endOf(match), end, match);
    });
  }

  /** Matches the directives of one block, which lies between `begin` and `end`, in order. */
  private block(checks: readonly Check[], begin: Pos, end: Pos, label: Match | undefined): void {
    let pos = begin;
    let last = label;
    let nots: Check[] = [];
    for (let i = 0; i < checks.length; ) {
      const c = checks[i]!;
      if (c.directive === 'CHECK-NOT') {
        nots.push(c);
        i++;
        continue;
      }
      let first: Match;
      let final: Match;
      if (c.directive === 'CHECK-DAG') {
        let j = i;
        while (checks[j]?.directive === 'CHECK-DAG') j++;
        const matches = this.dagGroup(checks.slice(i, j), pos, end, last);
        first = matches.reduce((a, b) => (compare(startOf(b), startOf(a)) < 0 ? b : a));
        final = matches.reduce((a, b) => (compare(endOf(b), endOf(a)) > 0 ? b : a));
        i = j;
      } else {
        first = final = this.positive(c, pos, end, last);
        i++;
      }
      this.checkNots(nots, pos, startOf(first), last, first);
      nots = [];
      pos = endOf(final);
      last = final;
    }
    this.checkNots(nots, pos, end, last, undefined);
  }

  /** CHECK, CHECK-NEXT and CHECK-SAME (a label in its own block is already matched). */
  private positive(c: Check, pos: Pos, end: Pos, last: Match | undefined): Match {
    const m = this.search(c, pos, end);
    const marks: Mark[] = last ? [{ line: last.line, mark: '=' }] : [];
    switch (c.directive) {
      case 'CHECK-NEXT': {
        const want = last!.line + 1;
        if (!m) throw this.failure(c, `no match after the previous match (CHECK-NEXT wants it on output line ${want + 1})`, pos, end, marks);
        if (m.line === want) return m;
        const where = m.line === last!.line ? 'on the same line as the previous match' : `on output line ${m.line + 1}`;
        throw this.failure(c, `the first match is ${where}, but CHECK-NEXT wants it on the line after the previous match (output line ${want + 1})`, pos, end, [...marks, { line: m.line, mark: '!' }]);
      }
      case 'CHECK-SAME': {
        if (m && m.line === last!.line) return m;
        const later = m ? `; the first match after it is on output line ${m.line + 1}` : '';
        throw this.failure(c, `no match on the same line as the previous match (output line ${last!.line + 1})${later}`, pos, end, m ? [...marks, { line: m.line, mark: '!' }] : marks);
      }
      default:
        if (!m) throw this.failure(c, 'no match', pos, end, marks);
        return m;
    }
  }

  /** Matches a group of consecutive CHECK-DAGs in any order, each on text no other one of the group matched. */
  private dagGroup(group: readonly Check[], pos: Pos, end: Pos, last: Match | undefined): Match[] {
    const matches: Match[] = [];
    for (const c of group) {
      let from = pos;
      for (;;) {
        const m = this.search(c, from, end, false);
        if (!m) {
          const others = matches.map((o) => ({ line: o.line, mark: '*' as const }));
          throw this.failure(c, matches.length ? 'no match that does not overlap the matches of the CHECK-DAGs before it in its group' : 'no match', pos, end, [...(last ? [{ line: last.line, mark: '=' as const }] : []), ...others]);
        }
        const overlap = matches.find((o) => o.line === m.line && m.start < o.end && o.start < m.end);
        if (!overlap) {
          this.bind(c, m);
          matches.push(m);
          break;
        }
        // Look again just after where this match began: a later occurrence may be free.
        from = { line: m.line, col: m.start + 1 };
      }
    }
    return matches;
  }

  /** Fails if any of the CHECK-NOTs matches between `from` and `to`. */
  private checkNots(nots: readonly Check[], from: Pos, to: Pos, prev: Match | undefined, next: Match | undefined): void {
    for (const c of nots) {
      const m = this.search(c, from, to, false);
      if (!m) continue;
      const between = `between ${prev ? `the previous match (output line ${prev.line + 1})` : 'the start'} and ${next ? `the next match (output line ${next.line + 1})` : 'the end'}`;
      const marks: Mark[] = [{ line: m.line, mark: '!' }];
      if (prev) marks.push({ line: prev.line, mark: '=' });
      if (next) marks.push({ line: next.line, mark: '+' });
      throw this.failure(c, `the excluded pattern matches on output line ${m.line + 1}, column ${m.start + 1}, ${between}`, from, to, marks);
    }
  }

  /** The first match of `c` starting at or after `from` and ending at or before `to`; binds its captures. */
  private search(c: Check, from: Pos, to: Pos, bind = true): Match | undefined {
    const re = this.compile(c, from, to);
    for (let line = from.line; line <= to.line; line++) {
      // The range ends inside its last line: match against that line cut there (as LLVM matches in the buffer
      // between the two positions), so that a greedy regex cannot run past the end.
      const text = line === to.line ? this.lines[line]!.slice(0, to.col) : this.lines[line]!;
      re.lastIndex = line === from.line ? from.col : 0;
      const m = re.exec(text);
      if (!m) continue;
      const match: Match = { line, start: m.index, end: m.index + m[0].length, groups: m.groups };
      if (bind) this.bind(c, match);
      return match;
    }
    return undefined;
  }

  /** Records the variables a matched check captured (kept on the match by `search`). */
  private bind(c: Check, m: Match): void {
    c.pieces.forEach((p, i) => {
      if (p.kind === 'define') this.vars.set(p.name, m.groups?.[`fc${i}`] ?? '');
    });
  }

  /** The pattern as a regex, with the current values of the variables it uses. */
  private compile(c: Check, from: Pos, to: Pos): RegExp {
    const local = new Map<string, string>();
    let source = '';
    c.pieces.forEach((p, i) => {
      switch (p.kind) {
        case 'text':
          source += literal(p.text);
          break;
        case 'regex':
          source += `(?:${p.source})`;
          break;
        case 'define':
          source += `(?<fc${i}>${p.source})`;
          local.set(p.name, `fc${i}`);
          break;
        case 'use': {
          const group = local.get(p.name);
          const value = this.vars.get(p.name);
          if (group) source += `\\k<${group}>`;
          else if (value !== undefined) source += escapeRegex(value);
          else throw this.failure(c, `[[${p.name}]] is used, but no earlier check captured it`, from, to, []);
        }
      }
    });
    return new RegExp(source, 'g');
  }

  // -------------------------------------------------------------------------------------------------------
  // Reporting.

  /** An error naming the check, why it failed, where the search started, and the output around there. */
  private failure(c: Check, why: string, from: Pos, to: Pos, marks: readonly Mark[]): FileCheckError {
    const used = [...new Set(c.pieces.flatMap((p) => (p.kind === 'use' && this.vars.has(p.name) ? [p.name] : [])))];
    const all: Mark[] = [{ line: from.line, mark: '>' }, ...marks];
    const guess = marks.some((m) => m.mark === '!') ? undefined : this.closestLine(c, from, to);
    if (guess !== undefined) all.push({ line: guess, mark: '?' });
    const lines = [
      `FileCheck: check line ${c.checkLine} failed: ${c.directive}: ${c.pattern}`,
      `  ${why}`,
      ...(used.length ? [`  with ${used.map((n) => `[[${n}]] = ${JSON.stringify(this.vars.get(n))}`).join(', ')}`] : []),
      `  the search started at output line ${from.line + 1}, column ${from.col + 1}${to.line < this.endPos.line ? ` and ended at line ${to.line + 1}, column ${to.col + 1}` : ''}`,
      `  output (${legend(all)}):`,
      ...this.excerpt(all),
    ];
    return new FileCheckError(lines.join('\n'), c.checkLine);
  }

  /** The line in the searched range that shares the most words with the pattern's literal text, if any. */
  private closestLine(c: Check, from: Pos, to: Pos): number | undefined {
    const words = c.pieces.flatMap((p) => (p.kind === 'text' ? (p.text.match(/[\w%@#.$-]+/g) ?? []) : []));
    if (!words.length) return undefined;
    let best: number | undefined;
    let bestScore = 0;
    for (let line = from.line; line <= to.line; line++) {
      const text = this.lines[line]!;
      const score = words.filter((w) => text.includes(w)).length;
      if (score > bestScore) [best, bestScore] = [line, score];
    }
    return best;
  }

  /** Numbered output lines around the marked ones (all of them for short output), with the marks in the gutter. */
  private excerpt(marks: readonly Mark[]): string[] {
    const n = this.lines.length;
    const shown = new Set<number>();
    for (let line = 0; line < n; line++) {
      if (n <= 40 || marks.some((m) => Math.abs(m.line - line) <= 3)) shown.add(line);
    }
    const width = String(Math.max(...shown) + 1).length;
    const marksOf = (line: number): string => [...new Set(marks.filter((m) => m.line === line).map((m) => m.mark))].join('');
    const markWidth = Math.max(2, ...marks.map((m) => marksOf(m.line).length + 1));
    const gap = (count: number): string => `  ${' '.repeat(markWidth + width)} | ... (${count} lines)`;
    const out: string[] = [];
    let next = 0;
    for (const line of [...shown].sort((a, b) => a - b)) {
      if (line > next) out.push(gap(line - next));
      out.push(`  ${marksOf(line).padEnd(markWidth)}${String(line + 1).padStart(width)} | ${this.lines[line]}`);
      next = line + 1;
    }
    if (next < n) out.push(gap(n - next));
    return out;
  }
}

/** A marked output line in a failure report. */
interface Mark {
  readonly line: number;
  readonly mark: '>' | '=' | '!' | '?' | '+' | '*';
}

const markMeaning: Record<Mark['mark'], string> = {
  '>': 'search start',
  '=': 'previous match',
  '!': 'offending match',
  '?': 'closest line',
  '+': 'next match',
  '*': 'earlier matches of the CHECK-DAG group',
};

function legend(marks: readonly Mark[]): string {
  return [...new Set(marks.map((m) => m.mark))].map((m) => `${m} ${markMeaning[m]}`).join(', ');
}

/**
 * Checks `output` against the CHECK lines of `checks` and returns the variables captured; throws a
 * FileCheckError saying which check failed and why, with the output around the place it looked.
 */
export function fileCheck(output: string, checks: string): Record<string, string> {
  const lines = output.split('\n').map((l) => l.replace(/\r$/, ''));
  // Text that ends its last line with a newline has no further (empty) line to match or to show.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const checker = new Checker(lines);
  checker.run(parseChecks(checks));
  return checker.variables();
}
