/**
 * Benchmark of the exact regret of every move (issue 15: under 10% of an evaluate stage's time): for
 * each evaluate stage of a finished run, the time to compute its games' regret as the stage does after
 * playing them (one memo of solved sets for the run, shared by its stages, in their order), beside the
 * stage's own time from run.json.
 *
 *   npm run bench:regret -- RUN_DIR        (a run of experiments/pipeline.yaml, e.g. from npm start)
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { PluginFactory } from '../framework/plugins/factory.js';
import type { RunRecord } from '../framework/run/rundir.js';
import type { RawRef } from '../framework/plugins/factory.js';
import type { RegretMode } from '../framework/stages/regret.js';
import { JsonlWriter } from '../framework/run/jsonl.js';
import { stageRegret } from '../framework/stages/regret.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npm run bench:regret -- RUN_DIR   (a finished run, e.g. of experiments/pipeline.yaml)');
  process.exit(2);
}
const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord;
/** The parts of a run's config.yaml this benchmark reads (written by the run, so already valid). */
interface RunConfig {
  game: { max_questions: number; wrong_guess: 'continue' | 'lose' };
  domain: RawRef;
  answerer: RawRef;
  stages: { evaluate?: { name: string; answerer?: RawRef; answerers?: RawRef[]; regret?: RegretMode } }[];
}
const config = parse(readFileSync(join(dir, 'config.yaml'), 'utf8')) as RunConfig;
const rules = config.game;
const factory = await PluginFactory.forDomain(config.domain, rules, dir);
const answerers = new Map<string, Awaited<ReturnType<typeof factory.create<'answerer'>>>>();
console.log(`twentyq bench:regret: ${dir} (${run.experiment}), one process, the run's stages in order`);
let regretTotal = 0;
let stageTotal = 0;
for (const stage of run.stages.filter((s) => s.kind === 'evaluate')) {
  const settings = config.stages.find((s) => s.evaluate?.name === stage.name)?.evaluate;
  const refs = (settings?.answerers ?? [settings?.answerer ?? config.answerer]).map((a) => (typeof a === 'string' ? { use: a, with: {}, label: a } : { with: {}, ...a, label: a.label ?? a.use }));
  const instances = await Promise.all(
    refs.map(async (ref: { label: string; use: string; with: Record<string, unknown> }) => {
      const key = JSON.stringify(ref);
      if (!answerers.has(key)) answerers.set(key, await factory.create('answerer', ref));
      return { label: ref.label, answerer: answerers.get(key)! };
    }),
  );
  const out = new JsonlWriter(join(tmpdir(), `twentyq-bench-regret-${process.pid}.jsonl`), 'w');
  const result = await stageRegret(join(dir, `${stage.name}.jsonl`), { domain: factory.domain, rules, answerers: instances, several: instances.length > 1, mode: settings?.regret ?? 'auto' }, out);
  out.close();
  regretTotal += result.seconds;
  stageTotal += stage.seconds!;
  const means = [...result.stats].map(([k, s]) => `${k} ${s.mean_regret.toFixed(3)}`).join(', ');
  console.log(
    `  ${stage.name.padEnd(18)} regret ${result.seconds.toFixed(2).padStart(6)} s of the stage's ${stage.seconds!.toFixed(2).padStart(7)} s (${((100 * result.seconds) / stage.seconds!).toFixed(1).padStart(5)}%)  ${means || 'no deterministic answerer'}`,
  );
}
console.log(`  all evaluate stages: regret ${regretTotal.toFixed(2)} s of ${stageTotal.toFixed(2)} s (${((100 * regretTotal) / stageTotal).toFixed(1)}%; target: under 10% of a stage's time)`);
