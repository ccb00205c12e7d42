// Reading kernel source files with ts-morph: parsing, what a file imports from kt, its top-level functions and
// constants, locating a `kernel(...)` call, and turning AST nodes into locations and error spans.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Project as MorphProject, ts } from 'ts-morph';
import { TS, createProject } from './typescript.ts';
import type { Location } from '../ir/core.ts';
import { CompileError, type SourceSpan } from '../diagnostics.ts';

/** kt's own src/ directory: imports that resolve into it are imports of kt. */
const ktSourceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type FunctionNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction;

export interface ResolvedFunction {
  readonly source: KernelSource;
  readonly node: FunctionNode;
  readonly name: string;
}

let project: MorphProject | undefined;
function getProject(): MorphProject {
  project ??= createProject({
    useInMemoryFileSystem: true,
    skipFileDependencyResolution: true,
    compilerOptions: { target: TS.ScriptTarget.ES2022, allowJs: true },
  });
  return project;
}

const cache = new Map<string, KernelSource>();

/** The parsed file at `file`, re-read when its contents change. */
export function loadSource(file: string): KernelSource {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new CompileError(`cannot read kernel source ${abs}: ${(e as Error).message}`, undefined);
  }
  const cached = cache.get(abs);
  if (cached && cached.text === text) return cached;
  const src = new KernelSource(abs, text);
  cache.set(abs, src);
  return src;
}

export class KernelSource {
  readonly sf: ts.SourceFile;
  /** Local name -> name exported by kt, for everything this file imports from kt. */
  readonly ktImports = new Map<string, string>();
  /** Local name -> [module specifier, exported name] for named imports from other files. */
  readonly otherImports = new Map<string, [string, string]>();
  readonly functions = new Map<string, FunctionNode>();
  readonly constants = new Map<string, ts.Expression>();

  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    const morph = getProject().createSourceFile(path, text, { overwrite: true, scriptKind: path.endsWith('.js') ? TS.ScriptKind.JS : TS.ScriptKind.TS });
    this.sf = morph.compilerNode;
    for (const imp of morph.getImportDeclarations()) {
      const spec = imp.getModuleSpecifierValue();
      const fromKt = spec === 'kt' || spec.startsWith('kt/') || this.resolvesIntoKt(spec);
      for (const named of imp.getNamedImports()) {
        const local = named.getAliasNode()?.getText() ?? named.getName();
        if (fromKt) this.ktImports.set(local, named.getName());
        else this.otherImports.set(local, [spec, named.getName()]);
      }
      const ns = imp.getNamespaceImport();
      if (ns && fromKt) this.ktImports.set(ns.getText(), '*');
    }
    for (const stmt of this.sf.statements) {
      if (TS.isFunctionDeclaration(stmt) && stmt.name) this.functions.set(stmt.name.text, stmt);
      if (TS.isVariableStatement(stmt) && stmt.declarationList.flags & TS.NodeFlags.Const) {
        for (const d of stmt.declarationList.declarations) {
          if (!TS.isIdentifier(d.name) || !d.initializer) continue;
          const init = unwrap(d.initializer);
          if (TS.isFunctionExpression(init) || TS.isArrowFunction(init)) this.functions.set(d.name.text, init);
          else this.constants.set(d.name.text, d.initializer);
        }
      }
    }
  }

  private resolvesIntoKt(spec: string): boolean {
    if (!spec.startsWith('.')) return false;
    const target = path.resolve(path.dirname(this.path), spec);
    return target.startsWith(ktSourceDir + path.sep) || target === path.join(ktSourceDir, 'index.ts');
  }

  /** The line (1-based) and column (1-based) of a node's first character. */
  position(node: ts.Node): { line: number; col: number } {
    const { line, character } = this.sf.getLineAndCharacterOfPosition(node.getStart(this.sf));
    return { line: line + 1, col: character + 1 };
  }

  loc(node: ts.Node): Location {
    return { file: this.path, ...this.position(node) };
  }

  span(node: ts.Node): SourceSpan {
    const { line, col } = this.position(node);
    const lineText = this.lineText(line);
    const start = node.getStart(this.sf);
    const text = this.text.slice(start, node.getEnd());
    const firstLine = text.split('\n')[0]!;
    return { file: this.path, line, col, length: Math.max(1, firstLine.length), lineText };
  }

  lineText(line: number): string {
    return this.text.split('\n')[line - 1]?.replace(/\r$/, '') ?? '';
  }

  error(node: ts.Node, message: string, hint?: string): CompileError {
    return new CompileError(message, this.span(node), hint);
  }

  /** The function called `name` at the top level of this file, or imported by it from another .ts file. */
  resolveFunction(name: string): ResolvedFunction | undefined {
    const local = this.functions.get(name);
    if (local) return { source: this, node: local, name };
    const imp = this.otherImports.get(name);
    if (!imp || !imp[0].startsWith('.')) return undefined;
    const base = path.resolve(path.dirname(this.path), imp[0]);
    const candidates = [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')];
    const file = candidates.find((c) => c.endsWith('.ts') && fs.existsSync(c));
    if (!file) return undefined;
    return loadSource(file).resolveFunction(imp[1]);
  }

  /**
   * The function given to the `kernel(...)` call at `line` (the call site recorded when the kernel was
   * declared), or the function named `name` when no call is found there.
   */
  findKernelFunction(line: number | undefined, name: string): ResolvedFunction | undefined {
    if (line !== undefined) {
      let best: ts.CallExpression | undefined;
      const visit = (node: ts.Node): void => {
        if (TS.isCallExpression(node) && this.isKernelFactory(node.expression)) {
          const { line: l } = this.position(node);
          const endLine = this.sf.getLineAndCharacterOfPosition(node.expression.getEnd()).line + 1;
          if (l <= line && line <= endLine && (!best || node.getStart(this.sf) > best.getStart(this.sf))) best = node;
        }
        TS.forEachChild(node, visit);
      };
      visit(this.sf);
      const arg = best?.arguments[0] && unwrap(best.arguments[0]);
      if (arg && (TS.isFunctionExpression(arg) || TS.isArrowFunction(arg))) {
        return { source: this, node: arg, name: arg.name?.text ?? (name || kernelVariableName(best!) || 'kernel') };
      }
      if (arg && TS.isIdentifier(arg)) return this.resolveFunction(arg.text);
    }
    return name ? this.resolveFunction(name) : undefined;
  }

  private isKernelFactory(callee: ts.Expression): boolean {
    const e = unwrap(callee);
    if (TS.isIdentifier(e)) {
      const exported = this.ktImports.get(e.text);
      return exported === 'kernel' || exported === 'autotune';
    }
    if (TS.isPropertyAccessExpression(e) && TS.isIdentifier(e.expression)) {
      return this.ktImports.get(e.expression.text) === '*' && (e.name.text === 'kernel' || e.name.text === 'autotune');
    }
    return false;
  }
}

/** `const add = kernel(...)` -> "add". */
function kernelVariableName(call: ts.CallExpression): string | undefined {
  const parent = call.parent;
  return parent && TS.isVariableDeclaration(parent) && TS.isIdentifier(parent.name) ? parent.name.text : undefined;
}

/** Strips parentheses, `as`, `satisfies` and `!` around an expression. */
export function unwrap(e: ts.Expression): ts.Expression {
  let x = e;
  for (;;) {
    if (TS.isParenthesizedExpression(x) || TS.isAsExpression(x) || TS.isNonNullExpression(x) || TS.isSatisfiesExpression(x) || TS.isTypeAssertionExpression(x)) {
      x = x.expression;
    } else return x;
  }
}
