// A kernel's parameters as its source declares them: which are constexprs, pointers (and to what) or
// scalars, read from the TypeScript annotations (`BLOCK: constexpr`, `x: Ptr<f16>`, `n: i32`), with their
// default values evaluated. Signatures are plain data, so the compilation cache can keep them.
import type { ts } from 'ts-morph';
import type { SourceSpan } from '../diagnostics.ts';
import { dtypeByName, type DType } from '../semantic/dtype.ts';
import type { Constexpr } from '../semantic/values.ts';
import { Codegen } from './codegen.ts';
import type { ResolvedFunction } from './source.ts';
import { TS } from './typescript.ts';

export type ParamKind = 'constexpr' | 'pointer' | 'scalar' | 'inferred';

export interface KernelParam {
  readonly name: string;
  readonly kind: ParamKind;
  /** The declared pointee (for pointers) or dtype (for scalars), if the annotation names one. */
  readonly dtype?: DType;
  /** The default value (`BLOCK: constexpr = 128`), evaluated. */
  readonly defaultValue?: Constexpr;
  /** Where the parameter is declared, for errors at launch. */
  readonly span: SourceSpan;
}

export interface KernelSignature {
  readonly name: string;
  /** The function's declaration, for errors that concern the whole kernel. */
  readonly span: SourceSpan;
  readonly params: readonly KernelParam[];
}

function typeName(fn: ResolvedFunction, node: ts.EntityName): string {
  const text = TS.isIdentifier(node) ? node.text : node.right.text;
  // Names imported from kt may be renamed locally; map them back to kt's own names.
  return (TS.isIdentifier(node) && fn.source.ktImports.get(text)) || text;
}

function dtypeOfTypeNode(fn: ResolvedFunction, node: ts.TypeNode | undefined): DType | undefined {
  if (!node) return undefined;
  if (TS.isTypeReferenceNode(node)) return dtypeByName(typeName(fn, node.typeName));
  if (TS.isLiteralTypeNode(node) && TS.isStringLiteral(node.literal)) return dtypeByName(node.literal.text);
  return undefined;
}

/**
 * A parameter's declared type: its annotation, or in a JavaScript file its JSDoc type (`@param {constexpr} BLOCK`
 * in the function's doc comment, with kt's names imported by `@import` or written `import('kt').constexpr`).
 */
function declaredType(fn: ResolvedFunction, p: ts.ParameterDeclaration): ts.TypeNode | undefined {
  return p.type ?? (/\.[cm]?js$/.test(fn.source.path) ? TS.getJSDocType(p) : undefined);
}

/** `Name<Args>`, or in JSDoc `import('kt').Name<Args>`: the name (as kt calls it) and the type arguments. */
function typeReference(fn: ResolvedFunction, t: ts.TypeNode): { name: string; args: readonly ts.TypeNode[] | undefined } | undefined {
  if (TS.isTypeReferenceNode(t)) return { name: typeName(fn, t.typeName), args: t.typeArguments };
  if (!TS.isImportTypeNode(t) || !t.qualifier || !TS.isIdentifier(t.qualifier) || !TS.isLiteralTypeNode(t.argument)) return undefined;
  const from = t.argument.literal;
  return TS.isStringLiteral(from) && from.text === 'kt' ? { name: t.qualifier.text, args: t.typeArguments } : undefined;
}

function kindOf(fn: ResolvedFunction, p: ts.ParameterDeclaration): { kind: ParamKind; dtype?: DType } {
  const t = declaredType(fn, p);
  if (!t) return { kind: p.initializer ? 'constexpr' : 'inferred' };
  const ref = typeReference(fn, t);
  if (ref) {
    const name = ref.name;
    if (name === 'constexpr') return { kind: 'constexpr' };
    if (name === 'Ptr' || name === 'Pointer') {
      const arg = ref.args?.[0];
      const dtype = dtypeOfTypeNode(fn, arg);
      if (arg && !dtype) throw fn.source.error(arg, `unknown pointee type '${arg.getText(fn.source.sf)}'`, 'write Ptr<f32>, Ptr<f16>, Ptr<i32>, ... or a bare Ptr');
      return { kind: 'pointer', dtype };
    }
    const dtype = dtypeByName(name);
    if (dtype?.isFp8) {
      // Launches pass scalars as 16-bit or wider parameters; an fp8 tile is made in the kernel instead.
      throw fn.source.error(t, `a scalar parameter cannot be ${dtype.name}`, `take an f32 (or f16) and convert it in the kernel: x.to(tl.${dtype.tritonName})`);
    }
    if (dtype) return { kind: 'scalar', dtype };
    if (name === 'Tile') return { kind: 'inferred' };
    throw fn.source.error(t, `unknown parameter type '${t.getText(fn.source.sf)}'`, 'use Ptr<dtype> for tensors, constexpr for compile-time values, or a dtype such as i32 / f32 for scalars');
  }
  if (t.kind === TS.SyntaxKind.NumberKeyword || t.kind === TS.SyntaxKind.BooleanKeyword || t.kind === TS.SyntaxKind.BigIntKeyword) return { kind: 'inferred' };
  throw fn.source.error(t, `unsupported parameter type '${t.getText(fn.source.sf)}'`, 'use Ptr<dtype>, constexpr, or a dtype such as i32');
}

export function readSignature(fn: ResolvedFunction): KernelSignature {
  const params = fn.node.parameters.map((p): KernelParam => {
    if (!TS.isIdentifier(p.name)) throw fn.source.error(p, 'kernel parameters must be plain names');
    if (p.dotDotDotToken) throw fn.source.error(p, 'rest parameters are not supported in kernels');
    const { kind, dtype } = kindOf(fn, p);
    const defaultValue = p.initializer ? new Codegen().defaultArgument(fn, p.initializer) : undefined;
    return { name: p.name.text, kind, dtype, defaultValue, span: fn.source.span(p) };
  });
  return { name: fn.name, span: fn.source.span(fn.node), params };
}
