import { CacheError } from '../llm/cache.js';
import { setMaxListeners } from 'node:events';
import { GameError, playGame, PlayerError, scoreGame, type GameSpec, type Players } from '../game/engine.js';
import type { Trajectory } from '../game/types.js';
import { packSummaries, summaryOf } from '../metrics/outcome.js';
import { registry } from '../plugins/builtins.js';
import { pluginName } from '../plugins/factory.js';
import { DEFAULT_CONCURRENCY, type PluginRef, type Reward, type WaitingInstance } from '../plugins/types.js';
import { StageError } from './context.js';
import type { PlayResult } from './worker.js';

export interface WaitingGames {
  /** The stage the games belong to, named in errors. */
  stage: string;
  players: Players;
  reward: Reward;
  /** How errors name the reward ("reward efficiency"). */
  rewardName: string;
  /** Most games in flight at once. */
  concurrency: number;
  /**
   * The players whose failures become games with outcome `error` (the waiting ones); what any other
   * player throws fails the stage, as it does in the worker threads.
   */
  tolerate: { policy: boolean; answerer: boolean };
  /** Called with finished games, in game order while the stage runs normally (as batches are). */
  onResult(result: PlayResult): void;
  /** Starts no new game and aborts the games in flight; games finished by then are still reported. */
  stop?: AbortSignal;
  /** Send the trajectories back as objects too. */
  trajectories?: boolean;
}

/**
 * How far games may finish ahead of the oldest game not yet written, per game in flight: the reorder
 * buffer stays bounded if one game hangs, at the price of waiting for it once that far ahead.
 */
const AHEAD_PER_SLOT = 16;

const encoder = new TextEncoder();

/**
 * Plays games in the main process for plugins that wait (a model behind an endpoint): up to
 * `concurrency` games at once, each advancing on its own, so that a slow game holds up no other.
 * Finished games wait in a reorder buffer and are reported in game order, so a stage's file is the
 * same whatever the timing. When `stop` fires, no game starts, the games in flight are aborted (their
 * signal fires) and dropped, and every finished game is reported, those after a gap out of order, as
 * playInBatches does. Returns whether every game was played.
 */
export async function playWaiting(specs: readonly GameSpec[], options: WaitingGames): Promise<boolean> {
  const { players, reward, stop } = options;
  const inFlight = new AbortController();
  // every request in flight listens to it (and a client may add a listener per retry): no limit to warn at
  setMaxListeners(0, inFlight.signal);
  const abort = () => inFlight.abort(stop?.reason);
  stop?.addEventListener('abort', abort, { once: true });
  if (stop?.aborted) abort();
  const finished = new Map<number, Trajectory>();
  let written = 0;
  let failure: { error: unknown } | undefined;

  const report = (games: Trajectory[]) => {
    let jsonl = '';
    for (const t of games) jsonl += JSON.stringify(t) + '\n';
    const summaries = packSummaries(games.map(summaryOf), (id) => players.domain.candidateIndexOf(id)!);
    const errors = games.filter((t) => t.outcome === 'error').map((t) => t.error!);
    options.onResult({ jsonl: encoder.encode(jsonl), summaries, ...(errors.length > 0 ? { errors } : {}), ...(options.trajectories ? { trajectories: games } : {}) });
  };
  const flush = () => {
    const games: Trajectory[] = [];
    for (let t; (t = finished.get(written)); written++) {
      games.push(t);
      finished.delete(written);
    }
    if (games.length > 0) report(games);
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    inFlight.abort(error);
  };

  const one = async (index: number): Promise<void> => {
    let trajectory: Trajectory;
    // a signal per game, relayed from the stage's: the requests of a game listen to it, so no listener
    // list grows with the games in flight (adding a listener walks the list)
    const game = new AbortController();
    setMaxListeners(0, game.signal);
    const relay = () => game.abort(inFlight.signal.reason);
    inFlight.signal.addEventListener('abort', relay, { once: true });
    try {
      trajectory = await playGame(specs[index]!, players, game.signal);
      scoreGame(trajectory, reward, options.rewardName);
    } catch (error) {
      // aborted by Ctrl-C or by another game's failure: not finished, not written
      if (inFlight.signal.aborted) return;
      // a failing response cache fails every game alike: the stage stops at once, saying how to go on
      if (!(error instanceof PlayerError) || !options.tolerate[error.role] || error.cause instanceof CacheError) return fail(error);
      trajectory = { ...error.partial, outcome: 'error', error: `${options.stage}: ${error.message}` };
    } finally {
      inFlight.signal.removeEventListener('abort', relay);
    }
    finished.set(index, trajectory);
    try {
      flush();
    } catch (error) {
      fail(error);
    }
  };

  const running = new Set<Promise<void>>();
  const ahead = options.concurrency * AHEAD_PER_SLOT;
  let next = 0;
  try {
    for (; next < specs.length; next++) {
      while (!inFlight.signal.aborted && (running.size >= options.concurrency || next - written >= ahead)) await Promise.race(running);
      if (inFlight.signal.aborted) break;
      const game = one(next).finally(() => running.delete(game));
      running.add(game);
    }
    await Promise.all(running);
  } finally {
    stop?.removeEventListener('abort', abort);
  }
  if (failure) {
    const { error } = failure;
    throw error instanceof GameError || error instanceof PlayerError ? new GameError(`${options.stage}: ${error.message}`, { cause: error }) : error;
  }
  // games that finished after a gap left by a stopped one: kept, in order among themselves
  const rest = [...finished.keys()].sort((a, b) => a - b).map((i) => finished.get(i)!);
  if (rest.length > 0) report(rest);
  return written === specs.length;
}

