import { Rng } from '../util/rng.js';
import type { Candidate, Domain } from './domain.js';
import { notACandidate, unknownName } from './parse.js';
import type { Answerer, Policy } from '../plugins/types.js';
import type { Answer, AnswerReply, GameView, Move, Rules, Said, Trajectory, Turn } from './types.js';

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
  /** Recorded in each trajectory when set: a stage that plays against several answerers. */
  answererTag?: string;
}

/**
 * A plugin broke its contract while a game was played (an answer that is not yes / no / unknown, a
 * score that is not a number): the message names the plugin and the game.
 */
export class GameError extends Error {}

/**
 * A policy or an answerer threw (or rejected) while a game was played: not a broken contract but a
 * failure, such as a model's endpoint that still fails after its retries. `role` says which player,
 * so that the run can write the game as an error when that player is one that waits on the network.
 */
export class PlayerError extends Error {
  constructor(
    readonly role: 'policy' | 'answerer',
    /** The game as far as it went (its outcome not yet decided). */
    readonly partial: Trajectory,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

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

/** Only the fields a plugin set: a computing plugin's turn is written exactly as before they existed. */
function saidOf(value: Said, prefix = ''): Record<string, unknown> {
  const said: Record<string, unknown> = {};
  if (value.raw !== undefined) said[`${prefix}raw`] = value.raw;
  if (value.usage !== undefined) said[`${prefix}usage`] = value.usage;
  return said;
}

/** Records an answerer's reply, checked: an Answer, or an AnswerReply whose raw and usage are kept. */
function settle(game: LiveGame, move: Move, reply: unknown, players: Players): void {
  if (ANSWERS.has(reply)) return record(game, move, reply as Answer, players.rules);
  const answer = typeof reply === 'object' && reply !== null ? (reply as AnswerReply).answer : undefined;
  if (ANSWERS.has(answer)) return record(game, move, answer, players.rules, saidOf(reply as AnswerReply, 'answer_'));
  const who = players.answererLabel ? `answerer ${players.answererLabel}` : 'the answerer';
  throw new GameError(`${who} answered ${JSON.stringify(reply) ?? String(reply)} in game ${game.spec.game}: an answerer must return "yes", "no" or "unknown"`);
}

function checkMove(move: unknown, domain: Domain): Move {
  const m = move as Move | undefined;
  if (!m || typeof m !== 'object' || typeof m.text !== 'string') {
    return { kind: 'invalid', text: String(move), reason: 'the policy returned something that is not a move' };
  }
  if (m.kind === 'guess' && domain.candidateIndexOf(m.candidate) === undefined) {
    return { kind: 'invalid', text: m.text, reason: notACandidate(m.candidate, domain), ...saidOf(m) };
  }
  // a guess of a name outside the closed set, whoever wrote the move: a policy that knows the attribute it asks never does
  const unknown = m.kind === 'question' && m.attribute === undefined ? unknownName(m.text, domain) : undefined;
  if (unknown !== undefined) return { kind: 'invalid', text: m.text, reason: notACandidate(unknown, domain), ...saidOf(m) };
  const kind: string = m.kind;
  if (kind !== 'guess' && kind !== 'question' && kind !== 'invalid') {
    return { kind: 'invalid', text: m.text, reason: `unknown move kind "${kind}"`, ...saidOf(m) };
  }
  return m;
}

function record(game: LiveGame, move: Move, answer: Answer | undefined, rules: Rules, said?: Record<string, unknown>): void {
  game.turns.push(answer === undefined ? { move } : said ? { move, answer, ...said } : { move, answer });
  if (move.kind === 'guess' && answer === 'yes') game.won = true;
  game.over = game.won || game.turns.length >= rules.max_questions || (move.kind === 'guess' && rules.wrong_guess === 'lose');
}

function startGame(spec: GameSpec, players: Players): LiveGame {
  const turns: Turn[] = [];
  const rng = new Rng(spec.seed);
  return { spec, target: players.domain.candidate(spec.target), turns, rng, view: { turns, rules: players.rules, rng, memo: new Map(), ...(players.answerer.unknowns ? { unknowns: players.answerer.unknowns } : {}) }, invalid: 0, won: false, over: false };
}

/** Plays one move of a game; a promise when the answerer's answer is one. */
function play(game: LiveGame, given: unknown, players: Players, signal?: AbortSignal): void | Promise<void> {
  const { domain, rules, answerer } = players;
  const move = checkMove(given, domain);
  if (move.kind === 'invalid') {
    game.invalid++;
    record(game, move, undefined, rules);
  } else if (move.kind === 'guess') {
    // The one who chose the animal always knows whether a guess is right: guesses are settled
    // here, not by the answerer, so a noisy or confused answerer can never lose or fake a win.
    record(game, move, move.candidate === game.target.id ? 'yes' : 'no', rules);
  } else {
    const reply = answerer.answer(move, game.target, game.turns, game.rng, signal);
    if (reply instanceof Promise) return reply.then((r) => settle(game, move, r, players));
    settle(game, move, reply, players);
  }
}

function checkMoves(moves: unknown, games: number, players: Players): Move[] {
  if (!Array.isArray(moves) || moves.length !== games) {
    throw new GameError(`policy ${players.policyLabel} returned ${Array.isArray(moves) ? moves.length : 'no'} moves for ${games} games`);
  }
  return moves as Move[];
}

function trajectoryOf(g: LiveGame, players: Players): Trajectory {
  return {
    game: g.spec.game,
    seed: g.spec.seed,
    policy: players.policyLabel,
    ...(players.answererTag !== undefined ? { answerer: players.answererTag } : {}),
    target: g.spec.target,
    turns: g.turns,
    outcome: g.won ? 'win' : 'loss',
    questions: g.turns.length,
    invalid: g.invalid,
  };
}

/**
 * Plays games to the end, all of them in lock-step: each round asks the policy for the next move of
 * every game still running in one batch. Each game draws randomness only from its own seeded stream,
 * so a game's course does not depend on which other games share its batch.
 */
export async function playGames(specs: readonly GameSpec[], players: Players): Promise<Trajectory[]> {
  const games = specs.map((spec) => startGame(spec, players));
  let live = games;
  while (live.length > 0) {
    const moves = checkMoves(await players.policy.act(live.map((g) => g.view)), live.length, players);
    let pending: Promise<void>[] | undefined;
    for (let i = 0; i < live.length; i++) {
      const answered = play(live[i]!, moves[i], players);
      if (answered) (pending ??= []).push(answered);
    }
    if (pending) await Promise.all(pending);
    live = live.filter((g) => !g.over);
  }
  return games.map((g) => trajectoryOf(g, players));
}

/**
 * Plays one game to the end on its own, the policy asked for one move at a time: how games of a
 * waiting plugin run, many at once, none held up by another. It plays exactly the game playGames
 * plays from the same spec (a game's randomness is its own). When `signal` fires the game gives up
 * at its next move, if its plugins have not given up already. What a player throws comes out as a
 * PlayerError naming the player and the game; a broken contract stays a GameError.
 */
export async function playGame(spec: GameSpec, players: Players, signal?: AbortSignal): Promise<Trajectory> {
  const game = startGame(spec, players);
  const fail = (role: 'policy' | 'answerer', error: unknown): never => {
    if (error instanceof GameError) throw error;
    const label = role === 'policy' ? players.policyLabel : (players.answererLabel ?? 'the answerer');
    throw new PlayerError(role, trajectoryOf(game, players), `${role} ${label} failed in game ${spec.game}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  };
  while (!game.over) {
    signal?.throwIfAborted();
    let moves: unknown;
    try {
      moves = await players.policy.act([game.view], signal);
    } catch (error) {
      fail('policy', error);
    }
    try {
      await play(game, checkMoves(moves, 1, players)[0], players, signal);
    } catch (error) {
      fail('answerer', error);
    }
  }
  return trajectoryOf(game, players);
}
