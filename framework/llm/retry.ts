import { APIConnectionError, APIError, APIUserAbortError } from 'openai';

/**
 * The one retry policy of the endpoint layer (the openai client's own retries are off: retries that
 * wrap retries multiply the load). Transient failures (429, 408, 409, 5xx, timeouts, reset
 * connections) are retried with exponential backoff and full jitter, honouring Retry-After; anything
 * else fails at once. Every retry draws on the endpoint's budget, so that an outage costs the server
 * a bounded number of extra requests rather than max_retries times every call.
 */

export interface Backoff {
  /** Ceiling of the first delay; doubles at each retry (full jitter draws below it). */
  baseMs: number;
  /** Largest ceiling. */
  capMs: number;
  /** A server asking for a longer wait than this fails the call now, rather than stall the run. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, capMs: 16_000, maxRetryAfterMs: 120_000 };

/**
 * A token bucket of retries, shared by every call to one endpoint (gRPC's retry throttling): a retry
 * spends a token, a success earns back `refill` of one. While the endpoint is healthy the bucket stays
 * full; in an outage, `capacity` retries are spent and then calls fail after their first attempt,
 * until successes refill it. `refill: 0.5` lets retries be at most half the load in the long run:
 * enough to ride out an endpoint failing one request in five (0.25 retries per success), not enough
 * for an outage to multiply the load.
 */
export class RetryBudget {
  private tokens: number;

  constructor(
    readonly capacity = 50,
    readonly refill = 0.5,
  ) {
    this.tokens = capacity;
  }

  /** Takes a token for one retry; false when the budget is spent. */
  trySpend(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  succeeded(): void {
    this.tokens = Math.min(this.capacity, this.tokens + this.refill);
  }

  get left(): number {
    return this.tokens;
  }
}

/** What a failed attempt means for the next one. */
export type Failure = { retry: true; message: string; status?: number; retryAfterMs?: number } | { retry: false; message: string; status?: number };

/** Delay the server asked for: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number.parseFloat(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The server's own words for an error: its JSON `error.message`, else what the openai client made of the body. */
function serverMessage(error: APIError): string {
  const body: unknown = error.error;
  if (body && typeof body === 'object' && 'message' in body && typeof body.message === 'string') return body.message;
  return error.message.replace(/^\d{3}\s+/, '');
}

/** Sorts an error of one attempt into retry or fail. An abort by the caller is not a failure: it is rethrown by the caller. */
export function classify(error: unknown): Failure {
  if (error instanceof APIUserAbortError) return { retry: false, message: 'aborted' };
  if (error instanceof APIConnectionError) {
    // timeouts, resets, refused connections (a server still starting): all transient
    const cause = (error.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    const detail = cause?.message ?? cause?.code;
    return { retry: true, message: detail ? `${error.message} (${detail})` : error.message };
  }
  if (error instanceof APIError && error.status !== undefined) {
    const api = error as APIError<number>; // instanceof narrows to APIError<any, any, any>
    const status = api.status;
    const transient = status === 408 || status === 409 || status === 429 || status >= 500;
    const message = serverMessage(api);
    const after = retryAfterMs(api.headers);
    return transient ? { retry: true, status, message, ...(after !== undefined && { retryAfterMs: after }) } : { retry: false, status, message };
  }
  return { retry: false, message: error instanceof Error ? error.message : String(error) };
}

/** Full jitter (AWS architecture blog): uniform in [0, min(cap, base * 2^retry)), which spreads a crowd of retries out. */
export function backoffMs(retry: number, backoff: Backoff, random: () => number = Math.random): number {
  return random() * Math.min(backoff.capMs, backoff.baseMs * 2 ** retry);
}

/** Sleeps, or rejects with the signal's reason when it fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOutcome<T> {
  value?: T;
  /** The last failure, when there is no value. */
  failure?: Failure;
  /** Requests sent (the first and every retry). */
  attempts: number;
  /** Why retrying stopped, for the error message. */
  gaveUp?: string;
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of retries or of budget. Aborting
 * `signal` rejects with its reason, during an attempt or a wait. Failures are returned, not thrown.
 */
export async function withRetries<T>(attempt: () => Promise<T>, options: { maxRetries: number; budget: RetryBudget; backoff: Backoff; signal?: AbortSignal }): Promise<RetryOutcome<T>> {
  for (let attempts = 1; ; attempts++) {
    options.signal?.throwIfAborted();
    try {
      const value = await attempt();
      options.budget.succeeded();
      return { value, attempts };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      const failure = classify(error);
      if (!failure.retry) return { failure, attempts };
      if (attempts > options.maxRetries) return { failure, attempts, gaveUp: `after ${attempts} attempts` };
      const asked = failure.retryAfterMs;
      if (asked !== undefined && asked > options.backoff.maxRetryAfterMs) {
        return { failure, attempts, gaveUp: `the server asked to retry after ${Math.round(asked / 1000)} s, more than the ${options.backoff.maxRetryAfterMs / 1000} s a run waits` };
      }
      if (!options.budget.trySpend()) return { failure, attempts, gaveUp: `after ${attempts} attempts: the endpoint's retry budget is spent (too many failures of late)` };
      await sleep(asked ?? backoffMs(attempts - 1, options.backoff), options.signal);
    }
  }
}
