import { definePlugin } from '../../framework/plugins/types.js';

export default definePlugin<'reward', { horizon?: number; loss: number }>({
  kind: 'reward',
  name: 'efficiency',
  description: 'A win scores 1 - questions/horizon (horizon: the question budget unless set); a loss scores `loss` (-0.5).',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      horizon: { type: 'number', exclusiveMinimum: 0, description: 'Questions at which a win would score 0; defaults to the game\'s max_questions.' },
      loss: { type: 'number', default: -0.5, description: 'Score of a lost game; keep it below every win so that giving up never pays.' },
    },
  },
  create({ horizon, loss }, { rules }) {
    const h = horizon ?? rules.max_questions;
    return { score: (t) => (t.outcome === 'win' ? 1 - t.questions / h : loss) };
  },
});
