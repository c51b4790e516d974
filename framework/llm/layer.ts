import type { Usage } from '../game/types.js';
import { Endpoints, type CallOptions, type ChatReply, type ChatRequest } from './client.js';
import { endpointFor, type LaunchOption } from './launches.js';
import type { EndpointOptions } from './options.js';
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
let usage: { file: string | undefined; ledger: UsageLedger | undefined } = { file: undefined, ledger: undefined };

/**
 * The ledger of model calls: the run's usage.jsonl read back and written to once `recordModelUsage`
 * named it, so that the figures of a resumed run count what its earlier processes paid.
 */
function ledger(): UsageLedger {
  if (!usage.ledger) {
    usage.ledger = new UsageLedger();
    if (usage.file !== undefined) usage.ledger.attach(usage.file);
  }
  return usage.ledger;
}

/** Where the run keeps its model calls (its usage.jsonl), or undefined for none (the run ended). */
export function recordModelUsage(file: string | undefined): void {
  usage.ledger?.detach();
  usage = { file, ledger: undefined };
  // a layer made before holds the ledger of before: the next one is made with this one
  closeModels();
}

/** Where responses are cached (null: not at all); takes effect for the endpoints made after it. */
export function configureModels(options: { cache: string | null }): void {
  closeModels();
  cachePath = options.cache;
}

export function models(): Layer {
  if (!layer) {
    const cache = cachePath === null ? null : new ResponseCache(cachePath);
    layer = { endpoints: new Endpoints({ cache, ledger: ledger() }), ledger: ledger(), cache };
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
  // a run with no usage file and no layer made no call: nothing to read
  if (usage.file === undefined && !layer) return undefined;
  const figures = ledger().figures(name);
  if (Object.keys(figures).length === 0) return undefined;
  return { figures, line: ledger().line(name) };
}

/** What a plugin talks to: one call, answered or thrown (the run turns a throw into a failed game). */
export interface ModelEndpoint {
  chat(request: ChatRequest, call: CallOptions): Promise<ChatReply>;
}

/**
 * The endpoint a plugin's options name: its launched server (started now, or shared) when `launch` is
 * set, else base_url. A call that fails after its retries throws its error; while a launched server is
 * dead, calls fail at once with its log's last lines instead of retrying a refused connection.
 */
export async function modelEndpoint(options: EndpointOptions & { launch?: LaunchOption }, runDir: string | undefined, label: string): Promise<ModelEndpoint> {
  const where = await endpointFor(options, runDir, label);
  const endpoint = models().endpoints.get({ ...options, base_url: where.base_url, cache_id: where.cache_id });
  const server = where.server;
  return {
    async chat(request, call) {
      if (server?.failure) throw server.failure;
      const reply = await (server ? Promise.race([endpoint.chat(request, call), server.died]) : endpoint.chat(request, call));
      if (!reply.ok) throw server?.failure ?? new Error(reply.error);
      return reply;
    },
  };
}

/** Reasoning a model writes before its answer: kept in `raw`, never parsed. */
const THINKING = /<think>[\s\S]*?(<\/think>|$)/g;

/** The text of a reply to parse as a move or an answer: its reasoning removed. */
export function replyText(reply: ChatReply): string {
  return reply.text.replace(THINKING, '').trim();
}

/** A reply's usage as a move or an answer keeps it. */
export function usageOf(reply: ChatReply): Usage {
  return { prompt_tokens: reply.usage.prompt_tokens, completion_tokens: reply.usage.completion_tokens, latency_ms: reply.latency_ms, cached: reply.cached };
}

/**
 * Embeds texts through the endpoint layer (the api policy's client: retries, budget, response cache),
 * in batches; failures are returned, never thrown.
 */
export async function embedTexts(
  settings: { base_url: string; model: string; api_key_env: string | null; timeout?: number; max_retries?: number; batch?: number },
  texts: readonly string[],
): Promise<{ ok: true; vectors: number[][] } | { ok: false; error: string }> {
  let endpoint;
  try {
    endpoint = models().endpoints.get({ base_url: settings.base_url, api_key_env: settings.api_key_env, concurrency: 4 });
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
  const vectors: number[][] = [];
  const batch = settings.batch ?? 64;
  for (let i = 0; i < texts.length; i += batch) {
    const r = await endpoint.embed(settings.model, texts.slice(i, i + batch), { timeout: settings.timeout ?? 60, max_retries: settings.max_retries ?? 3 });
    if (!r.ok) return { ok: false, error: r.error };
    vectors.push(...r.vectors);
  }
  return { ok: true, vectors };
}
