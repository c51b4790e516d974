/**
 * Accounting of the endpoint layer, per stage and plugin label: what was asked, what the server was
 * paid for, how fast it answered. Tokens and cost count real responses only (a cache hit costs
 * nothing); latencies are those of the requests that answered, not of cache hits or failures.
 */

/** Dollars per million tokens. */
export interface Price {
  input: number;
  output: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** One answered call, as the ledger sees it. */
export interface CallRecord {
  /** Requests sent for it (retries included; 0 for a cache hit). */
  requests: number;
  cached: boolean;
  failed: boolean;
  usage: TokenUsage;
  /** Latency of the request that answered (absent for a hit or a failure). */
  latency_ms?: number;
  price?: Price;
}

/** The figures of one plugin in one stage, as metrics.json holds them. */
export interface UsageFigures {
  /** Calls answered by the layer (from the server or the cache). */
  calls: number;
  /** HTTP requests sent, retries included. */
  requests: number;
  cache_hits: number;
  /** Calls that still failed after their retries. */
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  /** Dollars, when a price was given. */
  cost: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

/** Cost in dollars of a usage at a price per million tokens. */
export function costOf(usage: TokenUsage, price: Price): number {
  return (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1e6;
}

/** Nearest-rank percentile (the smallest value with at least p% of the values at or below it). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A plugin's running figures: the counts, and every latency for the percentiles. */
type Tally = Omit<UsageFigures, 'latency_p50_ms' | 'latency_p95_ms'> & { latencies: number[] };

export class UsageLedger {
  private readonly tallies = new Map<string, Map<string, Tally>>();

  record(stage: string, label: string, call: CallRecord): void {
    let labels = this.tallies.get(stage);
    if (!labels) this.tallies.set(stage, (labels = new Map()));
    let t = labels.get(label);
    if (!t) labels.set(label, (t = { calls: 0, requests: 0, cache_hits: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost: null, latencies: [] }));
    t.calls++;
    t.requests += call.requests;
    if (call.cached) t.cache_hits++;
    if (call.failed) t.errors++;
    if (call.latency_ms !== undefined) t.latencies.push(call.latency_ms);
    if (call.cached) return;
    t.prompt_tokens += call.usage.prompt_tokens;
    t.completion_tokens += call.usage.completion_tokens;
    if (call.price) t.cost = (t.cost ?? 0) + costOf(call.usage, call.price);
  }

  /** The figures of a stage, by plugin label (empty when no plugin of the stage called an endpoint). */
  figures(stage: string): Record<string, UsageFigures> {
    const out: Record<string, UsageFigures> = {};
    for (const [label, t] of this.tallies.get(stage) ?? []) {
      const { latencies, ...counts } = t;
      out[label] = { ...counts, latency_p50_ms: percentile(latencies, 50), latency_p95_ms: percentile(latencies, 95) };
    }
    return out;
  }

  /** One short line for the progress display: `api: 812 req, 88 hits, 1.2M tok, $0.41, p50 120 ms`. */
  line(stage: string): string {
    return Object.entries(this.figures(stage))
      .map(([label, f]) => {
        const parts = [`${f.requests} req`, `${f.cache_hits} hits`, `${compact(f.prompt_tokens + f.completion_tokens)} tok`];
        if (f.errors > 0) parts.push(`${f.errors} errors`);
        if (f.cost !== null) parts.push(`$${f.cost.toFixed(2)}`);
        if (f.latency_p50_ms !== null) parts.push(`p50 ${Math.round(f.latency_p50_ms)} ms`);
        return `${label}: ${parts.join(', ')}`;
      })
      .join('; ');
  }
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(n);
}
