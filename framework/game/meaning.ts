import type { Domain } from './domain.js';
import { AttributeMatcher } from './matcher.js';
import { parseMove } from './parse.js';
import type { QuestionMove } from './types.js';

/** What a question asks of the truth table: an attribute (by index), whether the target is a candidate, or nothing understood. */
export type Meaning = { attribute: number } | { candidate: string } | undefined;

/**
 * How a knowledge base reads a question: the attribute the policy says it stands for, else the
 * candidate it names, else the attribute whose paraphrase is closest (at least `threshold` alike).
 * One reading for the `kb` answerer and for whatever must know what kb heard (the regret of a question).
 */
export function questionReader(domain: Domain, threshold: number): (question: QuestionMove) => Meaning {
  let matcher: AttributeMatcher | undefined;
  return (question) => {
    if (question.attribute !== undefined) {
      const a = domain.attributeIndexOf(question.attribute);
      return a === undefined ? undefined : { attribute: a };
    }
    const asMove = parseMove(question.text, domain);
    if (asMove.kind === 'guess') return { candidate: asMove.candidate };
    matcher ??= new AttributeMatcher(domain.attributes, threshold);
    const match = matcher.match(question.text);
    return match ? { attribute: domain.attributeIndexOf(match.attribute)! } : undefined;
  };
}
