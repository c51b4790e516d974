import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Domain } from '../game/domain.js';
import { registry } from '../plugins/builtins.js';
import { prepareRef } from '../plugins/factory.js';
import type { RawRef } from '../plugins/ref.js';
import { PluginError } from '../plugins/registry.js';
import type { Kind, PluginDef, PluginRef } from '../plugins/types.js';
import { dottedPath, type Problem } from './errors.js';
import { schemaProblems } from './problems.js';
import type { NamedPlugin } from './preflight.js';
import type { Path, SourceMap } from './source-map.js';

/** What resolving an experiment needs throughout: its places, its folder, the problems found so far and the plugins resolved. */
export interface Resolver {
  source: SourceMap;
  baseDir: string;
  problems: Problem[];
  /** Every plugin resolved, where the file names it (for preflight). */
  plugins: NamedPlugin[];
}

/** Reports a problem at the value at a path (or its nearest ancestor in the file). */
export function problemAt(r: Resolver, path: Path, message: string): void {
  r.problems.push({ ...r.source.place(path), path: dottedPath(path), message });
}

/** Paths in the file are relative to the file; paths typed on the command line, to the current directory. */
function baseDirOf(path: Path, r: Resolver): string {
  return r.source.setBy(path) ? process.cwd() : r.baseDir;
}

/**
 * Options that name files (marked 'x-file' in the plugin's schema) must name existing ones; they are
 * made absolute, so that the resolved experiment means the same from any folder.
 */
function checkFiles(def: PluginDef, ref: PluginRef, path: Path, r: Resolver): boolean {
  let ok = true;
  const properties = ((def.options as { properties?: object }).properties ?? {}) as Record<string, { 'x-file'?: boolean }>;
  for (const [key, schema] of Object.entries(properties)) {
    const value = ref.with[key];
    if (!schema['x-file'] || typeof value !== 'string') continue;
    const at = [...path, 'with', key];
    const file = resolve(baseDirOf(at, r), value);
    if (existsSync(file)) {
      ref.with[key] = file;
      continue;
    }
    const relative = r.source.setBy(at) ? 'the current directory, as for every path given with --set' : 'the experiment file';
    problemAt(r, at, `file not found: ${file} (a relative path is relative to ${relative})`);
    ok = false;
  }
  return ok;
}

/** Loads the plugin a reference names and checks its options, reporting problems at their places. */
export async function resolvePlugin(kind: Kind, raw: RawRef, path: Path, r: Resolver): Promise<PluginRef | undefined> {
  const usePath = typeof raw === 'string' ? path : [...path, 'use'];
  try {
    const { ref, def, errors } = await prepareRef(kind, raw, baseDirOf(usePath, r));
    if (errors.length > 0) {
      // a plugin of one's own is listed by its path: the hint names it so
      const listed = isAbsolute(ref.use) ? ` ${relative(process.cwd(), ref.use) || ref.use}` : '';
      r.problems.push(...schemaProblems(errors, ref.with, r.source, [...path, 'with'], ` (options of ${kind} "${def.name}"; see twentyq plugins ${kind}${listed})`));
      return undefined;
    }
    if (!checkFiles(def, ref, path, r)) return undefined;
    r.plugins.push({ kind, ref, def, path });
    return ref;
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    problemAt(r, usePath, error.message);
    return undefined;
  }
}

/** The domain itself, for checks that need its candidates (weights); a failure is reported at domain:. */
export async function createDomain(ref: PluginRef, r: Resolver): Promise<Domain | undefined> {
  try {
    const def = await registry.load('domain', ref.use);
    return await def.create(ref.with, { baseDir: r.baseDir });
  } catch (error) {
    problemAt(r, ['domain'], `cannot load the domain: ${(error as Error).message}`);
    return undefined;
  }
}
