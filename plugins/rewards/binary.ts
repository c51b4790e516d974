import { defaulted, definePlugin, Type } from '../../framework/plugin.js';

export default definePlugin({
  kind: 'reward',
  name: 'binary',
  description: 'Scores only the outcome: `win` (1) for a correct guess, `loss` (0) otherwise.',
  options: Type.Object({ win: defaulted(Type.Number({ default: 1 })), loss: defaulted(Type.Number({ default: 0 })) }, { additionalProperties: false }),
  create: ({ win, loss }) => ({ score: (t) => (t.outcome === 'win' ? win : loss) }),
});
