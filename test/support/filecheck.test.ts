// The FileCheck of test/support/filecheck.ts: every directive passing and failing the way LLVM's does, patterns
// (whitespace, regexes, captures), malformed check text, and what a failure's message shows.
import { describe, expect, test } from 'vitest';
import { FileCheckError, fileCheck } from './filecheck.ts';

/** The message of the FileCheckError that checking `output` against `checks` throws. */
function failure(output: string, checks: string): string {
  try {
    fileCheck(output, checks);
  } catch (e) {
    expect(e).toBeInstanceOf(FileCheckError);
    return (e as Error).message;
  }
  throw new Error('expected the check to fail, but it passed');
}

const ir = `module {
  tt.func public @f(%p: !tt.ptr<i32>, %x: i32) {
    %a = arith.muli %x, %x : i32
    %s = arith.addi %a, %a : i32
    tt.store %p, %s
    tt.return
  }
  tt.func public @g(%p: !tt.ptr<i32>, %y: i32) {
    %b = arith.subi %y, %y : i32
    tt.store %p, %b
    tt.return
  }
}
`;

describe('CHECK', () => {
  test('matches substrings in order, and may continue on the same line', () => {
    fileCheck(ir, `
      CHECK: @f
      CHECK: arith.muli
      CHECK: %x, %x
      CHECK: tt.store %p
    `);
    fileCheck('a b c', 'CHECK: a\nCHECK: b\nCHECK: c');
  });

  test('fails when the text is missing', () => {
    const msg = failure(ir, 'CHECK: @f\nCHECK: arith.divsi');
    expect(msg).toContain('check line 2 failed: CHECK: arith.divsi');
    expect(msg).toContain('no match');
  });

  test('fails when the text comes only before the previous match', () => {
    const msg = failure(ir, 'CHECK: arith.addi\nCHECK: arith.muli');
    expect(msg).toContain('check line 2 failed: CHECK: arith.muli');
    expect(msg).toContain('the search started at output line 4');
  });

  test('finds directives after comment markers and ignores other lines', () => {
    fileCheck(ir, `
      // The kernel f multiplies, then adds.
      // CHECK: arith.muli
      # CHECK: arith.addi
      ; CHECK: tt.return
    `);
  });

  test('does not see a directive glued to a word (MYCHECK:) or written in lower case', () => {
    fileCheck(ir, 'MYCHECK: nothing like this\ncheck: nor this\nCHECK: @g');
  });
});

