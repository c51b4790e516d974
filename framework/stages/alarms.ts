/**
 * Alarms for training that learns nothing (reference/rl-practice-and-scale.md: the commonest silent
 * failures of GRPO on language models). A step whose groups all scored alike has no advantage and
 * so no gradient; a step whose games were cut at a token limit scores games the model did not finish.
 * Both look like a run that trains. The figures come from a GRPO step as either backend logs it
 * (`zero_spread`, `clipped`, `invalid_rate`, `kl`, `reward_spread`); a step without them (SFT, DPO)
 * is not looked at.
 */

/** What an alarm does to its stage: a warning, once, or a stop (the training so far kept). */
export type AlarmMode = 'warn' | 'stop';

export type AlarmKind = 'zero-spread' | 'clipped';

export interface Alarm {
  kind: AlarmKind;
  /** The step (or iteration) it fired at. */
  step: number;
  message: string;
}

/** Thresholds: the share of groups with equal rewards and for how many steps running; the share of games cut. */
export const ALARM_LIMITS = { zeroSpread: 0.9, zeroSpreadSteps: 5, clipped: 0.05 } as const;

/** The stage's GRPO figures over all its steps, for the summary and metrics.json. */
export interface AlarmFigures {
  steps: number;
  zero_spread_mean: number;
  zero_spread_max: number;
  clipped_mean: number;
  clipped_max: number;
  invalid_rate_mean: number;
  reward_spread_mean: number;
  kl_last: number;
  alarms: Alarm[];
}

export class TrainingAlarms {
  private running = 0;
  private steps = 0;
  private readonly sums = { zero_spread: 0, clipped: 0, invalid_rate: 0, reward_spread: 0 };
  private readonly max = { zero_spread: 0, clipped: 0 };
  private kl = 0;
  readonly fired: Alarm[] = [];

  /** `stage` names the stage in messages; `mode` is what the stage does when one fires, said in the message. */
  constructor(
    private readonly stage: string,
    private readonly mode: AlarmMode,
  ) {}

  /** Takes a step's figures; returns the alarm they raise, once per kind a stage. */
  observe(figures: Record<string, number>): Alarm | undefined {
    if (typeof figures.zero_spread !== 'number') return undefined;
    this.steps++;
    const step = figures.step ?? figures.iteration ?? this.steps;
    for (const k of ['zero_spread', 'clipped', 'invalid_rate', 'reward_spread'] as const) this.sums[k] += figures[k] ?? 0;
    this.max.zero_spread = Math.max(this.max.zero_spread, figures.zero_spread);
    this.max.clipped = Math.max(this.max.clipped, figures.clipped ?? 0);
    if (typeof figures.kl === 'number') this.kl = figures.kl;
    this.running = figures.zero_spread >= ALARM_LIMITS.zeroSpread ? this.running + 1 : 0;
    if (this.running >= ALARM_LIMITS.zeroSpreadSteps) {
      return this.fire(
        'zero-spread',
        step,
        `${pct(ALARM_LIMITS.zeroSpread)} or more of the groups scored alike for ${this.running} steps running (to step ${step}, ${pct(figures.zero_spread)} at the last): no advantage, no gradient, the model does not change. Raise the grpo strategy's temperature or group_size, or start from a model less sure of its moves (fewer SFT epochs)`,
      );
    }
    if ((figures.clipped ?? 0) >= ALARM_LIMITS.clipped) {
      return this.fire(
        'clipped',
        step,
        `${pct(figures.clipped!)} of the games of step ${step} were cut at a token limit (${pct(ALARM_LIMITS.clipped)} is the limit): they are scored as the model did not finish them. Raise the policy's max_new_tokens (a move) or max_length (a whole game)`,
      );
    }
    return undefined;
  }

  figures(): AlarmFigures | undefined {
    if (this.steps === 0) return undefined;
    const n = this.steps;
    return {
      steps: n,
      zero_spread_mean: this.sums.zero_spread / n,
      zero_spread_max: this.max.zero_spread,
      clipped_mean: this.sums.clipped / n,
      clipped_max: this.max.clipped,
      invalid_rate_mean: this.sums.invalid_rate / n,
      reward_spread_mean: this.sums.reward_spread / n,
      kl_last: this.kl,
      alarms: this.fired,
    };
  }

  private fire(kind: AlarmKind, step: number, what: string): Alarm | undefined {
    if (this.fired.some((a) => a.kind === kind)) return undefined;
    const then = this.mode === 'stop' ? 'the stage stops (alarms: stop)' : 'set alarms: stop on the train stage to stop it instead';
    const alarm = { kind, step, message: `${this.stage}: ${what}; ${then}.` };
    this.fired.push(alarm);
    return alarm;
  }
}

/** One line for the summary: the GRPO figures of a stage over its steps. */
export function showAlarmFigures(f: AlarmFigures): string {
  return `${f.steps} steps: groups scored alike ${pct(f.zero_spread_mean)} on average (most ${pct(f.zero_spread_max)}), games cut ${pct(f.clipped_mean)} (most ${pct(f.clipped_max)}), invalid moves ${pct(f.invalid_rate_mean)}, reward spread ${f.reward_spread_mean.toFixed(3)}, KL at the end ${f.kl_last.toFixed(3)}${f.alarms.length > 0 ? `; alarms: ${f.alarms.map((a) => `${a.kind} at step ${a.step}`).join(', ')}` : '; no alarm'}`;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x > 0 && x < 0.1 ? 1 : 0)}%`;
}
