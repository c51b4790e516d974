import type { Experiment } from '../config/types.js';
import { USAGE_FILE } from '../config/files.js';
import { boundEfficiency, optimalBound } from '../game/bounds.js';
import { fixed, formatTable, pct } from '../metrics/table.js';
import { readGames } from '../data/games.js';
import { writeReport } from '../report/index.js';
import { PROCESSES_DIR, reapProcesses } from '../util/processes.js';
import { defaultCachePath } from '../llm/cache.js';
import { ModelLayer, withModels } from '../llm/layer.js';
import { PluginFactory } from '../plugins/factory.js';
import { PluginError } from '../plugins/registry.js';
import { stageDefOf, stageFiles, type Stage } from '../stages/index.js';
import type { StageContext, StageOutcome, SummaryRow } from './context.js';
import type { StageBound } from './bound.js';
import { GamePool, WorkerError, defaultWorkers } from './pool.js';
import { createProgress, type Progress } from './progress.js';
import { stillUsed } from './servers.js';
import { RunDir, type RunStatus } from './rundir.js';
import { writeDomainFile } from './domain-file.js';

export interface RunOptions {
  workers?: number;
  /**
   * Finish an interrupted run in its own directory: finished stages are kept, an interrupted stage
   * keeps the games it played and plays the rest, a training stage starts again.
   */
  resume?: RunDir;
  /** Where run directories go (default ./runs). */
  runsDir?: string;
  /** Heap limit of each worker thread in MB (default DEFAULT_WORKER_MEMORY_MB). */
  workerMemoryMb?: number;
  /** Told the run directory as soon as it exists, so that a run that fails can still say where it is. */
  started?(dir: string): void;
  progress?: Progress;
  /** Fired by the first Ctrl-C: finish running batches, keep them, mark the run interrupted. */
  stop?: AbortSignal;
  /** Fired by a second Ctrl-C, before the process exits: the run is marked interrupted on the spot. */
  kill?: AbortSignal;
  /** The response cache's file (default: defaultCachePath()); null: no cache. */
  cache?: string | null;
}

export interface RunResult {
  dir: string;
  status: RunStatus;
  rows: SummaryRow[];
  summary: string;
}

/** "5.20 exact" / "5.10-5.30": a stage's bound as the table shows it. */
function boundText(b: StageBound): string {
  return b.proved ? fixed(b.mean, 3) : `${fixed(b.lower, 3)}-${fixed(b.mean, 3)}`;
}

/**
 * The table printed at the end of a run: every evaluated policy (against every answerer), with the
 * distinct games it played and intervals clustered by target, beside the exact bound of the game it
 * played (its targets, the rules, the answerer's semantics) and the bound for arbitrary yes/no questions.
 */
