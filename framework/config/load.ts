import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { ErrorObject } from 'ajv';
import type { Domain } from '../game/domain.js';
import type { Rules } from '../game/types.js';
import { registry } from '../plugins/builtins.js';
import { prepareRef, type RawRef } from '../plugins/factory.js';
import { PluginError } from '../plugins/registry.js';
import type { Kind, PluginDef, PluginRef } from '../plugins/types.js';
import { MAX_STAGE_GAMES, stageGames, tooMany } from '../run/games.js';
import { packagePath } from '../util/paths.js';
import { nearest } from '../util/text.js';
import { ConfigError, dottedPath, type Place, type Problem } from './errors.js';
import { RUN_FILES, stageFiles } from './files.js';
import { readExperimentText } from './read.js';
import { compileSchema, describeError } from './schema.js';
import { GAME_STAGES, type Experiment, type GameCount, type ReportSettings, type Stage } from './types.js';

type Path = (string | number)[];

const SCHEMA = JSON.parse(readFileSync(packagePath('schemas/experiment.schema.json'), 'utf8')) as Record<string, unknown>;

/** Places in the file, from a parsed YAML document that keeps source ranges. */
class SourceMap {
  private readonly overridden: { path: Path; origin: string }[] = [];

  constructor(
    readonly file: string,
    readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  markOverride(path: Path, origin: string): void {
    this.overridden.push({ path, origin });
  }

  at(offset: number): Place {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }

  /** The --set that wrote a value at or above a path (inner) or below it (a map it created). */
  private override(path: Path, inner: boolean): string | undefined {
    const within = (outer: Path, p: Path) => outer.length <= p.length && outer.every((k, i) => String(k) === String(p[i]));
    // The last --set that reached the path is the one whose value is there.
    return this.overridden.findLast((o) => (inner ? within(path, o.path) : within(o.path, path)))?.origin;
  }

  /** The --set that wrote the value at a path (or a map or list above it), if one did. */
  setBy(path: Path): string | undefined {
    return this.override(path, false);
  }

  /** The place of the value at a path, or of its nearest ancestor that is in the file. */
  place(path: Path): Place {
    const set = this.override(path, false);
    if (set) return { ...this.at(0), origin: set };
    for (let n = path.length; n >= 0; n--) {
      const node = (n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true)) as Node | undefined;
      if (node?.range) return this.at(node.range[0]);
      const origin = node ? this.override(path.slice(0, n), true) : undefined;
      if (origin) return { ...this.at(0), origin };
    }
    return this.at(0);
  }

  /** The place of a key within the map at a path (for unknown fields). */
  keyPlace(path: Path, key: string): Place {
    const map = this.doc.getIn(path, true) ?? (path.length === 0 ? this.doc.contents : undefined);
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      const range = (pair?.key as Node | undefined)?.range;
      if (range) return this.at(range[0]);
    }
    return this.place([...path, key]);
  }
}

function parseSet(assignment: string): { path: Path; value: string } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError([{ file: '--set', line: 0, col: 0, origin: `--set ${assignment}`, path: '', message: 'expected path=value, e.g. --set seed=3 or --set stages.0.evaluate.games=50' }]);
  const path = assignment
    .slice(0, eq)
    .trim()
    .split(/[.[\]]+/)
    .filter((p) => p.length > 0)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { path, value: assignment.slice(eq + 1) };
}

/**
 * Applies `--set a.b.0.c=value` to the document; a plugin written as a bare name grows into { use }.
 * An index must name an item that is there (or the one after the last): past it, yaml would leave
 * empty items that the schema then blames on the file.
 */
