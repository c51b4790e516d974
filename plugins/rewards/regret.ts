import { choice, defaulted, definePlugin, questionReader, Regret, Type } from '../../framework/plugin.js';

export default definePlugin({
  kind: 'reward',
  name: 'regret',
  description:
    "Minus the game's summed regret (for each move, the expected questions it costs beyond the best move, from the exact tree; 0 for an optimal game, 1 for a move that tells nothing), plus `win` (0) for a won game or `loss` (-20) for a lost one. It rewards decisions rather than luck: a game that was lucky in its answers scores no better than its moves deserve. Needs a deterministic answerer: kb with unknown say (the default) or coin, said by `unknown`.",
  options: Type.Object(
    {
      unknown: defaulted(choice(['say', 'coin'], { default: 'say', description: "What the answerer does where the table is unknown, as kb's option of the same name: the regret is computed for that game." })),
      threshold: defaulted(Type.Number({ minimum: 0, maximum: 1, default: 0.6, description: "As kb's: how a free-form question is read as an attribute (keep it equal to the answerer's)." })),
      win: defaulted(Type.Number({ default: 0, description: "Added to a won game's score." })),
      loss: defaulted(Type.Number({ default: -20, description: "Added to a lost game's score: a loss costs as much as the whole budget of questions, so that giving up never pays." })),
    },
    { additionalProperties: false },
  ),
  create({ unknown, threshold, win, loss }, { domain, rules }) {
    const regret = new Regret(domain, { rules, semantics: unknown, meaning: questionReader(domain, threshold) });
    return { score: (t) => (t.outcome === 'win' ? win : loss) - regret.total(t) };
  },
});