describe('patterns', () => {
  test('a whitespace run matches any run of spaces and tabs, but not none', () => {
    fileCheck('x =  \t arith.addi', 'CHECK: x = arith.addi');
    fileCheck('x = arith.addi', 'CHECK: x     =   arith.addi');
    expect(failure('x=arith.addi', 'CHECK: x = arith.addi')).toContain('no match');
  });

  test('leading and trailing whitespace of a pattern is ignored', () => {
    fileCheck('a', 'CHECK:     a     ');
  });

  test('text outside {{ }} is literal, regex characters included', () => {
    fileCheck('%0 = arith.constant {value = dense<1.5> : tensor<4x!tt.ptr<f32>>} : (i32) * $x ^ [a]', 'CHECK: {value = dense<1.5> : tensor<4x!tt.ptr<f32>>} : (i32) * $x ^ [a]');
    expect(failure('value = 1x5', 'CHECK: 1.5')).toContain('no match');
  });

  test('{{regex}} pieces are regular expressions, local to their braces', () => {
    fileCheck('%12 = arith.addi', 'CHECK: %{{[0-9]+}} = arith.addi');
    fileCheck('acd', 'CHECK: a{{b|c}}d');
    expect(failure('xc', 'CHECK: a{{b|c}}d')).toContain('no match');
    // Braces inside the regex do not end it.
    fileCheck('xx-', 'CHECK: {{x{2}}}-');
    fileCheck('tile {a}', 'CHECK: tile {{[{]a[}]}}');
  });

  test('{{^}} and {{$}} anchor at the start and end of a line', () => {
    fileCheck('  tt.return\n}', 'CHECK: {{^}}}\nCHECK-NOT: x');
    expect(failure('x tt.return', 'CHECK: {{^}}tt.return')).toContain('no match');
    fileCheck('a = 1\na = 12', 'CHECK: a = 1{{$}}\nCHECK-NEXT: a = 12{{$}}');
    expect(failure('a = 12', 'CHECK: a = 1{{$}}')).toContain('no match');
  });

  test('[[NAME:regex]] captures and [[NAME]] matches the same text later', () => {
    const vars = fileCheck(ir, `
      CHECK: %[[A:[a-z]+]] = arith.muli %x, %x
      CHECK: %[[S:[a-z]+]] = arith.addi %[[A]], %[[A]]
      CHECK: tt.store %p, %[[S]]
    `);
    expect(vars).toEqual({ A: 'a', S: 's' });
    const msg = failure(ir, 'CHECK: %[[A:[a-z]+]] = arith.muli\nCHECK: tt.store %p, %[[A]]');
    expect(msg).toContain('with [[A]] = "a"');
  });

  test('a variable can be used in the pattern that defines it', () => {
    fileCheck(ir, 'CHECK: arith.addi %[[V:[a-z]+]], %[[V]]');
    expect(failure('arith.addi %a, %b', 'CHECK: arith.addi %[[V:[a-z]+]], %[[V]]')).toContain('no match');
  });

  test('a use matches the captured text literally, not as a regex', () => {
    fileCheck('def a.b\nuse a.b', 'CHECK: def [[N:.*]]\nCHECK: use [[N]]');
    expect(failure('def a.b\nuse axb', 'CHECK: def [[N:.*]]\nCHECK: use [[N]]')).toContain('no match');
  });

  test('a capture regex may hold brackets, and a later capture replaces the value', () => {
    expect(fileCheck('v1 v2', 'CHECK: v[[N:[0-9]]]\nCHECK: v[[N:[0-9]]]')).toEqual({ N: '2' });
  });

  test('a capture between other text', () => {
    expect(fileCheck('%acc_3 = tt.dot %x', 'CHECK: %[[ACC:acc_[0-9]+]] = tt.dot')).toEqual({ ACC: 'acc_3' });
  });
});

describe('CHECK-NEXT', () => {
  test('passes on consecutive lines', () => {
    fileCheck(ir, `
      CHECK: arith.muli
      CHECK-NEXT: arith.addi
      CHECK-NEXT: tt.store
      CHECK-NEXT: tt.return
    `);
  });

  test('fails when a line comes in between, saying where it matched', () => {
    const msg = failure(ir, 'CHECK: arith.muli\nCHECK-NEXT: tt.store');
    expect(msg).toContain('check line 2 failed: CHECK-NEXT: tt.store');
    expect(msg).toContain('the first match is on output line 5, but CHECK-NEXT wants it on the line after the previous match (output line 4)');
    expect(msg).toMatch(/^ {2}! +5 \| {5}tt\.store %p, %s$/m);
  });

  test('fails when the match is on the same line as the previous one', () => {
    expect(failure('a b\nb', 'CHECK: a\nCHECK-NEXT: b')).toContain('the first match is on the same line as the previous match');
  });

  test('fails when there is no match at all', () => {
    expect(failure(ir, 'CHECK: arith.muli\nCHECK-NEXT: arith.divsi')).toContain('no match after the previous match (CHECK-NEXT wants it on output line 4)');
  });

  test('cannot come first', () => {
    expect(failure(ir, 'CHECK-NOT: x\nCHECK-NEXT: module')).toContain('CHECK-NEXT needs an earlier positive directive');
  });
});

describe('CHECK-SAME', () => {
  test('continues on the line of the previous match', () => {
    fileCheck(ir, 'CHECK: tt.func public @f(\nCHECK-SAME: %p: !tt.ptr<i32>\nCHECK-SAME: %x: i32');
  });

  test('fails when the text is only on a later line', () => {
    const msg = failure(ir, 'CHECK: tt.func public @f(\nCHECK-SAME: arith.muli');
    expect(msg).toContain('no match on the same line as the previous match (output line 2); the first match after it is on output line 3');
  });

  test('fails when the text is on that line but before the previous match', () => {
    expect(failure('a b', 'CHECK: b\nCHECK-SAME: a')).toContain('no match on the same line as the previous match (output line 1)');
  });

  test('cannot come first', () => {
    expect(failure(ir, 'CHECK-SAME: module')).toContain('CHECK-SAME needs an earlier positive directive');
  });
});

