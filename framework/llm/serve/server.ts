import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rules } from '../../game/types.js';
import { PluginFactory, resolveRef, type RawRef } from '../../plugins/factory.js';
import { HASH_MODEL } from '../embed.js';
import { FaultStream, GARBLED_TEXT, NO_FAULTS, type Fault, type FaultOptions } from '../faults.js';
import { errorBody, modelList } from '../protocol.js';
import { checkChatRequest, sendCompletion } from './chat.js';
import { answerEmbeddings, checkEmbeddingsRequest } from './embeddings.js';
import { authorized, readJson, refuse, RequestError, sendJson, TurnTaker } from './http.js';
import { DEFAULT_LIMITS, type ServeLimits } from './limits.js';
import { answering, questioner, type Role } from './roles.js';

export interface ServeOptions {
  domain: RawRef;
  rules: Rules;
  /** The questioner served as a model, named by its label. */
  policy: RawRef;
  /** The answerer served as the model `answerer:<label>`. */
  answerer: RawRef;
  /** Relative plugin paths and checkpoints resolve against it. */
  baseDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8000; 0 picks a free port. */
  port?: number;
  faults?: Partial<FaultOptions>;
  limits?: Partial<ServeLimits>;
  /** When set, every route but GET /health requires `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface ServerStats {
  /** Every HTTP request received. */
  requests: number;
  /** Chat completions answered with 200 (garbled ones included). */
  completions: number;
  /** Embeddings requests answered. */
  embeddings: number;
  /** Requests refused as the client's fault (400, 401, 404, 405, 413). */
  rejected: number;
  /** Faults injected on purpose. */
  failed: number;
  dropped: number;
  garbled: number;
}

export interface RunningServer {
  /** The base URL an OpenAI client takes, ending in /v1. */
  url: string;
  port: number;
  /** The served model ids: the policy's label, then `answerer:<label>`. */
  models: string[];
  stats: ServerStats;
  /** Stops listening and closes every connection, in-flight requests included. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const ROUTES = ['GET /health', 'GET /v1/models', 'POST /v1/chat/completions', 'POST /v1/embeddings'];

/** Answers for the fault drawn, if any but a garble (that one changes the reply); true when answered. */
function injectFault(fault: Fault, res: ServerResponse, stats: ServerStats): boolean {
  if (fault?.kind === 'drop') {
    stats.dropped++;
    res.socket?.destroy();
    return true;
  }
  if (fault?.kind === 'fail') {
    stats.failed++;
    const headers = fault.status === 429 ? { 'retry-after': '1' } : undefined;
    const message = fault.status === 429 ? 'Rate limit reached (injected by --fail-rate)' : `Server error ${fault.status} (injected by --fail-rate)`;
    sendJson(res, fault.status, errorBody(message, fault.status === 429 ? 'rate_limit_error' : 'server_error', null), headers);
    return true;
  }
  return false;
}

/** The served models: the questioner under the policy's label, the answerer as `answerer:<label>`. */
async function servedRoles(options: ServeOptions): Promise<Map<string, Role>> {
  const factory = await PluginFactory.forDomain(options.domain, options.rules, options.baseDir);
  const { domain, rules } = factory;
  const { ref: policyRef } = await resolveRef('policy', options.policy, options.baseDir);
  const { ref: answererRef } = await resolveRef('answerer', options.answerer, options.baseDir);
  const answerer = await factory.create('answerer', answererRef);
  // the served policy reads "unknown" as the answerer served beside it means it (kb: an unknown fact)
  return new Map<string, Role>([
    [policyRef.label, questioner(domain, rules, await factory.create('policy', policyRef), answerer.unknowns)],
    [`answerer:${answererRef.label}`, answering(domain, answerer)],
  ]);
}

/**
 * Starts an OpenAI-compatible server that plays a twentyq policy as a questioner model and an
 * answerer as the child model. Each request is a whole conversation: the server reads the game back
 * from it (game/chat.ts, game/tools.ts), asks the plugin, and replies in the protocol's format. What a
 * request may ask is bounded (limits.ts), long work gives other requests a turn, and with an API key
 * every route but the health check needs it.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const roles = await servedRoles(options);
  const models = [...roles.keys()];
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const faults = { ...NO_FAULTS, ...options.faults };
  const faultStream = new FaultStream(faults);
  const stats: ServerStats = { requests: 0, completions: 0, embeddings: 0, rejected: 0, failed: 0, dropped: 0, garbled: 0 };
  const started = Math.floor(Date.now() / 1000);
  // the slices of every embeddings request in flight take turns: one per turn of the event loop
  const turns = new TurnTaker();

  const chat: Handler = async (req, res) => {
    const fault = faultStream.next();
    const body = await readJson(req, limits);
    if (faults.latency_ms > 0) await sleep(faults.latency_ms);
    if (injectFault(fault, res, stats)) return;
    const request = checkChatRequest(body, limits);
    const role = roles.get(request.model);
    if (!role) throw new RequestError(404, `The model "${request.model}" does not exist; this server has ${models.join(', ')}`, 'model_not_found');
    let reply = await role(request.messages, request.body);
    if (fault?.kind === 'garble') {
      stats.garbled++;
      reply = { content: GARBLED_TEXT };
    }
    stats.completions++;
    sendCompletion(res, request, reply);
  };
  const embeddings: Handler = async (req, res) => {
    const request = checkEmbeddingsRequest(await readJson(req, limits), limits);
    stats.embeddings++;
    await answerEmbeddings(res, request, turns);
  };
  const handlers = new Map<string, Handler>([
    ['GET /health', async (_req, res) => sendJson(res, 200, { status: 'ok' })],
    ['GET /v1/models', async (_req, res) => sendJson(res, 200, modelList([...models, HASH_MODEL], started))],
    ['POST /v1/chat/completions', chat],
    ['POST /v1/embeddings', embeddings],
  ]);

  const server = createServer((req, res) => {
    stats.requests++;
    const path = (req.url ?? '/').split('?')[0]!;
    const handler = handlers.get(`${req.method} ${path}`);
    const run = async () => {
      if (!handler) {
        const known = ROUTES.some((r) => r.endsWith(` ${path}`));
        throw new RequestError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}` : `No route ${req.method} ${path}; this server has ${ROUTES.join(', ')}`, known ? 'method_not_allowed' : 'not_found');
      }
      if (options.apiKey !== undefined && path !== '/health' && !authorized(req, options.apiKey)) {
        throw new RequestError(401, 'This server needs an API key: send Authorization: Bearer <key> (the key twentyq serve was started with)', 'invalid_api_key');
      }
      await handler(req, res);
    };
    run().catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      if (error instanceof RequestError) {
        stats.rejected++;
        // a refused body is not read to its end: the connection is closed once the refusal is sent
        if (!req.complete) res.setHeader('connection', 'close');
        return refuse(res, error);
      }
      sendJson(res, 500, errorBody(`twentyq serve: ${(error as Error).message}`, 'server_error', null));
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/v1`,
    port,
    models,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
