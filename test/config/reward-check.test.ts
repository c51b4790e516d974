import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../framework/config/load.js';
import { rewardWarnings } from '../../framework/config/reward-check.js';

const withReward = (reward: string, rules = '{}') => loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [`reward=${reward}`, `game=${rules}`] });

describe('validate warns of reward hacking', () => {
  it('is quiet for the built-in rewards at their defaults, under both rules', async () => {
    for (const reward of ['efficiency', 'binary', 'regret', '{use: regret, with: {loss: -5}}']) {
      for (const rules of ['{}', '{wrong_guess: lose}']) expect(await rewardWarnings(await withReward(reward, rules)), `${reward} ${rules}`).toEqual([]);
    }
  });

  it('warns of a reward that pays a loss more than a win, naming the games and their scores', async () => {
    const warnings = await rewardWarnings(await withReward('{use: efficiency, with: {loss: 0.5}}'));
    expect(warnings).toEqual([
      "reward efficiency(loss=0.5) pays a lost game more than a won one (a loss by the budget, 20 questions and no guess scores 0.5, a win at question 20 scores 0): training on it teaches losing. Make every loss score below every win (e.g. efficiency's loss below 0)",
    ]);
  });

  it('warns of a reward that pays a game ending without a guess more than one ending with a wrong guess, under both rules', async () => {
    for (const rules of ['{}', '{wrong_guess: lose}']) {
      const [warning, ...more] = await rewardWarnings(await withReward('./test/fixtures/plugins/no-guess-reward.js', rules));
      expect(more).toEqual([]);
      expect(warning).toMatch(
        /^reward no-guess pays a game that ends without a guess more than one that ends with a wrong guess \(a loss by the budget, 20 (questions and no guess|invalid moves) scores 0, a loss by (the budget, a wrong guess at question 20|a wrong guess at question 1 \(wrong_guess: lose\)) scores -1\): training on it teaches never to guess/,
      );
    }
  });

  it("checks a train stage's own reward too", async () => {
    const e = await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: ['stages=[{train: {name: grpo, reward: {use: binary, with: {win: 0, loss: 1}}, strategy: grpo}}]'] });
    expect(await rewardWarnings(e)).toEqual([expect.stringMatching(/^reward binary\(win=0,loss=1\) pays a lost game more than a won one/)]);
  });
});