describe('CHECK-NOT', () => {
  test('passes when the text is absent between the matches around it', () => {
    fileCheck(ir, 'CHECK: arith.muli\nCHECK-NOT: arith.muli\nCHECK: tt.return');
  });

  test('fails when the text is between them, pointing at it', () => {
    const msg = failure(ir, 'CHECK: arith.muli\nCHECK-NOT: arith.addi\nCHECK: tt.store');
    expect(msg).toContain('check line 2 failed: CHECK-NOT: arith.addi');
    expect(msg).toContain('the excluded pattern matches on output line 4, column 10, between the previous match (output line 3) and the next match (output line 5)');
    expect(msg).toMatch(/^ {2}! +4 \| {5}%s = arith\.addi %a, %a : i32$/m);
  });

  test('only looks between the previous and the next match', () => {
    // arith.addi is before the first match and store comes after the second: neither is between.
    fileCheck(ir, 'CHECK: arith.addi\nCHECK-NOT: arith.muli\nCHECK: tt.store\nCHECK-NOT: arith.addi\nCHECK: tt.return');
  });

  test('at the start, covers everything before the first match', () => {
    fileCheck(ir, 'CHECK-NOT: arith.subi\nCHECK: arith.muli');
    expect(failure(ir, 'CHECK-NOT: arith.muli\nCHECK: tt.store')).toContain('between the start and the next match (output line 5)');
  });

  test('at the end, covers everything after the last match', () => {
    fileCheck(ir, 'CHECK: arith.subi\nCHECK-NOT: arith.muli');
    expect(failure(ir, 'CHECK: arith.addi\nCHECK-NOT: arith.subi')).toContain('between the previous match (output line 4) and the end');
  });

  test('alone, covers the whole output', () => {
    fileCheck(ir, 'CHECK-NOT: arith.divsi');
    expect(failure(ir, 'CHECK-NOT: arith.subi')).toContain('matches on output line 9');
  });

  test('with a variable, excludes the captured text', () => {
    fileCheck(ir, 'CHECK: %[[A:[a-z]+]] = arith.muli\nCHECK-NOT: tt.store %p, %[[A]]\nCHECK: tt.return');
    expect(failure(ir, 'CHECK: %[[S:[a-z]+]] = arith.addi\nCHECK-NOT: tt.store %p, %[[S]]\nCHECK: tt.return')).toContain('with [[S]] = "s"');
  });

  test('cannot define variables', () => {
    expect(failure(ir, 'CHECK-NOT: [[X:.*]]')).toContain('CHECK-NOT cannot define variables');
  });
});

