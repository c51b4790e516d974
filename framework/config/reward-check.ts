import { playGame, type Players } from '../game/engine.js';
import type { Domain } from '../game/domain.js';
import type { Move, Trajectory } from '../game/types.js';
import { PluginFactory } from '../plugins/factory.js';
import type { PluginRef, Policy } from '../plugins/types.js';
import type { Experiment } from './types.js';

/**
 * Reward hacking the seed's setting invites, found before a run: a reward that pays a lost game more
 * than a won one teaches losing, and one that pays a game ending without a guess more than one ending
 * with a wrong guess teaches never to guess. Each reward the experiment uses is scored on games played
 * by script, answered from the truth table, at the edges: a win at the first question and at the last, a loss by the
 * budget with questions only and with invalid moves only, and losses by wrong guesses (at the first
 * question under `lose`, at the last under `continue`).
 */

interface Edge {
  name: string;
  /** The move at turn t, knowing the target (a script, not a policy). */
  move(t: number, target: number): Move;
  guesses: boolean;
}

export async function rewardWarnings(experiment: Experiment): Promise<string[]> {
  const factory = await PluginFactory.forDomain(experiment.domain, experiment.game, experiment.baseDir);
  const { domain } = factory;
  if (!domain.truth || domain.size < 2 || domain.attributes.length === 0) return [];
  const rewards = new Map<string, PluginRef>();
  for (const ref of [experiment.reward, ...experiment.stages.flatMap((s) => (s.kind === 'train' && s.reward ? [s.reward] : []))]) rewards.set(ref.label, ref);
  const games = await edgeGames(experiment, factory, truthful(domain));
  const warnings: string[] = [];
  for (const ref of rewards.values()) {
    const reward = await factory.create('reward', ref);
    try {
      const scored = games.map((g) => ({ ...g, score: reward.score(g.game) }));
      warnings.push(...judge(ref.label, scored));
    } catch (error) {
      warnings.push(`reward ${ref.label} could not be checked for reward hacking: scoring a game by script failed: ${(error as Error).message}`);
    }
  }
  return warnings;
}

/** Answers the script's attribute questions from the truth table (the scripts ask nothing else). */
function truthful(domain: Domain): Players['answerer'] {
  return { answer: (question, target) => domain.fact(domain.candidateIndexOf(target.id)!, domain.attributeIndexOf(question.attribute!)!) };
}

async function edgeGames(experiment: Experiment, factory: PluginFactory, answerer: Players['answerer']): Promise<{ name: string; guesses: boolean; game: Trajectory }[]> {
  const { domain } = factory;
  const { max_questions: max, wrong_guess: rule } = experiment.game;
  const ask = (t: number): Move => {
    const a = domain.attributes[t % domain.attributes.length]!;
    return { kind: 'question', text: a.question, attribute: a.id };
  };
  const guess = (c: number): Move => ({ kind: 'guess', text: `Is it ${domain.candidates[c]!.name}?`, candidate: domain.candidates[c]!.id });
  const edges: Edge[] = [
    { name: 'a win at question 1', guesses: true, move: (_t, target) => guess(target) },
    { name: `a win at question ${max}`, guesses: true, move: (t, target) => (t < max - 1 ? ask(t) : guess(target)) },
    { name: `a loss by the budget, ${max} questions and no guess`, guesses: false, move: ask },
    { name: `a loss by the budget, ${max} invalid moves`, guesses: false, move: () => ({ kind: 'invalid', text: '...', reason: 'no move' }) },
    rule === 'lose'
      ? { name: 'a loss by a wrong guess at question 1 (wrong_guess: lose)', guesses: true, move: (_t, target) => guess(target === 0 ? 1 : 0) }
      : { name: `a loss by the budget, a wrong guess at question ${max}`, guesses: true, move: (t, target) => (t < max - 1 ? ask(t) : guess(target === 0 ? 1 : 0)) },
  ];
  return Promise.all(
    edges.map(async (edge, game) => {
      const target = 0;
      const policy: Policy = { act: (views) => views.map((v) => edge.move(v.turns.length, target)) };
      const players: Players = { domain, rules: experiment.game, policy, answerer, policyLabel: 'script' };
      return { name: edge.name, guesses: edge.guesses, game: await playGame({ game, seed: game, target: domain.candidates[target]!.id }, players) };
    }),
  );
}

function judge(label: string, games: { name: string; guesses: boolean; game: Trajectory; score: number }[]): string[] {
  const wins = games.filter((g) => g.game.outcome === 'win');
  const losses = games.filter((g) => g.game.outcome !== 'win');
  const out: string[] = [];
  const worstWin = wins.reduce((a, b) => (b.score < a.score ? b : a));
  const bestLoss = losses.reduce((a, b) => (b.score > a.score ? b : a));
  const show = (g: { name: string; score: number }) => `${g.name} scores ${+g.score.toFixed(4)}`;
  if (bestLoss.score > worstWin.score)
    out.push(`reward ${label} pays a lost game more than a won one (${show(bestLoss)}, ${show(worstWin)}): training on it teaches losing. Make every loss score below every win (e.g. efficiency's loss below 0)`);
  const wrong = losses.filter((g) => g.guesses);
  const silent = losses.filter((g) => !g.guesses).reduce((a, b) => (b.score > a.score ? b : a));
  const guessed = wrong.reduce((a, b) => (b.score < a.score ? b : a), wrong[0]!);
  if (guessed && silent.score > guessed.score)
    out.push(
      `reward ${label} pays a game that ends without a guess more than one that ends with a wrong guess (${show(silent)}, ${show(guessed)}): training on it teaches never to guess. Score a loss the same however it ends, or below for no guess`,
    );
  return out;
}
