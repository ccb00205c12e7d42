// KT_DUMP_DIR: every compilation writes what each stage made into that directory, one file a stage, named by
// the kernel, the specialisation and the stage:
//
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.ir.mlir                       the IR after the pass pipeline
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.interp.js                     the interpreter's program
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.sm_90.w4.s3.ddd-.gpu-ir.mlir  the GPU IR (tiles with layouts)
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.sm_90.w4.s3.ddd-.ptx          the PTX
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.sm_90.w4.s3.ddd-.cubin        ptxas's cubin (when ptxas is there)
//   add.BLOCK=1024.f32ptr,f32ptr,f32ptr,i32.sm_90.w4.s3.ddd-.ptxas.txt    ptxas's report: registers, spills
//
// The specialisation is the constexprs' values and the run-time arguments' types; a GPU stage adds the target,
// warps, stages and the argument facts (one character per run-time argument, as `kt opt`'s
// specialize-arguments{facts=...}: d divisible by 16, 1 equal to 1, - nothing known).
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from '../compiler/cache.ts';
import type { ArgBinding } from '../compiler/frontend/codegen.ts';
import type { KernelParam } from '../compiler/frontend/signature.ts';
import type { GpuBuildOptions } from '../compiler/gpu/binary.ts';
import type { Operation } from '../compiler/ir/core.ts';
import { printOp } from '../compiler/ir/printer.ts';
import { factsKey } from '../compiler/passes/specialize-arguments.ts';
import { PointerDType } from '../compiler/semantic/dtype.ts';
import { dumpDirectory } from './compile-settings.ts';
import type { GpuStages } from './gpu-stages.ts';

/** Longer names are cut and end in a hash of the whole name instead (file systems take 255 bytes). */
const MAX_NAME = 160;

let warned = false;

/** A name safe in file names everywhere: characters outside letters, digits and `_.,=+-` become `_`. */
const fileSafe = (s: string): string => s.replace(/[^\w.,=+-]/g, '_');

/** `<kernel>.<constexprs>.<run-time argument types>`: what names a specialisation's files. */
function specializationName(kernel: string, params: readonly KernelParam[], bindings: readonly ArgBinding[]): string {
  const constexprs: string[] = [];
  const types: string[] = [];
  bindings.forEach((b, i) => {
    if (b.kind === 'constexpr') constexprs.push(`${params[i]?.name ?? i}=${b.value.toString().replace(/^"(.*)"$/, '$1')}`);
    else types.push(b.type.element instanceof PointerDType ? `${b.type.element.pointee.name}ptr` : b.type.dtype.name);
  });
  const name = fileSafe([kernel, constexprs.join(','), types.join(',')].filter(Boolean).join('.'));
  return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 9)}~${sha256(name).slice(0, 8)}`;
}

/** Writes the stages of one specialisation's compilations into KT_DUMP_DIR. */
export class StageDump {
  private constructor(
    private readonly dir: string,
    private readonly name: string,
  ) {}

  /** The dump for a specialisation, or undefined when KT_DUMP_DIR is not set. */
  static of(kernel: string, params: readonly KernelParam[], bindings: readonly ArgBinding[]): StageDump | undefined {
    const dir = dumpDirectory();
    return dir === undefined ? undefined : new StageDump(path.resolve(dir), specializationName(kernel, params, bindings));
  }

  /** The IR after the pass pipeline (with source locations). */
  ir(module: Operation): void {
    this.write(`${this.name}.ir.mlir`, printOp(module, { locations: true }));
  }

  /** The JavaScript the interpreter runs. */
  interpreter(source: string): void {
    this.write(`${this.name}.interp.js`, source);
  }

  /** The GPU stages of one compilation for a target, warps, stages and argument facts. */
  gpu(options: GpuBuildOptions, stages: GpuStages): void {
    const base = `${this.name}.${options.target}.w${options.numWarps}.s${options.numStages}.${factsKey(options.argFacts)}`;
    this.write(`${base}.gpu-ir.mlir`, printOp(stages.compiled.gpuIr, { locations: true }));
    this.write(`${base}.ptx`, stages.compiled.ptx);
    if (stages.assembled) {
      this.write(`${base}.cubin`, stages.assembled.cubin);
      const { registers, spillStores, spillLoads, stackBytes, log } = stages.assembled;
      const summary = `registers ${registers}, spill stores ${spillStores} bytes, spill loads ${spillLoads} bytes, stack frame ${stackBytes} bytes, shared memory ${stages.compiled.sharedBytes} bytes`;
      this.write(`${base}.ptxas.txt`, `${summary}\n\n${log}\n`);
    }
  }

  /** Writes one file; a directory that cannot be written is reported once, and compiling goes on without the dump. */
  private write(file: string, content: string | Uint8Array): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(path.join(this.dir, file), content);
    } catch (e) {
      if (warned) return;
      warned = true;
      console.warn(`kt: cannot write compilation stages into KT_DUMP_DIR=${this.dir} (${(e as Error).message}); set it to a writable directory`);
    }
  }
}
