// Every group of the conformance suite, for the checks and counts that concern the whole suite.
import { conversionCases } from './conversions.ts';
import { dotCasesAll } from './dot.ts';
import { elementwiseCases } from './elementwise.ts';
import { inlineAsmCases } from './inline-asm.ts';
import { memoryCases } from './memory.ts';
import { reduceCases } from './reduce.ts';
import { shapeCases } from './shapes.ts';
import type { Case } from './suite.ts';

export const groups: Record<string, () => Case[]> = {
  elementwise: elementwiseCases,
  reductions: reduceCases,
  dot: dotCasesAll,
  memory: memoryCases,
  shapes: shapeCases,
  'inline asm': inlineAsmCases,
  conversions: conversionCases,
};

export const allCases = (): Case[] => Object.values(groups).flatMap((g) => g());
