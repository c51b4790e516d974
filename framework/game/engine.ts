import { Rng } from '../util/rng.js';
import type { Candidate, Domain } from './domain.js';
import type { Answerer, Policy } from '../plugins/types.js';
import type { Answer, GameView, Move, Rules, Trajectory, Turn } from './types.js';

export interface GameSpec {
  game: number;
  seed: number;
  target: string;
}

export interface Players {
  domain: Domain;
  rules: Rules;
  policy: Policy;
  answerer: Answerer;
  /** Recorded in each trajectory. */
  policyLabel: string;
  /** Named in errors. */
  answererLabel?: string;
}

/**
 * A plugin broke its contract while a game was played (an answer that is not yes / no / unknown, a
 * score that is not a number): the message names the plugin and the game.
 */
export class GameError extends Error {}

const ANSWERS: ReadonlySet<unknown> = new Set<Answer>(['yes', 'no', 'unknown']);

/** A game in progress: what the engine knows, the target included. The policy sees only `view`. */
interface LiveGame {
  spec: GameSpec;
  target: Candidate;
  turns: Turn[];
  rng: Rng;
  /** Built once for the policy, without the target: what a policy is handed is all it can ever read. */
  view: GameView;
  invalid: number;
  won: boolean;
  over: boolean;
}

function checkAnswer(answer: unknown, game: LiveGame, players: Players): Answer {
  if (ANSWERS.has(answer)) return answer as Answer;
  const who = players.answererLabel ? `answerer ${players.answererLabel}` : 'the answerer';
  throw new GameError(`${who} answered ${JSON.stringify(answer) ?? String(answer)} in game ${game.spec.game}: an answerer must return "yes", "no" or "unknown"`);
}

function checkMove(move: unknown, domain: Domain): Move {
  const m = move as Move | undefined;
  if (!m || typeof m !== 'object' || typeof m.text !== 'string') {
    return { kind: 'invalid', text: String(move), reason: 'the policy returned something that is not a move' };
  }
  if (m.kind === 'guess' && domain.candidateIndexOf(m.candidate) === undefined) {
    return { kind: 'invalid', text: m.text, reason: `guessed "${m.candidate}", which is not a candidate` };
  }
  const kind: string = m.kind;
  if (kind !== 'guess' && kind !== 'question' && kind !== 'invalid') {
    return { kind: 'invalid', text: m.text, reason: `unknown move kind "${kind}"` };
  }
  return m;
}

function record(game: LiveGame, move: Move, answer: Answer | undefined, rules: Rules): void {
  game.turns.push(answer === undefined ? { move } : { move, answer });
  if (move.kind === 'guess' && answer === 'yes') game.won = true;
  game.over = game.won || game.turns.length >= rules.max_questions || (move.kind === 'guess' && rules.wrong_guess === 'lose');
}

/**
 * Plays games to the end, all of them in lock-step: each round asks the policy for the next move of
 * every game still running in one batch. Each game draws randomness only from its own seeded stream,
 * so a game's course does not depend on which other games share its batch.
 */
export async function playGames(specs: readonly GameSpec[], players: Players): Promise<Trajectory[]> {
  const { domain, rules, policy, answerer } = players;
  const games: LiveGame[] = specs.map((spec) => {
    const turns: Turn[] = [];
    const rng = new Rng(spec.seed);
    return { spec, target: domain.candidate(spec.target), turns, rng, view: { turns, rules, rng, memo: new Map() }, invalid: 0, won: false, over: false };
  });
  let live = games;
  while (live.length > 0) {
    const moves = await policy.act(live.map((g) => g.view));
    if (!Array.isArray(moves) || moves.length !== live.length) {
      throw new GameError(`policy ${players.policyLabel} returned ${Array.isArray(moves) ? moves.length : 'no'} moves for ${live.length} games`);
    }
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < live.length; i++) {
      const game = live[i]!;
      const move = checkMove(moves[i], domain);
      if (move.kind === 'invalid') {
        game.invalid++;
        record(game, move, undefined, rules);
      } else if (move.kind === 'guess') {
        // The one who chose the animal always knows whether a guess is right: guesses are settled
        // here, not by the answerer, so a noisy or confused answerer can never lose or fake a win.
        record(game, move, move.candidate === game.target.id ? 'yes' : 'no', rules);
      } else {
        const answer = answerer.answer(move, game.target, game.turns, game.rng);
        if (answer instanceof Promise) (pending ??= []).push(answer.then((a) => record(game, move, checkAnswer(a, game, players), rules)));
        else record(game, move, checkAnswer(answer, game, players), rules);
      }
    }
    if (pending) await Promise.all(pending);
    live = live.filter((g) => !g.over);
  }
  return games.map((g) => ({
    game: g.spec.game,
    seed: g.spec.seed,
    policy: players.policyLabel,
    target: g.spec.target,
    turns: g.turns,
    outcome: g.won ? 'win' : 'loss',
    questions: g.turns.length,
    invalid: g.invalid,
  }));
}
