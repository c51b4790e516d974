import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { GameSpec } from '../../game/engine.js';
import type { Trajectory } from '../../game/types.js';
import { OutcomeAccumulator, summaryOf, type OutcomeMetrics } from '../../metrics/outcome.js';
import type { PluginRef } from '../../plugins/types.js';
import { playInBatches } from '../batches.js';
import type { StageContext } from '../context.js';
import type { JsonlWriter } from '../rundir.js';

/**
 * The games a stage's file already holds, by policy (a resumed stage keeps them and plays the rest).
 * A last line cut short by a hard stop is dropped, and the file rewritten without it.
 */
export function playedGames(file: string): Map<string, Trajectory[]> {
  const played = new Map<string, Trajectory[]>();
  if (!existsSync(file)) return played;
  const kept: string[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim().length === 0) continue;
    let game: Trajectory;
    try {
      game = JSON.parse(line) as Trajectory;
    } catch {
      continue;
    }
    kept.push(line);
    played.set(game.policy, [...(played.get(game.policy) ?? []), game]);
  }
  writeFileSync(file, kept.map((l) => l + '\n').join(''));
  return played;
}

/** Puts a resumed stage's file back in the order an uninterrupted run writes: policy by policy, game by game. */
export function sortPlayed(file: string, policies: readonly string[]): void {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const key = (line: string) => {
    const g = JSON.parse(line) as Trajectory;
    return [policies.indexOf(g.policy), g.game] as const;
  };
  const keyed = lines.map((line) => ({ line, key: key(line) }));
  keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]);
  writeFileSync(file, keyed.map((k) => k.line + '\n').join(''));
}

/**
 * Plays a stage's games with one policy into its JSONL file, with progress; shared by evaluate and
 * generate. Games already played (a resumed stage) are counted and not played again.
 */
export async function playInto(
  ctx: StageContext,
  stageName: string,
  players: { policy: PluginRef; answerer: PluginRef },
  specs: readonly GameSpec[],
  out: JsonlWriter,
  played: readonly Trajectory[] = [],
): Promise<{ completed: boolean; metrics: OutcomeMetrics }> {
  const { experiment, domain, pool, progress, signals } = ctx;
  // Build the plugins here first: a problem (a missing checkpoint, a bad option) is reported as it is,
  // not as an error from inside a worker thread.
  await Promise.all([ctx.plugins.create('policy', players.policy), ctx.plugins.create('answerer', players.answerer)]);
  const acc = new OutcomeAccumulator(experiment.game.max_questions, domain.candidates.map((c) => c.id));
  const done = new Set<number>();
  for (const g of played) {
    acc.add(summaryOf(g));
    done.add(g.game);
  }
  progress.start(`${stageName} ${players.policy.label}`, specs.length);
  // a resumed stage starts from the games it kept, not from zero
  if (acc.count > 0) progress.update(acc.count, { success: acc.successSoFar });
  const completed = await playInBatches(pool, { setup: ctx.setup, ...players, reward: experiment.reward }, specs.filter((s) => !done.has(s.game)), {
    stop: signals.stop,
    onResult(result) {
      out.write(result.jsonl);
      acc.addPacked(result.summaries);
      progress.update(acc.count, { success: acc.successSoFar });
    },
  });
  progress.stop();
  return { completed, metrics: acc.metrics() };
}
