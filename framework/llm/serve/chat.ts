import type { ServerResponse } from 'node:http';
import { textOf } from '../../game/chat.js';
import { chunks, completion, newCompletionId, usage, type Reply } from '../protocol.js';
import { LIMIT_FLAGS, type ServeLimits } from './limits.js';
import { RequestError, sendJson } from './http.js';
import { readGame } from './roles.js';

export interface ChatRequest {
  model: string;
  messages: unknown[];
  stream: boolean;
  includeUsage: boolean;
  body: Record<string, unknown>;
  /** Every message's text and tool calls, as usage counts it. */
  promptText: string;
}

/** The text of one message that usage counts: its content and its tool calls. */
function messageText(message: unknown, index: number): string {
  const { content, tool_calls } = message as { content?: unknown; tool_calls?: { function?: { name?: string; arguments?: string } }[] };
  const calls = Array.isArray(tool_calls) ? tool_calls.map((c) => `${c?.function?.name ?? ''}${c?.function?.arguments ?? ''}`).join('') : '';
  return (content === null || content === undefined ? '' : readGame(() => textOf(content, index))) + calls;
}

/** Checks what the server relies on in a chat request, and the limits; everything else in it is ignored. */
export function checkChatRequest(body: unknown, limits: ServeLimits): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, 'The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string') throw new RequestError(400, '"model" is required: a string naming a served model (GET /v1/models lists them)', 'invalid_model');
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw new RequestError(400, '"messages" is required: a non-empty list of {role, content}', 'invalid_messages');
  if (b.messages.length > limits.max_messages) {
    throw new RequestError(400, `"messages" has ${b.messages.length} messages; this server takes at most ${limits.max_messages} per request (${LIMIT_FLAGS.max_messages})`, 'too_many_messages');
  }
  const texts = b.messages.map((m, i) => {
    const { role } = (m ?? {}) as { role?: unknown };
    if (!m || typeof m !== 'object' || !['system', 'user', 'assistant', 'tool'].includes(role as string)) {
      throw new RequestError(400, `messages[${i}] must be an object with a role (system, user, assistant or tool)`, 'invalid_messages');
    }
    return messageText(m, i);
  });
  const chars = texts.reduce((n, t) => n + t.length, 0);
  if (chars > limits.max_chars) {
    throw new RequestError(413, `"messages" have ${chars} characters; this server takes at most ${limits.max_chars} per request (${LIMIT_FLAGS.max_chars})`, 'too_many_characters');
  }
  if (b.n !== undefined && b.n !== null && b.n !== 1) throw new RequestError(400, '"n" must be 1: twentyq plays one move per request', 'invalid_n');
  if (b.seed !== undefined && b.seed !== null && !Number.isSafeInteger(b.seed)) throw new RequestError(400, '"seed" must be an integer', 'invalid_seed');
  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') throw new RequestError(400, '"stream" must be true or false', 'invalid_stream');
  const streamOptions = b.stream_options as { include_usage?: unknown } | undefined;
  return { model: b.model, messages: b.messages, stream: b.stream === true, includeUsage: streamOptions?.include_usage === true, body: b, promptText: texts.join('\n') };
}

/** Sends a reply as a whole completion, or as server-sent events when the request streams. */
export function sendCompletion(res: ServerResponse, request: ChatRequest, reply: Reply): void {
  const tokens = usage(request.promptText, reply);
  const id = newCompletionId();
  if (!request.stream) return sendJson(res, 200, completion(id, request.model, reply, tokens));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const chunk of chunks(id, request.model, reply, request.includeUsage ? tokens : undefined)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end('data: [DONE]\n\n');
}