export function summaryTable(experiment: Experiment, rows: readonly SummaryRow[], candidates: number): string {
  const { max_questions, wrong_guess } = experiment.game;
  const unrestricted = optimalBound(candidates, wrong_guess);
  const answerers = rows.some((r) => r.answerer !== undefined);
  const table = formatTable(
    ['stage', 'policy', ...(answerers ? ['answerer'] : []), 'games', 'distinct', 'errors', 'success', '95% CI', 'avg q', '95% CI', 'avg q (wins)', 'efficiency', 'invalid', 'bound'],
    rows.map(({ stage, policy, answerer, metrics: m, clustered: c, bound }) => [
      stage,
      policy,
      ...(answerers ? [answerer ?? '-'] : []),
      String(m.games),
      c ? String(c.distinct_games) : '-',
      String(m.errors),
      pct(m.success),
      c ? `${pct(c.success_ci[0])}-${pct(c.success_ci[1])}` : `${pct(m.success_ci[0])}-${pct(m.success_ci[1])}`,
      fixed(m.avg_questions),
      c ? `${fixed(c.avg_questions_ci[0])}-${fixed(c.avg_questions_ci[1])}` : '-',
      fixed(m.avg_questions_wins),
      fixed(m.efficiency, 3),
      pct(m.invalid_rate),
      bound ? boundText(bound) : '-',
    ]),
  );
  const notes = [
    'distinct: games that differ in target, moves or answers. 95% CIs cluster the games by target: success by the Wilson interval at the effective number of games (at least the number of targets), avg q by the cluster-robust standard error.',
    `bound: the exact optimal tree over the domain's questions for the stage's targets, the rules (wrong_guess: ${wrong_guess}) and the answerer's semantics (unknown: say or coin), from twentyq bounds; a range where the search was cut short (proved lower bound - best tree). With arbitrary yes/no questions over ${candidates} equally likely candidates the best is ${unrestricted.mean.toFixed(3)} (efficiency ${boundEfficiency(unrestricted, max_questions).toFixed(3)}); entropy floor log2(${candidates}) = ${unrestricted.entropy.toFixed(2)}.`,
  ];
  for (const { stage, policy, answerer, metrics: m, clustered: c, bound } of rows) {
    if (!bound || m.games === 0 || m.errors > 0) continue;
    // Games that repeat exactly (one per target) measure the mean exactly: any shortfall is a bug. Games
    // that vary (coins, noise, sampling) measure it with an error: a shortfall counts beyond its interval.
    const exact = c !== undefined && c.distinct_games === c.targets;
    const below = exact ? m.avg_questions < bound.lower - 1e-9 : c !== undefined && c.avg_questions_ci[1] < bound.lower - 1e-9;
    if (below) {
      notes.push(
        `WARNING: ${stage}/${policy}${answerer ? ` against ${answerer}` : ''} averages ${m.avg_questions.toFixed(3)} questions${exact ? '' : ` (95% CI up to ${c!.avg_questions_ci[1].toFixed(3)})`}, below the exact bound ${bound.lower.toFixed(3)} of the game it played (${bound.targets} targets, ${bound.rule}, unknown: ${bound.semantics}): a bug.`,
      );
    }
  }
  return `${table}\n\n${notes.join('\n')}`;
}

/**
 * Writes the run's report.html from what the run directory holds, however the run ended. A report that
 * cannot be written is said, and does not change how the run ended.
 */
async function reportOf(run: RunDir, progress: Progress, models: ModelLayer): Promise<void> {
  try {
    await withModels(models, () => writeReport([run.path], run.file('report.html')));
  } catch (error) {
    progress.log(`report.html not written: ${(error as Error).message}`);
  }
}

/** Runs an experiment's stages in order in a fresh run directory; see RunDir for what it writes. */
export async function runExperiment(experiment: Experiment, options: RunOptions = {}): Promise<RunResult> {
  const workers = options.workers ?? defaultWorkers();
  const progress = options.progress ?? createProgress();
  const run = options.resume ?? RunDir.create(options.runsDir ?? 'runs', experiment, workers);
  options.started?.(run.path);
  // the run's own model layer: every model call is written to usage.jsonl as it is answered (a resumed
  // run's figures count its earlier processes' calls), and the servers it launches are its own
  const models = new ModelLayer({ cache: options.cache === undefined ? defaultCachePath() : options.cache, usage: run.file(USAGE_FILE), runDir: run.path, say: (line) => progress.log(line) });
  try {
    // servers and trainers the run's last process left running when it was killed are stopped first
    if (options.resume) await reapProcesses(run.file(PROCESSES_DIR), (line) => progress.log(`resume: ${line}`));
    return await runStages(experiment, run, workers, progress, models, options);
  } finally {
    // the servers the plugins launched end with the run: completed, failed or interrupted
    await models.close();
    run.release();
  }
}

/** What the stages of a run get: its experiment, plugins, directory, pool and progress, and each other's files. */
function stageContext(experiment: Experiment, factory: PluginFactory, run: RunDir, pool: GamePool, progress: Progress, stop: AbortSignal): StageContext {
  const ctx: StageContext = {
    experiment,
    domain: factory.domain,
    plugins: factory,
    models: factory.models,
    setup: { domain: experiment.domain, rules: experiment.game, baseDir: experiment.baseDir },
    run,
    pool,
    progress,
    signals: { stop },
    current: { policy: experiment.policy },
    files: (name) => {
      const stage = experiment.stages.find((s) => s.name === name);
      if (!stage) throw new Error(`the experiment has no stage ${name}`);
      return stageFiles(stage);
    },
    games: (name) => {
      const file = ctx.files(name).games;
      if (!file) throw new Error(`stage ${name} writes no games`);
      return readGames(run.file(file), { domain: factory.domain, max_questions: experiment.game.max_questions });
    },
    resuming: false,
  };
  return ctx;
}