/** Whether a plugin waits: it says so with `runs: 'waiting'`, or it wraps one that does (see PluginDef.wraps). */
async function waits(kind: 'policy' | 'answerer', use: string, options: Record<string, unknown>): Promise<boolean> {
  // a reference that does not load is reported where the plugin is built, with its place
  const def = await registry.load(kind, use).catch(() => undefined);
  if (def === undefined) return false;
  if (def.runs === 'waiting') return true;
  if (def.wraps === undefined || options[def.wraps] === undefined) return false;
  const inner = options[def.wraps];
  const refs = (Array.isArray(inner) ? inner : [inner]) as (string | { use: string; with?: Record<string, unknown> })[];
  const answers = await Promise.all(refs.map((r) => (typeof r === 'string' ? waits(kind, r, {}) : waits(kind, r.use, r.with ?? {}))));
  return answers.some(Boolean);
}

/** The players' labels, and how errors name them (see Players.named). */
export function playerNames(policy: PluginRef, answerer: PluginRef): Pick<Players, 'policyLabel' | 'answererLabel' | 'named'> {
  return { policyLabel: policy.label, answererLabel: answerer.label, named: { policy: pluginName('policy', policy), answerer: pluginName('answerer', answerer) } };
}

/** Which of a game's players wait rather than compute. */
export async function waitingPlayers(policy: PluginRef, answerer: PluginRef): Promise<{ policy: boolean; answerer: boolean }> {
  const [p, a] = await Promise.all([waits('policy', policy.use, policy.with), waits('answerer', answerer.use, answerer.with)]);
  return { policy: p, answerer: a };
}

/** Games in flight for a game's waiting players: the fewest any of them asks for. */
export function concurrencyOf(stage: string, waiting: { policy: boolean; answerer: boolean }, players: Players): number {
  const asked: [string, WaitingInstance][] = [];
  if (waiting.policy) asked.push([`policy ${players.policyLabel}`, players.policy]);
  if (waiting.answerer) asked.push([`answerer ${players.answererLabel ?? ''}`, players.answerer]);
  let most = Infinity;
  for (const [who, instance] of asked) {
    const wanted = instance.concurrency ?? DEFAULT_CONCURRENCY;
    if (!Number.isSafeInteger(wanted) || wanted < 1) throw new StageError(`${stage}: ${who} asks for concurrency ${String(wanted)}; it must be a whole number of games of at least 1`);
    most = Math.min(most, wanted);
  }
  return most;
}
