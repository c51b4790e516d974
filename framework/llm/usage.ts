import { closeSync, existsSync, openSync, readFileSync, truncateSync } from 'node:fs';
import { writeAll } from '../util/fs.js';

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
  /** The start of the request's cache key, when it has one: calls with the same key asked the same. */
  key?: string;
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

/**
 * One call as the ledger keeps it, a line of the run's usage.jsonl: the stage and plugin, what it
 * cost (tokens and dollars of a real response; nothing for a hit), how fast it answered.
 */
export interface UsageLine {
  stage: string;
  label: string;
  key?: string;
  requests: number;
  cached: boolean;
  failed: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  /** Dollars, when a price was given. */
  cost?: number;
  latency_ms?: number;
}

/**
 * The figures of every call, by stage and plugin. Attached to a run's usage.jsonl, it writes each call
 * there as it is answered (one line, before the game that made it goes on) and reads the calls of the
 * run's earlier processes back first: the figures of a run resumed after kill -9 count every request
 * that was paid, not only the resumed process's.
 */
export class UsageLedger {
  private readonly tallies = new Map<string, Map<string, Tally>>();
  private file: string | undefined;
  private sink: number | undefined;

  /**
   * Reads the calls a file already holds (a torn last line, cut by a kill, is dropped) and appends every
   * later call to it (the file is made by the first call: a run that calls no model has none).
   */
  attach(file: string): void {
    this.detach();
    this.file = file;
    if (!existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    const whole = text.lastIndexOf('\n') + 1;
    if (whole < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, whole)));
    for (const line of text.slice(0, whole).split('\n')) if (line !== '') this.add(JSON.parse(line) as UsageLine);
  }

  detach(): void {
    if (this.sink !== undefined) closeSync(this.sink);
    this.sink = undefined;
    this.file = undefined;
  }

  record(stage: string, label: string, call: CallRecord): void {
    const line: UsageLine = {
      stage,
      label,
      ...(call.key !== undefined && { key: call.key }),
      requests: call.requests,
      cached: call.cached,
      failed: call.failed,
      prompt_tokens: call.cached ? 0 : call.usage.prompt_tokens,
      completion_tokens: call.cached ? 0 : call.usage.completion_tokens,
      ...(call.price && !call.cached && { cost: costOf(call.usage, call.price) }),
      ...(call.latency_ms !== undefined && { latency_ms: call.latency_ms }),
    };
    if (this.file !== undefined) writeAll((this.sink ??= openSync(this.file, 'a')), JSON.stringify(line) + '\n');
    this.add(line);
  }

  private add(line: UsageLine): void {
    let labels = this.tallies.get(line.stage);
    if (!labels) this.tallies.set(line.stage, (labels = new Map<string, Tally>()));
    let t = labels.get(line.label);
    if (!t) labels.set(line.label, (t = { calls: 0, requests: 0, cache_hits: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost: null, latencies: [] }));
    t.calls++;
    t.requests += line.requests;
    if (line.cached) t.cache_hits++;
    if (line.failed) t.errors++;
    if (line.latency_ms !== undefined) t.latencies.push(line.latency_ms);
    t.prompt_tokens += line.prompt_tokens;
    t.completion_tokens += line.completion_tokens;
    if (line.cost !== undefined) t.cost = (t.cost ?? 0) + line.cost;
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
