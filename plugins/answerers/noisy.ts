import { type Answer, type AnswerReply, defaulted, definePlugin, type RawRef, Type } from '../../framework/plugin.js';

const FLIP: Partial<Record<Answer, Answer>> = { yes: 'no', no: 'yes' };

export default definePlugin({
  kind: 'answerer',
  name: 'noisy',
  description: 'Wraps another answerer and flips each yes/no answer with probability p, like a child who sometimes gets it wrong. "unknown" stays unknown; guesses are never flipped (the engine settles them).',
  wraps: 'answerer',
  options: Type.Object(
    {
      answerer: defaulted(Type.Unsafe<RawRef>({ type: ['string', 'object'], default: 'kb', description: 'The answerer to wrap (a name, path or { use, with }).' })),
      p: defaulted(Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'Probability of flipping a yes/no answer.' })),
    },
    { additionalProperties: false },
  ),
  async create({ answerer, p }, context) {
    const inner = await context.create('answerer', answerer);
    // Draws for every answer, flippable or not, so that the random stream does not depend on it.
    const flip = (answer: Answer, rng: { next(): number }): Answer => (rng.next() < p ? (FLIP[answer] ?? answer) : answer);
    // a model's reply keeps what the model said beside the flipped answer
    const noisy = (reply: Answer | AnswerReply, rng: { next(): number }): Answer | AnswerReply => (typeof reply === 'object' ? { ...reply, answer: flip(reply.answer, rng) } : flip(reply, rng));
    return {
      answer(question, target, history, rng, signal) {
        const answer = inner.answer(question, target, history, rng, signal);
        // stays synchronous around a synchronous answerer, which spares the engine a promise per answer
        return answer instanceof Promise ? answer.then((a) => noisy(a, rng)) : noisy(answer, rng);
      },
      understands: (question) => inner.understands?.(question) ?? true,
      // yes and no are flipped, "unknown" never: it means what it meant
      ...(inner.unknowns ? { unknowns: inner.unknowns } : {}),
    };
  },
});
