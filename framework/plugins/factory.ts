import { isAbsolute, relative } from 'node:path';
import type { Domain } from '../game/domain.js';
import type { Rules } from '../game/types.js';
import type { ErrorObject } from 'ajv';
import { compileSchema, describeError } from '../config/schema.js';
import { registry } from './builtins.js';
import { PluginError } from './registry.js';
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
    throw new PluginError(`${kind} ${ref.label}: ${(error as Error).message}`);
  }
}

/**
 * Builds plugin instances for one domain and one set of rules. Each reference is built once and
 * shared, which is what lets a worker thread build its plugins once and play many batches with them.
 */
export class PluginFactory {
  private readonly built = new Map<string, Promise<unknown>>();
  readonly context: PluginContext;

  constructor(
    readonly domain: Domain,
    readonly rules: Rules,
    readonly baseDir: string,
  ) {
    this.context = { domain, rules, baseDir, create: (kind, ref) => this.create(kind, ref) };
  }

  static async forDomain(ref: RawRef, rules: Rules, baseDir: string): Promise<PluginFactory> {
    const { ref: resolved, def } = await resolveRef('domain', ref, baseDir);
    let domain: Domain;
    try {
      domain = await def.create(resolved.with, { baseDir });
    } catch (error) {
      // a bad table is the user's to fix: said as it is, naming the domain, without a stack
      if (error instanceof PluginError) throw error;
      throw new PluginError(`domain ${def.name}: ${(error as Error).message}`);
    }
    return new PluginFactory(domain, rules, baseDir);
  }

  /** A new instance that nothing else shares (a policy about to be trained is changed in place). */
  async fresh<K extends Exclude<Kind, 'domain'>>(kind: K, raw: RawRef | PluginRef): Promise<Instances[K]> {
    const { ref, def } = await resolveRef(kind, raw, this.baseDir);
    return instantiate(kind, ref, def as PluginDef<K>, this.context);
  }

  create<K extends Kind>(kind: K, raw: RawRef | PluginRef): Promise<Instances[K]> {
    const key = `${kind}:${JSON.stringify(raw)}`;
    let instance = this.built.get(key);
    if (!instance) {
      instance = resolveRef(kind, raw, this.baseDir).then(({ ref, def }) => instantiate(kind, ref, def as PluginDef<K>, this.context));
      this.built.set(key, instance);
    }
    return instance as Promise<Instances[K]>;
  }
}

/**
 * The context plugins are created in, outside a run (a command a plugin contributes): the domain a
 * reference names, the rules, and `create` for the plugins it needs; user plugin paths resolve against baseDir.
 */
export async function pluginContext(domain: RawRef, rules: Rules, baseDir: string): Promise<PluginContext> {
  return (await PluginFactory.forDomain(domain, rules, baseDir)).context;
}
