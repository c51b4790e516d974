import { AttributeMatcher } from '../../framework/game/matcher.js';
import { parseMove } from '../../framework/game/parse.js';
import type { Answer } from '../../framework/game/types.js';
import { definePlugin } from '../../framework/plugins/types.js';

export default definePlugin<'answerer', { threshold: number }>({
  kind: 'answerer',
  name: 'kb',
  description:
    'Answers from the truth table: attribute questions directly, free-form questions through the closest paraphrase (unknown when none is close enough), and questions naming an animal by its name or aliases.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      threshold: {
        type: 'number',
        minimum: 0,
        maximum: 1,
        default: 0.6,
        description: 'Least similarity (0-1) between a free-form question and a paraphrase for it to count as that attribute.',
      },
    },
  },
  create({ threshold }, { domain }) {
    if (!domain.truth) throw new Error(`the kb answerer needs a domain with a truth table; ${domain.name} has none`);
    let matcher: AttributeMatcher | undefined;
    return {
      answer(question, target): Answer {
        const t = domain.candidateIndexOf(target.id)!;
        if (question.attribute !== undefined) {
          const a = domain.attributeIndexOf(question.attribute);
          return a === undefined ? 'unknown' : domain.fact(t, a);
        }
        const asMove = parseMove(question.text, domain);
        if (asMove.kind === 'guess') return asMove.candidate === target.id ? 'yes' : 'no';
        matcher ??= new AttributeMatcher(domain.attributes, threshold);
        const match = matcher.match(question.text);
        return match ? domain.fact(t, domain.attributeIndexOf(match.attribute)!) : 'unknown';
      },
    };
  },
});
