import type { Meaning } from '../game/meaning.js';
import type { Static, TSchema } from '@sinclair/typebox';
import type { RenderOptions } from '../game/chat.js';
import type { Candidate, Domain } from '../game/domain.js';
import type { Answer, AnswerReply, Awaitable, GameView, Move, QuestionMove, Rules, Trajectory, Turn, UnknownAnswers } from '../game/types.js';
import type { PreferencePair, SftRow, TrainingSet } from '../data/dataset.js';
import type { GameSource } from '../data/games.js';
import type { GameSpec } from '../game/engine.js';
import type { Rng } from '../util/rng.js';
import type { LaunchOption } from '../llm/launches.js';
import type { Models } from '../llm/layer.js';
import type { RawRef } from './ref.js';

export const KINDS = ['domain', 'answerer', 'policy', 'reward', 'strategy'] as const;
export type Kind = (typeof KINDS)[number];

/**
 * A JSON Schema for a plugin's options (an object schema; ajv fills in defaults): a TypeBox schema,
 * whose type is then the options' type, or a plain JSON Schema object. A string option marked
 * `'x-file': true` names a file that must exist: validation checks it and makes it absolute
 * (relative to the experiment file, or to the current directory when it was given with --set).
 */
export type OptionsSchema = object;

/** The options a plugin's `create` gets: the type given, else the type of its TypeBox schema (after defaults). */
export type OptionsOf<O, S> = [O] extends [never] ? (S extends TSchema ? Static<S> : Record<string, never>) : O;

/** How an experiment names a plugin once resolved: which one, with which options, under which label. */
export interface PluginRef {
  /** A built-in name, or an absolute path to a user plugin module. */
  use: string;
  with: Record<string, unknown>;
  /** Shown in tables and file names; unique within a stage. */
  label: string;
}

/**
 * How a plugin runs. `computing`: in the worker threads, a batch of games per task, each worker with
 * its own instance. `waiting`: it spends its time waiting on something outside (a model behind an
 * endpoint), so it runs once in the main process with many games in flight, each game on its own.
 */
export type Runs = 'computing' | 'waiting';

/** Games a waiting plugin has in flight when its instance does not say (`concurrency`). */
export const DEFAULT_CONCURRENCY = 64;

/** What an instance of a waiting plugin may say about how it wants to be driven. */
export interface WaitingInstance {
  /** How many games it wants in flight at once (DEFAULT_CONCURRENCY when absent); ignored when computing. */
  concurrency?: number;
}

/**
 * Answers yes / no / unknown to one question about the secret target. A waiting answerer may return
 * an AnswerReply (what its model said, and the usage) and should give up when `signal` fires (Ctrl-C).
 */
export interface Answerer extends WaitingInstance {
  answer(question: QuestionMove, target: Candidate, history: readonly Turn[], rng: Rng, signal?: AbortSignal): Awaitable<Answer | AnswerReply>;
  /**
   * Whether a question is one the answerer can answer at all (for a knowledge base: it maps to an
   * attribute or names a candidate). Games ignore it; `twentyq play` uses it to tell a person that a
   * question was not understood instead of charging it. Absent: every question is understood.
   */
  understands?(question: QuestionMove): boolean;
  /** What its "unknown" tells about the truth table (policies may read it in GameView); absent: `vague`. */
  unknowns?: UnknownAnswers;
  /**
   * How it reads a question when it answers from the truth table alone, the same answer every time
   * (`kb`): the attribute a question stands for or the candidate it names. Present only on such an
   * answerer, with `unknowns` say or coin: evaluate stages then compute the exact regret of each move
   * of its games. Absent for one that errs or varies (noisy, a language model).
   */
  reads?(question: QuestionMove): Meaning;
}

/**
 * Chooses the next move of many games at once (batched, so that model backends can batch too). A
 * waiting policy is handed one game per call, each game advancing on its own, and should give up
 * when `signal` fires (Ctrl-C); its moves may carry `raw` and `usage`.
 */
