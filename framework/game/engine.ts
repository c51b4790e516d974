import { Rng } from '../util/rng.js';
import { describeThrown } from '../util/stack.js';
import type { Candidate, Domain } from './domain.js';
import { notACandidate, unknownName } from './parse.js';
import type { Answerer, Policy, Reward } from '../plugins/types.js';
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
  /**
   * How errors name the players when their labels do not say what they are: `policy mine
   * (plugins/mine.js)`. Absent: `policy <policyLabel>`, `answerer <answererLabel>`.
   */
  named?: { policy?: string; answerer?: string };
}

/**
 * A plugin broke its contract while a game was played (a move that is none, a guess of no candidate,
 * an answer that is not yes / no / unknown, a score that is not a number), or a plugin that computes
 * threw: the stage fails, and the message names the plugin and the game (its target and seed).
 */
export class GameError extends Error {}

/**
 * A policy or an answerer threw (or rejected) while a game was played: not a broken contract but a
 * failure, such as a model's endpoint that still fails after its retries. `role` says which player,
 * so that the run can write the game as an error when that player is one that waits on the network.
 * The message names the player, the game (target and seed) and the line of the plugin's file that threw.
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
  throw new GameError(`${who('answerer', players)} answered ${shown(reply)} in ${gameName(game.spec)}: an answerer must return "yes", "no" or "unknown"`);
}

/** "policy infogain", or as the caller named it (see Players.named). */
function who(role: 'policy' | 'answerer', players: Players): string {
  const label = role === 'policy' ? players.policyLabel : players.answererLabel;
  return players.named?.[role] ?? (label === undefined ? `the ${role}` : `${role} ${label}`);
}

