import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndResume, reference } from '../../bench/faults-harness.js';
import type { RunRecord } from '../../framework/run/rundir.js';
import { Rng } from '../../framework/util/rng.js';

// The small form of bench/faults.ts (npm run bench:faults): one kill -9 in each game and training stage.
const EXPERIMENT = 'test/fixtures/mini-pipeline.yaml';
const ARGS = ['--workers', '2'];

describe('kill -9, then --resume', () => {
  it('ends with the files of an uninterrupted run, whichever stage the kill hit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'twentyq-faults-'));
    const whole = reference(EXPERIMENT, join(root, 'whole'), ARGS);
    const seconds = new Map((JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as RunRecord).stages.map((s) => [s.name, s.seconds!]));
    const rng = new Rng(7);
    for (const [n, stage] of ['games', 'sft', 'dpo', 'grpo'].entries()) {
      let moment = Math.round(rng.next() * 0.9 * seconds.get(stage)! * 1000);
      let trial = await killAndResume(EXPERIMENT, join(root, `trial-${n}`), ARGS, { stage, moment }, whole);
      // a run that completed before its kill (a busy machine made the reference slow) is tried again sooner
      for (let again = 1; !trial.killed && trial.ended?.code === 0 && again <= 3; again++) {
        moment = Math.round(moment / 4);
        trial = await killAndResume(EXPERIMENT, join(root, `trial-${n}-${again}`), ARGS, { stage, moment }, whole);
      }
      expect(trial.killed, `${stage} +${moment} ms: the run ended first, ${JSON.stringify(trial.ended)}`).toBe(true);
      expect(trial.at, `${stage} +${moment} ms`).not.toMatch(/final:done/);
      expect(trial.resumeCode, `${stage} +${moment} ms`).toBe(0);
      expect(trial.differences, `${stage} +${moment} ms, killed at ${trial.at}`).toEqual([]);
    }
  });
});
