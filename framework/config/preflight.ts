import { prepareRef, refName } from '../plugins/factory.js';
import type { RawRef } from '../plugins/ref.js';
import type { Kind, PluginDef, PluginRef } from '../plugins/types.js';
import type { ReportSettings } from './report-schema.js';
import type { Path } from './source-map.js';

/**
 * Preflight: what a run needs from the machine, checked before it makes its directory. The framework
 * knows no particular plugin: each plugin an experiment names says what it needs (PluginDef.preflight),
 * and so does each plugin a wrapper holds (`noisy`'s answerer, `mixture`'s policies).
 */

/** A plugin the experiment names, resolved, and where the file names it. */
export interface NamedPlugin {
  kind: Kind;
  ref: PluginRef;
  def: PluginDef;
  path: Path;
}

export interface PreflightProblem {
  path: Path;
  message: string;
}

/** The plugins a wrapper holds (see PluginDef.wraps), resolved; one that does not resolve was reported by validation. */
async function wrapped(plugin: NamedPlugin, baseDir: string): Promise<NamedPlugin[]> {
  const { def, ref, kind, path } = plugin;
  const inner = def.wraps === undefined ? undefined : (ref.with[def.wraps] as RawRef | RawRef[] | undefined);
  if (inner === undefined) return [];
  const list = Array.isArray(inner) ? inner.map((raw, i) => ({ raw, at: [...path, 'with', def.wraps!, i] })) : [{ raw: inner, at: [...path, 'with', def.wraps!] }];
  const found = await Promise.all(
    list.map(async ({ raw, at }) => {
      const prepared = await prepareRef(kind, raw, baseDir).catch(() => undefined);
      return prepared && prepared.errors.length === 0 ? [{ kind, ref: prepared.ref, def: prepared.def, path: at }] : [];
    }),
  );
  return found.flat();
}

function optionPath(line: string, ref: PluginRef, path: Path): Path {
  const option = /^(\w+): /.exec(line)?.[1];
  return option !== undefined && Object.hasOwn(ref.with, option) ? [...path, 'with', option] : path;
}

/** One plugin's problems, and those of what it wraps; a check that throws is a problem too, not a crash. */
async function checkPlugin(plugin: NamedPlugin, baseDir: string, seen: Map<string, Promise<readonly string[]>>): Promise<PreflightProblem[]> {
  const { def, ref, kind, path } = plugin;
  const problems: PreflightProblem[] = [];
  if (def.preflight) {
    // a plugin named in several places is checked once (a check may ask its Python environment)
    const key = `${kind}:${JSON.stringify(ref)}`;
    let lines = seen.get(key);
    if (!lines) {
      lines = Promise.resolve()
        .then(() => def.preflight!(ref.with, { baseDir }))
        .catch((error: unknown) => [`its preflight check failed: ${(error as Error)?.message ?? String(error)}`]);
      seen.set(key, lines);
    }
    // a line that starts with one of its options ("device: cuda, but ...") is placed at that option
    for (const line of await lines) problems.push({ path: optionPath(line, ref, path), message: `${refName(ref)}: ${line}` });
  }
  for (const inner of await wrapped(plugin, baseDir)) problems.push(...(await checkPlugin(inner, baseDir, seen)));
  return problems;
}

/** The report's embeddings endpoint: its key must be in the environment too. */
function reportProblems(report: ReportSettings | undefined, env: NodeJS.ProcessEnv): PreflightProblem[] {
  const key = report?.embeddings?.api_key_env;
  if (typeof key !== 'string' || env[key]) return [];
  return [{ path: ['report', 'embeddings', 'api_key_env'], message: `the environment variable ${key} is not set: export it with the key of ${report!.embeddings!.base_url} (api_key_env: null for an endpoint that takes no key)` }];
}

/** Every problem a run of the experiment would meet on this machine before doing anything, at the places that cause it. */
export async function preflight(plugins: readonly NamedPlugin[], report: ReportSettings | undefined, baseDir: string, env: NodeJS.ProcessEnv = process.env): Promise<PreflightProblem[]> {
  const seen = new Map<string, Promise<readonly string[]>>();
  const each = await Promise.all(plugins.map((p) => checkPlugin(p, baseDir, seen)));
  return [...each.flat(), ...reportProblems(report, env)];
}
