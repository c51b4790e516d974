import type { ServerResponse } from 'node:http';
import { HASH_MODEL, hashEmbeddingSteps } from '../embed.js';
import { approxTokens } from '../protocol.js';
import { LIMIT_FLAGS, type ServeLimits } from './limits.js';
import { RequestError, writePiece, type TurnTaker } from './http.js';

/** Work done between two turns given to other requests. */
const SLICE_MS = 2;

interface EmbeddingsRequest {
  input: string[];
  format: 'float' | 'base64';
}

/** Checks an embeddings request against the protocol and the limits, before any vector is built. */
export function checkEmbeddingsRequest(body: unknown, limits: ServeLimits): EmbeddingsRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, 'The request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (b.model !== HASH_MODEL) throw new RequestError(404, `The embedding model "${String(b.model)}" does not exist; this server has ${HASH_MODEL}`, 'model_not_found');
  const input = typeof b.input === 'string' ? [b.input] : b.input;
  if (!Array.isArray(input) || input.length === 0 || !input.every((t) => typeof t === 'string')) {
    throw new RequestError(400, '"input" is required: a string or a non-empty list of strings', 'invalid_input');
  }
  if (input.length > limits.max_inputs) {
    throw new RequestError(400, `"input" has ${input.length} inputs; this server takes at most ${limits.max_inputs} per request (${LIMIT_FLAGS.max_inputs}): send them in batches`, 'too_many_inputs');
  }
  const chars = input.reduce((n, t) => n + t.length, 0);
  if (chars > limits.max_chars) {
    throw new RequestError(413, `"input" has ${chars} characters; this server takes at most ${limits.max_chars} per request (${LIMIT_FLAGS.max_chars})`, 'too_many_characters');
  }
  const format = b.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw new RequestError(400, '"encoding_format" must be "float" or "base64"', 'invalid_encoding_format');
  return { input: input, format };
}

/**
 * Answers an embeddings request in OpenAI's shape (usage: characters / 4 of each input, as for chat), streamed: each vector is built (a slice of text at a
 * time, giving other requests a turn every few milliseconds) and written as soon as it is ready, so
 * that neither the event loop nor memory holds the whole response.
 */
export async function answerEmbeddings(res: ServerResponse, request: EmbeddingsRequest, turns: TurnTaker): Promise<void> {
  const { input, format } = request;
  // base64: the float32 values, little-endian (what the openai client asks for by default and decodes)
  const encode = (v: number[]) => (format === 'float' ? v : Buffer.from(new Float32Array(v).buffer).toString('base64'));
  let tokens = 0;
  res.writeHead(200, { 'content-type': 'application/json' });
  await writePiece(res, '{"object":"list","data":[');
  let slice = performance.now();
  for (const [index, text] of input.entries()) {
    const steps = hashEmbeddingSteps(text);
    let step = steps.next();
    while (!step.done) {
      if (performance.now() - slice > SLICE_MS) {
        await turns.next();
        slice = performance.now();
      }
      step = steps.next();
    }
    tokens += approxTokens(text);
    await writePiece(res, `${index === 0 ? '' : ','}${JSON.stringify({ object: 'embedding', index, embedding: encode(step.value) })}`);
    if (performance.now() - slice > SLICE_MS) {
      await turns.next();
      slice = performance.now();
    }
  }
  res.end(`],"model":${JSON.stringify(HASH_MODEL)},"usage":{"prompt_tokens":${tokens},"total_tokens":${tokens}}}`);
}