function applySet(doc: Document.Parsed, path: Path, value: string, origin: string): void {
  for (let i = 1; i < path.length; i++) {
    const parent = doc.getIn(path.slice(0, i), true);
    const index = path[i];
    if (isSeq(parent) && typeof index === 'number' && index > parent.items.length) {
      const at = path.slice(0, i).join('.');
      const items = parent.items.length;
      const range = items === 0 ? '' : items === 1 ? ` (${at}.0)` : ` (${at}.0 to ${at}.${items - 1})`;
      throw new ConfigError([{ file: '--set', line: 0, col: 0, origin, path: '', message: `${at} has ${items} item${items === 1 ? '' : 's'}${range}; there is no ${at}.${index}` }]);
    }
    if (isScalar(parent) && typeof parent.value === 'string' && ['use', 'with', 'label'].includes(String(path[i]))) {
      doc.setIn(path.slice(0, i), doc.createNode({ use: parent.value }));
    }
  }
  const parsed = parseDocument(value);
  try {
    doc.setIn(path, doc.createNode(parsed.errors.length > 0 ? value : parsed.toJS()));
  } catch {
    // yaml cannot go through a plain value (--set seed.x=1): say which part is not a map or list.
    const stop = path.findIndex((_, i) => i > 0 && isScalar(doc.getIn(path.slice(0, i), true)));
    const at = path.slice(0, stop > 0 ? stop : path.length).join('.');
    throw new ConfigError([{ file: '--set', line: 0, col: 0, origin, path: '', message: `${at} is a single value, not a map or list: there is no ${path.join('.')} to set` }]);
  }
}

function pathOf(instancePath: string, data: unknown): Path {
  const path: Path = [];
  let node = data;
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : part;
    path.push(key);
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

function valueAt(data: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), data);
}

/**
 * One problem per ajv error, said plainly and placed in the file; duplicates from type unions dropped.
 * `data` is what was validated and `at` where it sits in the document (a plugin's options sit at
 * [..., 'with']); `what` is added to each message.
 */
