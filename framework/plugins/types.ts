import type { Candidate, Domain } from '../game/domain.js';
import type { Answer, Awaitable, GameView, Move, QuestionMove, Rules, Trajectory, Turn } from '../game/types.js';
import type { TrainingSet } from '../data/dataset.js';
import type { Rng } from '../util/rng.js';

export const KINDS = ['domain', 'answerer', 'policy', 'reward', 'strategy'] as const;
export type Kind = (typeof KINDS)[number];

/** A JSON Schema for a plugin's options (an object schema; ajv fills in defaults). */
export type OptionsSchema = Record<string, unknown>;

/** How an experiment names a plugin once resolved: which one, with which options, under which label. */
export interface PluginRef {
  /** A built-in name, or an absolute path to a user plugin module. */
  use: string;
  with: Record<string, unknown>;
  /** Shown in tables and file names; unique within a stage. */
  label: string;
}

/** Answers yes / no / unknown to one question about the secret target. */
export interface Answerer {
  answer(question: QuestionMove, target: Candidate, history: readonly Turn[], rng: Rng): Awaitable<Answer>;
}

/** Chooses the next move of many games at once (batched, so that model backends can batch too). */
export interface Policy {
  act(games: readonly GameView[]): Awaitable<Move[]>;
}

/** Scores a finished game; the number a reinforcement-learning strategy maximises. */
export interface Reward {
  score(trajectory: Trajectory): number;
}

/** Turns games into training data: which games, how often, which preferences. */
export interface Strategy {
  build(games: readonly Trajectory[]): TrainingSet;
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
  /** Creates another plugin from a reference (how wrappers such as `noisy` build what they wrap). */
  create<K extends Kind>(kind: K, ref: PluginRef | string): Promise<Instances[K]>;
}

/** The context of a domain plugin, created before any domain exists. */
export type DomainContext = Pick<PluginContext, 'baseDir'>;

/**
 * A plugin: one module exporting a plain object. Its options are validated against `options` (a JSON
 * Schema) before `create` is called, with defaults filled in.
 */
export interface PluginDef<K extends Kind = Kind, O = any> {
  kind: K;
  name: string;
  description: string;
  options: OptionsSchema;
  create(options: O, context: K extends 'domain' ? DomainContext : PluginContext): Awaitable<Instances[K]>;
}

/** Helper that keeps a plugin object's types checked where it is written. */
export function definePlugin<K extends Kind, O = Record<string, never>>(def: PluginDef<K, O>): PluginDef<K, O> {
  return def;
}
