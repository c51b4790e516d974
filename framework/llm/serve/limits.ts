/**
 * What one request to `twentyq serve` may ask of it. The body's bytes alone do not bound the work: a
 * 4 MB body can hold 800,000 one-letter inputs, each a JSON value to parse and a vector to build. So
 * each limit bounds one kind of work, is checked before that work starts, and is refused naming the
 * flag that sets it.
 */
export interface ServeLimits {
  /** Bytes of a request body (413 beyond). */
  max_body_bytes: number;
  /** Messages of a chat request (400 beyond): a game of 20 questions has about 42. */
  max_messages: number;
  /** Inputs of an embeddings request (400 beyond): OpenAI's own limit is 2,048. */
  max_inputs: number;
  /** Characters of text in a request, all messages or all inputs together (413 beyond). */
  max_chars: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  max_body_bytes: 4 * 1024 * 1024,
  max_messages: 512,
  max_inputs: 2048,
  max_chars: 1024 * 1024,
};

/** The flag of each limit, named in every refusal so that a client knows what to raise. */
export const LIMIT_FLAGS: Record<keyof ServeLimits, string> = {
  max_body_bytes: '--max-body-bytes',
  max_messages: '--max-messages',
  max_inputs: '--max-inputs',
  max_chars: '--max-chars',
};

/**
 * JSON values (strings, numbers, objects, ...) a body may hold before it is parsed: parsing costs
 * time per value, so a body with more values than any request within the limits could hold is
 * refused while it arrives, before JSON.parse blocks the event loop on it. A chat message is a handful
 * of values (role, content, a tool call's fields); tools and sampling settings add a few hundred.
 */
export function maxJsonValues(limits: ServeLimits): number {
  return Math.max(limits.max_inputs, 32 * limits.max_messages) + 4096;
}
