import { isAbsolute, relative } from 'node:path';
import type { Domain } from '../game/domain.js';
import type { Rules } from '../game/types.js';
import type { ErrorObject } from 'ajv';
import { compileSchema, describeError } from '../config/schema.js';
import { defaultCachePath } from '../llm/cache.js';
import { ModelLayer } from '../llm/layer.js';
import { registry } from './builtins.js';
import { PluginError } from './registry.js';
import { describeThrown } from '../util/stack.js';
import type { Instances, Kind, PluginContext, PluginDef, PluginRef } from './types.js';

/** A plugin as an experiment may write it: a name or path, or `{ use, with, label }`. */
export type RawRef = string | { use: string; with?: Record<string, unknown>; label?: string };

function shortValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const json = JSON.stringify(value);
  return json.length > 24 ? json.slice(0, 21) + '...' : json;
}

/** A readable default label: the plugin's name, with the options the experiment set. */
export function defaultLabel(name: string, options: Record<string, unknown> | undefined): string {
  const set = Object.entries(options ?? {});
  return set.length === 0 ? name : `${name}(${set.map(([k, v]) => `${k}=${shortValue(v)}`).join(',')})`;
}

/**
 * A plugin's label, and what it stands for when the label does not say (a plugin file, shown from the
 * current folder: `mine (plugins/mine.js)`; a labelled built-in: `fast (infogain)`).
 */
export function refName(ref: PluginRef): string {
  if (ref.use === ref.label) return ref.label;
  const where = isAbsolute(ref.use) ? relative(process.cwd(), ref.use) : ref.use;
  return `${ref.label} (${where.startsWith('..') ? ref.use : where})`;
}

/** How errors name a plugin: its kind and refName (`policy mine (plugins/mine.js)`). */
export function pluginName(kind: Kind, ref: PluginRef): string {
  return `${kind} ${refName(ref)}`;
}

/** Validates a plugin's options against its schema, filling in defaults; returns ajv's errors. */
export function checkOptions(def: PluginDef, options: Record<string, unknown>): ErrorObject[] {
  const validate = compileSchema(def.options);
  return validate(options) ? [] : (validate.errors ?? []);
}

/**
 * Loads the plugin a raw reference names (user plugin paths against baseDir) and checks its options,
 * filling in defaults. Option problems come back as ajv errors, for the caller to report its own way.
 */
export async function prepareRef<K extends Kind>(kind: K, raw: RawRef, baseDir: string): Promise<{ ref: PluginRef; def: PluginDef<K>; errors: ErrorObject[] }> {
  const given = typeof raw === 'string' ? { use: raw } : raw;
  const use = registry.locate(given.use, baseDir);
  const def = await registry.load(kind, use);
  const options = structuredClone(given.with ?? {});
  const errors = checkOptions(def, options);
  return { ref: { use, with: options, label: given.label ?? defaultLabel(def.name, given.with) }, def, errors };
}

/** Resolves a raw reference to a loaded, validated one; invalid options throw. */
export async function resolveRef<K extends Kind>(kind: K, raw: RawRef, baseDir: string): Promise<{ ref: PluginRef; def: PluginDef<K> }> {
  const { ref, def, errors } = await prepareRef(kind, raw, baseDir);
  if (errors.length > 0) {
    throw new PluginError(`invalid options for ${kind} "${def.name}": ${errors.map((e) => `${e.instancePath || 'with'}: ${describeError(e)}`).join('; ')}`);
  }
  return { ref, def };
}

/** Calls a plugin's create; what it throws (a missing checkpoint, a bad option value) names the plugin. */
async function instantiate<K extends Kind>(kind: K, ref: PluginRef, def: PluginDef<K>, context: PluginContext): Promise<Instances[K]> {
  try {
    return await (def.create as (options: unknown, context: PluginContext) => Promise<Instances[K]>)(ref.with, { ...context, label: ref.label });
  } catch (error) {
    if (error instanceof PluginError) throw error;
    // a deliberate message (a plain Error) as it is; a bug (TypeError, RangeError, ...) with the line of the plugin's file that threw
    const bug = error instanceof Error && error.name !== 'Error';
    const file = /[/\\]|\.[cm]?[jt]s$/.test(ref.use) ? (isAbsolute(ref.use) && !relative(process.cwd(), ref.use).startsWith('..') ? relative(process.cwd(), ref.use) : ref.use) : undefined;
    const named = file !== undefined ? `${kind} ${ref.label} (${file})` : `${kind} ${ref.label}`;
    throw new PluginError(`${named}: ${bug ? `failed to start: ${describeThrown(error)}` : (error as Error).message}`, { cause: error });
  }
}

