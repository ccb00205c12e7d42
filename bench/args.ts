// The benchmarks' command-line options: `--name value`.

/** The value after `--name` on the command line, or `fallback` where it is not given. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