/** Runs one stage through its kind's definition; what its model calls cost goes with its outcome. */
async function runStage(stage: Stage, ctx: StageContext): Promise<StageOutcome> {
  ctx.run.setStage(stage.name, 'running');
  ctx.models.stage = stage.name;
  // a server no stage from here on uses gives its device and memory back
  const used = await stillUsed(ctx, ctx.experiment.stages.indexOf(stage));
  await ctx.models.launches.retain(used.holders, used.launches);
  const outcome = await stageDefOf(stage).run(stage, ctx);
  // requests, cache hits, tokens, dollars, latency
  const usage = ctx.models.usage(stage.name);
  if (usage) {
    outcome.notes = [...(outcome.notes ?? []), `${stage.name} model calls: ${usage.line}`];
    outcome.metrics = { ...(outcome.metrics as object), usage: usage.figures };
  }
  return outcome;
}

async function runStages(experiment: Experiment, run: RunDir, workers: number, progress: Progress, models: ModelLayer, options: RunOptions): Promise<RunResult> {
  const factory = await PluginFactory.forDomain(experiment.domain, experiment.game, experiment.baseDir, { models, runDir: run.path });
  writeDomainFile(run, factory.domain);
  const pool = new GamePool(workers, options.workerMemoryMb);
  const never = new AbortController().signal;
  let current: Stage | undefined;
  // A second Ctrl-C: the process exits right after this; what was written stays, the run says it was interrupted.
  options.kill?.addEventListener(
    'abort',
    () => {
      if (current && run.stage(current.name).status === 'running') run.setStage(current.name, 'interrupted');
      run.finish('interrupted');
      void pool.destroy();
    },
    { once: true },
  );
  const ctx = stageContext(experiment, factory, run, pool, progress, options.stop ?? never);
  const rows: SummaryRow[] = [];
  const notes: string[] = [];
  const metrics: Record<string, unknown> = options.resume ? run.metrics() : {};
  let status: RunStatus = 'completed';
  try {
    for (const stage of experiment.stages) {
      current = stage;
      const record = run.stage(stage.name);
      if (record.status === 'done' && record.outcome) {
        // finished before the run was resumed: its summary and its policy carry over
        rows.push(...record.outcome.rows);
        notes.push(...record.outcome.notes);
        ctx.current.policy = record.outcome.policy;
        continue;
      }
      if (ctx.signals.stop.aborted) {
        status = 'interrupted';
        break;
      }
      ctx.resuming = record.status !== 'pending';
      const outcome = await runStage(stage, ctx);
      rows.push(...outcome.rows);
      notes.push(...(outcome.notes ?? []));
      if (outcome.metrics !== undefined) metrics[stage.name] = outcome.metrics;
      run.writeJson('metrics.json', { experiment: experiment.name, stages: metrics });
      if (outcome.completed) run.setOutcome(stage.name, { rows: outcome.rows, notes: outcome.notes ?? [], policy: ctx.current.policy });
      run.setStage(stage.name, outcome.completed ? 'done' : 'interrupted');
      // a stage that finished although Ctrl-C came during it still ends the run here
      if (!outcome.completed || ctx.signals.stop.aborted) {
        status = 'interrupted';
        break;
      }
    }
  } catch (caught) {
    progress.stop();
    // a dead worker knows the plugins it played, not the stage
    const error =
      caught instanceof WorkerError && current
        ? new WorkerError(`stage ${current.name}: ${caught.message}`)
        : caught instanceof PluginError && current && !caught.message.startsWith(`${current.name}: `)
          ? new PluginError(`${current.name}: ${caught.message}`, { cause: caught.cause })
          : caught;
    if (current) run.setStage(current.name, 'failed');
    run.finish('failed', (error as Error).message);
    await pool.destroy();
    await reportOf(run, progress, models);
    throw error;
  }
  await pool.destroy();
  const summary = summaryTable(experiment, rows, factory.domain.size) + (notes.length > 0 ? `\n\n${notes.join('\n')}` : '');
  run.writeText('summary.txt', summary + '\n');
  run.finish(status);
  await reportOf(run, progress, models);
  return { dir: run.path, status, rows, summary };
}
