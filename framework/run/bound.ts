import type { GameSpec } from '../game/engine.js';
import { cachedTree } from '../game/tree-cache.js';
import type { Semantics } from '../game/tree.js';
import type { WrongGuessRule } from '../game/types.js';
import type { PluginRef } from '../plugins/types.js';
import type { StageContext } from './context.js';

/** The exact optimal tree's figures for the game a stage played (see framework/game/tree.ts). */
export interface StageBound {
  rule: WrongGuessRule;
  semantics: Semantics;
  /** Distinct targets, and the games they stand for. */
  targets: number;
  games: number;
  mean: number;
  /** Proved lower bound on the mean; equal to it when proved. */
  lower: number;
  proved: boolean;
}

/** How long the runner lets the search prove a stage's bound before it reports bounds instead. */
const TIME_LIMIT_MS = 30_000;

/**
 * The bound of a stage's games against one answerer: the optimal tree over the domain's questions for
 * the stage's targets (as often as each is played), the experiment's rules and what the answerer's
 * "unknown" means. None for an answerer whose "unknown" is vague (a model): no tree describes it, nor
 * when Ctrl-C stops the search (it yields between slices, so the signal is heard within one).
 */
export async function stageBound(ctx: StageContext, answerer: PluginRef, specs: readonly GameSpec[]): Promise<StageBound | undefined> {
  const { domain } = ctx;
  if (!domain.truth || specs.length === 0) return undefined;
  const unknowns = (await ctx.plugins.create('answerer', answerer)).unknowns;
  if (unknowns !== 'say' && unknowns !== 'coin') return undefined;
  const counts = new Map<number, number>();
  for (const s of specs) {
    const c = domain.candidateIndexOf(s.target)!;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  // every candidate equally often weighs as every candidate once: the same tree, cached once
  const even = counts.size === domain.size && new Set(counts.values()).size === 1;
  const targets = even ? undefined : [...counts.entries()].sort((a, b) => a[0] - b[0]).flatMap(([c, n]) => Array<number>(n).fill(c));
  const rule = ctx.experiment.game.wrong_guess;
  let tree;
  try {
    const options = { rule, semantics: unknowns, maxQuestions: ctx.experiment.game.max_questions, timeLimitMs: TIME_LIMIT_MS, signal: ctx.signals.stop };
    tree = await cachedTree(domain, { ...options, ...(targets ? { targets } : {}) });
  } catch (error) {
    // Ctrl-C during the search: no bound, and the stage stops before its first game
    if (ctx.signals.stop.aborted) return undefined;
    throw error;
  }
  return { rule, semantics: unknowns, targets: counts.size, games: specs.length, mean: tree.mean, lower: tree.lower, proved: tree.proved };
}
