// Names in a kernel: block-scoped bindings as in TypeScript, and the kinds of value a name can hold.
import type { KernelSource, ResolvedFunction } from './source.ts';
import { Constexpr, TValue } from '../semantic/values.ts';

/** Several values travelling together: a destructurable result such as tl.split's, or an array literal of values. */
export class Tuple {
  constructor(readonly items: readonly KValue[]) {}
  toString(): string {
    return `[${this.items.map(String).join(', ')}]`;
  }
}

/** Something that can be called: a tl builtin, a method of a value, a helper function, or a namespace member. */
export type Callable =
  | { readonly kind: 'builtin'; readonly name: string }
  | { readonly kind: 'method'; readonly name: string; readonly self: TValue | Constexpr }
  | { readonly kind: 'function'; readonly fn: ResolvedFunction }
  | { readonly kind: 'namespace'; readonly name: 'tl' | 'Math' | 'kt' };

export type KValue = TValue | Constexpr | Tuple | Callable;

export const isCallable = (v: KValue): v is Callable => !(v instanceof TValue || v instanceof Constexpr || v instanceof Tuple);

export function describeValue(v: KValue): string {
  if (v instanceof TValue) return v.type.toString();
  if (v instanceof Constexpr) return `constexpr ${v.toString()}`;
  if (v instanceof Tuple) return `tuple ${v.toString()}`;
  switch (v.kind) {
    case 'builtin':
      return `tl.${v.name}`;
    case 'method':
      return `method .${v.name}`;
    case 'function':
      return `function ${v.fn.name}`;
    case 'namespace':
      return v.name;
  }
}

export class Binding {
  constructor(
    readonly name: string,
    public value: KValue,
    /** false for `const` declarations and constexpr parameters. */
    readonly mutable: boolean,
    readonly isConstexprParam = false,
    /** Set for a declared but unassigned `let`. */
    public unassigned = false,
  ) {}
}

export class Scope {
  readonly vars = new Map<string, Binding>();
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  /**
   * Every binding of this scope and the enclosing ones, shadowed ones included: code compiled into a branch
   * may still change a shadowed one (the rest of the function, after an early return, runs in an outer scope).
   */
  all(): Binding[] {
    const out: Binding[] = [];
    for (let s: Scope | undefined = this; s; s = s.parent) out.push(...s.vars.values());
    return out;
  }

  /** Every binding visible from this scope, innermost first. */
  visible(): Binding[] {
    const seen = new Set<string>();
    const out: Binding[] = [];
    for (let s: Scope | undefined = this; s; s = s.parent) {
      for (const [name, b] of s.vars) {
        if (!seen.has(name)) {
          seen.add(name);
          out.push(b);
        }
      }
    }
    return out;
  }
}

/** What the code generator knows about the function it is compiling. */
export interface FunctionContext {
  readonly source: KernelSource;
  readonly name: string;
  scope: Scope;
  /** The pseudo-variable that `return` assigns; if-merging carries it like any variable. */
  readonly returned: Binding;
  loopDepth: number;
}