/** "game 12 (target zebra, seed 81723)": enough to play it again. */
export function gameName(spec: GameSpec): string {
  return `game ${spec.game} (target ${spec.target}, seed ${spec.seed})`;
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

const MOVES = 'a move is { kind: "question", text }, { kind: "guess", text, candidate } or { kind: "invalid", text, reason }';

/**
 * A policy's move, held to the contract. A policy that reads a model's reply makes what it cannot read
 * an invalid move itself (parseMove, readMove); anything else that is not a move, or a guess of no
 * candidate, is a bug in the policy, and fails the stage instead of passing for the model's mistake.
 */
function checkMove(move: unknown, game: LiveGame, players: Players): Move {
  const m = move as Move | undefined;
  const broken = (what: string, rule: string) => new GameError(`${who('policy', players)} ${what} in ${gameName(game.spec)}: ${rule}`);
  if (!m || typeof m !== 'object' || typeof m.text !== 'string') throw broken(`returned ${shown(move)} as its move`, MOVES);
  const kind: string = m.kind;
  if (kind !== 'guess' && kind !== 'question' && kind !== 'invalid') throw broken(`returned a move of unknown kind ${shown(kind)}`, MOVES);
  if (m.kind === 'guess' && players.domain.candidateIndexOf(m.candidate) === undefined) {
    throw broken(`guessed ${shown(m.candidate)}`, `a guess names a candidate of ${players.domain.name} by its id (a reply that names no candidate is an invalid move: parseMove makes one)`);
  }
  // a question in the guess form naming no candidate, whoever wrote it, is no legal move: the game is played over a closed set
  const unknown = m.kind === 'question' && m.attribute === undefined ? unknownName(m.text, players.domain) : undefined;
  if (unknown !== undefined) return { kind: 'invalid', text: m.text, reason: notACandidate(unknown, players.domain), ...saidOf(m) };
  return m;
}

/** What a player threw, as the PlayerError that names it, the game and the line that threw. */
function playerError(role: 'policy' | 'answerer', game: LiveGame, players: Players, error: unknown, note = ''): PlayerError {
  return new PlayerError(role, trajectoryOf(game, players), `${who(role, players)} failed in ${gameName(game.spec)}${note}: ${describeThrown(error)}`, { cause: error });
}

function record(game: LiveGame, move: Move, answer: Answer | undefined, rules: Rules, said?: Record<string, unknown>): void {
  game.turns.push(answer === undefined ? { move } : said ? { move, answer, ...said } : { move, answer });
  if (move.kind === 'guess' && answer === 'yes') game.won = true;
  game.over = game.won || game.turns.length >= rules.max_questions || (move.kind === 'guess' && rules.wrong_guess === 'lose');
}

function startGame(spec: GameSpec, players: Players): LiveGame {
  const turns: Turn[] = [];
  const rng = new Rng(spec.seed);
  return {
    spec,
    target: players.domain.candidate(spec.target),
    turns,
    rng,
    view: { turns, rules: players.rules, rng, memo: new Map(), ...(players.answerer.unknowns ? { unknowns: players.answerer.unknowns } : {}) },
    invalid: 0,
    won: false,
    over: false,
  };
}

/** Plays one move of a game; a promise when the answerer's answer is one. */
function play(game: LiveGame, given: unknown, players: Players, signal?: AbortSignal): void | Promise<void> {
  const { rules, answerer } = players;
  const move = checkMove(given, game, players);
  if (move.kind === 'invalid') {
    game.invalid++;
    record(game, move, undefined, rules);
  } else if (move.kind === 'guess') {
    // The one who chose the animal always knows whether a guess is right: guesses are settled
    // here, not by the answerer, so a noisy or confused answerer can never lose or fake a win.
    record(game, move, move.candidate === game.target.id ? 'yes' : 'no', rules);
  } else {
    let reply: ReturnType<Answerer['answer']>;
    try {
      reply = answerer.answer(move, game.target, game.turns, game.rng, signal);
    } catch (error) {
      throw playerError('answerer', game, players, error);
    }
    if (reply instanceof Promise) {
      return reply.then(
        (r) => settle(game, move, r, players),
        (error: unknown) => {
          throw playerError('answerer', game, players, error);
        },
      );
    }
    settle(game, move, reply, players);
  }
}

function checkMoves(moves: unknown, games: number, players: Players): Move[] {
  if (!Array.isArray(moves) || moves.length !== games) {
    throw new GameError(`${who('policy', players)} returned ${Array.isArray(moves) ? moves.length : 'no'} moves for ${games} games`);
  }
  return moves as Move[];
}

/** The next move of every live game, in one batch; what the policy throws names the game that made it throw. */
async function actAll(live: readonly LiveGame[], players: Players): Promise<Move[]> {
  let moves: unknown;
  try {
    moves = await players.policy.act(live.map((g) => g.view));
  } catch (error) {
    throw await culprit(live, players, error);
  }
  return checkMoves(moves, live.length, players);
}

/**
 * The game of a batch that makes the policy throw, found by asking for the games' moves one at a
 * time (the stage fails anyway, so the games' state no longer matters); when none throws alone, the
 * batch's error, naming its first game.
 */
async function culprit(live: readonly LiveGame[], players: Players, error: unknown): Promise<PlayerError> {
  if (live.length === 1) return playerError('policy', live[0]!, players, error);
  for (const game of live) {
    try {
      await players.policy.act([game.view]);
    } catch (alone) {
      return playerError('policy', game, players, alone);
    }
  }
  return playerError('policy', live[0]!, players, error, ` and ${live.length - 1} more games asked with it (none fails alone)`);
}

/**
 * Scores a finished game into its `reward`; a reward that throws or scores anything but a finite
 * number fails the stage, naming the reward (`named`: "reward efficiency") and the game.
 */
export function scoreGame(trajectory: Trajectory, reward: Reward, named: string): void {
  const spec = { game: trajectory.game, target: trajectory.target, seed: trajectory.seed };
  let score: unknown;
  try {
    score = reward.score(trajectory);
  } catch (error) {
    throw new GameError(`${named} failed on ${gameName(spec)}: ${describeThrown(error)}`, { cause: error });
  }
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new GameError(`${named} scored ${gameName(spec)} ${String(score)}: a reward must be a finite number`);
  trajectory.reward = score;
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
 * so a game's course does not depend on which other games share its batch. What a player throws
 * comes out as a PlayerError naming the player, the game and the line that threw; a broken contract
 * as a GameError.
 */
export async function playGames(specs: readonly GameSpec[], players: Players): Promise<Trajectory[]> {
  const games = specs.map((spec) => startGame(spec, players));
  let live = games;
  while (live.length > 0) {
    const moves = await actAll(live, players);
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
  while (!game.over) {
    signal?.throwIfAborted();
    let moves: unknown;
    try {
      moves = await players.policy.act([game.view], signal);
    } catch (error) {
      throw playerError('policy', game, players, error);
    }
    await play(game, checkMoves(moves, 1, players)[0], players, signal);
  }
  return trajectoryOf(game, players);
}
