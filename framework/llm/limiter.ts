/**
 * The rate limiter of one endpoint: a concurrency cap, requests per minute and tokens per minute.
 * Callers are served strictly in the order they asked (a large request is not overtaken forever by
 * small ones), and a waiting caller can be aborted.
 *
 * - Requests per minute are spaced evenly, 60000/rpm ms apart, never in bursts: servers enforce
 *   their limits over windows shorter than a minute, and an even pace never exceeds any of them.
 * - Tokens per minute are a bucket holding a minute's worth, refilled continuously. A request takes
 *   its estimate before it is sent; `release` corrects the bucket with the real usage, which can
 *   leave it in debt that later callers wait out.
 */

export interface Limits {
  concurrency: number;
  requests_per_minute?: number;
  tokens_per_minute?: number;
}

/** Held while a request is in flight; release it exactly once, with the tokens it really used when known. */
export interface Permit {
  release(usedTokens?: number): void;
}

interface Waiter {
  tokens: number;
  grant(permit: Permit): void;
}

export class RateLimiter {
  private inFlight = 0;
  private readonly queue: Waiter[] = [];
  /** Earliest time the next request may start under requests_per_minute. */
  private nextSlot = 0;
  private tokens: number;
  private refilledAt = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private limits: Limits) {
    if (!(limits.concurrency >= 1)) throw new Error(`rate limiter: concurrency must be at least 1 (got ${limits.concurrency})`);
    this.tokens = limits.tokens_per_minute ?? 0;
  }

  /** The limits in force. */
  get current(): Readonly<Limits> {
    return this.limits;
  }

  /** Lowers each limit to `other`'s where that is tighter (several plugins sharing one endpoint). */
  tighten(other: Limits): void {
    const min = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
    const tpm = min(this.limits.tokens_per_minute, other.tokens_per_minute);
    if (tpm !== this.limits.tokens_per_minute) {
      this.refill(performance.now());
      this.tokens = this.limits.tokens_per_minute === undefined ? tpm! : Math.min(this.tokens, tpm!);
    }
    this.limits = { concurrency: Math.min(this.limits.concurrency, other.concurrency), requests_per_minute: min(this.limits.requests_per_minute, other.requests_per_minute), tokens_per_minute: tpm };
  }

  /** Waits for a turn; rejects with the signal's reason if aborted while waiting. */
  acquire(estimatedTokens: number, signal?: AbortSignal): Promise<Permit> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal!.reason);
        this.pump(); // the head may have changed
      };
      const waiter: Waiter = {
        tokens: estimatedTokens,
        grant: (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** Callers waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }

  private refill(now: number): void {
    const tpm = this.limits.tokens_per_minute;
    if (tpm === undefined) return;
    this.tokens = Math.min(tpm, this.tokens + ((now - this.refilledAt) * tpm) / 60_000);
    this.refilledAt = now;
  }

  /** Serves the head of the queue for as long as it can, then sleeps until the next possible grant. */
  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const { concurrency, requests_per_minute: rpm, tokens_per_minute: tpm } = this.limits;
    while (this.queue.length > 0 && this.inFlight < concurrency) {
      const now = performance.now();
      this.refill(now);
      const head = this.queue[0]!;
      // a request larger than the whole bucket goes once the bucket is full, leaving it in debt
      const need = tpm === undefined ? 0 : Math.min(head.tokens, tpm);
      const slotWait = rpm === undefined ? 0 : this.nextSlot - now;
      const tokenWait = tpm === undefined || this.tokens >= need ? 0 : ((need - this.tokens) * 60_000) / tpm;
      const wait = Math.max(slotWait, tokenWait);
      if (wait > 0) {
        this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
        return;
      }
      this.queue.shift();
      if (rpm !== undefined) this.nextSlot = Math.max(now, this.nextSlot) + 60_000 / rpm;
      if (tpm !== undefined) this.tokens -= head.tokens;
      this.inFlight++;
      head.grant(this.permit(head.tokens));
    }
  }

  private permit(estimated: number): Permit {
    let released = false;
    return {
      release: (used?: number) => {
        if (released) return;
        released = true;
        this.inFlight--;
        if (used !== undefined && this.limits.tokens_per_minute !== undefined) {
          this.refill(performance.now());
          this.tokens += estimated - used;
        }
        this.pump();
      },
    };
  }
}
