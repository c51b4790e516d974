import { AsyncLocalStorage } from 'node:async_hooks';
import type { Usage } from '../game/types.js';
import { Endpoints, type CallOptions, type ChatReply, type ChatRequest, type ChatResult } from './client.js';
import type { LaunchedServer } from './launch.js';
import { Launches, type LaunchOption } from './launches.js';
import type { EndpointOptions } from './options.js';
import { defaultCachePath, ResponseCache } from './cache.js';
import { UsageLedger } from './usage.js';

/** What a plugin talks to: one call, answered or thrown (the run turns a throw into a failed game). */
export interface ModelEndpoint {
  /** `call.stage` and `call.label` are filled in: the stage running and the plugin's label. */
  chat(request: ChatRequest, call: CallOptions): Promise<ChatReply>;
}

/**
 * The run's model layer as a plugin sees it (`context.models`): endpoints with their one client, rate
 * limiter, retry budget and response cache, calls accounted to the stage that makes them, and the
 * servers the run launches.
 */
export interface Models {
  /**
   * The endpoint a plugin's options name: its launched server when `launch` is set (started now, or
   * shared), else base_url; `label` names its log and its calls in the accounting. A call that fails
   * after its retries throws its error; while a launched server is dead, calls fail at once with its
   * log's last lines. A server the run stopped between stages (no later stage used it, or a training
   * stage needed its device) is started again by the next call, and `onStart` runs again with its new
   * base URL before that call goes (e.g. to load an adapter on it). `weights`, with `launch`: what
   * the server serves, as the response cache should know it beside its command (a stamp of the weights'
   * files: other weights at the same path are asked afresh).
   */
  endpoint(options: EndpointOptions & { launch?: LaunchOption; weights?: string }, label: string, onStart?: (base_url: string) => Promise<void>): Promise<ModelEndpoint>;
  /** Stops the server a launch option started and forgets it (a backend whose weights changed serves the new ones from a new server). */
  stop(launch: LaunchOption): Promise<void>;
}

export interface ModelLayerOptions {
  /** The response cache's file; null: no cache (--no-cache). */
  cache: string | null;
  /** The run's usage.jsonl: its calls so far are read back, and every call is written there. */
  usage?: string;
  /** The run directory: launched servers log in its servers/ folder and are recorded in processes/. */
  runDir?: string;
  /** The run's log: starts and stops of its servers. */
  say?: (line: string) => void;
}

/**
 * The endpoint layer of one run (or of one command outside a run): every plugin that waits on a
 * model talks through it, so that an endpoint has one client, one rate limiter and one retry budget,
 * and all share one response cache and one ledger. Nothing of it is process-wide: two runs in one
 * process each have their own, and their calls, files and servers stay apart.
 */
export class ModelLayer {
  readonly launches: Launches;
  #endpoints: Endpoints | undefined;
  #cache: ResponseCache | null | undefined;
  #ledger: UsageLedger | undefined;

  constructor(private readonly options: ModelLayerOptions) {
    this.launches = new Launches({ ...(options.runDir === undefined ? {} : { runDir: options.runDir }), ...(options.say ? { say: options.say } : {}) });
  }

  /** The stage whose games are being played: calls are accounted to it (a run's stages run one at a time). */
  get stage(): string {
    return this.launches.stage;
  }

  set stage(name: string) {
    this.launches.stage = name;
  }

  /** The ledger of model calls: the run's usage.jsonl read back first, so that a resumed run counts what its earlier processes paid. */
  get ledger(): UsageLedger {
    if (!this.#ledger) {
      this.#ledger = new UsageLedger();
      if (this.options.usage !== undefined) this.#ledger.attach(this.options.usage);
    }
    return this.#ledger;
  }

  /** The clients, made on first use (a run that calls no model opens no cache). */
  get endpoints(): Endpoints {
    if (!this.#endpoints) {
      this.#cache = this.options.cache === null ? null : new ResponseCache(this.options.cache);
      this.#endpoints = new Endpoints({ cache: this.#cache, ledger: this.ledger });
    }
    return this.#endpoints;
  }

