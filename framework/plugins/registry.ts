import { existsSync } from 'node:fs';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nearest } from '../util/text.js';
import { KINDS, type Kind, type PluginDef } from './types.js';

/** Built-ins are loaded lazily, so a heavy backend costs nothing until an experiment names it. */
export type Loader = () => Promise<{ default: PluginDef }>;
export type BuiltinTable = { [K in Kind]: Record<string, Loader> };

/** A plugin that cannot be found or is not a plugin; config loading adds the file position. */
export class PluginError extends Error {}

const PLURALS: Record<Kind, string> = {
  domain: 'domains',
  answerer: 'answerers',
  policy: 'policies',
  reward: 'rewards',
  strategy: 'strategies',
};

export function pluralKind(kind: Kind): string {
  return PLURALS[kind];
}

/** A `use:` value names a file (a user plugin) rather than a built-in when it looks like a path. */
export function isPluginPath(use: string): boolean {
  return use.startsWith('.') || isAbsolute(use) || /\.(?:m?js|ts)$/.test(use);
}

export class Registry {
  private readonly cache = new Map<string, Promise<PluginDef>>();

  constructor(private readonly builtins: BuiltinTable) {}

  names(kind: Kind): string[] {
    return Object.keys(this.builtins[kind]).sort();
  }

  /** The absolute module path a user plugin's `use:` refers to, or the built-in name unchanged. */
  locate(use: string, baseDir: string): string {
    return isPluginPath(use) ? resolve(baseDir, use) : use;
  }

  /** Loads a plugin by built-in name or by absolute path (see `locate`) and checks it is one of `kind`. */
  load<K extends Kind>(kind: K, use: string): Promise<PluginDef<K>> {
    const key = `${kind}:${use}`;
    let loaded = this.cache.get(key);
    if (!loaded) {
      loaded = this.loadUncached(kind, use);
      this.cache.set(key, loaded);
      loaded.catch(() => this.cache.delete(key));
    }
    return loaded as Promise<PluginDef<K>>;
  }

  private async loadUncached(kind: Kind, use: string): Promise<PluginDef> {
    if (!isPluginPath(use)) {
      const loader = this.builtins[kind][use];
      if (!loader) {
        const names = this.names(kind);
        const guess = nearest(use, names);
        throw new PluginError(`unknown ${kind} "${use}"${guess ? `; did you mean "${guess}"?` : ''} Known ${PLURALS[kind]}: ${names.join(', ')}. ` + `A plugin of your own is named by its file path, e.g. ./my-${kind}.js`);
      }
      return checkDef((await loader()).default, kind, use);
    }
    if (!existsSync(use)) throw new PluginError(`${kind} plugin file not found: ${use}`);
    let module: Record<string, unknown>;
    try {
      module = /\.[mc]?ts$/.test(use) ? await importTypeScript(kind, use) : ((await import(pathToFileURL(use).href)) as Record<string, unknown>);
    } catch (error) {
      if (error instanceof PluginError) throw error;
      throw new PluginError(`cannot import ${kind} plugin ${use}: ${(error as Error).message}`);
    }
    return checkDef((module.default ?? module.plugin) as PluginDef, kind, basename(use));
  }
}

/**
 * A plugin written in TypeScript, loaded through tsx (a well-kept loader, twentyq's own in development)
 * when it is installed; otherwise one line saying how to load it.
 */
async function importTypeScript(kind: Kind, use: string): Promise<Record<string, unknown>> {
  let tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>>;
  try {
    ({ tsImport } = (await import('tsx/esm/api')) as { tsImport: typeof tsImport });
  } catch {
    throw new PluginError(`${kind} plugin ${use} is TypeScript: compile it to JavaScript (tsc) and name the .js file, or install tsx beside twentyq (npm install tsx) to load .ts plugins as they are`);
  }
  return tsImport(pathToFileURL(use).href, import.meta.url);
}

function checkDef(def: PluginDef | undefined, kind: Kind, where: string): PluginDef {
  const shape = 'a default export { kind, name, description, options, create }';
  if (!def || typeof def !== 'object') throw new PluginError(`${where} does not export a twentyq plugin: expected ${shape}`);
  if (!KINDS.includes(def.kind)) throw new PluginError(`${where}: plugin kind "${String(def.kind)}" is not one of ${KINDS.join(', ')}`);
  if (def.kind !== kind) throw new PluginError(`${where} is a ${def.kind} plugin, but it is used here as a ${kind}`);
  if (typeof def.name !== 'string' || typeof def.create !== 'function') throw new PluginError(`${where}: expected ${shape}`);
  if (!def.options || typeof def.options !== 'object') throw new PluginError(`${where}: "options" must be a JSON Schema object`);
  if (def.runs !== undefined && def.runs !== 'computing' && def.runs !== 'waiting') throw new PluginError(`${where}: "runs" is ${JSON.stringify(def.runs)}, expected "computing" or "waiting"`);
  return def;
}
