/**
 * Trainer processes against the environment served for GRPO (framework/run/environment.ts), as a
 * multi-process rollout sends them: each process keeps its games in flight over keep-alive HTTP
 * (bench/env-client.ts). Used by `npm run bench:env`, which prints the figures, and by
 * test/run/environment-load.test.ts, which checks that every game asked for was played once.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_RULES, type Trajectory } from '../framework/game/types.js';
import { PluginFactory } from '../framework/plugins/factory.js';
import { serveEnvironment } from '../framework/run/environment.js';
import { packagePath } from '../framework/util/paths.js';

export interface LoadOptions {
  trainers: number;
  /** Games each trainer keeps in flight. */
  concurrency: number;
  /** Games each trainer plays. */
  games: number;
  /** Questions of a game before its guess. */
  perGame: number;
  /** One request a turn for all of a trainer's live games (the batch form of the protocol), or one a game. */
  batch: boolean;
}

export interface TrainerResult {
  seconds: number;
  /** Environment steps: a game started or a move answered. */
  steps: number;
  played: { key: string; id: string; reward: number; outcome: string; questions: number }[];
  latencies: number[];
}

export interface LoadFigures {
  seconds: number;
  /** Environment steps: a game started (/reset) or a move answered (/step), one item of a batch each. */
  steps: number;
  /** HTTP requests (a batch is one). */
  requests: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  rssBeforeMb: number;
  rssPeakMb: number;
  /** The games the environment finished, in the order it finished them. */
  recorded: Trajectory[];
  trainers: TrainerResult[];
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

function trainer(options: object): Promise<TrainerResult> {
  const child = spawn(process.execPath, [packagePath('dist/bench/env-client.js'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as TrainerResult) : reject(new Error(`trainer exited with ${code}`)))));
}

export async function loadEnvironment(options: LoadOptions): Promise<LoadFigures> {
  const factory = await PluginFactory.forDomain('animals90', DEFAULT_RULES, packagePath());
  const { domain } = factory;
  const recorded: Trajectory[] = [];
  const served = await serveEnvironment({
    players: { domain, rules: DEFAULT_RULES, answerer: await factory.create('answerer', 'kb'), policyLabel: 'trainer', answererLabel: 'kb' },
    reward: await factory.create('reward', 'efficiency'),
    render: { show_candidates: false },
    seed: 1,
    onGame: (game) => recorded.push(game),
  });
  const rssBeforeMb = rssMb();
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb())), 50);
  const shared = {
    url: served.url,
    concurrency: options.concurrency,
    games: options.games,
    keys: domain.candidates.map((c) => c.id),
    names: Object.fromEntries(domain.candidates.map((c) => [c.id, c.name])),
    questions: domain.attributes.map((a) => a.question),
    perGame: options.perGame,
    trainers: options.trainers,
    batch: options.batch,
  };
  const start = performance.now();
  try {
    const trainers = await Promise.all(Array.from({ length: options.trainers }, (_, trainerIndex) => trainer({ ...shared, trainer: trainerIndex })));
    const seconds = (performance.now() - start) / 1000;
    const latencies = trainers.flatMap((t) => t.latencies).sort((a, b) => a - b);
    return { seconds, steps: trainers.reduce((n, t) => n + t.steps, 0), requests: latencies.length, latencyP50Ms: percentile(latencies, 0.5), latencyP99Ms: percentile(latencies, 0.99), rssBeforeMb, rssPeakMb, recorded, trainers };
  } finally {
    clearInterval(sampler);
    await served.close();
  }
}
