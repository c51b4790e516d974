import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { PluginRef } from '../plugins/types.js';
import { STAGES } from '../stages/index.js';
import { ConfigError } from './errors.js';
import { experimentSchema, type RawExperiment } from './experiment-schema.js';
import { schemaProblems, takeOutRefused } from './problems.js';
import type { Problem } from './errors.js';
import { readExperimentText } from './read.js';
import { preflight } from './preflight.js';
import { createDomain, problemAt, resolvePlugin, type Resolver } from './resolve.js';
import { compileSchema } from './schema.js';
import { applySet, parseSet } from './set.js';
import { SourceMap, skipIndent, toData } from './source-map.js';
import { resolveStages } from './stages.js';
import type { Experiment } from './types.js';

let schema: Record<string, unknown> | undefined;

/** The experiment schema, built once from the stage registry (kept alive: ajv caches its validator by object). */
function experimentValidator() {
  schema ??= experimentSchema(STAGES);
  return compileSchema<RawExperiment>(schema);
}

export interface LoadOptions {
  /** `path=value` overrides, applied before validation. */
  set?: readonly string[];
  /**
   * Also check what a run needs from this machine (keys, commands, a GPU: see PluginDef.preflight);
   * its problems come in the same report, at the places that cause them.
   */
  preflight?: boolean;
}

/** Reads, validates and resolves an experiment file; throws ConfigError listing every problem at its place. */
export async function loadExperiment(file: string, options: LoadOptions = {}): Promise<Experiment> {
  return parseExperiment(readExperimentText(file), file, options);
}

/** A stage written with no settings (`- evaluate:`) is an empty map, so that the schema fills in its defaults. */
function fillEmptyStages(data: { stages?: unknown }): void {
  if (!Array.isArray(data.stages)) return;
  for (const stage of data.stages as unknown[]) {
    if (!stage || typeof stage !== 'object' || Array.isArray(stage)) continue;
    const entries = Object.entries(stage);
    if (entries.length === 1 && entries[0]![1] === null) (stage as Record<string, unknown>)[entries[0]![0]] = {};
  }
}

/** The text as a YAML document with its places, --set applied; syntax errors are problems at their lines. */
function parseText(text: string, file: string, options: LoadOptions): SourceMap {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(skipIndent(text, e.pos[0]));
        return { file, line, col, path: '', message: `YAML syntax: ${e.message.split(' at line ')[0]!.trim()}` };
      }),
    );
  }
  const source = new SourceMap(file, doc, lines);
  for (const assignment of options.set ?? []) {
    const { path, value } = parseSet(assignment);
    applySet(doc, path, value, `--set ${assignment}`);
    source.markOverride(path, `--set ${assignment}`);
  }
  return source;
}

/**
 * The document checked against the experiment schema, defaults filled in, with the schema's problems.
 * When there are some, what the schema refused is taken out (an unknown field, a value of the wrong
 * kind) and the rest checked again: if it passes then, it is resolved too, so that one report lists the
 * plugins' problems beside the schema's (`raw` is absent when what is left still does not pass).
 */
function validated(source: SourceMap): { raw?: RawExperiment; problems: Problem[] } {
  const data = toData(source.doc, source);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ ...source.place([]), path: '', message: 'expected a map with at least name: and stages: (see experiments/quickstart.yaml)' }]);
  }
  fillEmptyStages(data);
  const validate = experimentValidator();
  if (validate(data)) return { raw: data, problems: [] };
  const problems = schemaProblems(validate.errors ?? [], data, source);
  for (let pass = 0; pass < 8 && takeOutRefused(data, validate.errors ?? []); pass++) {
    if (validate(data)) return { raw: data, problems };
  }
  return { problems };
}

export async function parseExperiment(text: string, file: string, options: LoadOptions = {}): Promise<Experiment> {
  const source = parseText(text, file, options);
  const { raw, problems } = validated(source);
  if (!raw) throw new ConfigError(problems);
  const r: Resolver = { source, baseDir: dirname(resolve(file)), problems: [...problems], plugins: [] };
  const domain = await resolvePlugin('domain', raw.domain, ['domain'], r);
  const answerer = await resolvePlugin('answerer', raw.answerer, ['answerer'], r);
  const policy = await resolvePlugin('policy', raw.policy, ['policy'], r);
  const reward = await resolvePlugin('reward', raw.reward, ['reward'], r);
  // stages are checked even when the experiment's own plugins failed, so that one run lists every problem
  const placeholder: PluginRef = { use: '', with: {}, label: '' };
  const fallbacks = { answerer: answerer ?? placeholder, policy: policy ?? placeholder, domain: domain ? await createDomain(domain, r) : undefined };
  const stages = await resolveStages(raw.stages, fallbacks, r);
  if (options.preflight) for (const p of await preflight(r.plugins, raw.report, r.baseDir)) problemAt(r, p.path, p.message);
  if (r.problems.length > 0 || !domain || !answerer || !policy || !reward) {
    throw new ConfigError(r.problems.sort((a, b) => a.line - b.line || a.col - b.col));
  }
  return {
    name: raw.name,
    ...(raw.description ? { description: raw.description } : {}),
    file: resolve(file),
    baseDir: r.baseDir,
    seed: raw.seed,
    game: raw.game,
    domain,
    answerer,
    policy,
    reward,
    stages,
    ...(raw.report ? { report: raw.report } : {}),
  };
}
