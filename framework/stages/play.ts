import { closeSync, existsSync, openSync, readSync, truncateSync } from 'node:fs';
import { GamesChecker, GamesFileError, jsonlLines, parseGame, playKey, readGames } from '../data/games.js';
import type { GameChecks } from '../data/checks.js';
import { answererAgreement, type Agreement } from '../metrics/agreement.js';
import type { GameSpec } from '../game/engine.js';
import { OutcomeAccumulator, summaryOf, type GameSummary, type OutcomeMetrics } from '../metrics/outcome.js';
import type { Policy, PluginRef } from '../plugins/types.js';
import type { UnknownAnswers } from '../game/types.js';
import { AtomicFile } from '../util/fs.js';
import { pct } from '../metrics/table.js';
import { playInBatches } from '../run/batches.js';
import { StageError, type StageContext } from '../run/context.js';
import type { JsonlWriter } from '../run/jsonl.js';
import { concurrencyOf, playerNames, playWaiting, waitingPlayers } from '../run/waiting.js';
import { pluginName } from '../plugins/factory.js';
import type { PlayResult } from '../run/worker.js';

/** Who played a game: its policy, and its answerer in a stage that plays against several. */
export { playKey };

/**
 * The games a stage's file already holds, by policy (see playKey), as summaries (a resumed stage counts them and
 * plays the rest). Read as a stream, one pass. A last line cut short by a hard stop (no newline) is
 * dropped by truncating the file to the end of the line before it; a bad line before that is damage,
 * not a stop, and an error that names it. Failed games (outcome error: a model's endpoint that gave
 * up) are taken out of the file and played again, so that a resume after an outage finishes the stage.
 */
export async function playedGames(file: string, checks: GameChecks): Promise<Map<string, GameSummary[]>> {
  const played = new Map<string, GameSummary[]>();
  if (!existsSync(file)) return played;
  const checker = new GamesChecker(file, checks);
  let cut: number | undefined;
  const kept: Span[] = [];
  let failed = false;
  for await (const line of jsonlLines(file)) {
    if (!line.complete) {
      cut = line.start;
      break;
    }
    if (line.text.trim().length === 0) continue;
    let game;
    try {
      game = parseGame(file, line);
      await checker.check(game, line);
    } catch (error) {
      throw new GamesFileError(`${(error as Error).message}. The file is damaged before its last line (a stop only cuts the last one): delete that line (its game is played again) and resume again.`);
    }
    if (game.outcome === 'error') {
      failed = true;
      continue;
    }
    kept.push({ start: line.start, length: line.end - line.start });
    const list = played.get(playKey(game));
    if (list) list.push(summaryOf(game));
    else played.set(playKey(game), [summaryOf(game)]);
  }
  if (failed) rewrite(file, kept);
  else if (cut !== undefined) truncateSync(file, cut);
  return played;
}

/** Bytes [start, start + length) of a file: one of its lines. */
interface Span {
  start: number;
  length: number;
}

/**
 * Writes a file again with only the given lines, in the given order, read from their places in the
 * old file, to a temporary file that replaces it (all or nothing).
 */
function rewrite(file: string, lines: readonly Span[]): void {
  const from = openSync(file, 'r');
  const out = new AtomicFile(file);
  try {
    // lines gathered into chunks of about a megabyte: one write per chunk, not per line
    const buffer = Buffer.alloc(
      Math.max(
        1 << 20,
        lines.reduce((most, l) => Math.max(most, l.length), 0),
      ),
    );
    let filled = 0;
    for (const { start, length } of lines) {
      if (filled + length > buffer.length) {
        out.write(buffer.subarray(0, filled));
        filled = 0;
      }
      readSync(from, buffer, filled, length, start);
      filled += length;
    }
    out.write(buffer.subarray(0, filled));
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  } finally {
    closeSync(from);
  }
}

