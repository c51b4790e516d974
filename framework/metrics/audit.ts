import { median } from '../data/dataset.js';
import { NO, YES, type Domain } from '../game/domain.js';
import { AttributeMatcher } from '../game/matcher.js';
import type { Trajectory } from '../game/types.js';
import { fixed, formatTable, pct } from './table.js';

export interface AnimalAudit {
  target: string;
  games: number;
  wins: number;
  win_rate: number;
  /** Fewest and median questions of the wins (null without a win). */
  fewest: number | null;
  median: number | null;
  /** Answers in its games that contradict the truth table. */
  contradictions: number;
}

export interface AuditReport {
  games: number;
  wins: number;
  /** Games that failed (outcome error): left out of everything else, as training leaves them out. */
  errors: number;
  min_wins_per_animal: number;
  animals: AnimalAudit[];
  /** Animals with no winning game: training on this data cannot teach them. */
  gaps: string[];
  /** Animals with some, but fewer than min_wins_per_animal, wins. */
  thin: string[];
  /** Yes/no answers to a question whose fact the table decides, and how many of them contradict it. */
  answers_checked: number;
  contradictions: number;
  /** Games whose target the domain does not know. */
  unknown_targets: string[];
  /** What the domain calls a candidate, and its plural: the words of the table and summary. */
  noun: string;
  plural: string;
}

/**
 * Coverage of a set of games, per animal, before any training spends money on it. Every candidate of
 * the domain is listed, those with no game at all included. Contradictions are the footprint of a
 * noisy answerer: answers to an attribute question (tagged, or matched from free text) that the
 * truth table contradicts. The games stream through: only the counts per animal are kept.
 */
export async function auditGames(games: AsyncIterable<Trajectory> | Iterable<Trajectory>, domain: Domain, minWins: number): Promise<AuditReport> {
  const stats = new Map(domain.candidates.map((c) => [c.id, { games: 0, wins: [] as number[], contradictions: 0 }]));
  let matcher: AttributeMatcher | undefined;
  let checked = 0;
  let contradictions = 0;
  const unknown = new Set<string>();
  let count = 0;
  let wins = 0;
  let errors = 0;
  for await (const game of games) {
    if (game.outcome === 'error') {
      errors++;
      continue;
    }
    count++;
    if (game.outcome === 'win') wins++;
    const s = stats.get(game.target);
    if (!s) {
      unknown.add(game.target);
      continue;
    }
    s.games++;
    if (game.outcome === 'win') s.wins.push(game.questions);
    if (!domain.truth) continue;
    const c = domain.candidateIndexOf(game.target)!;
    for (const { move, answer } of game.turns) {
      if (move.kind !== 'question' || (answer !== 'yes' && answer !== 'no')) continue;
      let attribute = move.attribute;
      if (attribute === undefined) attribute = (matcher ??= new AttributeMatcher(domain.attributes)).match(move.text)?.attribute;
      const a = attribute === undefined ? undefined : domain.attributeIndexOf(attribute);
      if (a === undefined) continue;
      const truth = domain.truth[c * domain.attributes.length + a];
      if (truth !== YES && truth !== NO) continue;
      checked++;
      if ((truth === YES) !== (answer === 'yes')) {
        contradictions++;
        s.contradictions++;
      }
    }
  }
  const animals: AnimalAudit[] = domain.candidates.map((candidate) => {
    const s = stats.get(candidate.id)!;
    return {
      target: candidate.id,
      games: s.games,
      wins: s.wins.length,
      win_rate: s.games === 0 ? 0 : s.wins.length / s.games,
      fewest: s.wins.length === 0 ? null : Math.min(...s.wins),
      median: median(s.wins),
      contradictions: s.contradictions,
    };
  });
  return {
    games: count,
    wins,
    errors,
    min_wins_per_animal: minWins,
    animals,
    gaps: animals.filter((a) => a.wins === 0).map((a) => a.target),
    thin: animals.filter((a) => a.wins > 0 && a.wins < minWins).map((a) => a.target),
    answers_checked: checked,
    contradictions,
    unknown_targets: [...unknown].sort(),
    noun: domain.noun,
    plural: domain.plural,
  };
}

export function auditTable(animals: readonly AnimalAudit[], noun = 'candidate'): string {
  return formatTable(
    [noun, 'games', 'wins', 'win rate', 'fewest q', 'median q', 'contradictions'],
    animals.map((a) => [a.target, String(a.games), String(a.wins), pct(a.win_rate), a.fewest === null ? '-' : String(a.fewest), fixed(a.median, 1), String(a.contradictions)]),
  );
}

/** The audit in a few lines: totals, spread of wins, contradictions, and the animals that need attention. */
export function auditSummary(r: AuditReport): string {
  const wins = r.animals.map((a) => a.wins);
  const lines = [
    `${r.games} games, ${r.wins} wins (${pct(r.games === 0 ? 0 : r.wins / r.games)}); wins per ${r.noun}: min ${Math.min(...wins)}, median ${median(wins)}, max ${Math.max(...wins)}; ` +
      `${r.animals.length - r.gaps.length}/${r.animals.length} ${r.plural} have a winning game.`,
    `answers contradicting the truth table: ${r.contradictions} of ${r.answers_checked} checked (${pct(r.answers_checked === 0 ? 0 : r.contradictions / r.answers_checked, 2)}).`,
  ];
  if (r.errors > 0) lines.push(`failed games (outcome error, left out): ${r.errors}`);
  if (r.gaps.length > 0) lines.push(`no winning game (${r.gaps.length}): ${r.gaps.join(', ')}`);
  if (r.thin.length > 0) lines.push(`fewer than ${r.min_wins_per_animal} wins (${r.thin.length}): ${r.thin.join(', ')}`);
  if (r.unknown_targets.length > 0) lines.push(`targets the domain does not know (ignored): ${r.unknown_targets.join(', ')}`);
  return lines.join('\n');
}
