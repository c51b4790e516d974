import { definePlugin, type GameView, type Move, type Policy, type RawRef, Type } from '../../framework/plugin.js';

/**
 * A population of questioners: each game is played from start to end by one of them, drawn with the
 * given weights from the game's own random stream. A teacher with good days and bad days.
 */
export default definePlugin({
  kind: 'policy',
  name: 'mixture',
  description: 'Plays each game with one of several policies, drawn per game with the given weights (default: equal).',
  wraps: 'policies',
  options: Type.Object(
    {
      policies: Type.Array(Type.Unsafe<RawRef>({ type: ['string', 'object'] }), { minItems: 1, description: 'The policies (names, paths or { use, with }).' }),
      weights: Type.Optional(Type.Array(Type.Number({ minimum: 0, maximum: 1000000 }), { description: 'Relative weight of each policy; equal when absent.' })),
    },
    { additionalProperties: false },
  ),
  async create({ policies, weights }, context) {
    if (weights && weights.length !== policies.length) throw new Error(`mixture: ${weights.length} weights for ${policies.length} policies`);
    const members: Policy[] = await Promise.all(policies.map((p) => context.create('policy', p as string)));
    const w = weights ?? members.map(() => 1);
    const pick = (game: GameView): number => {
      let i = game.memo.get('mixture') as number | undefined;
      if (i === undefined) game.memo.set('mixture', (i = game.rng.weighted(w)));
      return i;
    };
    return {
      async act(games) {
        const moves = new Array<Move>(games.length);
        const byMember = new Map<number, number[]>();
        games.forEach((g, k) => {
          const i = pick(g);
          byMember.set(i, [...(byMember.get(i) ?? []), k]);
        });
        for (const [i, ks] of byMember) {
          const out = await members[i]!.act(ks.map((k) => games[k]!));
          ks.forEach((k, j) => (moves[k] = out[j]!));
        }
        return moves;
      },
      // what its members do before a stage (the optimal policy's search) is done once for them all
      async prepare(setting, signal) {
        const notes = await Promise.all(members.map((m) => m.prepare?.(setting, signal) ?? []));
        return notes.flat();
      },
    };
  },
});