export interface Policy extends WaitingInstance {
  act(games: readonly GameView[], signal?: AbortSignal): Awaitable<Move[]>;
  /**
   * Work to do once before a stage plays, in the main process where Ctrl-C reaches it (`signal`), told
   * what the stage's answerer means by "unknown": the `optimal` policy searches its tree here, and the
   * workers read it from the cache. Returns lines for the run's notes (a tree not proved optimal).
   */
  prepare?(setting: { unknowns: UnknownAnswers | undefined }, signal: AbortSignal): Promise<string[]>;
}

/** Scores a finished game; the number a reinforcement-learning strategy maximises. */
export interface Reward {
  score(trajectory: Trajectory): number;
}

/**
 * One piece of training a trainable backend does; a strategy drives it with a sequence of them. `kind`
 * names what the job holds: the built-in strategies make SftJob, DpoJob, GrpoJob and OnlineGrpoJob; a
 * strategy of one's own (KTO, ORPO, RLOO) makes jobs of a kind of its own, for a backend that lists that
 * kind in its `jobs`. A backend reads a job it knows with `isJob`, and refuses the others.
 */
export interface TrainJob {
  kind: string;
  // `any`, not `unknown`: a job's own options are interfaces (SftTraining), which only an index signature of any admits
  options: Stoppable & { [option: string]: any };
  [field: string]: unknown;
}

/** Whether a job is of the kind its type says (`isJob<SftJob>(job, 'sft')`): how a backend reads the jobs it knows. */
export function isJob<J extends TrainJob>(job: TrainJob, kind: J['kind']): job is J {
  return job.kind === kind;
}

export interface SftJob extends TrainJob {
  kind: 'sft';
  rows: readonly SftRow[];
  options: SftTraining;
}

export interface DpoJob extends TrainJob {
  kind: 'dpo';
  pairs: readonly PreferencePair[];
  /** The backend's state before DPO (exportState): the frozen reference. */
  reference: unknown;
  options: DpoTraining;
}

/** GRPO on games played for it: the games, their group-relative advantages, and the reference state. */
export interface GrpoJob extends TrainJob {
  kind: 'grpo';
  games: readonly Trajectory[];
  advantages: Float64Array;
  reference: unknown;
  options: GrpoTraining;
}

/** Every training job can be stopped: by Ctrl-C, at the next batch boundary, keeping what was learnt. */
export interface Stoppable {
  /** Checked between batches; the loop also yields to the event loop there, so that the signal can arrive. */
  stop?: AbortSignal;
}

/**
 * Where a stage's training happens, for a backend that keeps files while it trains (the `trl` backend:
 * its data, its trainer's checkpoints, its model): the strategies pass the TrainEnv's own.
 */
export interface StageTraining extends Stoppable {
  /** The stage's folder in the run directory (`<stage>.model/`; not made yet). */
  workdir?: string;
  /** The stage was interrupted before and runs again (--resume): continue from its last checkpoint. */
  resume?: boolean;
  /** Called with the figures of each logged optimiser step (a backend that reports steps, not epochs). */
  onStep?(figures: Record<string, number>, step: number, steps: number): void;
}

/**
 * What every training job of a stage carries from its TrainEnv: the stage's seed, the stop signal, the
 * stage's folder, whether it resumes, and per-step figures sent to the curve and the progress bar.
 */
export function stageTraining(env: TrainEnv): StageTraining & { seed: number } {
  return {
    seed: env.seed,
    stop: env.stop,
    workdir: env.workdir,
    resume: env.resume,
    onStep: (figures, step, steps) => {
      env.log(figures);
      env.progress(step, steps, 'steps');
    },
  };
}

export interface SftTraining extends StageTraining {
  epochs: number;
  lr: number;
  batch_size: number;
  seed: number;
  /**
   * Weight of an auxiliary loss: at every step, the guesses alone should point at the game's target
   * (known in the data, never shown to the policy). It teaches which animal the answers point to from
   * every step, not only from the teacher's guesses; 0 turns it off.
   */
  target_weight: number;
  /** Called after each epoch with its figures (loss, accuracy, entropy). */
  onEpoch?(figures: Record<string, number>): void;
}

