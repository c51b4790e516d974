import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../protocol.js';
import { LIMIT_FLAGS, maxJsonValues, type ServeLimits } from './limits.js';

/** A request the server refuses, with the status and OpenAI error type to refuse it with. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const [QUOTE, BACKSLASH, COMMA, COLON, OPEN_BRACE, OPEN_BRACKET] = ['"', '\\', ',', ':', '{', '['].map((c) => c.charCodeAt(0));

/**
 * Counts the JSON values of a body as its bytes arrive, without parsing it: every value but the first
 * follows a comma, a colon or an opening bracket outside a string. Linear in the bytes, a few
 * microseconds per network chunk; what it bounds is the parse that follows.
 */
export class JsonValueCounter {
  values = 1;
  private inString = false;
  private escaped = false;

  add(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
      } else if (c === QUOTE) this.inString = true;
      else if (c === COMMA || c === COLON || c === OPEN_BRACE || c === OPEN_BRACKET) this.values++;
    }
  }
}

/**
 * Reads a JSON body within the limits: refused (413) as soon as it passes the byte limit or holds more
 * JSON values than a request within the limits can, so that neither memory nor the parse grows with
 * what a client sends.
 */
export async function readJson(req: IncomingMessage, limits: ServeLimits): Promise<unknown> {
  const parts: Buffer[] = [];
  const counter = new JsonValueCounter();
  const maxValues = maxJsonValues(limits);
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > limits.max_body_bytes) {
      throw new RequestError(413, `The request body is over ${limits.max_body_bytes} bytes (${LIMIT_FLAGS.max_body_bytes})`, 'body_too_large');
    }
    counter.add(part);
    if (counter.values > maxValues) {
      throw new RequestError(
        413,
        `The request body holds over ${maxValues} JSON values, more than a request within ${LIMIT_FLAGS.max_messages} ${limits.max_messages} and ${LIMIT_FLAGS.max_inputs} ${limits.max_inputs} can`,
        'too_many_values',
      );
    }
    parts.push(part);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch (error) {
    throw new RequestError(400, `The request body is not JSON: ${(error as Error).message}`, 'invalid_json');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Writes a piece of a streamed body, waiting while the client is slower than the server. */
export async function writePiece(res: ServerResponse, piece: string): Promise<void> {
  if (res.destroyed) throw new Error('the client went away');
  if (res.write(piece)) return;
  await new Promise<void>((resolve, reject) => {
    const drained = () => {
      res.off('close', gone);
      resolve();
    };
    const gone = () => {
      res.off('drain', drained);
      reject(new Error('the client went away'));
    };
    res.once('drain', drained);
    res.once('close', gone);
  });
}

/**
 * Takes turns between the slices of long work of all the requests in flight: `next()` resolves in a
 * later turn of the event loop, one waiting slice per turn, so that whatever the number of requests
 * working at once, a turn holds one slice (a few milliseconds) and other requests (GET /v1/models) are
 * read and answered between two slices.
 */
export class TurnTaker {
  private readonly waiting: (() => void)[] = [];
  private pumping = false;

  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.pumping) {
        this.pumping = true;
        setImmediate(this.pump);
      }
    });
  }

  private readonly pump = (): void => {
    this.waiting.shift()?.();
    if (this.waiting.length > 0) setImmediate(this.pump);
    else this.pumping = false;
  };
}

/** Checks `Authorization: Bearer <key>` in constant time (the digests have equal lengths whatever is sent). */
export function authorized(req: IncomingMessage, key: string): boolean {
  const header = req.headers.authorization ?? '';
  const sent = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(sent), digest(key));
}

export function refuse(res: ServerResponse, error: RequestError): void {
  const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer' } : {};
  sendJson(res, error.status, errorBody(error.message, error.type, error.code), headers);
}