function schemaProblems(errors: ErrorObject[], data: unknown, source: SourceMap, at: Path = [], what = ''): Problem[] {
  const problems: Problem[] = [];
  for (const e of errors) {
    const inner = pathOf(e.instancePath, data);
    const path = [...at, ...inner];
    const value = valueAt(data, inner);
    let place = source.place(path);
    let shown = path;
    let message: string;
    if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      place = source.keyPlace(path, key);
      shown = [...path, key];
      message = describeError(e);
      if (path.at(-2) === 'stages') message = message.replace('unknown field', 'unknown stage').replace('Expected fields:', 'Expected one of:');
    } else if (e.keyword === 'maxProperties' && path.at(-2) === 'stages') {
      message = 'a stage is a map with exactly one key (its kind); start each stage with its own "- "';
    } else {
      message = describeError(e, e.keyword === 'required' ? undefined : value);
    }
    problems.push({ ...place, path: dottedPath(shown), message: message + what });
  }
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.origin ?? ''}${p.line}:${p.col}:${p.message}`;
    return !seen.has(key) && seen.add(key);
  });
}

interface Resolver {
  source: SourceMap;
  baseDir: string;
  problems: Problem[];
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
  const properties = (def.options.properties ?? {}) as Record<string, { 'x-file'?: boolean }>;
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
    r.problems.push({ ...r.source.place(at), path: dottedPath(at), message: `file not found: ${file} (a relative path is relative to ${relative})` });
    ok = false;
  }
  return ok;
}

/** Loads the plugin a reference names and checks its options, reporting problems at their places. */
async function resolvePlugin(kind: Kind, raw: RawRef, path: Path, r: Resolver): Promise<PluginRef | undefined> {
  const usePath = typeof raw === 'string' ? path : [...path, 'use'];
  try {
    const { ref, def, errors } = await prepareRef(kind, raw, baseDirOf(usePath, r));
    if (errors.length > 0) {
      r.problems.push(...schemaProblems(errors, ref.with, r.source, [...path, 'with'], ` (options of ${kind} "${def.name}"; see twentyq plugins ${kind})`));
      return undefined;
    }
    return checkFiles(def, ref, path, r) ? ref : undefined;
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    r.problems.push({ ...r.source.place(usePath), path: dottedPath(usePath), message: error.message });
    return undefined;
  }
}

/** The domain itself, for checks that need its candidates (weights); a failure is reported at domain:. */
async function createDomain(ref: PluginRef, r: Resolver): Promise<Domain | undefined> {
  try {
    const def = await registry.load('domain', ref.use);
    return await def.create(ref.with, { baseDir: r.baseDir });
  } catch (error) {
    r.problems.push({ ...r.source.place(['domain']), path: 'domain', message: `cannot load the domain: ${(error as Error).message}` });
    return undefined;
  }
}

interface RawExperiment {
  name: string;
  description?: string;
  seed: number;
  domain: RawRef;
  game: Rules;
  answerer: RawRef;
  policy: RawRef;
  reward: RawRef;
  stages: Record<string, Record<string, unknown> | null>[];
  report?: ReportSettings;
}

/** What stages fall back on: the experiment's plugins, its domain, and the stages before. */
interface StageScope {
  answerer: PluginRef;
  policy: PluginRef;
  domain: Domain | undefined;
  earlier: readonly Stage[];
}

function gameCount(settings: Record<string, unknown>, path: Path, r: Resolver): GameCount {
  if (settings.games !== undefined && settings.games_per_animal !== undefined) {
    r.problems.push({ ...r.source.place([...path, 'games']), path: dottedPath([...path, 'games']), message: 'set games or games_per_animal, not both' });
  }
  return settings.games !== undefined ? { games: settings.games as number } : { games_per_animal: (settings.games_per_animal as number | undefined) ?? 10 };
}

/** A stage's games in all (weights and every policy counted), checked against the limit before anything runs. */
function checkSize(count: GameCount, weights: Record<string, number> | undefined, policies: number, path: Path, scope: StageScope, r: Resolver): void {
  if (!scope.domain) return;
  const total = stageGames(count, scope.domain, weights) * policies;
  if (total <= MAX_STAGE_GAMES) return;
  const at = [...path, count.games !== undefined ? 'games' : 'games_per_animal'];
  const how = [
    count.games !== undefined ? `games ${count.games}` : `games_per_animal ${count.games_per_animal} x ${scope.domain.size} candidates${weights ? ' (weighted)' : ''}`,
    ...(policies > 1 ? [`${policies} policies`] : []),
  ].join(' x ');
  r.problems.push({ ...r.source.place(at), path: dottedPath(at), message: `this stage would play ${how}: ${tooMany(total)}` });
}

/** A baseline names a policy of its stage, or STAGE/LABEL: a policy of an earlier evaluate stage. */
function checkBaseline(baseline: string, labels: readonly string[], path: Path, scope: StageScope, r: Resolver): void {
  const slash = baseline.indexOf('/');
  const problem = (message: string) => r.problems.push({ ...r.source.place(path), path: dottedPath(path), message });
  if (slash < 0) {
    if (!labels.includes(baseline)) problem(`no policy of this stage is labelled "${baseline}"; its policies: ${labels.join(', ')} (or name one of an earlier evaluate stage as STAGE/LABEL)`);
    return;
  }
  const [stageName, label] = [baseline.slice(0, slash), baseline.slice(slash + 1)];
  const stage = scope.earlier.find((s) => s.name === stageName);
  if (!stage || stage.kind !== 'evaluate') {
    const names = scope.earlier.filter((s) => s.kind === 'evaluate').map((s) => s.name);
    problem(`no earlier evaluate stage is named "${stageName}"${names.length > 0 ? `; earlier evaluate stages: ${names.join(', ')}` : ''}`);
    return;
  }
  const theirs = stage.policies?.map((p) => p.label);
  if (theirs && !theirs.includes(label)) problem(`stage ${stageName} has no policy labelled "${label}"; its policies: ${theirs.join(', ')}`);
}

/** A train stage trains the experiment's policy (or what earlier train stages made of it): it must be trainable. */
async function checkTrainable(policy: PluginRef, path: Path, r: Resolver, whose = "the experiment's policy"): Promise<void> {
  if (policy.use === '') return;
  const def = await registry.load('policy', policy.use);
  if (def.trainable) return;
  const trainable = (await Promise.all(registry.names('policy').map((n) => registry.load('policy', n)))).filter((d) => d.trainable).map((d) => d.name);
  r.problems.push({
    ...r.source.place(path),
    path: dottedPath(path),
    message: `${whose} ${policy.label} cannot be trained; a train stage needs a trainable one (${trainable.join(', ')}), e.g. policy: { use: ${trainable[0]} }`,
  });
}

/** The stage whose games a stage reads: `from`, or the last generate stage before it. */
function source(settings: Record<string, unknown>, path: Path, scope: StageScope, r: Resolver): string {
  const from = settings.from as string | undefined;
  const games = scope.earlier.filter((s) => GAME_STAGES.includes(s.kind));
  if (from === undefined) {
    const last = [...games].reverse().find((s) => s.kind === 'generate') ?? games.at(-1);
    if (!last) r.problems.push({ ...r.source.place(path), path: dottedPath(path), message: 'there are no games to read: put a generate stage before this one' });
    return last?.name ?? '';
  }
  if (!games.some((s) => s.name === from)) {
    const names = games.map((s) => s.name);
    const guess = nearest(from, names);
    r.problems.push({
      ...r.source.place([...path, 'from']),
      path: dottedPath([...path, 'from']),
      message: `no earlier generate or evaluate stage is named "${from}"${guess ? `; did you mean "${guess}"?` : ''}${names.length > 0 ? ` Earlier stages with games: ${names.join(', ')}` : ''}`,
    });
  }
  return from;
}

/** Where a train stage starts: current, fresh, or the policy an earlier train stage made. */
function startOf(settings: Record<string, unknown>, path: Path, scope: StageScope, r: Resolver): string {
  const start = settings.start as string;
  if (start === 'current' || start === 'fresh') return start;
  const names = scope.earlier.filter((s) => s.kind === 'train').map((s) => s.name);
  if (!names.includes(start)) {
    const guess = nearest(start, names);
    r.problems.push({
      ...r.source.place([...path, 'start']),
      path: dottedPath([...path, 'start']),
      message: `start is current, fresh or the name of an earlier train stage; no earlier train stage is named "${start}"${guess ? `; did you mean "${guess}"?` : ''}${names.length > 0 ? ` Earlier train stages: ${names.join(', ')}` : ''}`,
    });
  }
  return start;
}

/** Weights by candidate id; a name or alias is accepted, an unknown animal is a problem. */
function candidateWeights(raw: Record<string, number> | undefined, path: Path, domain: Domain | undefined, r: Resolver): Record<string, number> | undefined {
  if (!raw || !domain) return raw;
  const weights: Record<string, number> = {};
  for (const [key, weight] of Object.entries(raw)) {
    const candidate = domain.candidateIndexOf(key) !== undefined ? domain.candidate(key) : domain.findCandidate(key);
    if (candidate) {
      weights[candidate.id] = weight;
      continue;
    }
    const guess = nearest(key, domain.candidates.map((c) => c.id));
    r.problems.push({
      ...r.source.keyPlace([...path, 'weights'], key),
      path: dottedPath([...path, 'weights', key]),
      message: `"${key}" is not one of the ${domain.size} candidates of ${domain.name}${guess ? `; did you mean "${guess}"?` : ''} (twentyq play --list shows them)`,
    });
  }
  return weights;
}

async function resolveStage(raw: Record<string, Record<string, unknown> | null>, index: number, scope: StageScope, r: Resolver): Promise<Stage | undefined> {
  const kind = Object.keys(raw)[0]! as Stage['kind'];
  const settings = raw[kind] ?? {};
  const path: Path = ['stages', index, kind];
  const name = (settings.name as string | undefined) ?? `${String(index + 1).padStart(2, '0')}-${kind}`;
  const plugin = async (k: 'policy' | 'answerer', key: string, fallback: PluginRef) =>
    settings[key] === undefined ? fallback : ((await resolvePlugin(k, settings[key] as RawRef, [...path, key], r)) ?? fallback);
  switch (kind) {
    case 'evaluate': {
      const count = gameCount(settings, path, r);
      const policies: PluginRef[] = [];
      const rawPolicies = settings.policies as RawRef[] | undefined;
      if (rawPolicies) {
        for (const [i, p] of rawPolicies.entries()) {
          const ref = await resolvePlugin('policy', p, [...path, 'policies', i], r);
          if (ref) policies.push(ref);
        }
      }
      const labels = new Set<string>();
      policies.forEach((p, i) => {
        if (labels.has(p.label)) {
          const at = [...path, 'policies', i];
          r.problems.push({ ...r.source.place(at), path: dottedPath(at), message: `two policies are labelled "${p.label}"; give one a label: (label: my-name)` });
        }
        labels.add(p.label);
      });
      const rawAnswerers = settings.answerers as RawRef[] | undefined;
      const answerers: PluginRef[] = [];
      if (rawAnswerers) {
        if (settings.answerer !== undefined) r.problems.push({ ...r.source.place([...path, 'answerers']), path: dottedPath([...path, 'answerers']), message: 'set answerer or answerers, not both' });
        for (const [i, a] of rawAnswerers.entries()) {
          const ref = await resolvePlugin('answerer', a, [...path, 'answerers', i], r);
          if (!ref) continue;
          if (answerers.some((other) => other.label === ref.label)) {
            const at = [...path, 'answerers', i];
            r.problems.push({ ...r.source.place(at), path: dottedPath(at), message: `two answerers are labelled "${ref.label}"; give one a label: (label: my-name)` });
          }
          answerers.push(ref);
        }
      }
      const baseline = settings.baseline as string | undefined;
      if (baseline !== undefined) checkBaseline(baseline, rawPolicies ? policies.map((p) => p.label) : [scope.policy.label], [...path, 'baseline'], scope, r);
      checkSize(count, undefined, (rawPolicies?.length ?? 1) * (rawAnswerers?.length ?? 1), path, scope, r);
      const answerer = answerers[0] ?? (await plugin('answerer', 'answerer', scope.answerer));
      return {
        kind,
        name,
        ...(rawPolicies ? { policies } : {}),
        answerer,
        ...(rawAnswerers ? { answerers } : {}),
        ...(baseline !== undefined ? { baseline } : {}),
        max_error_rate: settings.max_error_rate as number,
        ...count,
      };
    }
    case 'generate': {
      const count = gameCount(settings, path, r);
      const weights = candidateWeights(settings.weights as Record<string, number> | undefined, path, scope.domain, r);
      checkSize(count, weights, 1, path, scope, r);
      return {
        kind,
        name,
        policy: await plugin('policy', 'policy', scope.policy),
        answerer: await plugin('answerer', 'answerer', scope.answerer),
        ...(weights ? { weights } : {}),
        max_error_rate: settings.max_error_rate as number,
        ...count,
      };
    }
    case 'audit':
      return {
        kind,
        name,
        from: source(settings, path, scope, r),
        min_wins_per_animal: settings.min_wins_per_animal as number,
        on_gap: settings.on_gap as 'fail' | 'warn',
      };
    case 'train': {
      const own = settings.policy === undefined ? undefined : await resolvePlugin('policy', settings.policy as RawRef, [...path, 'policy'], r);
      await checkTrainable(own ?? scope.policy, own ? [...path, 'policy'] : path, r, own ? "the stage's policy" : undefined);
      const strategy = await resolvePlugin('strategy', settings.strategy as RawRef, [...path, 'strategy'], r);
      const reward = settings.reward === undefined ? undefined : await resolvePlugin('reward', settings.reward as RawRef, [...path, 'reward'], r);
      const hasGames = scope.earlier.some((s) => GAME_STAGES.includes(s.kind));
      const from = settings.from !== undefined || hasGames ? source(settings, path, scope, r) : undefined;
      return strategy
        ? { kind, name, strategy, ...(from ? { from } : {}), start: startOf(settings, path, scope, r), ...(own ? { policy: own } : {}), ...(reward ? { reward } : {}), label: (settings.label as string | undefined) ?? name }
        : undefined;
    }
    case 'dataset': {
      const strategy = await resolvePlugin('strategy', settings.strategy as RawRef, [...path, 'strategy'], r);
      const from = source(settings, path, scope, r);
      return strategy ? { kind, name, from, strategy, show_candidates: settings.show_candidates as boolean } : undefined;
    }
  }
}

/**
 * Stage names make file names: two stages must not write the same file (a train stage "t" would
 * truncate the games of a generate stage "t.curve"), nor a stage one of the run's own files. Names
 * are compared without case, as some file systems do.
 */
function checkStageFiles(stages: readonly Stage[], indices: readonly number[], r: Resolver): void {
  const names = new Map<string, { name: string; index: number }>();
  const owners = new Map<string, { name: string; index: number }>(RUN_FILES.map((f) => [f.toLowerCase(), { name: '', index: -1 }]));
  stages.forEach((s, k) => {
    const index = indices[k]!;
    const path: Path = ['stages', index, s.kind, 'name'];
    const at = { ...r.source.place(path), path: dottedPath(path) };
    const twin = names.get(s.name.toLowerCase());
    if (twin) {
      r.problems.push({
        ...at,
        message: twin.name === s.name
          ? `two stages are named "${s.name}" (stages[${twin.index}] and this one); give this one another name`
          : `"${s.name}" differs from the name of stage "${twin.name}" (stages[${twin.index}]) only in case, which some file systems ignore; choose another name`,
      });
      return;
    }
    names.set(s.name.toLowerCase(), { name: s.name, index });
    for (const file of stageFiles(s)) {
      const owner = owners.get(file.toLowerCase());
      if (owner?.index === -1) {
        r.problems.push({ ...at, message: `a stage named "${s.name}" would write ${file}, one of the run's own files (${RUN_FILES.join(', ')}); choose another name` });
      } else if (owner) {
        r.problems.push({ ...at, message: `a ${s.kind} stage named "${s.name}" would write ${file}, which stage "${owner.name}" (stages[${owner.index}]) writes too; choose another name` });
      } else owners.set(file.toLowerCase(), { name: s.name, index });
    }
  });
}

