import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CurveWriter } from '../../framework/run/curve.js';

const steps = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step?: number; epoch?: number; loss: number });

describe('a training curve across an interruption', () => {
  it("keeps the first attempt's points before the step the resumed one starts from (a backend that continues from a checkpoint)", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'twentyq-curve-')), 'sft.curve.jsonl');
    const first = new CurveWriter(file, false);
    first.write({ stage: 'sft', epoch: 0, rows: 24 });
    for (let step = 1; step <= 7; step++) first.write({ stage: 'sft', step, loss: 1 / step });
    first.close();
    // killed after step 7, checkpoint at step 5: the resumed trainer reports 6, 7, 8, ...
    writeFileSync(file, readFileSync(file, 'utf8') + '{"stage":"sft","step":8,"lo'); // a line cut by the kill
    const resumed = new CurveWriter(file, true);
    // a strategy's figures of its data come first, as epoch 0, as in the first attempt
    resumed.write({ stage: 'sft', epoch: 0, rows: 24 });
    for (let step = 6; step <= 9; step++) resumed.write({ stage: 'sft', step, loss: 2 / step });
    resumed.close();
    expect(steps(file).filter((p) => p.epoch === 0)).toHaveLength(1);
    expect(
      steps(file)
        .filter((p) => p.step !== undefined)
        .map((p) => [p.step, p.loss]),
    ).toEqual([
      [1, 1],
      [2, 0.5],
      [3, 1 / 3],
      [4, 0.25],
      [5, 0.2],
      [6, 2 / 6],
      [7, 2 / 7],
      [8, 0.25],
      [9, 2 / 9],
    ]);
  });

  it('replaces the whole curve when the stage starts again from its first epoch, and a resume that writes nothing leaves it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'twentyq-curve-')), 'sft.curve.jsonl');
    const first = new CurveWriter(file, false);
    for (let epoch = 1; epoch <= 3; epoch++) first.write({ epoch, loss: epoch });
    first.close();
    const idle = new CurveWriter(file, true);
    idle.close();
    expect(steps(file)).toHaveLength(3);
    const again = new CurveWriter(file, true);
    again.write({ epoch: 1, loss: 9 });
    again.close();
    expect(steps(file)).toEqual([{ epoch: 1, loss: 9 }]);
  });
});
