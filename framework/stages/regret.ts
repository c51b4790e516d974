import { readGames } from '../data/games.js';
import type { Domain } from '../game/domain.js';
import { Regret, RegretError } from '../game/regret.js';
import type { Semantics } from '../game/tree.js';
import type { Rules, Trajectory } from '../game/types.js';
import type { Answerer } from '../plugins/types.js';
import type { JsonlWriter } from '../run/jsonl.js';
import { playKey } from '../data/games.js';

/**
 * The exact regret of every question of an evaluate stage's games (framework/game/regret.ts), where the
 * answerer answers from the truth table alone (it declares how it `reads` a question, as `kb` does):
 * its `unknowns` (say or coin) are the semantics the regret is computed under. Other answerers (noisy,
 * a language model) answer differently from the truth table, and their games get none.
 */

/** What a policy's games cost beyond the best moves, per game, per turn and per question. */
export interface RegretStats {
  games: number;
  /** Mean over games of the summed regret of a game. */
  mean_regret: number;
  /** Mean regret of the move at turn i (i from 0), over the games that reached it. */
  by_turn: number[];
  /** How many games reached turn i. */
  reached: number[];
  /** The questions (and kinds of moves) that cost most in all, the costliest first. */
  costliest: { move: string; total: number; times: number; mean: number }[];
}

/**
 * Which games get regret: `auto` those against kb with unknown: say, `always` against kb with say or
 * coin, `never` none. Under coin the search keeps the questions asked in its states, and the sets a
 * random policy visits are many: its games cost about 1.5 s each on animals90 (say: 25 ms), so coin is
 * asked for, not assumed.
 */
export type RegretMode = 'auto' | 'always' | 'never';

/** The semantics regret is computed under for a stage's answerer, or undefined when its games have none. */
export function regretSemantics(answerer: Answerer, mode: RegretMode): { semantics: Semantics; reads: NonNullable<Answerer['reads']> } | undefined {
  const { unknowns } = answerer;
  if (!answerer.reads || mode === 'never') return undefined;
  const reads = answerer.reads.bind(answerer);
  if (unknowns === 'say' || (unknowns === 'coin' && mode === 'always')) return { semantics: unknowns, reads };
  return undefined;
}

/** The name a move goes by in the table of costly moves: its attribute, the candidate it names, or what kind of move it is. */
function moveName(move: Trajectory['turns'][number]['move']): string {
  if (move.kind === 'invalid') return '(invalid move)';
  if (move.kind === 'guess') return '(a guess)';
  return move.attribute ?? move.text;
}

class Accumulator {
  games = 0;
  total = 0;
  readonly byTurn: number[] = [];
  readonly reached: number[] = [];
  readonly moves = new Map<string, { total: number; times: number }>();

  add(game: Trajectory, regrets: readonly number[]): void {
    this.games++;
    regrets.forEach((r, i) => {
      this.total += r;
      this.byTurn[i] = (this.byTurn[i] ?? 0) + r;
      this.reached[i] = (this.reached[i] ?? 0) + 1;
      const name = moveName(game.turns[i]!.move);
      const m = this.moves.get(name) ?? { total: 0, times: 0 };
      m.total += r;
      m.times++;
      this.moves.set(name, m);
    });
  }

  stats(top: number): RegretStats {
    return {
      games: this.games,
      mean_regret: this.games > 0 ? this.total / this.games : 0,
      by_turn: this.byTurn.map((r, i) => r / this.reached[i]!),
      reached: [...this.reached],
      costliest: [...this.moves]
        .filter(([, m]) => m.total > 1e-9)
        .sort((a, b) => b[1].total - a[1].total)
        .slice(0, top)
        .map(([move, m]) => ({ move, total: m.total, times: m.times, mean: m.total / m.times })),
    };
  }
}

/**
 * One Regret (its memo of solved candidate sets) per answerer instance and semantics, kept as long as
 * the answerer: the run's stages that play against the same kb share what earlier stages solved.
 */
const shared = new WeakMap<Answerer, Map<string, Regret>>();

