import { Rng } from '../util/rng.js';

/** Ways `twentyq serve` misbehaves on purpose, so that clients' retries and invalid-move handling can be tested. */
export interface FaultOptions {
  /** Seeds the stream the faults are drawn from, one draw of each kind per request. */
  seed: number;
  /** Added to every chat completion before it is answered. */
  latency_ms: number;
  /** Probability of an error status instead of a reply. */
  fail_rate: number;
  /** The error statuses to fail with, one picked per failure (429 carries `Retry-After: 1`). */
  fail_status: readonly FailStatus[];
  /** Probability of a 200 reply whose text is not a move (nor an answer). */
  garble_rate: number;
  /** Probability of closing the connection without a response (a reset). */
  drop_rate: number;
}

export const FAIL_STATUSES = [429, 500, 503] as const;
export type FailStatus = (typeof FAIL_STATUSES)[number];

export const NO_FAULTS: FaultOptions = { seed: 0, latency_ms: 0, fail_rate: 0, fail_status: [500], garble_rate: 0, drop_rate: 0 };

export type Fault = { kind: 'drop' } | { kind: 'fail'; status: FailStatus } | { kind: 'garble' } | undefined;

/** A reply that parses to nothing: no question (no "?"), no guess, no answer. */
export const GARBLED_TEXT = 'Hmm, let me think about that for a moment...';

/**
 * Draws the fault of each request in turn. Every request takes the same four draws whatever happens
 * to it, so the n-th request meets the same fault for the same seed and rates.
 */
export class FaultStream {
  private readonly rng: Rng;

  constructor(private readonly options: FaultOptions) {
    this.rng = new Rng(options.seed);
  }

  next(): Fault {
    const { drop_rate, fail_rate, fail_status, garble_rate } = this.options;
    const [drop, fail, pick, garble] = [this.rng.next(), this.rng.next(), this.rng.next(), this.rng.next()];
    if (drop < drop_rate) return { kind: 'drop' };
    if (fail < fail_rate) return { kind: 'fail', status: fail_status[Math.floor(pick * fail_status.length)]! };
    if (garble < garble_rate) return { kind: 'garble' };
    return undefined;
  }
}
