// Reads the printer's textual form back into IR, so that tests and tools can start from IR text.
import { DenseAttr, FloatAttr, IntegerAttr, SymbolRefAttr, TypeAttr, type Attribute, type Attributes } from './attributes.ts';
import { Block, Operation, Region, Value, unknownLoc, type Location } from './core.ts';
import { Layout, NvidiaMmaLayout, SharedEncoding, blockedLayout, dotOperandLayout, nvidiaMmaLayout, nvmmaSharedLayout, sharedLayout, sliceLayout } from './layouts.ts';
import {
  FloatType,
  IntType,
  TensorType,
  floatType,
  functionType,
  intType,
  isScalarType,
  memDescType,
  pointerType,
  tensorType,
  type FloatKind,
  type Type,
} from './types.ts';

export class IrParseError extends Error {
  constructor(message: string, line: number, col: number, sourceLine: string) {
    super(`IR text ${line}:${col}: ${message}\n  ${sourceLine}\n  ${' '.repeat(Math.max(0, col - 1))}^`);
  }
}

const floatKinds: readonly FloatKind[] = ['bf16', 'f16', 'f32', 'f64', 'f8E4M3FN', 'f8E5M2'];

/** Parses a module (`module { ... }`) or a sequence of functions, returning a builtin.module op. */
export function parseModule(text: string): Operation {
  const p = new Parser(text);
  const module = new Operation('builtin.module', [], [], {}, [new Region([new Block()])], unknownLoc);
  const body = module.regions[0]!.entry;
  p.ws();
  while (p.peek('#')) p.aliasDefinition();
  const wrapped = p.eat('module');
  if (wrapped && p.eat('attributes')) Object.assign(module.attrs, p.moduleAttributes());
  if (wrapped) p.expect('{');
  for (;;) {
    p.ws();
    if (p.done() || (wrapped && p.peek('}'))) break;
    body.append(p.func());
  }
  if (wrapped) p.expect('}');
  p.ws();
  if (!p.done()) p.fail('unexpected text after the module');
  return module;
}

/** Parses a single type such as `tensor<128x!tt.ptr<f32>>`. */
export function parseType(text: string): Type {
  const p = new Parser(text);
  const t = p.type();
  p.ws();
  if (!p.done()) p.fail('unexpected text after the type');
  return t;
}

class Parser {
  private pos = 0;
  private scope = new Map<string, Value>();
  private readonly layoutAliases = new Map<string, Layout>();
  constructor(private readonly src: string) {}

  done(): boolean {
    return this.pos >= this.src.length;
  }

  fail(message: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    const lineStart = before.lastIndexOf('\n') + 1;
    const lineEnd = this.src.indexOf('\n', this.pos);
    throw new IrParseError(message, line, this.pos - lineStart + 1, this.src.slice(lineStart, lineEnd < 0 ? undefined : lineEnd));
  }

  ws(): void {
    for (;;) {
      while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
      if (this.src.startsWith('//', this.pos)) {
        const nl = this.src.indexOf('\n', this.pos);
        this.pos = nl < 0 ? this.src.length : nl;
      } else return;
    }
  }

  peek(s: string): boolean {
    this.ws();
    return this.src.startsWith(s, this.pos);
  }