describe('CHECK-DAG', () => {
  const unordered = 'start\nb = 2\na = 1\nc = 3\nend\nb = 2';

  test('matches a group in any order', () => {
    fileCheck(unordered, 'CHECK: start\nCHECK-DAG: a = 1\nCHECK-DAG: b = 2\nCHECK-DAG: c = 3\nCHECK: end');
  });

  test('the next directive continues after the group match that ends last', () => {
    // After the group (lines 2 to 4), CHECK-NEXT is relative to line 4 and CHECK to its end.
    fileCheck(unordered, 'CHECK-DAG: a = 1\nCHECK-DAG: c = 3\nCHECK-NEXT: end');
    expect(failure(unordered, 'CHECK-DAG: c = 3\nCHECK-DAG: b = 2\nCHECK: a = 1')).toContain('no match');
  });

  test('members of a group never match overlapping text', () => {
    fileCheck('x = 1\nx = 1', 'CHECK-DAG: x = 1\nCHECK-DAG: x = 1');
    const msg = failure('x = 1\ny = 2', 'CHECK-DAG: x = 1\nCHECK-DAG: x = 1');
    expect(msg).toContain('check line 2 failed: CHECK-DAG: x = 1');
    expect(msg).toContain('no match that does not overlap the matches of the CHECK-DAGs before it in its group');
    expect(msg).toContain('\n  >*? 1 | x = 1\n');
  });

  test('captures flow from one member to the next', () => {
    const out = '7: task_begin\n9: task_begin\n9: task_end\n7: task_end';
    expect(fileCheck(out, 'CHECK-DAG: [[T:[0-9]+]]: task_begin\nCHECK-DAG: [[T]]: task_end')).toEqual({ T: '7' });
  });

  test('fails when a member is missing', () => {
    expect(failure(unordered, 'CHECK: start\nCHECK-DAG: a = 1\nCHECK-DAG: d = 4')).toContain('check line 3 failed: CHECK-DAG: d = 4');
  });

  test('does not match before the previous match', () => {
    expect(failure(unordered, 'CHECK: c = 3\nCHECK-DAG: a = 1')).toContain('no match');
  });

  test('a CHECK-NOT between two groups covers the text between them', () => {
    const out = 'x1\nx2\nmid\ny1\ny2';
    fileCheck(out, 'CHECK-DAG: x2\nCHECK-DAG: x1\nCHECK-NOT: x\nCHECK-DAG: y2\nCHECK-DAG: y1');
    const msg = failure(out, 'CHECK-DAG: x2\nCHECK-DAG: x1\nCHECK-NOT: mid\nCHECK-DAG: y2\nCHECK-DAG: y1');
    expect(msg).toContain('the excluded pattern matches on output line 3, column 1, between the previous match (output line 2) and the next match (output line 4)');
  });

  test('a CHECK-NOT before a group covers the text up to its earliest match', () => {
    fileCheck('x\na\nb', 'CHECK: x\nCHECK-NOT: b\nCHECK-DAG: b\nCHECK-DAG: a');
    expect(failure('x\nz\na\nb', 'CHECK: x\nCHECK-NOT: z\nCHECK-DAG: b\nCHECK-DAG: a')).toContain('matches on output line 2, column 1, between the previous match (output line 1) and the next match (output line 3)');
  });
});

describe('CHECK-LABEL', () => {
  test('splits the output into blocks; checks stay within theirs', () => {
    fileCheck(ir, `
      CHECK-LABEL: @f(
      CHECK: arith.muli
      CHECK-NOT: arith.subi
      CHECK-LABEL: @g(
      CHECK-NEXT: arith.subi
    `);
  });

  test('a check that only matches in the next block fails in its own', () => {
    const msg = failure(ir, 'CHECK-LABEL: @f(\nCHECK: arith.subi\nCHECK-LABEL: @g(');
    expect(msg).toContain('check line 2 failed: CHECK: arith.subi');
    expect(msg).toContain('and ended at line 8');
  });

  test('a CHECK-NOT at the end of a block looks only to the next label', () => {
    fileCheck(ir, 'CHECK-LABEL: @f(\nCHECK: tt.return\nCHECK-NOT: arith.subi\nCHECK-LABEL: @g(');
  });

  test('checks before the first label match only before it', () => {
    expect(failure(ir, 'CHECK: arith.muli\nCHECK-LABEL: tt.func public @f')).toContain('check line 1 failed: CHECK: arith.muli');
  });

  test('labels are matched in order, each once', () => {
    expect(failure(ir, 'CHECK-LABEL: @g(\nCHECK-LABEL: @f(')).toContain('check line 2 failed: CHECK-LABEL: @f(');
    expect(failure(ir, 'CHECK-LABEL: @f(\nCHECK-LABEL: @h(')).toContain('no match for the label');
  });

  test('are found before the checks between them run (a failing check names its own line)', () => {
    const msg = failure(ir, 'CHECK-LABEL: @f(\nCHECK: nothing\nCHECK-LABEL: @g(');
    expect(msg).toContain('check line 2 failed');
  });

  test('cannot define or use variables', () => {
    expect(failure(ir, 'CHECK-LABEL: @[[F:.*]](')).toContain('CHECK-LABEL cannot define or use variables');
  });
});

