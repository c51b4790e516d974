import { isMainThread } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { GameError, PlayerError, playGames, scoreGame, type GameSpec } from '../game/engine.js';
import type { Rules, Trajectory } from '../game/types.js';
import { packSummaries, summaryOf } from '../metrics/outcome.js';
import { PluginFactory, pluginName } from '../plugins/factory.js';
import { isTrainable, type PluginRef } from '../plugins/types.js';

/** What every game of a run shares; a worker builds one plugin factory per setup and keeps it. */
export interface Setup {
  domain: PluginRef;
  rules: Rules;
  baseDir: string;
}

export interface PlayTask {
  /** The stage the games belong to, named in errors. */
  stage: string;
  setup: Setup;
  policy: PluginRef;
  answerer: PluginRef;
  /** Record the answerer's label in each trajectory (a stage with several answerers). */
  answererTag?: string;
  reward: PluginRef;
  specs: GameSpec[];
  /** Send the trajectories back as objects too (training needs them; evaluation needs only the text). */
  trajectories?: boolean;
  /**
   * Weights to play with (a trainable policy's exportState): online training sends its current policy
   * this way. Every batch of one round carries the same state, so batches sharing a worker agree.
   */
  policyState?: unknown;
}

export interface PlayResult {
  /**
   * The batch's trajectories as UTF-8 JSONL, serialised and encoded here and moved (not copied) to
   * the main thread, which only writes the bytes.
   */
  jsonl: Uint8Array;
  /** Per-game figures, packed (see packSummaries). */
  summaries: Float64Array;
  trajectories?: Trajectory[];
  /** The errors of the games that failed (outcome `error`), in game order; absent when none did. */
  errors?: string[];
  /**
   * Set when a plugin broke its contract or threw (see GameError, PlayerError): the message, naming
   * the stage, the plugin, the game and the line that threw. Returned as data because an error's class
   * does not survive the thread boundary.
   */
  error?: string;
}

// A worker thread's own: every thread belongs to one run's GamePool, so its factories are that run's. Its
// plugins compute and never wait on a model: their factories' model layers make no endpoint.
const factories = new Map<string, Promise<PluginFactory>>();
const encoder = new TextEncoder();
const inWorker = !isMainThread;

function factoryFor(setup: Setup): Promise<PluginFactory> {
  const key = JSON.stringify(setup);
  let factory = factories.get(key);
  if (!factory) {
    factory = PluginFactory.forDomain(setup.domain, setup.rules, setup.baseDir);
    factories.set(key, factory);
    factory.catch(() => factories.delete(key));
  }
  return factory;
}

/** Plays one batch of games; the worker pool's task, and callable in-process as well. */
export default async function play(task: PlayTask): Promise<PlayResult> {
  try {
    return await playBatch(task);
  } catch (error) {
    if (!(error instanceof GameError || error instanceof PlayerError)) throw error;
    return { jsonl: new Uint8Array(), summaries: new Float64Array(), error: `${task.stage}: ${error.message}` };
  }
}

async function playBatch(task: PlayTask): Promise<PlayResult> {
  const factory = await factoryFor(task.setup);
  const [policy, answerer, reward] = await Promise.all([factory.create('policy', task.policy), factory.create('answerer', task.answerer), factory.create('reward', task.reward)]);
  if (task.policyState !== undefined) {
    if (!isTrainable(policy)) throw new Error(`policy ${task.policy.label} cannot take trained weights`);
    policy.importState(task.policyState);
  }
  const trajectories = await playGames(task.specs, {
    domain: factory.domain,
    rules: task.setup.rules,
    policy,
    answerer,
    policyLabel: task.policy.label,
    answererLabel: task.answerer.label,
    ...(task.answererTag !== undefined ? { answererTag: task.answererTag } : {}),
    named: { policy: pluginName('policy', task.policy), answerer: pluginName('answerer', task.answerer) },
  });
  let jsonl = '';
  for (const t of trajectories) {
    scoreGame(t, reward, pluginName('reward', task.reward));
    jsonl += JSON.stringify(t) + '\n';
  }
  const bytes = encoder.encode(jsonl);
  const summaries = packSummaries(trajectories.map(summaryOf), (id) => factory.domain.candidateIndexOf(id)!);
  const result: PlayResult = task.trajectories ? { jsonl: bytes, summaries, trajectories } : { jsonl: bytes, summaries };
  if (!inWorker) return result;
  // Hand the buffers over to the main thread instead of copying them (tinypool's transferable protocol).
  const transfer = [bytes.buffer, summaries.buffer];
  return Tinypool.move({ [Tinypool.transferableSymbol]: transfer, [Tinypool.valueSymbol]: result } as never) as unknown as PlayResult;
}
