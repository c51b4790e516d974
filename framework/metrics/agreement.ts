import { readAnswer } from '../game/chat.js';
import { NO, YES, type Domain } from '../game/domain.js';
import type { Trajectory } from '../game/types.js';

/** How faithful an answerer was to the truth table, over the games of a stage. */
export interface Agreement {
  /** Answers to attribute questions whose fact the table decides (yes or no). */
  checked: number;
  /** Of them, answers equal to the table's ("I don't know" where it decides counts against). */
  agreed: number;
  /** agreed / checked; null when nothing was checked. */
  rate: number | null;
  /** Replies of a model that were neither yes, no nor "I don't know" (taken as unknown). */
  unparsed: number;
}

/** The answerer's agreement with the truth table, streaming the games (failed games are skipped). */
export async function answererAgreement(games: AsyncIterable<Trajectory>, domain: Domain): Promise<Agreement> {
  let checked = 0;
  let agreed = 0;
  let unparsed = 0;
  const A = domain.attributes.length;
  for await (const game of games) {
    if (game.outcome === 'error' || !domain.truth) continue;
    const c = domain.candidateIndexOf(game.target);
    if (c === undefined) continue;
    for (const turn of game.turns) {
      if (turn.answer_raw !== undefined && readAnswer(turn.answer_raw) === undefined) unparsed++;
      if (turn.move.kind !== 'question' || turn.move.attribute === undefined || turn.answer === undefined) continue;
      const a = domain.attributeIndexOf(turn.move.attribute);
      const truth = a === undefined ? undefined : domain.truth[c * A + a];
      if (truth !== YES && truth !== NO) continue;
      checked++;
      if (turn.answer === (truth === YES ? 'yes' : 'no')) agreed++;
    }
  }
  return { checked, agreed, rate: checked > 0 ? agreed / checked : null, unparsed };
}
