import { definePlugin } from '../../framework/plugins/types.js';

export default definePlugin<'reward', { win: number; loss: number }>({
  kind: 'reward',
  name: 'binary',
  description: 'Scores only the outcome: `win` (1) for a correct guess, `loss` (0) otherwise.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      win: { type: 'number', default: 1 },
      loss: { type: 'number', default: 0 },
    },
  },
  create: ({ win, loss }) => ({ score: (t) => (t.outcome === 'win' ? win : loss) }),
});
