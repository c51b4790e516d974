import type { Trajectory } from '../game/types.js';

/** What a games file is read against, when the reader knows it: the domain's candidates, the budget. */
export interface GameChecks {
  /** Whether a candidate id is one of the domain's, and how to name the domain in a message. */
  domain?: { candidateIndexOf(id: string): number | undefined; size: number; name: string };
  max_questions?: number;
}

/**
 * What cannot be in a game, whatever played it: counts that do not match its turns, a win that no right
 * guess ends, a game that goes on after one, turns past the budget, a target or a guess that is no
 * candidate. Returns the first problem in words, or undefined.
 */
export function impossible(game: Trajectory, checks: GameChecks): string | undefined {
  const { turns, target } = game;
  if (checks.domain?.candidateIndexOf(target) === undefined && checks.domain) {
    return `target ${JSON.stringify(target)} is not one of the ${checks.domain.size} candidates of ${checks.domain.name}`;
  }
  if (game.questions !== turns.length) return `questions is ${game.questions} but the game has ${turns.length} turns`;
  const invalid = turns.filter((t) => t.move.kind === 'invalid').length;
  if (game.invalid !== invalid) return `invalid is ${game.invalid} but ${invalid} of its turns are invalid moves`;
  if (checks.max_questions !== undefined && turns.length > checks.max_questions) return `${turns.length} turns, past the budget of ${checks.max_questions} questions`;
  for (const [i, { move, answer }] of turns.entries()) {
    if (move.kind !== 'guess') continue;
    if (checks.domain && checks.domain.candidateIndexOf(move.candidate) === undefined) return `turns[${i}] guesses ${JSON.stringify(move.candidate)}, which is not one of the candidates`;
    // guesses are settled by the engine, never by the answerer: yes exactly when the guess is the target
    const right = move.candidate === target;
    if (answer !== undefined && (answer === 'yes') !== right) return `turns[${i}] guesses ${move.candidate} and is answered ${answer}, but the target is ${target}`;
    if (right && answer === 'yes' && i < turns.length - 1) return `the game goes on after the right guess at turns[${i}]`;
  }
  const last = turns.at(-1);
  const won = last?.move.kind === 'guess' && last.move.candidate === target && last.answer === 'yes';
  if (game.outcome === 'win' && !won) return 'a win whose last turn is not the right guess';
  if (game.outcome === 'loss' && won) return 'a loss whose last turn is the right guess';
  return undefined;
}

/** Game indices below this are kept as bits (at most 16 MB a policy); a stage plays at most 10,000,000 games. */
const FAR = 1 << 27;

/**
 * The games of one file that were already seen, to refuse a second line of the same game: a game is
 * its index among the games of one policy (and answerer). A bit per index, so that a file of millions
 * of games is checked in a few megabytes.
 */
export class SeenGames {
  private readonly seen = new Map<string, Uint8Array>();
  /** Indices past any stage's size (a file made by hand): kept one by one, not as bits. */
  private readonly far = new Set<string>();

  /** Marks the game seen; false when it was already. */
  add(key: string, game: number): boolean {
    if (game >= FAR) {
      const id = `${key}\n${game}`;
      return !this.far.has(id) && Boolean(this.far.add(id));
    }
    let bits = this.seen.get(key);
    const byte = game >>> 3;
    if (!bits || byte >= bits.length) {
      const grown = new Uint8Array(Math.max(64, 2 * (byte + 1)));
      if (bits) grown.set(bits);
      this.seen.set(key, (bits = grown));
    }
    const mask = 1 << (game & 7);
    if (bits[byte]! & mask) return false;
    bits[byte]! |= mask;
    return true;
  }
}
