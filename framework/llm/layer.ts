import { Endpoints } from './client.js';
import { defaultCachePath, ResponseCache } from './cache.js';
import { UsageLedger } from './usage.js';

/**
 * The one endpoint layer of a process: every plugin that waits on a model talks through it, so that an
 * endpoint has one client, one rate limiter and one retry budget, and all share one response cache and
 * one ledger. The run configures it (--cache PATH, --no-cache) before any plugin asks for it.
 */
interface Layer {
  endpoints: Endpoints;
  ledger: UsageLedger;
  cache: ResponseCache | null;
}

let cachePath: string | null = defaultCachePath();
let layer: Layer | undefined;
let stage = '';

/** Where responses are cached (null: not at all); takes effect for the endpoints made after it. */
export function configureModels(options: { cache: string | null }): void {
  closeModels();
  cachePath = options.cache;
}

export function models(): Layer {
  if (!layer) {
    const cache = cachePath === null ? null : new ResponseCache(cachePath);
    const ledger = new UsageLedger();
    layer = { endpoints: new Endpoints({ cache, ledger }), ledger, cache };
  }
  return layer;
}

/** Closes the cache; the next `models()` opens a fresh layer. */
export function closeModels(): void {
  layer?.cache?.close();
  layer = undefined;
}

/** The stage whose games are being played: calls are accounted to it (stages run one at a time). */
export function setModelStage(name: string): void {
  stage = name;
}

export function modelStage(): string {
  return stage;
}

/** What the stage's plugins spent on model calls, by label, with a line for the summary; undefined when none called. */
export function modelUsage(name: string): { figures: ReturnType<UsageLedger['figures']>; line: string } | undefined {
  const figures = layer?.ledger.figures(name);
  if (!figures || Object.keys(figures).length === 0) return undefined;
  return { figures, line: layer!.ledger.line(name) };
}
