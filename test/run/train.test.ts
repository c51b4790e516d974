import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import type { RunRecord } from '../../framework/run/rundir.js';

const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-train-'));
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

describe('train stages', () => {
  it('train with each strategy, write curves and checkpoints, and hand the policy on to the next stage', async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml');
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    expect(result.status).toBe('completed');
    const files = readdirSync(result.dir);
    for (const stage of ['sft', 'dpo', 'grpo']) {
      expect(files).toContain(`${stage}.ckpt.json`);
      expect(files).toContain(`${stage}.curve.jsonl`);
    }
    const sft = lines(join(result.dir, 'sft.curve.jsonl'));
    expect(sft.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(sft[2]).toMatchObject({ loss: expect.any(Number), accuracy: expect.any(Number), entropy: expect.any(Number) });
    const dpo = lines(join(result.dir, 'dpo.curve.jsonl'));
    expect(dpo[1]).toMatchObject({ loss: expect.any(Number), preference_accuracy: expect.any(Number), margin: expect.any(Number) });
    const grpo = lines(join(result.dir, 'grpo.curve.jsonl'));
    expect(grpo.map((r) => r.iteration)).toEqual([1, 2]);
    for (const key of ['loss', 'mean_reward', 'success', 'avg_questions', 'kl', 'entropy', 'clip_fraction', 'games_per_s', 'zero_spread', 'invalid_rate', 'reward_spread']) expect(grpo[1]![key], key).toEqual(expect.any(Number));
    // the figures that say whether an iteration can teach lead the line (the progress bar shows the first few)
    expect(Object.keys(grpo[1]!).slice(2, 7)).toEqual(['success', 'zero_spread', 'reward_spread', 'invalid_rate', 'kl']);
    // the final evaluation played the GRPO checkpoint, under the train stage's label
    expect(result.rows.map((r) => r.policy)).toEqual(['teacher', 'grpo']);
    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8'));
    expect(metrics.stages.grpo).toMatchObject({ strategy: expect.stringMatching(/^grpo/), checkpoint: 'grpo.ckpt.json' });
    const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
    expect(run.stages.find((s) => s.name === 'grpo')!.files).toEqual(['grpo.curve.jsonl', 'grpo.ckpt.json']);
  });

  it('start from the policy an earlier train stage made: two strategies from one start', async () => {
    const stages =
      'stages=[{generate: {name: games, games_per_animal: 1}}, {train: {name: sft, strategy: {use: weighted-sft, with: {epochs: 1}}}}, {train: {name: dpo, strategy: {use: dpo, with: {epochs: 1}}}}, {train: {name: grpo, start: sft, strategy: {use: grpo, with: {iterations: 1, group_size: 2, targets_per_iteration: 4}}}}]';
    const set = ['policy={use: local, with: {hidden: [16]}}', stages];
    const result = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set }), { workers: 1, runsDir: tmp(), progress: quiet });
    expect(result.status).toBe('completed');
    const state = (stage: string) => JSON.parse(readFileSync(join(result.dir, `${stage}.ckpt.json`), 'utf8')) as { weights: string };
    // the same GRPO stage after sft directly: the same checkpoint as with dpo between them and start: sft
    const direct = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [set[0]!, stages.replace(/\{train: \{name: dpo[^}]*\}[^}]*\}\}\}, /, '').replace('start: sft, ', '')] }), {
      workers: 1,
      runsDir: tmp(),
      progress: quiet,
    });
    expect(readdirSync(direct.dir)).not.toContain('dpo.ckpt.json');
    expect(state('grpo').weights).toEqual((JSON.parse(readFileSync(join(direct.dir, 'grpo.ckpt.json'), 'utf8')) as { weights: string }).weights);
    expect(state('grpo').weights).not.toEqual(state('dpo').weights);
  });

  it("GRPO with a stage's own reward: one that scores every game alike leaves every group without spread, and the figures say so", async () => {
    const stages = 'stages=[{train: {name: grpo, reward: {use: binary, with: {win: 1, loss: 1}}, strategy: {use: grpo, with: {iterations: 2, group_size: 4, targets_per_iteration: 6}}}}]';
    const result = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages] }), { workers: 1, runsDir: tmp(), progress: quiet });
    const curve = lines(join(result.dir, 'grpo.curve.jsonl'));
    expect(curve.map((p) => [p.zero_spread, p.reward_spread, p.mean_reward])).toEqual([
      [1, 0, 1],
      [1, 0, 1],
    ]);
    // the experiment's reward (efficiency) would have told the games apart
    const efficiency = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages.replace(/reward: \{[^}]*\}\}, /, '')] }), { workers: 1, runsDir: tmp(), progress: quiet });
    expect(lines(join(efficiency.dir, 'grpo.curve.jsonl'))[0]!.zero_spread).toBeLessThan(1);
    // the regret reward: minus each game's summed regret (and 20 for a loss); an untrained network's games score far below 0 and apart
    const regret = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages.replace(/reward: \{[^}]*\}\}/, 'reward: regret')] }), { workers: 1, runsDir: tmp(), progress: quiet });
    const first = lines(join(regret.dir, 'grpo.curve.jsonl'))[0]!;
    expect(first.mean_reward).toBeLessThan(-1);
    expect(first.zero_spread).toBeLessThan(0.5);
  });

  it('GRPO at a temperature that makes every group score alike: the alarm fires once, at the fifth such step, and says what to change; alarms: stop stops the stage', async () => {
    // near 0, a trained network plays its argmax: a group's games (one target, kb) are the same game
    const stages = (alarms: string) =>
      `stages=[{generate: {name: games, policy: infogain, games_per_animal: 1}}, {train: {name: sft, strategy: {use: weighted-sft, with: {epochs: 2}}}}, {train: {name: grpo, ${alarms} strategy: {use: grpo, with: {iterations: 7, group_size: 2, targets_per_iteration: 4, temperature: 0.0001}}}}]`;
    const result = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages('')] }), { workers: 1, runsDir: tmp(), progress: quiet });
    expect(result.status).toBe('completed');
    expect(lines(join(result.dir, 'grpo.curve.jsonl')).map((p) => p.zero_spread)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const grpo = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages.grpo.grpo;
    expect(grpo).toMatchObject({ steps: 7, zero_spread_mean: 1, zero_spread_max: 1, clipped_max: 0 });
    expect(grpo.alarms).toEqual([
      { kind: 'zero-spread', step: 5, message: expect.stringMatching(/^grpo: 90% or more of the groups scored alike for 5 steps running .*Raise the grpo strategy's temperature or group_size.*set alarms: stop on the train stage/) },
    ]);
    expect(result.summary).toContain('warning: grpo: 90% or more of the groups scored alike for 5 steps running');
    expect(result.summary).toContain('grpo: 7 steps: groups scored alike 100% on average (most 100%), games cut 0% (most 0%)');

    const runs = tmp();
    await expect(runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages('alarms: stop,')] }), { workers: 1, runsDir: runs, progress: quiet })).rejects.toThrow(
      /^grpo: 90% or more of the groups scored alike for 5 steps running.*the stage stops \(alarms: stop\)\. What it trained until then is in grpo\.ckpt\.json\.$/,
    );
    expect(readdirSync(join(runs, 'mini-pipeline'))).toHaveLength(1);
    const dir = join(runs, 'mini-pipeline', readdirSync(join(runs, 'mini-pipeline'))[0]!);
    // stopped where it fired: five iterations, the training so far saved
    expect(lines(join(dir, 'grpo.curve.jsonl'))).toHaveLength(5);
    expect(JSON.parse(readFileSync(join(dir, 'grpo.ckpt.json'), 'utf8')).note.complete).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).status).toBe('failed');
  });

  it('GRPO whose groups differ stays quiet', async () => {
    const stages = 'stages=[{train: {name: grpo, strategy: {use: grpo, with: {iterations: 5, group_size: 4, targets_per_iteration: 4}}}}]';
    const result = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages] }), { workers: 1, runsDir: tmp(), progress: quiet });
    const grpo = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages.grpo.grpo;
    expect(grpo.alarms).toEqual([]);
    expect(grpo.zero_spread_max).toBeLessThan(0.9);
    expect(result.summary).not.toContain('warning');
  });

  it('give the same checkpoints for the same experiment and seed, with 2 workers and with 1', async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml');
    const a = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const b = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const c = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: quiet });
    for (const stage of ['sft', 'dpo', 'grpo']) {
      const ckpt = (dir: string) => readFileSync(join(dir, `${stage}.ckpt.json`), 'utf8');
      expect(ckpt(b.dir), stage).toBe(ckpt(a.dir));
      expect(ckpt(c.dir), stage).toBe(ckpt(a.dir));
    }
    const other = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: ['seed=12'] }), { workers: 2, runsDir: tmp(), progress: quiet });
    expect(readFileSync(join(other.dir, 'sft.ckpt.json'), 'utf8')).not.toBe(readFileSync(join(a.dir, 'sft.ckpt.json'), 'utf8'));
  });

  it('explain what is wrong: a policy that cannot train, an offline strategy with no games', async () => {
    // validate refuses it (test/config); an experiment built by hand still meets the stage's own check
    const grpo = await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: ['stages=[{train: {strategy: grpo}}]'] });
    const notTrainable = { ...grpo, policy: { use: 'infogain', with: {}, label: 'infogain' } };
    await expect(runExperiment(notTrainable, { workers: 1, runsDir: tmp(), progress: quiet })).rejects.toThrow(/01-train: policy infogain cannot be trained; use a trainable backend such as \{ use: local \}/);
    const noGames = await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: ['stages=[{train: {strategy: weighted-sft}}]'] });
    await expect(runExperiment(noGames, { workers: 1, runsDir: tmp(), progress: quiet })).rejects.toThrow(/01-train: strategy weighted-sft learns from games; put a generate stage before it or set from:/);
  });
});
