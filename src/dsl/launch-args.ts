// How a launch's arguments are read, shared by kt's kernels and the kernels of bundles (which must not load the
// compiler): the grid, and the split of the arguments into positional ones and a trailing object of named ones.

export type GridDims = number | readonly number[];
/** A launch grid: up to three sizes, or a function of the launch's named values (Triton's `grid = lambda META: ...`). */
export type Grid = GridDims | ((meta: Record<string, unknown>) => GridDims);

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A launch's arguments: the positional ones, and the named ones of a trailing plain object (constexprs, options). */
export function splitArguments(args: readonly unknown[]): { positional: unknown[]; named: Record<string, unknown> } {
  const positional = [...args];
  const named = positional.length && isPlainObject(positional[positional.length - 1]) ? { ...(positional.pop() as Record<string, unknown>) } : {};
  return { positional, named };
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The grid's three sizes; a function of the launch's named values is called with them. */
export function resolveGrid(grid: Grid, meta: Record<string, unknown>, kernelName: string): [number, number, number] {
  const g = typeof grid === 'function' ? grid(meta) : grid;
  if (Array.isArray(g) && g.length >= 1 && g.length <= 3) {
    // The common case, checked without allocating more than the result.
    const x: unknown = g[0];
    const y: unknown = g.length > 1 ? g[1] : 1;
    const z: unknown = g.length > 2 ? g[2] : 1;
    if (isSize(x) && isSize(y) && isSize(z)) return [x, y, z];
  }
  const dims = typeof g === 'number' ? [g] : [...(g as readonly number[])];
  if (dims.length < 1 || dims.length > 3 || !dims.every(isSize)) {
    throw new RangeError(`kernel '${kernelName}': the grid must be 1 to 3 non-negative integers, got ${JSON.stringify(g)}`);
  }
  return [dims[0]!, dims[1] ?? 1, dims[2] ?? 1];
}

/** Ceiling division for grid sizes on the host: cdiv(1000, 128) = 8. */
export function cdiv(a: number, b: number): number {
  return Math.ceil(a / b);
}
