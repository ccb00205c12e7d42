// Every example and command of README.md is run by test/package/check.sh (through readme-examples.mjs) or skipped
// there with a reason. check.sh takes minutes and runs last in CI; this checks in a moment that the README and
// readme-examples.mjs still agree, so that a new or changed README example fails here first.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { coverageProblems, examples, readmeBlocks, readmeItems } from './readme-examples.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README examples', () => {
  test('every code block and command of README.md is run or skipped with a reason by check.sh', () => {
    expect(coverageProblems(readmeItems(readme))).toEqual([]);
    for (const example of examples) {
      if (example.skip === undefined) expect(typeof example.run, example.name).toBe('function');
      else expect(example.skip.length, `${example.name}: the reason it is skipped`).toBeGreaterThan(10);
    }
  });

  test('the npm scripts the README names exist (check.sh skips them: they belong to the checkout)', () => {
    const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const named = readmeItems(readme).filter((i) => /^npm (test|run \S+)$/.test(i.key));
    expect(named.length).toBeGreaterThan(3);
    for (const { key } of named) expect(scripts, key).toHaveProperty(key === 'npm test' ? 'test' : key.slice('npm run '.length));
  });

  // The coverage check itself: a block or command added to the README, or one an entry names that is gone, is
  // reported (so the first test cannot pass by finding nothing).
  test('a README example that no entry names, or an entry naming a missing one, is reported', () => {
    expect(readmeBlocks(readme).length).toBeGreaterThan(20);
    const added = `${readme}\n\`\`\`ts\nconsole.log('new example');\n\`\`\`\n\nRun \`npx kt something-new\`.\n`;
    const problems = coverageProblems(readmeItems(added));
    expect(problems).toEqual([
      expect.stringContaining("the block `console.log('new example');` is neither run nor skipped"),
      expect.stringContaining('the command `npx kt something-new` is neither run nor skipped'),
    ]);
    const removed = readme.replace(/^```ts\n\/\/ bench-add\.ts\n/m, '```ts\n// renamed.ts\n');
    expect(coverageProblems(readmeItems(removed))).toEqual(
      expect.arrayContaining([expect.stringContaining('names `// bench-add.ts`, which README.md does not have'), expect.stringContaining('`// renamed.ts` is neither run nor skipped')]),
    );
  });
});
