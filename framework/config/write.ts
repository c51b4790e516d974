import { stringify } from 'yaml';
import type { PluginRef } from '../plugins/types.js';
import type { Experiment, Stage } from './types.js';

/** A resolved plugin as the experiment file writes it: its label kept, so that tables and files name it the same. */
function plugin(ref: PluginRef): Record<string, unknown> {
  return { use: ref.use, ...(Object.keys(ref.with).length > 0 ? { with: ref.with } : {}), label: ref.label };
}

/** A resolved stage as the experiment file writes it: a map whose one key is its kind. */
function stageEntry(stage: Stage): Record<string, Record<string, unknown>> {
  const count = (s: { games?: number; games_per_animal?: number }) => (s.games !== undefined ? { games: s.games } : { games_per_animal: s.games_per_animal });
  switch (stage.kind) {
    case 'evaluate':
      return {
        evaluate: {
          name: stage.name,
          ...(stage.policies ? { policies: stage.policies.map(plugin) } : {}),
          // the loader takes one or the other
          ...(stage.answerers ? { answerers: stage.answerers.map(plugin) } : { answerer: plugin(stage.answerer) }),
          ...(stage.baseline !== undefined ? { baseline: stage.baseline } : {}),
          max_error_rate: stage.max_error_rate,
          ...count(stage),
        },
      };
    case 'generate':
      return { generate: { name: stage.name, policy: plugin(stage.policy), answerer: plugin(stage.answerer), ...(stage.weights ? { weights: stage.weights } : {}), max_error_rate: stage.max_error_rate, ...count(stage) } };
    case 'audit':
      return { audit: { name: stage.name, from: stage.from, min_wins_per_animal: stage.min_wins_per_animal, on_gap: stage.on_gap } };
    case 'dataset':
      return { dataset: { name: stage.name, from: stage.from, strategy: plugin(stage.strategy), show_candidates: stage.show_candidates } };
    case 'train':
      return { train: { name: stage.name, strategy: plugin(stage.strategy), ...(stage.from ? { from: stage.from } : {}), start: stage.start, ...(stage.policy ? { policy: plugin(stage.policy) } : {}), ...(stage.reward ? { reward: plugin(stage.reward) } : {}), label: stage.label } };
  }
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
    domain: plugin(experiment.domain),
    game: experiment.game,
    answerer: plugin(experiment.answerer),
    policy: plugin(experiment.policy),
    reward: plugin(experiment.reward),
    stages: experiment.stages.map(stageEntry),
    ...(experiment.report ? { report: experiment.report } : {}),
  };
  // Options shared by two plugins are written out twice: anchors and aliases would only puzzle a reader.
  return stringify(text, { aliasDuplicateObjects: false, lineWidth: 0 });
}
