// A kernel's parameters as its source declares them: which are constexprs, pointers (and to what) or
// scalars, read from the TypeScript annotations (`BLOCK: constexpr`, `x: Ptr<f16>`, `n: i32`).
import { ts } from 'ts-morph';
import { dtypeByName, type DType } from '../semantic/dtype.ts';
import type { ResolvedFunction } from './source.ts';

export type ParamKind = 'constexpr' | 'pointer' | 'scalar' | 'inferred';

export interface KernelParam {
  readonly name: string;
  readonly kind: ParamKind;
  /** The declared pointee (for pointers) or dtype (for scalars), if the annotation names one. */
  readonly dtype?: DType;
  readonly node: ts.ParameterDeclaration;
  /** The default value's expression (`BLOCK: constexpr = 128`). */
  readonly initializer?: ts.Expression;
}

function typeName(fn: ResolvedFunction, node: ts.EntityName): string {
  const text = ts.isIdentifier(node) ? node.text : node.right.text;
  // Names imported from kt may be renamed locally; map them back to kt's own names.
  return (ts.isIdentifier(node) && fn.source.ktImports.get(text)) || text;
}

function dtypeOfTypeNode(fn: ResolvedFunction, node: ts.TypeNode | undefined): DType | undefined {
  if (!node) return undefined;
  if (ts.isTypeReferenceNode(node)) return dtypeByName(typeName(fn, node.typeName));
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return dtypeByName(node.literal.text);
  return undefined;
}

function paramOf(fn: ResolvedFunction, p: ts.ParameterDeclaration): KernelParam {
  if (!ts.isIdentifier(p.name)) throw fn.source.error(p, 'kernel parameters must be plain names');
  if (p.dotDotDotToken) throw fn.source.error(p, 'rest parameters are not supported in kernels');
  const base = { name: p.name.text, node: p, initializer: p.initializer };
  const t = p.type;
  if (!t) return { ...base, kind: p.initializer ? 'constexpr' : 'inferred' };
  if (ts.isTypeReferenceNode(t)) {
    const name = typeName(fn, t.typeName);
    if (name === 'constexpr') return { ...base, kind: 'constexpr' };
    if (name === 'Ptr' || name === 'Pointer') {
      const arg = t.typeArguments?.[0];
      const dtype = dtypeOfTypeNode(fn, arg);
      if (arg && !dtype) throw fn.source.error(arg, `unknown pointee type '${arg.getText(fn.source.sf)}'`, 'write Ptr<f32>, Ptr<f16>, Ptr<i32>, ... or a bare Ptr');
      return { ...base, kind: 'pointer', dtype };
    }
    const dtype = dtypeByName(name);
    if (dtype) return { ...base, kind: 'scalar', dtype };
    if (name === 'Tile') return { ...base, kind: 'inferred' };
    throw fn.source.error(t, `unknown parameter type '${t.getText(fn.source.sf)}'`, 'use Ptr<dtype> for tensors, constexpr for compile-time values, or a dtype such as i32 / f32 for scalars');
  }
  if (t.kind === ts.SyntaxKind.NumberKeyword || t.kind === ts.SyntaxKind.BooleanKeyword || t.kind === ts.SyntaxKind.BigIntKeyword) {
    return { ...base, kind: 'inferred' };
  }
  throw fn.source.error(t, `unsupported parameter type '${t.getText(fn.source.sf)}'`, 'use Ptr<dtype>, constexpr, or a dtype such as i32');
}

export function kernelParams(fn: ResolvedFunction): KernelParam[] {
  return fn.node.parameters.map((p) => paramOf(fn, p));
}
