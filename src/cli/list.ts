// `kt list`: the library's kernels with their parameters, sizes, dtypes and default configs.
import chalk from 'chalk';
import type { KernelParam } from '../compiler/frontend/signature.ts';
import { libraryNames, loadTarget } from './target.ts';

function describeParam(p: KernelParam): string {
  switch (p.kind) {
    case 'constexpr':
      return `${p.name}: constexpr`;
    case 'pointer':
      return `${p.name}: Ptr${p.dtype ? `<${p.dtype.name}>` : ''}`;
    case 'scalar':
      return `${p.name}: ${p.dtype!.name}`;
    case 'inferred':
      return p.name;
  }
}

export async function listCommand(): Promise<number> {
  for (const name of libraryNames()) {
    const t = await loadTarget(name);
    for (const spec of t.specs) {
      console.log(`${chalk.bold(spec.name.padEnd(10))} ${spec.description}`);
      for (const k of spec.kernels) {
        const d = k.definition;
        console.log(`           ${chalk.cyan(d.name)}(${d.params.map(describeParam).join(', ')})`);
      }
      const sizes = Object.entries(spec.sizes).map(([k, v]) => `${k}=${v}`).join(' ');
      const config = Object.entries(spec.config).map(([k, v]) => `${k}=${v}`).join(' ');
      console.log(`           sizes ${sizes}   dtypes ${spec.dtypes.join(' ')}${config ? `   config ${config}` : ''}`);
    }
  }
  return 0;
}