function regretFor(answerer: Answerer, domain: Domain, rules: Rules, s: { semantics: Semantics; reads: NonNullable<Answerer['reads']> }): Regret {
  let bySemantics = shared.get(answerer);
  if (!bySemantics) shared.set(answerer, (bySemantics = new Map<string, Regret>()));
  const key = `${s.semantics}/${rules.wrong_guess}/${rules.max_questions}`;
  let regret = bySemantics.get(key);
  if (!regret) bySemantics.set(key, (regret = new Regret(domain, { rules, semantics: s.semantics, meaning: s.reads })));
  return regret;
}

/** Each turn's regret, rounded to 1e-6 as the stages write it. */
function roundedTurns(regret: Regret, turns: Trajectory['turns']): number[] {
  return regret.turns(turns).map((t) => Math.round(t.regret * 1e6) / 1e6);
}

/**
 * A finished game's regret per turn (what the environment sends a trainer with a game's last answer),
 * for an answerer that answers from the truth table (kb, unknown say); undefined for another answerer,
 * and for a game whose answers contradict the table. Shares the answerer's memo of solved sets.
 */
export function turnRegretsFor(answerer: Answerer, domain: Domain, rules: Rules): ((game: Trajectory) => number[] | undefined) | undefined {
  const semantics = regretSemantics(answerer, 'auto');
  if (!semantics || !domain.truth) return undefined;
  const regret = regretFor(answerer, domain, rules, semantics);
  return (game) => {
    try {
      return roundedTurns(regret, game.turns);
    } catch (error) {
      if (error instanceof RegretError) return undefined;
      throw error;
    }
  };
}

/**
 * Reads a stage's games once, computes each move's regret for the games against a deterministic
 * answerer, writes them a line a game to `out` ({game, policy, answerer?, regret: [per turn]}) and
 * returns the stats by play key (see playKey). A game the table cannot give (a contradiction)
 * stops the computation for its answerer with a note.
 */
export async function stageRegret(
  file: string,
  setup: { domain: Domain; rules: Rules; answerers: readonly { label: string; answerer: Answerer }[]; several: boolean; mode: RegretMode },
  out: JsonlWriter,
): Promise<{ stats: Map<string, RegretStats>; notes: string[]; seconds: number }> {
  const started = performance.now();
  const { domain, rules } = setup;
  const regrets = new Map<string, Regret | null>();
  for (const a of setup.answerers) {
    const s = regretSemantics(a.answerer, setup.mode);
    regrets.set(a.label, s && domain.truth ? regretFor(a.answerer, domain, rules, s) : null);
  }
  // a deterministic policy against a deterministic answerer plays each target's game the same way every time
  const seen = new Map<string, number[]>();
  const first = setup.answerers[0]!.label;
  const acc = new Map<string, Accumulator>();
  const notes: string[] = [];
  for await (const game of readGames(file, { domain, max_questions: rules.max_questions })) {
    if (game.outcome === 'error') continue;
    const answerer = game.answerer ?? first;
    const regret = regrets.get(answerer);
    if (!regret) continue;
    let turns: number[];
    const same = `${answerer}\n${game.turns.map((t) => `${t.move.kind === 'guess' ? `=${t.move.candidate}` : t.move.kind === 'question' ? (t.move.attribute ?? t.move.text) : '!'}:${t.answer ?? ''}`).join('|')}`;
    try {
      turns = seen.get(same) ?? roundedTurns(regret, game.turns);
      seen.set(same, turns);
    } catch (error) {
      if (!(error instanceof RegretError)) throw error;
      notes.push(`no regret for the games against ${answerer}: game ${game.game} of ${game.policy}, ${error.message}`);
      regrets.set(answerer, null);
      continue;
    }
    const key = playKey(game);
    let a = acc.get(key);
    if (!a) acc.set(key, (a = new Accumulator()));
    a.add(game, turns);
    out.write(JSON.stringify({ game: game.game, policy: game.policy, ...(setup.several ? { answerer } : {}), regret: turns }) + '\n');
  }
  const stats = new Map([...acc].map(([k, a]) => [k, a.stats(10)] as const));
  return { stats, notes, seconds: (performance.now() - started) / 1000 };
}
