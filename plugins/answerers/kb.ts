import { type Answer, choice, defaulted, definePlugin, deriveSeed, questionReader, Type } from '../../framework/plugin.js';

export default definePlugin({
  kind: 'answerer',
  name: 'kb',
  description:
    "Answers from the truth table: attribute questions directly, free-form questions through the closest paraphrase (unknown when none is close enough), and questions naming an animal by its name or aliases. Where the table's fact is unknown it says so (unknown: say), or tosses a coin fixed per game and question (unknown: coin).",
  options: Type.Object(
    {
      threshold: defaulted(
        Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.6,
          description: 'Least similarity (0-1) between a free-form question and a paraphrase for it to count as that attribute.',
        }),
      ),
      unknown: defaulted(
        choice(['say', 'coin'], {
          default: 'say',
          description:
            'Where the table\'s fact is unknown: say "unknown" (a truthful "I don\'t know", which a questioner can use: the unknown cells split the candidates three ways), or answer yes or no drawn from the game\'s seed and the question (the same answer if it is asked again), so that "unknown" carries no information.',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  create({ threshold, unknown }, { domain }) {
    if (!domain.truth) throw new Error(`the kb answerer needs a domain with a truth table; ${domain.name} has none`);
    const meaning = questionReader(domain, threshold);
    return {
      answer(question, target, _history, rng): Answer {
        const m = meaning(question);
        if (!m) return 'unknown';
        if ('candidate' in m) return m.candidate === target.id ? 'yes' : 'no';
        const fact = domain.fact(domain.candidateIndexOf(target.id)!, m.attribute);
        if (fact !== 'unknown' || unknown === 'say') return fact;
        // from the seed, not the stream: the game's other draws stay as they were, and a repeat gets the same coin
        return deriveSeed(rng.seed, 'kb-coin', domain.attributes[m.attribute]!.id) & 1 ? 'yes' : 'no';
      },
      understands: (question) => meaning(question) !== undefined,
      unknowns: unknown,
      reads: meaning,
    };
  },
});
