import { launchKey } from '../llm/launches.js';
import { resolveRef } from '../plugins/factory.js';
import type { RawRef } from '../plugins/ref.js';
import type { PluginRef } from '../plugins/types.js';
import type { PluginUse } from '../stages/define.js';
import { stageDefOf } from '../stages/index.js';
import type { StageContext } from './context.js';

/**
 * Which launched servers the stages still to run will use, so that the others give their device and
 * memory back between stages: the plugin instances those stages play (and what they created), and the
 * servers their plugins declare from their options before any instance exists (PluginDef.launches:
 * a later stage's vllm policy on the same base model keeps the server the stage before started).
 */
export async function stillUsed(ctx: StageContext, from: number): Promise<{ holders: Set<string>; launches: Set<string> }> {
  const { experiment } = ctx;
  let current: PluginRef | undefined = ctx.current.policy;
  const uses: PluginUse[] = [];
  for (const stage of experiment.stages.slice(from)) {
    if (ctx.run.stage(stage.name).status === 'done') continue;
    const def = stageDefOf(stage);
    uses.push(...(def.uses?.(stage, { current, answerer: experiment.answerer, reward: experiment.reward }) ?? []));
    // the policy it trains is not made yet: no server of it to keep
    if (def.trains) current = undefined;
  }
  const launches = new Set<string>();
  await Promise.all(uses.map(([kind, ref]) => declared(kind, ref, experiment.baseDir, launches)));
  return { holders: ctx.plugins.holders(uses), launches };
}

/** The launches a plugin reference declares, and those of the plugins it wraps, added to `into`. */
async function declared(kind: PluginUse[0], raw: RawRef, baseDir: string, into: Set<string>): Promise<void> {
  // a reference that does not resolve declares nothing: where it is created, it is reported
  const resolved = await resolveRef(kind, raw, baseDir).catch(() => undefined);
  if (!resolved) return;
  const { ref, def } = resolved;
  for (const launch of def.launches?.(ref.with) ?? []) into.add(launchKey(launch));
  const inner = def.wraps === undefined ? undefined : ref.with[def.wraps];
  if (inner === undefined) return;
  await Promise.all((Array.isArray(inner) ? inner : [inner]).map((r: RawRef) => declared(kind, r, baseDir, into)));
}
