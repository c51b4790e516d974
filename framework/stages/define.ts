import type { Static, TObject } from '@sinclair/typebox';
import type { Domain } from '../game/domain.js';
import type { RawRef } from '../plugins/ref.js';
import type { Kind, PluginRef } from '../plugins/types.js';
import type { StageContext, StageOutcome } from '../run/context.js';

/** Where in a stage's settings: keys and list indices below `stages[i].<kind>`. */
export type SettingsPath = (string | number)[];

/**
 * The files a stage writes in the run directory, by what they hold; each stage kind writes some of
 * them, named after the stage.
 */
export interface StageFiles {
  /** Its games, one JSON line each (what later stages and the report read). */
  games?: string;
  /** A training stage's curve, one JSON line per step. */
  curve?: string;
  checkpoint?: string;
  /** A training backend's own folder. */
  model?: string;
  /** An audit's findings (JSON) and its per-animal table. */
  report?: string;
  table?: string;
  /** Training rows in TRL's format. */
  rows?: string;
  /** The exact regret of every move of an evaluate stage's games, one JSON line a game. */
  regret?: string;
}

/** Every stage once resolved: its kind and its name (which names its files). */
export interface ResolvedStage {
  kind: string;
  name: string;
}

/** What a stage may rely on while it resolves: the experiment's plugins and domain, and the stages before it. */
export interface StageScope {
  answerer: PluginRef;
  policy: PluginRef;
  /** Absent when the domain could not be loaded (that is reported already). */
  domain: Domain | undefined;
  earlier: readonly ResolvedStage[];
  /** What an earlier stage's games are (see StageDef.plays). */
  playsOf(stage: ResolvedStage): StageDef['plays'];
}

/**
 * How a stage resolves its settings: paths are relative to the stage's settings, and every problem is
 * collected at its place in the experiment file (one run of the loader lists them all).
 */
export interface StageResolver {
  index: number;
  /** The stage's name: its `name`, else <index>-<kind>. */
  name: string;
  scope: StageScope;
  /** Loads the plugin a field names and checks its options; undefined when it could not (reported). */
  plugin(kind: Kind, raw: RawRef, at: SettingsPath): Promise<PluginRef | undefined>;
  problem(at: SettingsPath, message: string): void;
  /** A problem with a key of a map (an unknown animal in weights), placed at the key. */
  keyProblem(at: SettingsPath, key: string, message: string): void;
}

/**
 * A kind of stage, one module each, assembled in the stage registry: the settings an experiment file
 * gives it (a TypeBox schema: its type and its JSON Schema), how they resolve against the stages
 * before it, how it runs, and the files it writes.
 */
export interface StageDef<K extends string = string, S extends TObject = TObject, R extends ResolvedStage = ResolvedStage> {
  kind: K;
  /** The settings written under `- <kind>:`; ajv has filled in their defaults before `resolve` sees them. */
  settings: S;
  /**
   * What its games are to the stages after it: `data` to learn from (the default source of audit,
   * dataset and train stages, the reference of the report's style score); `evaluation` measured. A
   * stage that plays no games has none.
   */
  plays?: 'data' | 'evaluation';
  files(name: string): StageFiles;
  resolve(settings: Static<S>, at: StageResolver): Promise<R | undefined>;
  run(stage: R, ctx: StageContext): Promise<StageOutcome>;
  /** The resolved stage as the experiment file writes it, every default spelled out (a run's config.yaml). */
  write(stage: R): Record<string, unknown>;
  /** The answerers its games were played against (a playing stage). */
  answerers?(stage: R): PluginRef[];
  /**
   * The plugins its run calls, by kind: the servers their instances launched stay up for it (see
   * Launches.retain). `scope.current` is the policy it plays by default, undefined when a stage
   * before it (still to run) trains a new one.
   */
  uses?(stage: R, scope: UseScope): PluginUse[];
  /** It trains a policy that becomes the current one of the stages after it. */
  trains?: boolean;
}

/** What a stage's `uses` may rely on: the policy it would play by default, and the experiment's plugins. */
export interface UseScope {
  current: PluginRef | undefined;
  answerer: PluginRef;
  reward: PluginRef;
}

/** A plugin a stage calls: its kind and reference. */
export type PluginUse = readonly [Kind, PluginRef];

/** Keeps a stage definition's types checked where it is written: its settings typed by its own schema. */
export function defineStage<K extends string, S extends TObject, R extends ResolvedStage & { kind: K }>(def: StageDef<K, S, R>): StageDef<K, S, R> {
  return def;
}