  /** Like peek, but only on the current line: an op without operands must not take the next op's result. */
  peekOnLine(s: string): boolean {
    while (this.pos < this.src.length && (this.src[this.pos] === ' ' || this.src[this.pos] === '\t')) this.pos++;
    return this.src.startsWith(s, this.pos);
  }

  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    // A keyword must not run on into an identifier (`module` vs `modulex`).
    if (/[A-Za-z0-9_]$/.test(s) && /[A-Za-z0-9_.]/.test(this.src[this.pos + s.length] ?? '')) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string): void {
    if (!this.eat(s)) this.fail(`expected '${s}'`);
  }

  private match(re: RegExp): string | undefined {
    this.ws();
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (!m || m.index !== this.pos) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  ident(): string {
    return this.match(/[A-Za-z_][A-Za-z0-9_$.]*/y) ?? this.fail('expected an identifier');
  }

  private valueName(prefix: '%' | '^'): string | undefined {
    const m = this.match(prefix === '%' ? /%[A-Za-z0-9_$.]+/y : /\^[A-Za-z0-9_$.]+/y);
    return m?.slice(1);
  }

  private use(): Value {
    const start = this.pos;
    const name = this.valueName('%');
    if (name === undefined) this.fail('expected a value such as %x');
    const v = this.scope.get(name);
    if (!v) {
      this.pos = start;
      this.fail(`use of undefined value %${name}`);
    }
    return v;
  }

  private define(name: string, v: Value): void {
    if (this.scope.has(name)) this.fail(`value %${name} is defined twice`);
    if (!/^\d+$/.test(name)) v.nameHint = name;
    this.scope.set(name, v);
  }

  // ---- layouts ----

  /** `#name = #ttg.blocked<...>` at the top of a module. */
  aliasDefinition(): void {
    const name = this.match(/#[A-Za-z_][A-Za-z0-9_]*/y) ?? this.fail('expected a layout alias such as #blocked');
    this.expect('=');
    const l = this.layout();
    if (this.layoutAliases.has(name)) this.fail(`layout alias ${name} is defined twice`);
    this.layoutAliases.set(name, l);
  }

  layout(): Layout {
    this.ws();
    if (this.eat('#ttg.')) {
      const kind = this.ident();
      this.expect('<');
      const a = this.attrDict();
      this.expect('>');
      const ints = (key: string): number[] => {
        const v = a[key];
        if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) this.fail(`layout ${kind} needs ${key} = [integers]`);
        return v as number[];
      };
      const int = (key: string): number => {
        const v = a[key];
        if (typeof v !== 'number') this.fail(`layout ${kind} needs ${key} = integer`);
        return v;
      };
      switch (kind) {
        case 'blocked':
          return blockedLayout(ints('sizePerThread'), ints('threadsPerWarp'), ints('warpsPerCTA'), ints('order'));
        case 'slice': {
          const parent = a['parent'];
          if (!(parent instanceof Layout)) this.fail('a slice layout needs parent = <layout>');
          return sliceLayout(int('dim'), parent);
        }
        case 'shared':
          return sharedLayout(int('vec'), int('perPhase'), int('maxPhase'), ints('order'));
        case 'nvidia_mma': {
          const version = int('versionMajor');
          if (version !== 2 && version !== 3) this.fail(`nvidia_mma versionMajor must be 2 (mma.sync) or 3 (wgmma), got ${version}`);
          return nvidiaMmaLayout(version, ints('warpsPerCTA'), ints('instrShape'));
        }
        case 'dot_op': {
          const parent = a['parent'];
          if (!(parent instanceof NvidiaMmaLayout)) this.fail('a dot_op layout needs parent = <an nvidia_mma layout>');
          const opIdx = int('opIdx');
          if (opIdx !== 0 && opIdx !== 1) this.fail(`dot_op opIdx must be 0 (A) or 1 (B), got ${opIdx}`);
          return dotOperandLayout(opIdx, parent, int('kWidth'));
        }
        case 'nvmma_shared': {
          const swizzle = int('swizzlingByteWidth');
          if (![0, 32, 64, 128].includes(swizzle)) this.fail(`nvmma_shared swizzlingByteWidth must be 0, 32, 64 or 128, got ${swizzle}`);
          const transposed = a['transposed'];
          if (typeof transposed !== 'boolean') this.fail('nvmma_shared needs transposed = true or false');
          return nvmmaSharedLayout(swizzle as 0 | 32 | 64 | 128, int('elementBitWidth'), transposed);
        }
        default:
          return this.fail(`unknown layout #ttg.${kind}`);
      }
    }
    const name = this.match(/#[A-Za-z_][A-Za-z0-9_]*/y) ?? this.fail('expected a layout');
    return this.layoutAliases.get(name) ?? this.fail(`unknown layout alias ${name}`);
  }

  // ---- types ----

  type(): Type {
    this.ws();
    if (this.eat('!tt.ptr<')) {
      const pointee = this.type();
      const space = this.eat(',') ? Number(this.match(/\d+/y) ?? this.fail('expected an address space')) : 1;
      this.expect('>');
      return pointerType(pointee, space);
    }
    if (this.eat('tensor<')) {
      const shape: number[] = [];
      for (let d = this.match(/\d+x/y); d; d = this.match(/\d+x/y)) shape.push(Number(d.slice(0, -1)));
      const el = this.type();
      if (!isScalarType(el)) this.fail(`a tensor cannot hold ${el.text}`);
      const encoding = this.eat(',') ? this.layout() : undefined;
      this.expect('>');
      return tensorType(shape, el, encoding);
    }
    if (this.eat('!ttg.memdesc<')) {
      const shape: number[] = [];
      for (let d = this.match(/\d+x/y); d; d = this.match(/\d+x/y)) shape.push(Number(d.slice(0, -1)));
      const el = this.type();
      if (!isScalarType(el)) this.fail(`shared memory cannot hold ${el.text}`);
      this.expect(',');
      const encoding = this.layout();
      if (!(encoding instanceof SharedEncoding)) this.fail('a memdesc needs a shared layout (#ttg.shared or #ttg.nvmma_shared)');
      this.expect('>');
      return memDescType(shape, el, encoding);
    }
    if (this.peek('(')) {
      const inputs = this.typeList();
      this.expect('->');
      const results = this.peek('(') ? this.typeList() : [this.type()];
      return functionType(inputs, results);
    }
    const word = this.match(/[A-Za-z0-9]+/y) ?? this.fail('expected a type');
    if (/^i\d+$/.test(word)) return intType(Number(word.slice(1)));
    if ((floatKinds as readonly string[]).includes(word)) return floatType(word as FloatKind);
    return this.fail(`unknown type '${word}'`);
  }

  private typeList(): Type[] {
    this.expect('(');
    const types: Type[] = [];
    if (!this.eat(')')) {
      do types.push(this.type());
      while (this.eat(','));
      this.expect(')');
    }
    return types;
  }

  // ---- attributes ----

  /** `attributes {...}` of a module (ttg.num-warps, ttg.shared, ...). */
  moduleAttributes(): Attributes {
    return this.attrDict();
  }

  private attrDict(): Attributes {
    const attrs: Attributes = {};
    this.expect('{');
    if (this.eat('}')) return attrs;
    do {
      const key = this.match(/[A-Za-z_][A-Za-z0-9_.-]*/y) ?? this.match(/"[^"]*"/y)?.slice(1, -1) ?? this.fail('expected an attribute name');
      this.expect('=');
      attrs[key] = this.attr();
    } while (this.eat(','));
    this.expect('}');
    return attrs;
  }

  private attr(): Attribute {
    this.ws();
    if (this.eat('[')) {
      const items: Attribute[] = [];
      if (!this.eat(']')) {
        do items.push(this.attr());
        while (this.eat(','));
        this.expect(']');
      }
      return items;
    }
    if (this.peek('"')) return JSON.parse(this.match(/"(?:[^"\\]|\\.)*"/y) ?? this.fail('bad string')) as string;
    if (this.eat('true')) return true;
    if (this.eat('false')) return false;
    if (this.peek('#')) return this.layout();
    if (this.peek('@')) {
      this.pos++;
      return new SymbolRefAttr(this.ident());
    }
    if (this.eat('dense<')) {
      const lit = this.number();
      this.expect('>');
      this.expect(':');
      const ty = this.type();
      if (!(ty instanceof TensorType)) this.fail('dense needs a tensor type');
      return new DenseAttr(this.typedScalar(lit, ty.element), ty);
    }
    const lit = this.number(true);
    if (lit === undefined) return new TypeAttr(this.type());
    if (this.eat(':')) return this.typedScalar(lit, this.type());
    if (lit.includes('.') || /[a-z]/i.test(lit)) this.fail('a float attribute needs a type, such as 1.0 : f32');
    return Number(lit);
  }

  private number(optional: true): string | undefined;
  private number(): string;
  private number(optional = false): string | undefined {
    const lit = this.match(/-?(?:inf|nan|\d+(?:\.\d*)?(?:e[-+]?\d+)?)/y);
    if (lit === undefined && !optional) this.fail('expected a number');
    return lit;
  }

  private typedScalar(lit: string, ty: Type): IntegerAttr | FloatAttr {
    if (ty instanceof IntType) {
      if (/[.a-z]/i.test(lit)) this.fail(`${lit} is not an integer`);
      return new IntegerAttr(BigInt(lit), ty);
    }
    if (ty instanceof FloatType) {
      const v = lit === 'inf' ? Infinity : lit === '-inf' ? -Infinity : /nan/.test(lit) ? NaN : Number(lit);
      return new FloatAttr(v, ty);
    }
    return this.fail(`a constant cannot have type ${ty.text}`);
  }

  // ---- locations ----

  private maybeLoc(): Location | undefined {
    if (!this.eat('loc(')) return undefined;
    const loc = this.locBody();
    this.expect(')');
    return loc;
  }

  private locBody(): Location {
    if (this.eat('callsite(')) {
      const here = this.locBody();
      this.expect('at');
      const caller = this.locBody();
      this.expect(')');
      return { ...here, callsite: caller };
    }
    const file = JSON.parse(this.match(/"(?:[^"\\]|\\.)*"/y) ?? this.fail('expected a file name')) as string;
    this.expect(':');
    const line = Number(this.match(/\d+/y) ?? this.fail('expected a line'));
    this.expect(':');
    const col = Number(this.match(/\d+/y) ?? this.fail('expected a column'));
    return { file, line, col };
  }

  // ---- ops ----

  func(): Operation {
    this.expect('tt.func');
    const visibility = this.eat('private') ? 'private' : (this.eat('public'), 'public');
    this.expect('@');
    const name = this.ident();
    this.scope = new Map();
    const entry = new Block();
    this.expect('(');
    if (!this.eat(')')) {
      do {
        const argName = this.valueName('%') ?? this.fail('expected an argument such as %x');
        this.expect(':');
        this.define(argName, entry.addArg(this.type()));
      } while (this.eat(','));
      this.expect(')');
    }
    const results = this.eat('->') ? this.typeList() : [];
    const attrs: Attributes = {
      sym_name: name,
      function_type: new TypeAttr(functionType(
        entry.args.map((a) => a.type),
        results,
      )),
    };
    if (visibility === 'private') attrs['sym_visibility'] = 'private';
    if (this.eat('attributes')) Object.assign(attrs, this.attrDict());
    this.expect('{');
    while (!this.peek('}')) entry.append(this.op());
    this.expect('}');
    return new Operation('tt.func', [], [], attrs, [new Region([entry])], this.maybeLoc() ?? unknownLoc);
  }

  private op(): Operation {
    const resultNames: string[] = [];
    if (this.peek('%')) {
      do resultNames.push(this.valueName('%') ?? this.fail('expected a result name'));
      while (this.eat(','));
      this.expect('=');
    }
    const name = this.ident();
    const operands: Value[] = [];
    if (this.peekOnLine('%')) {
      do operands.push(this.use());
      while (this.eat(','));
    }
    const attrs = this.peek('{') ? this.attrDict() : {};
    let resultTypes: Type[] = [];
    const regions: Region[] = [];
    if (this.eat(':')) {
      if (this.peek('()')) this.expect('()');
      else {
        do resultTypes.push(this.type());
        while (this.eat(','));
      }
      while (this.peek('{')) regions.push(this.region());
    }
    if (resultTypes.length !== resultNames.length) this.fail(`${name} names ${resultNames.length} results but gives ${resultTypes.length} types`);
    const op = new Operation(name, operands, resultTypes, attrs, regions, this.maybeLoc() ?? unknownLoc);
    resultNames.forEach((n, i) => this.define(n, op.results[i]!));
    return op;
  }

  private region(): Region {
    this.expect('{');
    const region = new Region();
    let block: Block | undefined;
    while (!this.peek('}')) {
      if (this.peek('^')) {
        this.valueName('^');
        block = region.addBlock(new Block());
        if (this.eat('(')) {
          do {
            const argName = this.valueName('%') ?? this.fail('expected a block argument');
            this.expect(':');
            this.define(argName, block.addArg(this.type()));
          } while (this.eat(','));
          this.expect(')');
        }
        this.expect(':');
        continue;
      }
      block ??= region.addBlock(new Block());
      block.append(this.op());
    }
    this.expect('}');
    if (!region.blocks.length) region.addBlock(new Block());
    return region;
  }
}
