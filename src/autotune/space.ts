// Tuning spaces. A space is declared as a list of configs or as a product of per-parameter choices with
// constraints; for one problem (sizes, dtypes, device) it becomes a finite list of legal configs that also
// knows its dimensions (each parameter's ordered choices), which is what guided search strategies walk.
// Every config carries numWarps and numStages (filled with the launch defaults), so that equal configs have
// equal keys: tuning results are stored per config key.
import type { Config } from '../dsl/spec.ts';

export type ConfigValue = Config[string];

/** What constraints and prune hooks know about the problem being tuned. */
export interface ProblemInfo {
  /** The key's values: the spec's sizes, or the launch's arguments named by the autotune key. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The dtype of every tensor argument (or the spec's dtype). */
  readonly dtypes: readonly string[];
  /** The GPU's limits; undefined on the interpreter. */
  readonly device?: { readonly name: string; readonly maxSharedPerBlock: number };
}

export interface ProductSpace {
  /** Each parameter's choices, in order (a guided search steps between neighbouring choices). */
  readonly params: Readonly<Record<string, readonly ConfigValue[]>>;
  /** Whether a config is legal for the problem (e.g. its shared memory fits the device). */
  readonly where?: (config: Config, problem: ProblemInfo) => boolean;
}

/** A declared space: a list of configs, or a product of choices with constraints. */
export type SpaceDefinition = readonly Config[] | ProductSpace;

/** Drops configs before any is compiled (Triton's prune_configs_by). */
export type PruneHook = (configs: readonly Config[], problem: ProblemInfo) => readonly Config[];

export const launchDefaults = { numWarps: 4, numStages: 3 } as const;

/** The most points a product may have before constraints: beyond it, declare a smaller space. */
const MAX_PRODUCT = 1_000_000;

/** A canonical text for a config: its entries sorted by name. */
export function configKey(config: Config): string {
  return Object.keys(config)
    .sort()
    .map((k) => `${k}=${String(config[k])}`)
    .join(',');
}

/** A config with numWarps and numStages filled in (last, so that tables show the block sizes first). */
export function normalizeConfig(config: Config): Config {
  const { numWarps = launchDefaults.numWarps, numStages = launchDefaults.numStages, ...rest } = config;
  return { ...rest, numWarps, numStages };
}

export interface Dimension {
  readonly name: string;
  readonly choices: readonly ConfigValue[];
}

/** The legal configs of a space for one problem. */
export class ConfigSpace {
  private readonly byKey: Map<string, Config>;

  constructor(
    readonly configs: readonly Config[],
    readonly dimensions: readonly Dimension[],
  ) {
    this.byKey = new Map(configs.map((c) => [configKey(c), c]));
  }

  get size(): number {
    return this.configs.length;
  }

  has(config: Config): boolean {
    return this.byKey.has(configKey(config));
  }

  /** The position of each of the config's values among its dimension's choices. */
  coordinates(config: Config): number[] {
    return this.dimensions.map((d) => d.choices.indexOf(config[d.name]!));
  }

  /** The legal config at these coordinates, if there is one. */
  at(coordinates: readonly number[]): Config | undefined {
    if (coordinates.some((c, i) => c < 0 || c >= this.dimensions[i]!.choices.length)) return undefined;
    const config: Config = {};
    this.dimensions.forEach((d, i) => (config[d.name] = d.choices[coordinates[i]!]!));
    return this.byKey.get(configKey(config));
  }
}

const isProduct = (d: SpaceDefinition): d is ProductSpace => !Array.isArray(d);

/** Dimensions of a list of configs: every parameter's values, numbers in ascending order. */
function dimensionsOf(configs: readonly Config[]): Dimension[] {
  const values = new Map<string, ConfigValue[]>();
  for (const c of configs) {
    for (const [k, v] of Object.entries(c)) {
      const list = values.get(k) ?? [];
      if (!list.includes(v)) list.push(v);
      values.set(k, list);
    }
  }
  return [...values].map(([name, choices]) => ({
    name,
    choices: choices.every((v) => typeof v === 'number') ? [...choices].sort((a, b) => (a as number) - (b as number)) : choices,
  }));
}

/** Every combination of the product's choices, in order. */
function enumerate(params: ProductSpace['params']): Config[] {
  const names = Object.keys(params);
  let total = 1;
  for (const n of names) {
    const choices = params[n]!;
    if (!Array.isArray(choices) || choices.length === 0) throw new TypeError(`tuning space: '${n}' needs a non-empty list of choices`);
    total *= choices.length;
  }
  if (total > MAX_PRODUCT) throw new RangeError(`tuning space: the product of choices has ${total} points (more than ${MAX_PRODUCT}); narrow the choices`);
  let out: Config[] = [{}];
  for (const n of names) out = out.flatMap((c) => params[n]!.map((v) => ({ ...c, [n]: v })));
  return out;
}

/** The legal configs of a declared space for a problem, after its constraints and the prune hook. */
export function resolveSpace(definition: SpaceDefinition, problem: ProblemInfo, prune?: PruneHook): ConfigSpace {
  let configs: Config[];
  if (isProduct(definition)) {
    const where = definition.where;
    configs = enumerate(definition.params).filter((c) => !where || where(normalizeConfig(c), problem));
  } else configs = [...definition];
  configs = configs.map(normalizeConfig);
  if (prune) configs = prune(configs, problem).map(normalizeConfig);
  const unique = [...new Map(configs.map((c) => [configKey(c), c])).values()];
  return new ConfigSpace(unique, dimensionsOf(unique));
}
