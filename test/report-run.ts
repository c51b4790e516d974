import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

/** The built CLI in a child process, as a user runs it. */
export function cli(args: string[], cwd = process.cwd()): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, cwd, encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The pipeline experiment made small (3 teacher games and 1 evaluation game per animal, 2 epochs, 3
 * GRPO iterations): every kind of stage, with curves, comparisons and several answerers, in ~20 s.
 */
export const SMALL_PIPELINE = [
  '--set',
  'stages.0.generate.games_per_animal=3',
  '--set',
  'stages.1.audit.min_wins_per_animal=1',
  '--set',
  'stages.3.train.strategy.with.epochs=2',
  '--set',
  'stages.5.train.strategy.with.epochs=2',
  '--set',
  'stages.9.train.strategy.with.iterations=3',
  ...[2, 4, 6, 8, 10, 11].flatMap((i) => ['--set', `stages.${i}.evaluate.games_per_animal=1`]),
];

/** Runs the small pipeline in `cwd` (its runs/ folder) and returns the run directory. */
export function smallPipelineRun(cwd: string, extra: string[] = []): { dir: string; code: number | null; stderr: string } {
  const r = cli(['run', resolve('experiments/pipeline.yaml'), ...SMALL_PIPELINE, ...extra, '-w', '1'], cwd);
  const root = join(cwd, 'runs/pipeline');
  const dir = join(root, readdirSync(root).sort().at(-1)!);
  return { dir, code: r.code, stderr: r.stderr };
}
