import type { Static } from '@sinclair/typebox';
import type { PluginRef } from '../plugins/types.js';
import audit from './audit.js';
import dataset from './dataset.js';
import type { ResolvedStage, StageDef, StageFiles } from './define.js';
import evaluate from './evaluate.js';
import generate from './generate.js';
import train from './train.js';

/** Every kind of stage, in the order the experiment schema lists them. */
export const STAGES = [generate, audit, dataset, evaluate, train] as const;

type Defs = (typeof STAGES)[number];

/** A stage once resolved, of any kind. */
export type Stage = Defs extends infer D ? (D extends StageDef<string, infer _S, infer R> ? R : never) : never;

/** A stage's settings as the experiment file writes them, by kind. */
export type StageSettings<K extends Stage['kind']> = Static<Extract<Defs, { kind: K }>['settings']>;

/**
 * The definition of a kind of stage, or undefined for a kind this version does not know (a run
 * directory written by another version). Definitions are looked up, never switched over.
 */
export function stageDef(kind: string): StageDef<string, StageDef['settings'], ResolvedStage> | undefined {
  // each definition takes the resolved stage of its own kind; the registry hands it only those
  return STAGES.find((d) => d.kind === kind) as StageDef | undefined;
}

/** The definition of a resolved stage's kind (one this version made, so one it knows). */
export function stageDefOf(stage: ResolvedStage): StageDef {
  const def = stageDef(stage.kind);
  if (!def) throw new Error(`stage ${stage.name}: unknown kind of stage "${stage.kind}"`);
  return def;
}

/** The files a stage writes in the run directory; none for a kind this version does not know. */
export function stageFiles(stage: { kind: string; name: string }): StageFiles {
  return stageDef(stage.kind)?.files(stage.name) ?? {};
}

/** The answerers a playing stage's games were played against. */
export function stageAnswerers(stage: ResolvedStage): PluginRef[] {
  return stageDefOf(stage).answerers?.(stage) ?? [];
}
