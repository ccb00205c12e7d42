// Writes a shrunk mismatch as a vitest regression case under test/fuzz/cases/: the program (which the test
// renders and runs as the fuzzer did), its kernel source in a comment, and what differed. The test fails until
// the tiers agree on it. A case found to be a real, not yet fixed bug is kept out of CI by renaming it to
// `<name>.known.ts` (not matched by vitest's `*.test.ts`) with a comment naming the bug; rename it back once fixed.
import fs from 'node:fs';
import path from 'node:path';
import { render, type Program } from './program.ts';
import type { Outcome } from './exec.ts';

export const casesDir = path.join(import.meta.dirname, 'cases');

export function writeCase(p: Program, outcome: Outcome, origin: string, dir = casesDir): string {
  fs.mkdirSync(dir, { recursive: true });
  const key = JSON.stringify(p);
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) >>> 0;
  const name = `case-${h.toString(16).padStart(8, '0')}`;
  const file = path.join(dir, `${name}.test.ts`);
  const comment = (text: string): string =>
    text
      .trimEnd()
      .split('\n')
      .map((l) => `// ${l}`.trimEnd())
      .join('\n');
  const src = `// A differential-fuzzer mismatch (${origin}), shrunk. Tier: ${outcome.tier ?? '?'}.
${comment(`What differed: ${outcome.detail}`)}
//
// The kernel (rendered from \`program\` by test/fuzz/program.ts; M = ${p.M}, N = ${p.N}, BR = ${p.BR}, BC = ${p.BC}, numWarps = ${p.numWarps}, FLAG = ${p.flag}, CT = ${p.ct}):
//
${comment(render(p))}
import { afterAll, expect, test } from 'vitest';
import { cleanup, runProgram } from '../exec.ts';
import type { Program } from '../program.ts';

afterAll(cleanup);

const program: Program = ${JSON.stringify(p, null, 2)};

test('fuzz ${name}: the interpreter and the ${outcome.tier ?? 'other'} tier agree', async () => {
  const r = await runProgram(program);
  expect(r.detail).toBe('');
  expect(r.status).toBe('ok');
});
`;
  fs.writeFileSync(file, src);
  return file;
}
