import type { PluginRef } from '../plugins/types.js';

/** A resolved plugin as the experiment file writes it: its label kept, so that tables and files name it the same. */
export function pluginEntry(ref: PluginRef): Record<string, unknown> {
  return { use: ref.use, ...(Object.keys(ref.with).length > 0 ? { with: ref.with } : {}), label: ref.label };
}

/** A stage's game count as the experiment file writes it: the one of the two it was given. */
export function countEntry(s: { games?: number | undefined; games_per_animal?: number | undefined }): Record<string, number | undefined> {
  return s.games !== undefined ? { games: s.games } : { games_per_animal: s.games_per_animal };
}
