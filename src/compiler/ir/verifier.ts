// Checks that IR is well formed: known ops with the right arity and attributes, types that agree
// (each op's own verifier in ops.ts), terminators where they belong, and every use after its definition.
// Run after the frontend and after each pass, so a broken pass is caught where it breaks things.
import { formatLocation, type Block, type Operation, type Value } from './core.ts';
import { attributeMatches, getOpDef, hasTrait } from './ops.ts';
import { printOp } from './printer.ts';

export class IrVerifyError extends Error {
  constructor(
    message: string,
    readonly op: Operation,
  ) {
    const text = printOp(op).split('\n').find((l) => !l.startsWith('#'));
    super(`IR verification failed at ${formatLocation(op.loc)}: ${op.name}: ${message}\n  ${text}`);
  }
}

const arityOk = (n: number, arity: number | readonly [number, number]): boolean =>
  typeof arity === 'number' ? n === arity : n >= arity[0] && n <= arity[1];

export function verify(root: Operation): void {
  verifyOp(root, new Set());
}

function verifyOp(op: Operation, visible: Set<Value>): void {
  const d = getOpDef(op.name);
  if (!d) throw new IrVerifyError('unknown op', op);
  if (!arityOk(op.operands.length, d.operands)) throw new IrVerifyError(`wrong number of operands (${op.operands.length})`, op);
  if (!arityOk(op.results.length, d.results)) throw new IrVerifyError(`wrong number of results (${op.results.length})`, op);
  if (!arityOk(op.regions.length, d.regions ?? 0)) throw new IrVerifyError(`wrong number of regions (${op.regions.length})`, op);
  for (const v of op.operands) {
    if (!visible.has(v)) throw new IrVerifyError('uses a value that is not defined before it (or not in scope)', op);
  }
  const declared = d.attrs ?? {};
  for (const [key, kind] of Object.entries(declared)) {
    const name = key.endsWith('?') ? key.slice(0, -1) : key;
    const a = op.attrs[name];
    if (a === undefined) {
      if (!key.endsWith('?')) throw new IrVerifyError(`missing attribute '${name}'`, op);
    } else if (!attributeMatches(a, kind)) {
      throw new IrVerifyError(`attribute '${name}' has the wrong kind (expected ${Array.isArray(kind) ? kind.join('|') : kind})`, op);
    }
  }
  for (const name of Object.keys(op.attrs)) {
    // Undeclared attributes are allowed only as dialect-prefixed hints (tt.divisibility, tt.contiguity, ...).
    if (!(name in declared) && !(`${name}?` in declared) && !name.includes('.')) {
      throw new IrVerifyError(`unknown attribute '${name}'`, op);
    }
  }
  const problem = d.verify?.(op);
  if (problem) throw new IrVerifyError(problem, op);

  // Regions see the values visible at the op; functions are isolated from their surroundings.
  const isolated = op.name === 'tt.func' || op.name === 'builtin.module';
  for (const region of op.regions) {
    for (const block of region.blocks) verifyBlock(block, op, new Set(isolated ? [] : visible));
  }
  for (const r of op.results) visible.add(r);
}

function verifyBlock(block: Block, parent: Operation, visible: Set<Value>): void {
  for (const a of block.args) visible.add(a);
  const needsTerminator = parent.name !== 'builtin.module';
  block.ops.forEach((op, i) => {
    const last = i === block.ops.length - 1;
    if (hasTrait(op, 'terminator') && !last) throw new IrVerifyError('a terminator must end its block', op);
    if (last && needsTerminator && !hasTrait(op, 'terminator')) {
      throw new IrVerifyError(`the block must end with a terminator (in ${parent.name})`, op);
    }
    verifyOp(op, visible);
  });
  if (needsTerminator && block.ops.length === 0) throw new IrVerifyError('a region block is empty (it needs a terminator)', parent);
}
