import { describe, expect, it } from 'vitest';
import { showAlarmFigures, TrainingAlarms } from '../../framework/stages/alarms.js';

const step = (step: number, zero_spread: number, clipped = 0) => ({ step, success: 0.5, zero_spread, clipped, invalid_rate: 0.1, kl: 0.01 * step, reward_spread: 0.2 });

describe('alarms for training that learns nothing', () => {
  it('fire when 90% or more of the groups score alike for 5 steps running, once, at the fifth', () => {
    const alarms = new TrainingAlarms('grpo', 'warn');
    const fired = [0.9, 1, 1, 1, 0.5, 1, 0.95, 1, 1, 1, 1, 1].map((z, i) => alarms.observe(step(i + 1, z)));
    // a step below 0.9 starts the count again: steps 6-10 are the first five running
    expect(fired.map((a) => a?.step)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 10, undefined, undefined]);
    expect(fired[9]!.message).toMatch(
      /^grpo: 90% or more of the groups scored alike for 5 steps running \(to step 10, 100% at the last\).*Raise the grpo strategy's temperature or group_size.*set alarms: stop on the train stage to stop it instead\.$/,
    );
    expect(alarms.fired).toHaveLength(1);
  });

  it('fire when 5% or more of the games are cut at a token limit, naming the options', () => {
    const alarms = new TrainingAlarms('grpo', 'stop');
    expect(alarms.observe(step(1, 0, 0.04))).toBeUndefined();
    const alarm = alarms.observe(step(2, 0, 0.05))!;
    expect(alarm).toMatchObject({ kind: 'clipped', step: 2 });
    expect(alarm.message).toMatch(/5\.0% of the games of step 2 were cut at a token limit.*max_new_tokens \(a move\) or max_length \(a whole game\); the stage stops \(alarms: stop\)\.$/);
    expect(alarms.observe(step(3, 0, 0.5))).toBeUndefined(); // once a stage
  });

  it('look only at GRPO steps, and sum a stage up', () => {
    const alarms = new TrainingAlarms('sft', 'warn');
    expect(alarms.observe({ step: 1, loss: 2 })).toBeUndefined();
    expect(alarms.figures()).toBeUndefined();
    const grpo = new TrainingAlarms('grpo', 'warn');
    grpo.observe(step(1, 0.5, 0));
    grpo.observe(step(2, 0, 0.02));
    const f = grpo.figures()!;
    expect(f).toMatchObject({ steps: 2, zero_spread_mean: 0.25, zero_spread_max: 0.5, clipped_mean: 0.01, clipped_max: 0.02, kl_last: 0.02, alarms: [] });
    expect(f.invalid_rate_mean).toBeCloseTo(0.1, 12);
    expect(showAlarmFigures(f)).toBe('2 steps: groups scored alike 25% on average (most 50%), games cut 1.0% (most 2.0%), invalid moves 10%, reward spread 0.200, KL at the end 0.020; no alarm');
  });
});
