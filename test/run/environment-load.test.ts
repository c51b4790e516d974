import { describe, expect, it } from 'vitest';
import { loadEnvironment } from '../../bench/env-load.js';
import { animals90 } from '../helpers.js';

describe('the environment under trainer processes', () => {
  it.each([false, true])('2 trainer processes with 64 games in flight get exactly the games they asked for, each played once (batches: %s)', async (batch) => {
    const games = 96;
    const f = await loadEnvironment({ trainers: 2, concurrency: 32, games, perGame: 4, batch });
    const ids = animals90().candidates.map((c) => c.id);
    expect(f.recorded).toHaveLength(2 * games);
    const byId = new Map(f.recorded.map((g) => [`g${g.game}`, g]));
    expect(byId.size).toBe(2 * games);
    for (const [t, trainer] of f.trainers.entries()) {
      // game i of trainer t asks for key ids[(t + 2i) % 90]
      const asked = Array.from({ length: games }, (_, i) => ids[(t + 2 * i) % ids.length]!);
      expect(trainer.played.map((p) => p.key).sort()).toEqual(asked.sort());
      for (const p of trainer.played) {
        const game = byId.get(p.id);
        expect(game, p.id).toBeDefined();
        // what the trainer was told is the game the environment recorded: its target, outcome, questions, the reward plugin's score
        expect([game!.target, game!.outcome, game!.questions, game!.reward]).toEqual([p.key, p.outcome, p.questions, p.reward]);
        expect(p).toMatchObject({ outcome: 'win', questions: 5 });
      }
    }
    // no game answered to both trainers
    const answered = f.trainers.flatMap((t) => t.played.map((p) => p.id));
    expect(new Set(answered).size).toBe(2 * games);
  });
});
