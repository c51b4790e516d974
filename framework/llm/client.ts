import OpenAI from 'openai';
import { cacheKey, type CachedResponse, type GamePosition, type ResponseCache } from './cache.js';
import { embeddingsCacheKey } from './embed.js';
import { RateLimiter, type Limits } from './limiter.js';
import type { EndpointOptions } from './options.js';
import { DEFAULT_BACKOFF, RetryBudget, withRetries, type Backoff } from './retry.js';
import { costOf, type Price, type TokenUsage, type UsageLedger } from './usage.js';

/**
 * The endpoint layer: one client per OpenAI-compatible endpoint per process, shared by every plugin
 * that names it, with its retry policy and budget, its rate limiter, the response cache and the
 * accounting in one place. The `api` policy and the `llm` answerer talk to models through it.
 *
 * Failures of the endpoint are returned as data (`ok: false`, with the attempts and the error naming
 * endpoint, model, status and the server's message), never thrown; an abort by the caller rejects
 * with the signal's reason, since it is the caller's own doing and no failure of the endpoint.
 */

export type ChatMessage = OpenAI.Chat.ChatCompletionMessageParam;
export type ChatTool = OpenAI.Chat.ChatCompletionFunctionTool;
export type ToolCall = OpenAI.Chat.ChatCompletionMessageFunctionToolCall;

/** One chat request: the body sent, and all of what its cache key covers. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  seed?: number;
  /** Merged into the body as is (vLLM's structured_outputs, chat_template_kwargs, ...). */
  extra_body?: Record<string, unknown>;
}

/** How one call is made and accounted. */
export interface CallOptions {
  signal?: AbortSignal;
  /** The game's seed and turn: they key the cache when the request samples. */
  position?: GamePosition;
  /** Seconds one request may take. */
  timeout: number;
  max_retries: number;
  /** Where the call is accounted; unaccounted when absent. */
  stage?: string;
  label?: string;
  price?: Price;
}

interface Outcome {
  /** Requests sent for this call (0: answered by the cache). */
  attempts: number;
  usage: TokenUsage;
  /** Dollars, when a price was given (0 for a cache hit). */
  cost?: number;
  /** Milliseconds of the request that answered; 0 for a cache hit. */
  latency_ms: number;
  cached: boolean;
}

export interface ChatReply extends Outcome {
  ok: true;
  text: string;
  tool_calls: ToolCall[];
  finish_reason: string;
  /** The model that answered, as the server names it. */
  model: string;
  /** Reasoning the server returned beside the text (vLLM's `reasoning_content`), when it did. */
  reasoning?: string;
}

export interface ChatFailure extends Outcome {
  ok: false;
  /** Names the endpoint, the model, the status and the server's message. */
  error: string;
  status?: number;
}

export type ChatResult = ChatReply | ChatFailure;

/** The vectors of an embeddings request, one per input in order; or why there are none. */
export type EmbeddingsResult = { ok: true; vectors: number[][]; model: string; attempts: number; cached: boolean } | { ok: false; error: string; status?: number; attempts: number; cached: false };

/** The parts of the plugin options that make a request. */
export function chatRequest(options: EndpointOptions, messages: ChatMessage[], tools?: ChatTool[]): ChatRequest {
  const { model, temperature, top_p, max_tokens, seed, extra_body } = options;
  return dropUndefined({ model, messages, tools, temperature, top_p, max_tokens, seed, extra_body });
}

