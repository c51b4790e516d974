import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import { createProgress } from '../../framework/run/progress.js';
import { readRunConfig } from '../../framework/run/rundir.js';
import { runExperiment } from '../../framework/run/runner.js';

const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-rerun-'));

describe("a run's config.yaml", () => {
  it('is an experiment file: it loads as the experiment it was made from, and reruns the same games byte for byte', async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml');
    const first = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    expect(first.status).toBe('completed');
    const config = join(first.dir, 'config.yaml');
    const again = await loadExperiment(config);
    const { file: _f, baseDir: _b, ...original } = experiment;
    const { file, baseDir, ...reloaded } = again;
    expect(reloaded).toEqual(original);
    expect(file).toBe(config);
    expect(await readRunConfig(first.dir)).toEqual(again);

    const second = await runExperiment(again, { workers: 1, runsDir: tmp(), progress: quiet });
    expect(second.status).toBe('completed');
    const data = readdirSync(first.dir).filter((f) => f.endsWith('.jsonl') && !f.endsWith('.curve.jsonl'));
    expect(data.sort()).toEqual(['final.jsonl', 'final.regret.jsonl', 'games.jsonl']);
    for (const f of [...data, 'sft.ckpt.json', 'dpo.ckpt.json', 'grpo.ckpt.json']) {
      expect(readFileSync(join(second.dir, f), 'utf8'), f).toBe(readFileSync(join(first.dir, f), 'utf8'));
    }
  });
});