export interface DpoTraining extends StageTraining {
  epochs: number;
  lr: number;
  batch_size: number;
  beta: number;
  seed: number;
  onEpoch?(figures: Record<string, number>): void;
}

export interface GrpoTraining extends Stoppable {
  lr: number;
  epsilon: number;
  beta: number;
  temperature: number;
  epochs: number;
  batch_size: number;
  seed: number;
  /** Jobs of one session share the optimiser's state (one GRPO stage is one session). */
  session: string;
}

/** The game engine served over loopback for a trainer that plays its games itself (the environment protocol of the `trl` backend). */
export interface GameEnvironment {
  /** http://127.0.0.1:PORT: POST /reset and POST /step. */
  url: string;
  /** Games finished so far. */
  readonly games: number;
  close(): Promise<void>;
}

/** GRPO where the backend's own trainer plays the games, against the engine the stage serves. */
export interface OnlineGrpoJob extends TrainJob {
  kind: 'online-grpo';
  /** The targets to train on (the keys the trainer passes to /reset). */
  targets: readonly string[];
  /** Serves the engine for the stage, rendering games as the policy renders them; the stage records the games played. */
  serve(render: RenderOptions): Promise<GameEnvironment>;
  options: OnlineGrpoTraining;
}

export interface OnlineGrpoTraining extends StageTraining {
  /** Optimiser steps. */
  steps: number;
  /** Games per target in a group. */
  group_size: number;
  /** Targets per step (0: every target once). */
  targets_per_step: number;
  lr: number;
  epsilon: number;
  beta: number;
  temperature: number;
  batch_size: number;
  seed: number;
  /** What a reward less its group's mean is divided by: the group's standard deviation, the batch's, or nothing (TRL's scale_rewards). */
  scale_rewards: 'group' | 'batch' | 'none';
  /** Per-move credit: each move's tokens get the game's advantage less this times the move's exact regret above the step's mean (0: the game's advantage alone). */
  move_regret: number;
}

/**
 * A policy that can be trained (DESIGN: `train(job) -> checkpoint`). Its state travels to the worker
 * threads that play its games, serves as the frozen reference of DPO and GRPO, and is saved as a
 * checkpoint that its plugin loads again from the `checkpoint` option.
 */
export interface TrainablePolicy extends Policy {
  /** The kinds of TrainJob it trains (e.g. sft, dpo, grpo): a strategy hands it only those. */
  readonly jobs: readonly string[];
  /**
   * The device its training takes (cuda:0; cuda and auto count as cuda:0; see the `device` of launch
   * options): the run stops the servers it launched there before the policy trains. Absent or cpu: none.
   */
  readonly device?: string;
  train(job: TrainJob): Promise<Record<string, number>>;
  exportState(): unknown;
  importState(state: unknown): void;
  save(file: string, note: Record<string, unknown>): void;
}

export function isTrainable(policy: Policy): policy is TrainablePolicy {
  const p = policy as Partial<TrainablePolicy>;
  return Array.isArray(p.jobs) && typeof p.train === 'function' && typeof p.exportState === 'function' && typeof p.importState === 'function' && typeof p.save === 'function';
}

/** What a strategy gets to train a policy: the games to learn from, and games to play as it goes. */
export interface TrainEnv {
  domain: Domain;
  rules: Rules;
  /** Seed for this stage's randomness (shuffles, targets, game seeds). */
  seed: number;
  stage: string;
  /** The games of the stage named by `from` (offline strategies), streamed from its file at each call. */
  games(): AsyncIterable<Trajectory>;
  /** Plays games with the given policy state (online strategies): in the worker pool, or in the main process for a waiting policy; rewards are filled in. */
  play(specs: readonly GameSpec[], state: unknown, options: { temperature: number }): Promise<Trajectory[]>;
  /** Records one point of the training curve (to <stage>.curve.jsonl and the progress line). */
  log(figures: Record<string, number>): void;
  /** Progress over the strategy's steps (epochs or iterations). */
  progress(done: number, total: number, unit: string): void;
  /** Fired by Ctrl-C: stop between steps, keep what was learnt. */
  stop: AbortSignal;
  /** The stage's own folder in the run directory (`<stage>.model/`; a backend that keeps files makes it). */
  workdir: string;
  /** The stage was interrupted and runs again (--resume): a backend continues from its last checkpoint. */
  resume: boolean;
  /** Serves the game engine over loopback for a backend that plays the games itself; the games go to `<workdir>/games.jsonl`. */
  serve(render: RenderOptions): Promise<GameEnvironment>;
}

