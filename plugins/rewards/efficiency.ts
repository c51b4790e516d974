import { defaulted, definePlugin, Type } from '../../framework/plugin.js';

export default definePlugin({
  kind: 'reward',
  name: 'efficiency',
  description: 'A win scores 1 - questions/horizon (horizon: the question budget unless set); a loss scores `loss` (-0.5).',
  options: Type.Object(
    {
      horizon: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "Questions at which a win would score 0; defaults to the game's max_questions." })),
      loss: defaulted(Type.Number({ default: -0.5, description: 'Score of a lost game; keep it below every win so that giving up never pays.' })),
    },
    { additionalProperties: false },
  ),
  create({ horizon, loss }, { rules }) {
    const h = horizon ?? rules.max_questions;
    return { score: (t) => (t.outcome === 'win' ? 1 - t.questions / h : loss) };
  },
});
