import { stringify } from 'yaml';
import { pluginEntry } from '../stages/write.js';
import { stageDefOf, type Stage } from '../stages/index.js';
import type { Experiment } from './types.js';

/** A resolved stage as the experiment file writes it: a map whose one key is its kind. */
function stageEntry(stage: Stage): Record<string, Record<string, unknown>> {
  return { [stage.kind]: stageDefOf(stage).write(stage) };
}

/**
 * A resolved experiment written back in the experiment file's own format, every default spelled out.
 * Paths are absolute once resolved (user plugins, files named in options), so the text reruns the
 * same games from any folder: a run's config.yaml is this, and `twentyq run` takes it as it is.
 */
export function toExperimentYaml(experiment: Experiment): string {
  const text = {
    name: experiment.name,
    ...(experiment.description ? { description: experiment.description } : {}),
    seed: experiment.seed,
    domain: pluginEntry(experiment.domain),
    game: experiment.game,
    answerer: pluginEntry(experiment.answerer),
    policy: pluginEntry(experiment.policy),
    reward: pluginEntry(experiment.reward),
    stages: experiment.stages.map(stageEntry),
    ...(experiment.report ? { report: experiment.report } : {}),
  };
  // Options shared by two plugins are written out twice: anchors and aliases would only puzzle a reader.
  return stringify(text, { aliasDuplicateObjects: false, lineWidth: 0 });
}