// Lines the workers write begin {"game":N,"seed":S,"policy":"...": the key is read there, since parsing
// every line of a large stage again would take as long as a good part of the games it plays.
const KEY = /^\{"game":(\d+),"seed":-?\d+,"policy":("(?:[^"\\]|\\.)*")(?:,"answerer":("(?:[^"\\]|\\.)*"))?/;

/**
 * Puts a resumed stage's file back in the order an uninterrupted run writes: policy by policy, game by
 * game. Batches finished after a gap at a stop were written out of order; the lines are read as a
 * stream for their keys, and only when some line is out of place is the file written again, line by
 * line from its place in the old file, to a temporary file that replaces it. `policies` are play keys
 * (see playKey), in the order they play.
 */
export async function sortPlayed(file: string, policies: readonly string[]): Promise<void> {
  const lines: { policy: number; game: number; start: number; length: number }[] = [];
  let sorted = true;
  for await (const line of jsonlLines(file)) {
    if (line.text.trim().length === 0) continue;
    const match = KEY.exec(line.text);
    const game = match ? { game: Number(match[1]), policy: JSON.parse(match[2]!) as string, ...(match[3] !== undefined ? { answerer: JSON.parse(match[3]) as string } : {}) } : parseGame(file, line);
    const key = { policy: policies.indexOf(playKey(game)), game: game.game, start: line.start, length: line.end - line.start };
    const last = lines.at(-1);
    if (last && (last.policy > key.policy || (last.policy === key.policy && last.game > key.game))) sorted = false;
    lines.push(key);
  }
  if (sorted) return;
  lines.sort((a, b) => a.policy - b.policy || a.game - b.game);
  rewrite(file, lines);
}

/** A stage that plays games: its name, and the share of failed games it tolerates. */
export interface PlayingStage {
  name: string;
  max_error_rate: number;
}

function errorRateExceeded(stage: PlayingStage, policy: string, errors: number, done: number, total: number, first: string): StageError {
  const so = done < total ? ` (${done} played so far)` : '';
  return new StageError(
    `${stage.name}: ${errors} of the ${total} games of policy ${policy} failed${so}, an error rate of ${pct(errors / total)}${done < total ? ' at least' : ''}, above max_error_rate ${pct(stage.max_error_rate)}. The first error: ${first}`,
  );
}

/**
 * Plays a stage's games with one policy into its JSONL file, with progress; shared by evaluate and
 * generate. Games already played (a resumed stage) are counted and not played again. Computing
 * players play in the worker pool; when either player waits (a model behind an endpoint), the games
 * are played in the main process, many at once. Either way the results come back in game order and
 * through the same accounting. Failed games (a waiting plugin that gave up) are written with outcome
 * `error`; the stage fails as soon as they are more than max_error_rate of its games (a resume plays
 * them again: see playedGames).
 */
