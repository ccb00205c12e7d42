// Compile-time arithmetic. Constexprs are TypeScript values, so they follow TypeScript's rules (`%` keeps the
// dividend's sign, bitwise operators work on 32 bits) while remembering, as Python does, whether a number
// was written as a float: `1.0` becomes an f32 constant where `1` becomes an i32.
import { Constexpr, type ConstValue } from '../semantic/values.ts';

type Num = number | bigint;

function asNumber(c: Constexpr): Num | undefined {
  const v = c.value;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' || typeof v === 'bigint' ? v : undefined;
}

export function isTruthy(c: Constexpr): boolean {
  const v = c.value;
  if (typeof v === 'bigint') return v !== 0n;
  return Boolean(v);
}

function deepEqual(a: ConstValue, b: ConstValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x as ConstValue, b[i] as ConstValue));
  if (typeof a === 'bigint' || typeof b === 'bigint') return typeof a !== 'object' && typeof b !== 'object' && BigInt(a as number) === BigInt(b as number);
  return a === b;
}

/** An integer result that lost precision as a double is recomputed exactly. */
function exactInt(value: number, exact: () => bigint): Num {
  return Number.isSafeInteger(value) ? value : exact();
}

export function evalConstBinary(op: string, a: Constexpr, b: Constexpr): Constexpr {
  if (op === '==' || op === '===') return new Constexpr(deepEqual(a.value, b.value));
  if (op === '!=' || op === '!==') return new Constexpr(!deepEqual(a.value, b.value));
  if (op === '+' && (typeof a.value === 'string' || typeof b.value === 'string')) {
    const str = (c: Constexpr): string => (typeof c.value === 'string' ? c.value : c.toString());
    return new Constexpr(str(a) + str(b));
  }
  const x = asNumber(a);
  const y = asNumber(b);
  if (x === undefined || y === undefined) throw new Error(`operator '${op}' cannot combine constexpr ${a} and ${b}`);
  const isFloat = a.isFloat || b.isFloat;
  // Comparisons work across numbers and bigints alike.
  if (op === '<') return new Constexpr(x < y);
  if (op === '<=') return new Constexpr(x <= y);
  if (op === '>') return new Constexpr(x > y);
  if (op === '>=') return new Constexpr(x >= y);
  if (typeof x === 'bigint' || typeof y === 'bigint') {
    if (isFloat || !Number.isInteger(Number(x)) || !Number.isInteger(Number(y))) return floatOp(op, Number(x), Number(y));
    return bigOp(op, BigInt(x), BigInt(y));
  }
  if (isFloat) return floatOp(op, x, y);
  switch (op) {
    case '+':
      return new Constexpr(exactInt(x + y, () => BigInt(x) + BigInt(y)));
    case '-':
      return new Constexpr(exactInt(x - y, () => BigInt(x) - BigInt(y)));
    case '*':
      return new Constexpr(exactInt(x * y, () => BigInt(x) * BigInt(y)));
    case '**':
      return y >= 0 ? new Constexpr(exactInt(x ** y, () => BigInt(x) ** BigInt(y))) : new Constexpr(x ** y, true);
    case '/':
      return new Constexpr(x / y, true);
    case '%':
      if (y === 0) throw new Error('integer remainder by zero in a compile-time expression');
      return new Constexpr(x % y);
    default:
      return bitwise(op, x, y);
  }
}

function floatOp(op: string, x: number, y: number): Constexpr {
  switch (op) {
    case '+':
      return new Constexpr(x + y, true);
    case '-':
      return new Constexpr(x - y, true);
    case '*':
      return new Constexpr(x * y, true);
    case '/':
      return new Constexpr(x / y, true);
    case '%':
      return new Constexpr(x % y, true);
    case '**':
      return new Constexpr(x ** y, true);
    default:
      throw new Error(`operator '${op}' needs integers, got ${x} and ${y}`);
  }
}