export interface LoadOptions {
  /** `path=value` overrides, applied before validation. */
  set?: readonly string[];
}

/** Reads, validates and resolves an experiment file; throws ConfigError listing every problem at its place. */
export async function loadExperiment(file: string, options: LoadOptions = {}): Promise<Experiment> {
  return parseExperiment(readExperimentText(file), file, options);
}

/** The first column of a line that is not indentation: YAML places an indentation error at the line's start. */
function skipIndent(text: string, offset: number): number {
  let at = offset;
  while (text[at] === ' ' || text[at] === '\t') at++;
  return text[at] === '\n' || at >= text.length ? offset : at;
}

/**
 * The document as plain data. yaml refuses to expand aliases into a huge document (a "billion laughs")
 * with a ReferenceError that names no place: it is reported at the first alias.
 */
function toData(doc: Document.Parsed, source: SourceMap): unknown {
  try {
    return doc.toJS();
  } catch (error) {
    if (!(error instanceof ReferenceError) || !/alias/i.test(error.message)) throw error;
    let first: Node | undefined;
    visit(doc, { Alias: (_, node) => ((first = node as Node), visit.BREAK) });
    const place = first?.range ? source.at(first.range[0]) : source.place([]);
    throw new ConfigError([{ ...place, path: '', message: 'YAML aliases here expand to too many copies of their anchors (a "billion laughs" file); write the values out, or use fewer aliases' }]);
  }
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

export async function parseExperiment(text: string, file: string, options: LoadOptions = {}): Promise<Experiment> {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const source = new SourceMap(file, doc, lines);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(skipIndent(text, e.pos[0]));
        return { file, line, col, path: '', message: `YAML syntax: ${e.message.split(' at line ')[0]!.trim()}` };
      }),
    );
  }
  for (const assignment of options.set ?? []) {
    const { path, value } = parseSet(assignment);
    applySet(doc, path, value, `--set ${assignment}`);
    source.markOverride(path, `--set ${assignment}`);
  }
  const data = toData(doc, source);
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ ...source.place([]), path: '', message: 'expected a map with at least name: and stages: (see experiments/quickstart.yaml)' }]);
  }
  fillEmptyStages(data as { stages?: unknown });
  const validate = compileSchema(SCHEMA);
  if (!validate(data)) throw new ConfigError(schemaProblems(validate.errors ?? [], data, source));

  const raw = data as RawExperiment;
  const r: Resolver = { source, baseDir: dirname(resolve(file)), problems: [] };
  const domain = await resolvePlugin('domain', raw.domain, ['domain'], r);
  const answerer = await resolvePlugin('answerer', raw.answerer, ['answerer'], r);
  const policy = await resolvePlugin('policy', raw.policy, ['policy'], r);
  const reward = await resolvePlugin('reward', raw.reward, ['reward'], r);
  const stages: Stage[] = [];
  const indices: number[] = [];
  // Stages are checked even when the experiment's own plugins failed, so that one run lists every problem.
  const placeholder: PluginRef = { use: '', with: {}, label: '' };
  const domainInstance = domain ? await createDomain(domain, r) : undefined;
  for (const [i, s] of raw.stages.entries()) {
    const scope = { answerer: answerer ?? placeholder, policy: policy ?? placeholder, domain: domainInstance, earlier: stages };
    const stage = await resolveStage(s, i, scope, r);
    if (stage) {
      stages.push(stage);
      indices.push(i);
    }
  }
  checkStageFiles(stages, indices, r);
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
