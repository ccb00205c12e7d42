// Types of readme-examples.mjs (plain JavaScript, so that check.sh runs it with plain Node), for
// readme-examples.test.ts.
export interface ReadmeBlock {
  /** The line of the block's first line of code (1-based). */
  line: number;
  info: string;
  code: string;
  lines: string[];
  /** The block's first non-blank line, trimmed: what an entry names it by. */
  key: string;
}
export interface ReadmeItem {
  kind: 'block' | 'command';
  key: string;
  line: number;
}
export interface Example {
  name: string;
  items: string[];
  skip?: string;
  run?: (ex: unknown) => Promise<void>;
}
export function readmeBlocks(text: string): ReadmeBlock[];
export function readmeItems(text: string): ReadmeItem[];
export const examples: Example[];
export function coverageProblems(items: ReadmeItem[]): string[];