export async function playInto(
  ctx: StageContext,
  stage: PlayingStage,
  players: { policy: PluginRef; answerer: PluginRef; answererTag?: string },
  specs: readonly GameSpec[],
  out: JsonlWriter,
  played: readonly GameSummary[] = [],
): Promise<{ completed: boolean; metrics: OutcomeMetrics; notes: string[] }> {
  const { experiment, domain, pool, progress, signals } = ctx;
  // Build the plugins here first: a problem (a missing checkpoint, a bad option) is reported as it is,
  // not as an error from inside a worker thread.
  const [policy, answerer] = await Promise.all([ctx.plugins.create('policy', players.policy), ctx.plugins.create('answerer', players.answerer)]);
  const waiting = await waitingPlayers(players.policy, players.answerer);
  const acc = new OutcomeAccumulator(
    experiment.game.max_questions,
    domain.candidates.map((c) => c.id),
  );
  const notes = await prepared(policy, answerer.unknowns, signals.stop);
  if (!notes) return { completed: false, metrics: acc.metrics(), notes: [] };
  const done = new Set<number>();
  let firstError: string | undefined;
  for (const g of played) {
    acc.add(g);
    done.add(g.game);
  }
  progress.start(`${stage.name} ${players.policy.label}${players.answererTag !== undefined ? ` vs ${players.answererTag}` : ''}`, specs.length);
  // a resumed stage starts from the games it kept, not from zero
  if (acc.count > 0) progress.update(acc.count, { success: acc.successSoFar });
  const todo = specs.filter((s) => !done.has(s.game));
  // what the model calls cost so far, on the progress line: refreshed at most once a second (it sorts latencies)
  let usage: { at: number; line?: string } = { at: 0 };
  const note = () => {
    if (!(waiting.policy || waiting.answerer)) return undefined;
    if (performance.now() - usage.at > 1000) usage = { at: performance.now(), line: ctx.models.usage(stage.name)?.line };
    return usage.line;
  };
  const onResult = (result: PlayResult) => {
    out.write(result.jsonl);
    acc.addPacked(result.summaries);
    firstError ??= result.errors?.[0];
    progress.update(acc.count, { success: acc.successSoFar, note: note() });
    if (acc.errorCount > stage.max_error_rate * specs.length) throw errorRateExceeded(stage, players.policy.label, acc.errorCount, acc.count, specs.length, firstError!);
  };
  let completed: boolean;
  if (waiting.policy || waiting.answerer) {
    const playing = {
      domain,
      rules: experiment.game,
      policy,
      answerer,
      ...playerNames(players.policy, players.answerer),
      ...(players.answererTag !== undefined ? { answererTag: players.answererTag } : {}),
    };
    completed = await playWaiting(todo, {
      stage: stage.name,
      players: playing,
      reward: await ctx.plugins.create('reward', experiment.reward),
      rewardName: pluginName('reward', experiment.reward),
      concurrency: concurrencyOf(stage.name, waiting, playing),
      tolerate: waiting,
      onResult,
      stop: signals.stop,
    });
  } else {
    completed = await playInBatches(pool, { stage: stage.name, setup: ctx.setup, ...players, reward: experiment.reward }, todo, { stop: signals.stop, onResult });
  }
  // the last line says what the summary will say: the model calls' figures as they ended, not as of a second ago
  usage = { at: 0 };
  progress.update(acc.count, { success: acc.successSoFar, note: note() });
  progress.stop();
  return { completed, metrics: acc.metrics(), notes };
}

/** What an answerer's "unknown" means, as metrics.json records it beside its games (absent in the contract: vague). */
export async function unknownsOf(ctx: StageContext, answerer: PluginRef): Promise<UnknownAnswers> {
  return (await ctx.plugins.create('answerer', answerer)).unknowns ?? 'vague';
}

/** The policy's work before the games (see Policy.prepare) and its notes; undefined when Ctrl-C stopped it. */
async function prepared(policy: Policy, unknowns: UnknownAnswers | undefined, stop: AbortSignal): Promise<string[] | undefined> {
  if (!policy.prepare) return [];
  try {
    return await policy.prepare({ unknowns }, stop);
  } catch (error) {
    if (stop.aborted) return undefined;
    throw error;
  }
}

/**
 * How faithful a model answerer was to the truth table over a stage's games (none for a computing
 * answerer such as kb, which is the table): for metrics.json and a line of the summary.
 */
export async function agreementOf(ctx: StageContext, stage: PlayingStage & { answerer: PluginRef }, file: string): Promise<{ agreement?: Agreement; notes: string[] }> {
  if (!(await waitingPlayers(ctx.experiment.policy, stage.answerer)).answerer) return { notes: [] };
  const agreement = await answererAgreement(readGames(ctx.run.file(file), { domain: ctx.domain, max_questions: ctx.experiment.game.max_questions }), ctx.domain);
  const rate = agreement.rate === null ? '-' : pct(agreement.rate);
  return {
    agreement,
    notes: [
      `${stage.name}: answerer ${stage.answerer.label} agrees with the truth table on ${rate} of ${agreement.checked} answers where the table decides; ${agreement.unparsed} replies were neither yes, no nor "I don't know" (taken as unknown)`,
    ],
  };
}