/** Turns games into training data (which games, how often, which preferences) and trains with it. */
export interface Strategy {
  /** Reads the games as many times as it needs; keeps what its data needs, never the file's text. */
  build(games: GameSource): Promise<TrainingSet>;
  train(policy: TrainablePolicy, env: TrainEnv): Promise<void>;
}

export interface Instances {
  domain: Domain;
  answerer: Answerer;
  policy: Policy;
  reward: Reward;
  strategy: Strategy;
}

/** What a plugin gets when it is created. */
export interface PluginContext {
  domain: Domain;
  rules: Rules;
  /** Folder of the experiment file: relative paths in options resolve against it. */
  baseDir: string;
  /** The run's directory while a run creates its plugins (a launched server logs there); absent outside a run. */
  runDir?: string;
  /** How the experiment names this plugin (tables, accounting of model calls); its name unless labelled. */
  label?: string;
  /** The run's model layer (outside a run, the command's): endpoints, their cache and accounting, launched servers. */
  models: Models;
  /** Creates another plugin from a reference (how wrappers such as `noisy` build what they wrap). */
  create<K extends Kind>(kind: K, ref: PluginRef | RawRef): Promise<Instances[K]>;
}

/** The context of a domain plugin, created before any domain exists. */
export type DomainContext = Pick<PluginContext, 'baseDir'>;

/** What a plugin's preflight check gets: the folder relative paths in options resolve against. */
export type PreflightContext = Pick<PluginContext, 'baseDir'>;

/**
 * A plugin: one module exporting a plain object. Its options are validated against `options` (a JSON
 * Schema) before `create` is called, with defaults filled in.
 */
export interface PluginDef<K extends Kind = Kind, O = any> {
  kind: K;
  name: string;
  description: string;
  options: OptionsSchema;
  /**
   * A policy whose instances are TrainablePolicy says so, so that validation can refuse a train
   * stage on any other policy before anything runs (the stage still checks the instance).
   */
  trainable?: boolean;
  /** computing (the default) or waiting: see Runs. */
  runs?: Runs;
  /**
   * A wrapper (`noisy`, `mixture`) names the option that holds what it wraps, a plugin reference or a
   * list of them: it runs as they do, waiting when any of them waits (a noisy `llm` child).
   */
  wraps?: string;
  /**
   * The servers its instances launch with these options, when the options tell (the `launch` option of
   * the api policy): a run keeps such a server up, rather than stopping it between stages, while a
   * stage still to run will play this plugin.
   */
  launches?(options: O): LaunchOption[];
  create(options: O, context: K extends 'domain' ? DomainContext : PluginContext): Awaitable<Instances[K]>;
  /**
   * What a run with these options needs from the machine, checked before the run makes its directory
   * (and by `twentyq validate --preflight`): keys in the environment, commands it launches, a GPU.
   * Returns one line per problem, saying what is missing and how to get it; none when all is there.
   * Cheap: no model is loaded and no request is sent. The options have their defaults filled in.
   */
  preflight?(options: O, context: PreflightContext): Awaitable<readonly string[]>;
}

/**
 * Keeps a plugin object's types checked where it is written. With a TypeBox schema as `options`,
 * `create` gets the schema's type; with a plain JSON Schema, give the options' type:
 * `definePlugin<'policy', { first: string }>({ ... })`.
 */
export function definePlugin<K extends Kind, O = never, S extends OptionsSchema = OptionsSchema>(def: Omit<PluginDef<K, OptionsOf<O, S>>, 'options'> & { options: S }): PluginDef<K, OptionsOf<O, S>> {
  return def;
}