/** What names a plugin reference across stages (see PluginFactory.holders). */
export function holderKey(kind: Kind, raw: RawRef | PluginRef): string {
  return `${kind}:${JSON.stringify(raw)}`;
}

export interface FactorySettings {
  /** The model layer the plugins talk through: the run's; a layer of its own (default cache) when not given. */
  models?: ModelLayer;
  /** The run's directory (see PluginContext.runDir). */
  runDir?: string;
}

/**
 * Builds plugin instances for one domain and one set of rules. Each reference is built once and
 * shared, which is what lets a worker thread build its plugins once and play many batches with them.
 * Each instance talks to models through the factory's layer as its own holder (see ModelLayer.models),
 * and the factory remembers which instances a wrapper created, so that the run can tell which servers
 * the plugins of a later stage still use.
 */
export class PluginFactory {
  private readonly built = new Map<string, Promise<unknown>>();
  /** Holder -> the holders it created (a wrapper's inner plugins). */
  private readonly created = new Map<string, Set<string>>();
  private fresh_ = 0;
  readonly context: PluginContext;
  readonly models: ModelLayer;
  private readonly runDir: string | undefined;

  constructor(
    readonly domain: Domain,
    readonly rules: Rules,
    readonly baseDir: string,
    settings: FactorySettings = {},
  ) {
    this.models = settings.models ?? new ModelLayer({ cache: defaultCachePath() });
    this.runDir = settings.runDir;
    this.context = this.contextOf('context');
  }

  static async forDomain(ref: RawRef, rules: Rules, baseDir: string, settings: FactorySettings = {}): Promise<PluginFactory> {
    const { ref: resolved, def } = await resolveRef('domain', ref, baseDir);
    let domain: Domain;
    try {
      domain = await def.create(resolved.with, { baseDir });
    } catch (error) {
      // a bad table is the user's to fix: said as it is, naming the domain, without a stack
      if (error instanceof PluginError) throw error;
      throw new PluginError(`domain ${def.name}: ${(error as Error).message}`);
    }
    return new PluginFactory(domain, rules, baseDir, settings);
  }

  /** The context an instance is created in: its own view of the model layer, and `create` that remembers what it made. */
  private contextOf(holder: string): PluginContext {
    return {
      domain: this.domain,
      rules: this.rules,
      baseDir: this.baseDir,
      ...(this.runDir === undefined ? {} : { runDir: this.runDir }),
      models: this.models.models(holder),
      create: (kind, raw) => {
        const made = this.created.get(holder) ?? new Set();
        this.created.set(holder, made.add(holderKey(kind, raw)));
        return this.create(kind, raw);
      },
    };
  }

  /** A new instance that nothing else shares (a policy about to be trained is changed in place). */
  async fresh<K extends Exclude<Kind, 'domain'>>(kind: K, raw: RawRef | PluginRef): Promise<Instances[K]> {
    const { ref, def } = await resolveRef(kind, raw, this.baseDir);
    return instantiate(kind, ref, def, this.contextOf(`fresh ${++this.fresh_}: ${holderKey(kind, raw)}`));
  }

  create<K extends Kind>(kind: K, raw: RawRef | PluginRef): Promise<Instances[K]> {
    const key = holderKey(kind, raw);
    let instance = this.built.get(key);
    if (!instance) {
      instance = resolveRef(kind, raw, this.baseDir).then(({ ref, def }) => instantiate(kind, ref, def, this.contextOf(key)));
      this.built.set(key, instance);
    }
    return instance as Promise<Instances[K]>;
  }

  /** The holders `refs` stand for: their own, and those of every plugin they created, and so on. */
  holders(refs: readonly (readonly [Kind, RawRef | PluginRef])[]): Set<string> {
    const all = new Set<string>();
    const visit = (key: string) => {
      if (all.has(key)) return;
      all.add(key);
      for (const inner of this.created.get(key) ?? []) visit(inner);
    };
    for (const [kind, raw] of refs) visit(holderKey(kind, raw));
    return all;
  }
}

/**
 * The context plugins are created in, outside a run (a command a plugin contributes): the domain a
 * reference names, the rules, `create` for the plugins it needs, and a model layer of its own on the
 * default response cache; user plugin paths resolve against baseDir.
 */
export async function pluginContext(domain: RawRef, rules: Rules, baseDir: string): Promise<PluginContext> {
  return (await PluginFactory.forDomain(domain, rules, baseDir)).context;
}
