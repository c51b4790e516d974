import { Type, type TObject } from '@sinclair/typebox';
import type { RawRef } from '../plugins/ref.js';
import type { PluginRef } from '../plugins/types.js';
import { defaulted } from '../util/typebox.js';
import { MAX_STAGE_GAMES, stageGames, tooMany, type GameCount } from '../run/games.js';
import { nearest } from '../util/text.js';
import type { ResolvedStage, SettingsPath, StageResolver } from './define.js';

/** Settings that several kinds of stage share, declared once. */
export const SETTINGS = {
  name: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: "Names the stage's files, <name>.jsonl and the like: letters, digits, dot, dash, underscore, starting with a letter or digit; defaults to <index>-<kind>.",
      maxLength: 100,
    }),
  ),
  games_per_animal: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Games per candidate, every candidate the same number of times (at most 10,000,000 games per stage in all).' })),
  games: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000, description: 'Games in all, targets in turn over the candidates (at most 10,000,000 per stage, every policy counted).' })),
  max_error_rate: defaulted(
    Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.05,
      description:
        "The share of a policy's games that may fail (outcome error: a policy or answerer that waits on a model and still fails after its retries) before the stage fails; failed games are written, counted as errors and left out of every other figure.",
    }),
  ),
  from: (description: string) => Type.Optional(Type.String({ description })),
};

/**
 * Settings that may be left out altogether: `- evaluate:` with nothing after it is null to an editor
 * (the loader makes it {} before checking, so that the defaults fill in).
 */
export function orNothing<T extends TObject>(settings: T): T {
  return { ...settings, type: ['object', 'null'] };
}

/** The plugin a field names, or when it names none (or one that failed, reported already) the fallback. */
export async function pluginOr(at: StageResolver, kind: 'policy' | 'answerer', raw: RawRef | undefined, key: string, fallback: PluginRef): Promise<PluginRef> {
  return raw === undefined ? fallback : ((await at.plugin(kind, raw, [key])) ?? fallback);
}

/** How many games a stage plays: `games` or `games_per_animal` (10 when neither is set). */
export function gameCount(settings: { games?: number | undefined; games_per_animal?: number | undefined }, at: StageResolver): GameCount {
  if (settings.games !== undefined && settings.games_per_animal !== undefined) at.problem(['games'], 'set games or games_per_animal, not both');
  return settings.games !== undefined ? { games: settings.games } : { games_per_animal: settings.games_per_animal ?? 10 };
}

/** A stage's games in all (weights and every policy counted), checked against the limit before anything runs. */
export function checkSize(count: GameCount, weights: Record<string, number> | undefined, policies: number, at: StageResolver): void {
  const domain = at.scope.domain;
  if (!domain) return;
  const total = stageGames(count, domain, weights) * policies;
  if (total <= MAX_STAGE_GAMES) return;
  const how = [count.games !== undefined ? `games ${count.games}` : `games_per_animal ${count.games_per_animal} x ${domain.size} candidates${weights ? ' (weighted)' : ''}`, ...(policies > 1 ? [`${policies} policies`] : [])].join(' x ');
  at.problem([count.games !== undefined ? 'games' : 'games_per_animal'], `this stage would play ${how}: ${tooMany(total)}`);
}

/** The earlier stages that wrote games. */
export function earlierWithGames(at: StageResolver): readonly ResolvedStage[] {
  return at.scope.earlier.filter((s) => at.scope.playsOf(s) !== undefined);
}

/** The stage whose games a stage reads: `from`, or the last data stage before it (else the last with games). */
export function gamesSource(from: string | undefined, at: StageResolver, here: SettingsPath = []): string {
  const games = earlierWithGames(at);
  if (from === undefined) {
    const last = [...games].reverse().find((s) => at.scope.playsOf(s) === 'data') ?? games.at(-1);
    if (!last) at.problem(here, 'there are no games to read: put a generate stage before this one');
    return last?.name ?? '';
  }
  if (!games.some((s) => s.name === from)) {
    const names = games.map((s) => s.name);
    const guess = nearest(from, names);
    at.problem(['from'], `no earlier generate or evaluate stage is named "${from}"${guess ? `; did you mean "${guess}"?` : ''}${names.length > 0 ? ` Earlier stages with games: ${names.join(', ')}` : ''}`);
  }
  return from;
}
