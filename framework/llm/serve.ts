import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerWord, ChatError, readAnswererChat, readMove, textOf, type ChatMessage } from '../game/chat.js';
import type { Domain } from '../game/domain.js';
import { notACandidate } from '../game/parse.js';
import { moveToToolCall, readToolTurns, type ToolChatMessage } from '../game/tools.js';
import { answerOf, type Answer, type GameView, type Move, type Rules, type Turn, type UnknownAnswers } from '../game/types.js';
import { PluginFactory, resolveRef, type RawRef } from '../plugins/factory.js';
import type { Answerer, Policy } from '../plugins/types.js';
import { deriveSeed, Rng } from '../util/rng.js';
import { HASH_MODEL, hashEmbedding } from './embed.js';
import { FaultStream, GARBLED_TEXT, NO_FAULTS, type Fault, type FaultOptions } from './faults.js';
import { chunks, completion, errorBody, modelList, newCompletionId, newToolCallId, usage, type Reply } from './protocol.js';

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
}

export interface ServerStats {
  /** Every HTTP request received. */
  requests: number;
  /** Chat completions answered with 200 (garbled ones included). */
  completions: number;
  /** Embeddings requests answered. */
  embeddings: number;
  /** Requests refused as the client's fault (400, 404, 405, 413). */
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

/** A request the server refuses, with the status and OpenAI error type to refuse it with. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

/** The most a request body may be: far beyond any game's conversation. */
const MAX_BODY = 4 * 1024 * 1024;

/** A served role: what it does with a request's messages. */
type Role = (messages: unknown[], request: Record<string, unknown>) => Promise<Reply>;

/**
 * Starts an OpenAI-compatible server that plays a twentyq policy as a questioner model and an
 * answerer as the child model. Each request is a whole conversation: the server reads the game back
 * from it (game/chat.ts, game/tools.ts), asks the plugin, and replies in the protocol's format.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const factory = await PluginFactory.forDomain(options.domain, options.rules, options.baseDir);
  const { domain, rules } = factory;
  const { ref: policyRef } = await resolveRef('policy', options.policy, options.baseDir);
  const { ref: answererRef } = await resolveRef('answerer', options.answerer, options.baseDir);
  const answerer = await factory.create('answerer', answererRef);
  // the served policy reads "unknown" as the answerer served beside it means it (kb: an unknown fact)
  const roles = new Map<string, Role>([
    [policyRef.label, questioner(domain, rules, await factory.create('policy', policyRef), answerer.unknowns)],
    [`answerer:${answererRef.label}`, answering(domain, answerer)],
  ]);
  const models = [...roles.keys()];
  const faults = { ...NO_FAULTS, ...options.faults };
  const faultStream = new FaultStream(faults);
  const stats: ServerStats = { requests: 0, completions: 0, embeddings: 0, rejected: 0, failed: 0, dropped: 0, garbled: 0 };
  const started = Math.floor(Date.now() / 1000);

  async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = faultStream.next();
    const body = await readJson(req);
    if (faults.latency_ms > 0) await sleep(faults.latency_ms);
    if (injectFault(fault, res)) return;
    const request = checkRequest(body);
    const role = roles.get(request.model);
    if (!role) throw new RequestError(404, `The model "${request.model}" does not exist; this server has ${models.join(', ')}`, 'model_not_found');
    let reply = await role(request.messages, request.body);
    if (fault?.kind === 'garble') {
      stats.garbled++;
      reply = { content: GARBLED_TEXT };
    }
    const tokens = usage(promptText(request.messages), reply);
    const id = newCompletionId();
    stats.completions++;
    if (!request.stream) return sendJson(res, 200, completion(id, request.model, reply, tokens));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const chunk of chunks(id, request.model, reply, request.includeUsage ? tokens : undefined)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  /** POST /v1/embeddings: the deterministic local embedding (embed.ts) of each input, in OpenAI's shape. */
  async function embeddings(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readJson(req)) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, 'The request body must be a JSON object');
    if (body.model !== HASH_MODEL) throw new RequestError(404, `The embedding model "${String(body.model)}" does not exist; this server has ${HASH_MODEL}`, 'model_not_found');
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(input) || input.length === 0 || !input.every((t) => typeof t === 'string')) throw new RequestError(400, '"input" is required: a string or a non-empty list of strings', 'invalid_input');
    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') throw new RequestError(400, '"encoding_format" must be "float" or "base64"', 'invalid_encoding_format');
    // base64: the float32 values, little-endian (what the openai client asks for by default and decodes)
    const encode = (v: number[]) => (format === 'float' ? v : Buffer.from(new Float32Array(v).buffer).toString('base64'));
    const tokens = (input as string[]).reduce((n, t) => n + (t.match(/\S+/g)?.length ?? 0), 0);
    stats.embeddings++;
    sendJson(res, 200, {
      object: 'list',
      data: (input as string[]).map((t, index) => ({ object: 'embedding', index, embedding: encode(hashEmbedding(t)) })),
      model: HASH_MODEL,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  /** Answers for the fault drawn, if any but a garble (that one changes the reply). */
  function injectFault(fault: Fault, res: ServerResponse): boolean {
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

  const server = createServer((req, res) => {
    stats.requests++;
    const path = (req.url ?? '/').split('?')[0];
    const route =
      path === '/v1/models' && req.method === 'GET'
        ? async () => sendJson(res, 200, modelList([...models, HASH_MODEL], started))
        : path === '/v1/chat/completions' && req.method === 'POST'
          ? () => chat(req, res)
          : path === '/v1/embeddings' && req.method === 'POST'
            ? () => embeddings(req, res)
            : async () => {
                const known = path === '/v1/models' || path === '/v1/chat/completions' || path === '/v1/embeddings';
                throw new RequestError(known ? 405 : 404, known ? `${req.method} is not allowed on ${path}` : `No route ${req.method} ${path}; this server has GET /v1/models, POST /v1/chat/completions and POST /v1/embeddings`, known ? 'method_not_allowed' : 'not_found');
              };
    route().catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      if (error instanceof RequestError) {
        stats.rejected++;
        return sendJson(res, error.status, errorBody(error.message, error.type, error.code));
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

/**
 * The questioner: reads the game from the conversation (text or tool calls), asks the policy for the
 * next move from a fresh view of it, and replies with the move's text, or its tool call when the
 * request offers tools. The view's random stream comes from the request's `seed` and the turn number,
 * or from a hash of the conversation, so the same request always gets the same reply. The view says
 * what "unknown" means as the answerer served beside it declares (see UnknownAnswers).
 */
function questioner(domain: Domain, rules: Rules, policy: Policy, unknowns: UnknownAnswers | undefined): Role {
  return async (messages, request) => {
    const turns = readGame(() => readToolTurns(messages as ToolChatMessage[], domain));
    if ((messages.at(-1) as { role: string }).role === 'assistant') throw new RequestError(400, 'The conversation ends with an assistant move: the questioner waits for its answer (a user or tool message)');
    const over = gameOver(turns, rules);
    if (over) throw new RequestError(400, `The game is over (${over}): there is no move to make`);
    const seed = typeof request.seed === 'number' ? deriveSeed(request.seed, turns.length) : deriveSeed(0, JSON.stringify(messages));
    const view: GameView = { turns, rules, rng: new Rng(seed), memo: new Map(), ...(unknowns ? { unknowns } : {}) };
    const [move] = await policy.act([view]);
    const checked = checkMove(move, domain);
    const call = offersTools(request) ? moveToToolCall(checked, domain, newToolCallId()) : undefined;
    return call ? { content: null, tool_call: call } : { content: checked.text };
  };
}

/**
 * The answerer: finds the secret in the system prompt (game/chat.ts answererPrompt) and answers the
 * last user message. Guesses are settled here as the engine settles them, never by the answerer.
 */
function answering(domain: Domain, answerer: Answerer): Role {
  return async (messages, request) => {
    const { target, history, question } = readGame(() => readAnswererChat(messages as ChatMessage[], domain));
    const move = readMove(question, domain);
    let answer: Answer;
    if (move.kind === 'guess') answer = move.candidate === target.id ? 'yes' : 'no';
    else {
      const asked = move.kind === 'question' ? move : { kind: 'question' as const, text: question };
      const seed = typeof request.seed === 'number' ? deriveSeed(request.seed, history.length) : deriveSeed(0, JSON.stringify(messages));
      answer = answerOf(await answerer.answer(asked, target, history, new Rng(seed)));
      if (answer !== 'yes' && answer !== 'no' && answer !== 'unknown') throw new Error(`the answerer answered ${JSON.stringify(answer)}; an answerer must return "yes", "no" or "unknown"`);
    }
    return { content: answerWord(answer) };
  };
}

/** Why a game is over (a correct guess, the budget spent, a wrong guess that loses), or undefined. */
function gameOver(turns: readonly Turn[], rules: Rules): string | undefined {
  const last = turns.at(-1);
  if (last?.move.kind === 'guess' && last.answer === 'yes') return 'the last guess was right';
  if (turns.length >= rules.max_questions) return `all ${rules.max_questions} questions are asked`;
  if (last?.move.kind === 'guess' && rules.wrong_guess === 'lose') return 'a wrong guess loses';
  return undefined;
}

/** What a policy returned, made a move the protocol can carry (an unknown candidate is an invalid move). */
function checkMove(move: Move | undefined, domain: Domain): Move {
  if (!move || typeof move.text !== 'string') throw new Error('the policy returned something that is not a move');
  if (move.kind === 'guess' && domain.candidateIndexOf(move.candidate) === undefined) return { kind: 'invalid', text: move.text, reason: notACandidate(move.candidate, domain) };
  return move;
}

function offersTools(request: Record<string, unknown>): boolean {
  return Array.isArray(request.tools) && request.tools.length > 0 && request.tool_choice !== 'none';
}

/** Reads a conversation as a game; one that is not a game is the client's error. */
function readGame<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ChatError) throw new RequestError(400, `messages: ${error.message}`, 'invalid_messages');
    throw error;
  }
}

/** The text a prompt's usage counts: every message's content and tool call. */
function promptText(messages: readonly unknown[]): string {
  return messages
    .map((m, i) => {
      const { content, tool_calls } = m as { content?: unknown; tool_calls?: { function?: { name?: string; arguments?: string } }[] };
      const calls = (tool_calls ?? []).map((c) => `${c.function?.name ?? ''}${c.function?.arguments ?? ''}`).join('');
      return (content === null || content === undefined ? '' : textOf(content, i)) + calls;
    })
    .join('\n');
}

interface ChatRequest {
  model: string;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  body: Record<string, unknown>;
}

/** Checks what the server relies on in a chat request; everything else in it is ignored. */
function checkRequest(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, 'The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string') throw new RequestError(400, '"model" is required: a string naming a served model (GET /v1/models lists them)', 'invalid_model');
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new RequestError(400, '"messages" is required: a non-empty list of {role, content}', 'invalid_messages');
  b.messages.forEach((m, i) => {
    const { role, content } = (m ?? {}) as { role?: unknown; content?: unknown };
    if (!m || typeof m !== 'object' || !['system', 'user', 'assistant', 'tool'].includes(role as string)) {
      throw new RequestError(400, `messages[${i}] must be an object with a role (system, user, assistant or tool)`, 'invalid_messages');
    }
    if (content !== null && content !== undefined) readGame(() => textOf(content, i));
  });
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw new RequestError(400, '"n" must be 1: twentyq plays one move per request', 'invalid_n');
  if (b.seed !== undefined && b.seed !== null && !Number.isSafeInteger(b.seed)) throw new RequestError(400, '"seed" must be an integer', 'invalid_seed');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw new RequestError(400, '"stream" must be true or false', 'invalid_stream');
  const streamOptions = b.stream_options as { include_usage?: unknown } | undefined;
  return { model: b.model, messages: b.messages, stream: b.stream === true, includeUsage: streamOptions?.include_usage === true, body: b };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_BODY) throw new RequestError(413, `The request body is over ${MAX_BODY} bytes`, 'body_too_large');
    parts.push(part);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    throw new RequestError(400, `The request body is not JSON: ${(error as Error).message}`, 'invalid_json');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