/** The parts of the plugin options that say how a call is made. */
export function callOptions(options: EndpointOptions): CallOptions {
  return dropUndefined({ timeout: options.timeout, max_retries: options.max_retries, price: options.price });
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** What an endpoint is: where it is, which key it takes, what it allows. */
export type EndpointSettings = Pick<EndpointOptions, 'base_url' | 'api_key_env' | 'concurrency' | 'requests_per_minute' | 'tokens_per_minute'> & {
  /** What names the endpoint in cache keys when base_url does not stay the same from run to run (a launched server's port). */
  cache_id?: string;
};

export interface LayerSettings {
  /** null: no cache (--no-cache). */
  cache: ResponseCache | null;
  ledger?: UsageLedger;
  backoff?: Backoff;
  /** A fresh retry budget for each endpoint. */
  budget?: () => RetryBudget;
  /** Where API keys are read; process.env unless a test says otherwise. */
  env?: NodeJS.ProcessEnv;
}

/** Sent to an endpoint that takes no key: the openai client insists on one. */
const NO_KEY = 'no-key';

/**
 * The registry of endpoints of one process: `get` returns the one client of an endpoint (base URL, key
 * variable and cache id), creating it on first use. The run owns one and hands it to the plugins that wait on
 * the network.
 */
export class Endpoints {
  private readonly endpoints = new Map<string, Endpoint>();
  readonly #settings: LayerSettings;

  constructor(settings: LayerSettings) {
    this.#settings = settings;
  }

  /**
   * The endpoint's client. Limits belong to the endpoint, not to a plugin: when plugins that share it
   * give different ones, the tightest of each holds. Throws when the key variable is unset.
   */
  get(settings: EndpointSettings): Endpoint {
    const baseUrl = settings.base_url.replace(/\/+$/, '');
    // the cache id too: a launched server may get the port of an earlier one that served other weights
    const id = `${baseUrl} ${settings.api_key_env ?? ''} ${settings.cache_id ?? ''}`;
    let endpoint = this.endpoints.get(id);
    if (endpoint === undefined) {
      const env = this.#settings.env ?? process.env;
      const key = settings.api_key_env === null ? NO_KEY : env[settings.api_key_env];
      if (!key) {
        throw new Error(`endpoint ${baseUrl}: no API key: set the environment variable ${settings.api_key_env} (or name another one with api_key_env; api_key_env: null for a local server that takes no key)`);
      }
      endpoint = new Endpoint(baseUrl, key, limitsOf(settings), this.#settings, settings.cache_id);
      this.endpoints.set(id, endpoint);
    } else {
      endpoint.limiter.tighten(limitsOf(settings));
    }
    return endpoint;
  }
}

function limitsOf(s: EndpointSettings): Limits {
  return dropUndefined({ concurrency: s.concurrency, requests_per_minute: s.requests_per_minute, tokens_per_minute: s.tokens_per_minute });
}

/** Tokens a request may use, before it is sent: a character count over four, plus the reply it allows. */
function estimateTokens(request: ChatRequest): number {
  return Math.ceil((JSON.stringify(request.messages).length + (request.tools ? JSON.stringify(request.tools).length : 0)) / 4) + (request.max_tokens ?? 0);
}

export class Endpoint {
  readonly limiter: RateLimiter;
  // #private: neither JSON.stringify nor console.log of an endpoint shows the key (the client holds it, a test's env too)
  readonly #client: OpenAI;
  readonly #key: string;
  readonly #layer: LayerSettings;
  private readonly budget: RetryBudget;
  /** Identical requests in flight: the later ones wait for the first instead of paying again. */
  private readonly inFlight = new Map<string, Promise<ChatResult>>();

  constructor(
    readonly baseUrl: string,
    key: string,
    limits: Limits,
    layer: LayerSettings,
    /** Names the endpoint in cache keys; the base URL unless given. */
    private readonly cacheId: string = baseUrl,
  ) {
    this.#key = key;
    this.#layer = layer;
    this.limiter = new RateLimiter(limits);
    this.budget = layer.budget?.() ?? new RetryBudget();
    // maxRetries 0: the layer's retry policy is the only one
    this.#client = new OpenAI({ baseURL: baseUrl, apiKey: key, maxRetries: 0 });
  }

  /** Retries left in the endpoint's budget. */
  get retryBudget(): number {
    return this.budget.left;
  }

  /** Sends one chat request, or answers it from the cache. Rejects only when `call.signal` aborts. */
  async chat(request: ChatRequest, call: CallOptions): Promise<ChatResult> {
    call.signal?.throwIfAborted();
    const result = await this.answer(request, call);
    return call.price === undefined ? result : { ...result, cost: result.cached ? 0 : costOf(result.usage, call.price) };
  }

  /** From the cache, from an identical request in flight, or from the server. */
  private async answer(request: ChatRequest, call: CallOptions): Promise<ChatResult> {
    const key = this.#layer.cache ? cacheKey(this.cacheId, request, call.position) : undefined;
    if (key === undefined) return this.ask(request, call, undefined);
    const stored = this.#layer.cache!.get(key);
    if (stored !== undefined) return this.accounted(call, { ok: true, ...stored, attempts: 0, latency_ms: 0, cached: true }, key);
    const shared = this.inFlight.get(key);
    if (shared !== undefined) return this.follow(shared, request, call, key);
    const asked = this.ask(request, call, key);
    this.inFlight.set(key, asked);
    // the entry goes when the request settles, however it settles; the caller sees the rejection itself
    asked.then(
      () => this.inFlight.delete(key),
      () => this.inFlight.delete(key),
    );
    return asked;
  }

  /** Waits for the identical request in flight; asks again if that one's caller aborted it. */
  private async follow(shared: Promise<ChatResult>, request: ChatRequest, call: CallOptions, key: string): Promise<ChatResult> {
    try {
      const r = await raceAbort(shared, call.signal);
      return this.accounted(call, r.ok ? { ...r, attempts: 0, latency_ms: 0, cached: true } : { ...r, attempts: 0 }, key);
    } catch (error) {
      if (call.signal?.aborted) throw error;
      return this.answer(request, call);
    }
  }

  private async ask(request: ChatRequest, call: CallOptions, key: string | undefined): Promise<ChatResult> {
    const { extra_body, ...body } = request;
    const estimate = estimateTokens(request);
    let latency = 0;
    const outcome = await withRetries(
      async () => {
        const permit = await this.limiter.acquire(estimate, call.signal);
        let used: number | undefined;
        try {
          const start = performance.now();
          const completion = await this.#client.chat.completions.create({ ...body, ...extra_body, stream: false } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, {
            signal: call.signal,
            timeout: call.timeout * 1000,
          });
          latency = performance.now() - start;
          used = completion.usage?.total_tokens;
          return completion;
        } finally {
          permit.release(used);
        }
      },
      { maxRetries: call.max_retries, budget: this.budget, backoff: this.#layer.backoff ?? DEFAULT_BACKOFF, signal: call.signal },
    );
    const zero = { prompt_tokens: 0, completion_tokens: 0 };
    if (outcome.value === undefined) {
      const f = outcome.failure!;
      const status = f.status === undefined ? '' : ` ${f.status}`;
      const error = this.scrub(`endpoint ${this.baseUrl}, model ${request.model}:${status} ${f.message}${outcome.gaveUp ? ` (gave up ${outcome.gaveUp})` : ''}`);
      return this.accounted(call, { ok: false, error, ...(f.status !== undefined && { status: f.status }), attempts: outcome.attempts, usage: zero, latency_ms: 0, cached: false }, key);
    }
    const choice = outcome.value.choices[0];
    if (choice === undefined) {
      return this.accounted(call, { ok: false, error: `endpoint ${this.baseUrl}, model ${request.model}: the reply holds no choices`, attempts: outcome.attempts, usage: zero, latency_ms: latency, cached: false }, key);
    }
    const message = choice.message as typeof choice.message & { reasoning_content?: string; reasoning?: string };
    const reasoning = message.reasoning_content ?? message.reasoning;
    const response: CachedResponse = {
      text: message.content ?? '',
      tool_calls: (message.tool_calls ?? []).filter((t): t is ToolCall => t.type === 'function'),
      finish_reason: choice.finish_reason,
      model: outcome.value.model,
      usage: { prompt_tokens: outcome.value.usage?.prompt_tokens ?? 0, completion_tokens: outcome.value.usage?.completion_tokens ?? 0 },
      ...(reasoning != null && { reasoning }),
    };
    const result: ChatReply = { ok: true, ...response, attempts: outcome.attempts, latency_ms: latency, cached: false };
    // accounted before it is cached: a kill between the two asks again (and counts again) what was paid,
    // never leaves a paid reply in the cache that no ledger counted
    this.account(call, result, key);
    if (key !== undefined) this.#layer.cache!.set(key, response);
    return result;
  }

  /**
   * Embeds the inputs (POST /embeddings), with the endpoint's retries, budget and rate limiter; a
   * response is cached under the endpoint, the model and the inputs (an embedding does not sample).
   */
  async embed(model: string, input: readonly string[], call: Pick<CallOptions, 'signal' | 'timeout' | 'max_retries'>): Promise<EmbeddingsResult> {
    call.signal?.throwIfAborted();
    const key = this.#layer.cache ? embeddingsCacheKey(this.cacheId, model, input) : undefined;
    const stored = key === undefined ? undefined : this.#layer.cache!.getJson<{ vectors: number[][]; model: string }>(key);
    if (stored !== undefined) return { ok: true, ...stored, attempts: 0, cached: true };
    const estimate = Math.ceil(input.reduce((n, t) => n + t.length, 0) / 4);
    const outcome = await withRetries(
      async () => {
        const permit = await this.limiter.acquire(estimate, call.signal);
        let used: number | undefined;
        try {
          const response = await this.#client.embeddings.create({ model, input: [...input], encoding_format: 'float' }, { signal: call.signal, timeout: call.timeout * 1000 });
          used = response.usage?.total_tokens;
          return response;
        } finally {
          permit.release(used);
        }
      },
      { maxRetries: call.max_retries, budget: this.budget, backoff: this.#layer.backoff ?? DEFAULT_BACKOFF, signal: call.signal },
    );
    if (outcome.value === undefined) {
      const f = outcome.failure!;
      const status = f.status === undefined ? '' : ` ${f.status}`;
      const error = this.scrub(`endpoint ${this.baseUrl}, embedding model ${model}:${status} ${f.message}${outcome.gaveUp ? ` (gave up ${outcome.gaveUp})` : ''}`);
      return { ok: false, error, ...(f.status !== undefined && { status: f.status }), attempts: outcome.attempts, cached: false };
    }
    const data = [...outcome.value.data].sort((a, b) => a.index - b.index);
    if (data.length !== input.length || data.some((d, i) => d.index !== i || !Array.isArray(d.embedding))) {
      return { ok: false, error: `endpoint ${this.baseUrl}, embedding model ${model}: the reply holds ${data.length} embeddings for ${input.length} inputs`, attempts: outcome.attempts, cached: false };
    }
    const response = { vectors: data.map((d) => d.embedding), model: outcome.value.model };
    if (key !== undefined) this.#layer.cache!.setJson(key, response);
    return { ok: true, ...response, attempts: outcome.attempts, cached: false };
  }

  private accounted(call: CallOptions, r: ChatResult, key: string | undefined): ChatResult {
    this.account(call, r, key);
    return r;
  }

  /** Into the ledger, with the request's cache key (its first 16 hex digits: which calls asked the same). */
  private account(call: CallOptions, r: ChatResult, key: string | undefined): void {
    if (this.#layer.ledger === undefined || call.stage === undefined || call.label === undefined) return;
    this.#layer.ledger.record(call.stage, call.label, {
      ...(key !== undefined && { key: key.slice(0, 16) }),
      requests: r.attempts,
      cached: r.cached,
      failed: !r.ok,
      usage: r.usage,
      ...(r.ok && !r.cached && { latency_ms: r.latency_ms }),
      ...(call.price !== undefined && { price: call.price }),
    });
  }

  /** A server may echo the key in its error (some do, in part): it never leaves this object. */
  private scrub(text: string): string {
    return this.#key === NO_KEY ? text : text.split(this.#key).join('***');
  }
}

/** The promise's outcome, or a rejection with the signal's reason if it fires first. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