describe('malformed check text', () => {
  test.each([
    ['no directives', 'just text', 'the check text has no CHECK lines'],
    ['a misspelt directive', 'CHECK: module\nCHECK-NXT: tt.func', "unknown directive 'CHECK-NXT:'"],
    ['a combined directive', 'CHECK-LABEL-DAG: x', "unknown directive 'CHECK-LABEL-DAG:'"],
    ['an empty pattern', 'CHECK:   ', 'CHECK has an empty pattern'],
    ['an open {{', 'CHECK: a{{[0-9]+', "'{{' without its closing '}}'"],
    ['an open [[', 'CHECK: a[[X:[0-9]+', "'[[' without its closing ']]'"],
    ['a bad regex', 'CHECK: {{(}}', 'bad regular expression {{(}}'],
    ['a bad capture regex', 'CHECK: [[X:(]]', 'bad regular expression {{(}}'],
    ['a bad variable name', 'CHECK: [[1X:a]]', "bad variable name '1X'"],
    ['a numeric variable', 'CHECK: [[#N]]', 'numeric variables ([[#N]]) are not supported'],
  ])('%s', (_, checks, expected) => {
    const msg = failure(ir, checks);
    expect(msg).toContain(expected);
  });

  test('names the check line', () => {
    const msg = failure(ir, 'CHECK: module\n\nCHECK-NXT: x');
    expect(msg).toContain('bad check line 3');
    try {
      fileCheck(ir, 'CHECK: module\n\nCHECK-NXT: x');
    } catch (e) {
      expect((e as FileCheckError).checkLine).toBe(3);
    }
  });

  test('a use of a variable nothing captured', () => {
    expect(failure(ir, 'CHECK: %[[A]] = arith.muli')).toContain('[[A]] is used, but no earlier check captured it');
  });
});

describe('failure messages', () => {
  test('show the check, the reason, where the search started, and the output with marks', () => {
    const msg = failure(ir, 'CHECK: %a = arith.muli\nCHECK: tt.store %p, %a');
    expect(msg.split('\n').slice(0, 5)).toEqual([
      'FileCheck: check line 2 failed: CHECK: tt.store %p, %a',
      '  no match',
      '  the search started at output line 3, column 20',
      '  output (> search start, = previous match, ? closest line):',
      '      1 | module {',
    ]);
    expect(msg).toContain('\n  >=  3 |     %a = arith.muli %x, %x : i32\n');
    expect(msg).toContain('\n  ?   5 |     tt.store %p, %s\n');
    expect(msg.endsWith('\n     13 | }')).toBe(true);
  });

  test('show a window of a long output around the place', () => {
    const long = Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join('\n');
    const msg = failure(long, 'CHECK: line 100\nCHECK-NEXT: line 150');
    const lines = msg.split('\n');
    const start = lines.indexOf('  output (> search start, = previous match, ! offending match):');
    expect(lines.slice(start + 1)).toEqual([
      '         | ... (96 lines)',
      ...[97, 98, 99].map((i) => `      ${i} | line ${i}`),
      '  >= 100 | line 100',
      ...[101, 102, 103].map((i) => `     ${i} | line ${i}`),
      '         | ... (43 lines)',
      ...[147, 148, 149].map((i) => `     ${i} | line ${i}`),
      '  !  150 | line 150',
      ...[151, 152, 153].map((i) => `     ${i} | line ${i}`),
      '         | ... (47 lines)',
    ]);
  });

  test('vitest reports them as errors whose message is the report', () => {
    expect(() => fileCheck(ir, 'CHECK: nothing')).toThrowError(/check line 1 failed: CHECK: nothing/);
  });
});

test('reads output with CRLF line ends', () => {
  fileCheck('a\r\nb\r\n', 'CHECK: a{{$}}\nCHECK-NEXT: {{^}}b{{$}}');
});

test('a CHECK-NOT between matches on one line looks only between them, even with a greedy regex', () => {
  fileCheck('a x b x', 'CHECK: a\nCHECK-NOT: x{{.*}}x\nCHECK: b');
  expect(failure('a x b', 'CHECK: a\nCHECK-NOT: x{{.*}}\nCHECK: b')).toContain('matches on output line 1, column 3');
});
