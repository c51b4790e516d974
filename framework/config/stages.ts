import type { ResolvedStage, SettingsPath, StageResolver, StageScope } from '../stages/define.js';
import { stageDef, stageDefOf, stageFiles, type Stage } from '../stages/index.js';
import { dottedPath } from './errors.js';
import { RUN_FILES } from './files.js';
import { problemAt, resolvePlugin, type Resolver } from './resolve.js';
import type { Path } from './source-map.js';

/** A stage's settings as the schema checked them: a map whose one key is the stage's kind. */
export type RawStage = Record<string, Record<string, unknown>>;

/** What every stage falls back on: the experiment's plugins and its domain. */
export type Fallbacks = Omit<StageScope, 'earlier' | 'playsOf'>;

/** The resolver a stage's module gets: paths below the stage's settings, placed in the file. */
function stageResolver(index: number, kind: string, name: string, scope: StageScope, r: Resolver): StageResolver {
  const path = (at: SettingsPath): Path => ['stages', index, kind, ...at];
  return {
    index,
    name,
    scope,
    plugin: (pluginKind, raw, at) => resolvePlugin(pluginKind, raw, path(at), r),
    problem: (at, message) => problemAt(r, path(at), message),
    keyProblem: (at, key, message) => r.problems.push({ ...r.source.keyPlace(path(at), key), path: dottedPath([...path(at), key]), message }),
  };
}

/**
 * Resolves each stage through its kind's module, in order: each sees the stages before it. Stages are
 * resolved even when the experiment's own plugins failed, so that one run lists every problem.
 */
export async function resolveStages(raws: readonly RawStage[], fallbacks: Fallbacks, r: Resolver): Promise<Stage[]> {
  const stages: Stage[] = [];
  const indices: number[] = [];
  for (const [index, raw] of raws.entries()) {
    const [kind, settings] = Object.entries(raw)[0]!;
    // the schema admits only the registry's kinds
    const def = stageDef(kind)!;
    const name = (settings.name as string | undefined) ?? `${String(index + 1).padStart(2, '0')}-${kind}`;
    const scope: StageScope = { ...fallbacks, earlier: stages, playsOf: (s) => stageDefOf(s).plays };
    const stage = await def.resolve(settings, stageResolver(index, kind, name, scope, r));
    if (stage) {
      stages.push(stage as Stage);
      indices.push(index);
    }
  }
  checkStageFiles(stages, indices, r);
  return stages;
}

/**
 * Stage names make file names: two stages must not write the same file (a train stage "t" would
 * truncate the games of a generate stage "t.curve"), nor a stage one of the run's own files. Names
 * are compared without case, as some file systems do.
 */
function checkStageFiles(stages: readonly ResolvedStage[], indices: readonly number[], r: Resolver): void {
  const names = new Map<string, { name: string; index: number }>();
  const owners = new Map<string, { name: string; index: number }>(RUN_FILES.map((f) => [f.toLowerCase(), { name: '', index: -1 }]));
  stages.forEach((s, k) => {
    const index = indices[k]!;
    const path: Path = ['stages', index, s.kind, 'name'];
    const problem = (message: string) => problemAt(r, path, message);
    const twin = names.get(s.name.toLowerCase());
    if (twin) {
      problem(
        twin.name === s.name
          ? `two stages are named "${s.name}" (stages[${twin.index}] and this one); give this one another name`
          : `"${s.name}" differs from the name of stage "${twin.name}" (stages[${twin.index}]) only in case, which some file systems ignore; choose another name`,
      );
      return;
    }
    names.set(s.name.toLowerCase(), { name: s.name, index });
    for (const file of Object.values(stageFiles(s))) {
      const owner = owners.get(file.toLowerCase());
      if (owner?.index === -1) problem(`a stage named "${s.name}" would write ${file}, one of the run's own files (${RUN_FILES.join(', ')}); choose another name`);
      else if (owner) problem(`a ${s.kind} stage named "${s.name}" would write ${file}, which stage "${owner.name}" (stages[${owner.index}]) writes too; choose another name`);
      else owners.set(file.toLowerCase(), { name: s.name, index });
    }
  });
}
