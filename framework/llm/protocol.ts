import { randomUUID } from 'node:crypto';
import type { ToolCall } from '../game/tools.js';

/**
 * The OpenAI chat-completions wire format as `twentyq serve` writes it: whole completions, streamed
 * chunks and errors, shaped like OpenAI's and vLLM's so that any client reads them.
 */

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A reply: text, or one tool call. */
export type Reply = { content: string; tool_call?: undefined } | { content: null; tool_call: ToolCall };

/**
 * Tokens as counted without a tokenizer: characters / 4, rounded up (OpenAI's rule of thumb for
 * English). Enough to account usage the way real servers report it; not any model's exact count.
 */
export function approxTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function usage(promptText: string, reply: Reply): Usage {
  const prompt_tokens = approxTokens(promptText);
  const completion_tokens = approxTokens(reply.content ?? reply.tool_call.function.name + reply.tool_call.function.arguments);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

const finishReason = (reply: Reply) => (reply.tool_call ? 'tool_calls' : 'stop');

export const newCompletionId = () => `chatcmpl-${randomUUID().replace(/-/g, '')}`;
export const newToolCallId = () => `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;

export function completion(id: string, model: string, reply: Reply, tokens: Usage) {
  const message = reply.tool_call ? { role: 'assistant', content: null, tool_calls: [reply.tool_call] } : { role: 'assistant', content: reply.content };
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: tokens,
  };
}

/**
 * The chunks of a streamed reply, as server-sent events bodies: the role, the text word by word (or
 * the tool call: its name, then its arguments), the finish reason, and the usage when the client asked
 * for it (a last chunk with no choices, as OpenAI sends it).
 */
export function chunks(id: string, model: string, reply: Reply, tokens: Usage | undefined): object[] {
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: object, finish_reason: string | null = null) => ({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason }] });
  const out: object[] = [chunk({ role: 'assistant', content: '' })];
  if (reply.tool_call) {
    const { id: callId, type, function: fn } = reply.tool_call;
    out.push(chunk({ tool_calls: [{ index: 0, id: callId, type, function: { name: fn.name, arguments: '' } }] }));
    out.push(chunk({ tool_calls: [{ index: 0, function: { arguments: fn.arguments } }] }));
  } else {
    for (const piece of reply.content.match(/\S+\s*|\s+/g) ?? []) out.push(chunk({ content: piece }));
  }
  out.push(chunk({}, finishReason(reply)));
  if (tokens) out.push({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: tokens });
  return out;
}

export function modelList(ids: readonly string[], created: number) {
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'twentyq' })) };
}

/** An error body in OpenAI's format. */
export function errorBody(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}