  /** What a stage's plugins spent on model calls, by label, with a line for the summary; undefined when none called. */
  usage(stage: string): { figures: ReturnType<UsageLedger['figures']>; line: string } | undefined {
    // no usage file and no endpoint made: no call to read
    if (this.options.usage === undefined && !this.#endpoints) return undefined;
    const figures = this.ledger.figures(stage);
    if (Object.keys(figures).length === 0) return undefined;
    return { figures, line: this.ledger.line(stage) };
  }

  /** The layer as the plugin instance `holder` sees it: the servers it asks for are kept up while a later stage plays it. */
  models(holder?: string): Models {
    return {
      endpoint: (options, label, onStart) => this.endpoint(options, label, holder, onStart),
      stop: (launch) => this.launches.stop(launch),
    };
  }

  private async endpoint(options: EndpointOptions & { launch?: LaunchOption; weights?: string }, label: string, holder: string | undefined, onStart?: (base_url: string) => Promise<void>): Promise<ModelEndpoint> {
    const accounted = (how: CallOptions): CallOptions => ({ ...how, stage: this.stage, label: how.label ?? label });
    const launch = options.launch;
    if (launch === undefined) {
      // made now: a missing key variable fails the plugin's creation, not every game
      const endpoint = this.endpoints.get(options);
      return { chat: async (request, how) => answered(await endpoint.chat(request, accounted(how))) };
    }
    const start = async () => {
      const server = await this.launches.acquire(launch, label, holder);
      await onStart?.(server.base_url);
      // the port changes from start to start; what the cache knows the endpoint by does not
      const cache_id = `launch: ${server.command}${options.weights === undefined ? '' : ` weights: ${options.weights}`}`;
      return { server, endpoint: this.endpoints.get({ ...options, base_url: server.base_url, cache_id }) };
    };
    let current = await start();
    let restarting: Promise<typeof current> | undefined;
    const up = async (): Promise<typeof current> => {
      if (current.server.failure) throw current.server.failure;
      if (this.launches.serving(launch) === current.server) return current;
      // stopped by the run between stages: started again, once for every call waiting for it
      restarting ??= start().finally(() => (restarting = undefined));
      return (current = await restarting);
    };
    return {
      async chat(request, how) {
        const { server, endpoint } = await up();
        return answered(await Promise.race([endpoint.chat(request, accounted(how)), server.died]), server);
      },
    };
  }

  /** Stops the servers, closes the cache and the usage file; the layer is done. */
  async close(): Promise<void> {
    try {
      await this.launches.close();
    } finally {
      this.#cache?.close();
      this.#cache = undefined;
      this.#endpoints = undefined;
      this.#ledger?.detach();
    }
  }
}

function answered(reply: ChatResult, server?: LaunchedServer): ChatReply {
  if (!reply.ok) {
    if (server?.failure) throw server.failure;
    throw new Error(reply.error);
  }
  return reply;
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
 * The layer of the work in progress, for code that is handed none (the report's embeddings): a run
 * or a command sets it for what it calls with `withModels`, so that two runs in one process each
 * see their own.
 */
const current = new AsyncLocalStorage<ModelLayer>();

/** Runs `work` with `layer` as the layer that code handed none uses (see embedTexts). */
export function withModels<T>(layer: ModelLayer, work: () => Promise<T>): Promise<T> {
  return current.run(layer, work);
}

/**
 * Embeds texts through the endpoint layer of the work in progress (see withModels; outside any, a
 * layer of its own on the default cache, closed after), in batches; failures are returned, never thrown.
 */
export async function embedTexts(
  settings: { base_url: string; model: string; api_key_env: string | null; timeout?: number; max_retries?: number; batch?: number },
  texts: readonly string[],
): Promise<{ ok: true; vectors: number[][] } | { ok: false; error: string }> {
  const given = current.getStore();
  const layer = given ?? new ModelLayer({ cache: defaultCachePath() });
  try {
    let endpoint;
    try {
      endpoint = layer.endpoints.get({ base_url: settings.base_url, api_key_env: settings.api_key_env, concurrency: 4 });
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
  } finally {
    if (!given) await layer.close();
  }
}