function bitwise(op: string, x: number, y: number): Constexpr {
  switch (op) {
    case '&':
      return new Constexpr(x & y);
    case '|':
      return new Constexpr(x | y);
    case '^':
      return new Constexpr(x ^ y);
    case '<<':
      return new Constexpr(x << y);
    case '>>':
      return new Constexpr(x >> y);
    case '>>>':
      return new Constexpr(x >>> y);
    default:
      throw new Error(`operator '${op}' is not supported on compile-time numbers`);
  }
}

function bigOp(op: string, x: bigint, y: bigint): Constexpr {
  const norm = (v: bigint): Constexpr => new Constexpr(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
  switch (op) {
    case '+':
      return norm(x + y);
    case '-':
      return norm(x - y);
    case '*':
      return norm(x * y);
    case '/':
      return new Constexpr(Number(x) / Number(y), true);
    case '%':
      if (y === 0n) throw new Error('integer remainder by zero in a compile-time expression');
      return norm(x % y);
    case '**':
      return norm(x ** y);
    case '&':
      return norm(x & y);
    case '|':
      return norm(x | y);
    case '^':
      return norm(x ^ y);
    case '<<':
      return norm(x << y);
    case '>>':
      return norm(x >> y);
    default:
      throw new Error(`operator '${op}' is not supported on 64-bit compile-time integers`);
  }
}

export function evalConstUnary(op: string, a: Constexpr): Constexpr {
  if (op === '!') return new Constexpr(!isTruthy(a));
  const x = asNumber(a);
  if (x === undefined) throw new Error(`operator '${op}' cannot apply to constexpr ${a}`);
  switch (op) {
    case '-':
      return new Constexpr(typeof x === 'bigint' ? -x : -x, a.isFloat);
    case '+':
      return new Constexpr(x, a.isFloat);
    case '~':
      if (a.isFloat) throw new Error(`~ needs an integer, got ${a}`);
      return new Constexpr(typeof x === 'bigint' ? ~x : ~x);
  }
  throw new Error(`unsupported unary operator '${op}'`);
}

const MATH_CONSTANTS: Record<string, number> = {
  PI: Math.PI,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  SQRT2: Math.SQRT2,
  SQRT1_2: Math.SQRT1_2,
};

export function mathConstant(name: string): number | undefined {
  return MATH_CONSTANTS[name];
}

type MathFn = (args: Constexpr[]) => Constexpr;

const num = (c: Constexpr, fn: string): number => {
  const v = asNumber(c);
  if (v === undefined) throw new Error(`Math.${fn} needs numbers, got ${c}`);
  return Number(v);
};

function unary(fn: (x: number) => number, integral: boolean): MathFn {
  return (args) => {
    if (args.length !== 1) throw new Error('expects one argument');
    const r = fn(num(args[0]!, 'function'));
    return new Constexpr(r, integral ? false : !Number.isInteger(r) || args[0]!.isFloat);
  };
}

const MATH_FUNCTIONS: Record<string, MathFn> = {
  floor: unary(Math.floor, true),
  ceil: unary(Math.ceil, true),
  trunc: unary(Math.trunc, true),
  round: unary(Math.round, true),
  abs: unary(Math.abs, false),
  sqrt: unary(Math.sqrt, false),
  log2: unary(Math.log2, false),
  log: unary(Math.log, false),
  exp: unary(Math.exp, false),
  sign: unary(Math.sign, true),
  max: (args) => new Constexpr(Math.max(...args.map((a) => num(a, 'max'))), args.some((a) => a.isFloat)),
  min: (args) => new Constexpr(Math.min(...args.map((a) => num(a, 'min'))), args.some((a) => a.isFloat)),
  pow: (args) => evalConstBinary('**', args[0]!, args[1]!),
};

export function mathFunction(name: string): MathFn | undefined {
  return MATH_FUNCTIONS[name];
}
