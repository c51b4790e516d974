import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type OpenAI from 'openai';

/**
 * The response cache: answered requests in SQLite, so that rerunning or resuming an experiment pays
 * for no request twice. WAL mode lets concurrent runs (several processes) read and write one file
 * safely. Only responses are stored, under a hash of the request: never an API key.
 */

/** What a cached response holds: enough to stand in for the request. */
export interface CachedResponse {
  text: string;
  tool_calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[];
  finish_reason: string;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  reasoning?: string;
}

/** `$XDG_CACHE_HOME/twentyq/responses.sqlite`, else `~/.cache/twentyq/responses.sqlite`. */
export function defaultCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'twentyq', 'responses.sqlite');
}

/** JSON with object keys sorted at every depth and undefined members dropped: equal requests, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

/** Where a sampled request sits in a run: distinct samples per game and turn, the same ones on a rerun. */
export interface GamePosition {
  seed: number;
  turn: number;
}

/** A request samples unless its temperature is 0: servers default to sampling when it is absent. */
export function samples(request: { temperature?: number | null }): boolean {
  return request.temperature == null || request.temperature > 0;
}

/**
 * The one cache-key builder: sha256 of the endpoint, the model and the whole request body; for a
 * sampled request also the game's seed and turn. Returns undefined for a sampled request without a
 * position: it cannot be told apart from its twins, so it is never cached.
 */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it reads or keys
export function cacheKey<R extends { model: string; temperature?: number | null }>(baseUrl: string, request: R, position?: GamePosition): string | undefined {
  const sampled = samples(request);
  if (sampled && position === undefined) return undefined;
  const keyed = { v: 1, endpoint: baseUrl.replace(/\/+$/, ''), request, ...(sampled && { position: { seed: position!.seed, turn: position!.turn } }) };
  return createHash('sha256').update(canonicalJson(keyed)).digest('hex');
}

/**
 * The cache's file failed under a request (damaged pages, a full disk): not the model's fault nor the
 * game's, and the same for every game after it, so the stage stops at once saying what to do.
 */
export class CacheError extends Error {}

export class ResponseCache {
  private readonly db: Database.Database;
  private readonly select: Database.Statement<[string], { response: string }>;
  private readonly insert: Database.Statement<[string, string, number]>;

  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
    } catch (error) {
      throw new Error(`response cache ${path}: cannot open it (${(error as Error).message}); give another file with --cache PATH, or run with --no-cache`);
    }
    // another process may hold the write lock for a moment: wait for it rather than fail
    this.db.pragma('busy_timeout = 10000');
    walMode(this.db, path);
    // a crash may lose the last responses (they are asked again), never corrupt the file
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, response TEXT NOT NULL, created_ms INTEGER NOT NULL) WITHOUT ROWID');
    this.select = this.db.prepare('SELECT response FROM responses WHERE key = ?');
    // first answer wins: two runs racing on one request both keep the one that was stored first
    this.insert = this.db.prepare('INSERT OR IGNORE INTO responses (key, response, created_ms) VALUES (?, ?, ?)');
  }

  get(key: string): CachedResponse | undefined {
    return this.getJson<CachedResponse>(key);
  }

  set(key: string, response: CachedResponse): void {
    this.setJson(key, response);
  }

  /** Any JSON value stored under a key (an embeddings response: its vectors). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the shape it reads or keys
  getJson<T>(key: string): T | undefined {
    const row = this.guard(() => this.select.get(key));
    return row === undefined ? undefined : (JSON.parse(row.response) as T);
  }

  setJson(key: string, value: unknown): void {
    this.guard(() => this.insert.run(key, JSON.stringify(value), Date.now()));
  }

  /** A failure of the file, named with the file and the ways around it. */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw new CacheError(`response cache ${this.path}: ${(error as Error).message}; remove the file (a damaged cache only costs requests asked again), give another with --cache PATH, or run with --no-cache`, { cause: error });
    }
  }

  get size(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM responses').get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Switches a database to WAL. Two processes opening a new cache at the same instant can both try to,
 * and SQLite then answers SQLITE_BUSY at once, without its busy handler: try again for a while.
 */
function walMode(db: Database.Database, path: string): void {
  for (let waited = 0; ; waited += 20) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || waited >= 10_000) {
        throw new Error(`response cache ${path}: cannot switch it to WAL (${(error as Error).message}); give another file with --cache PATH, or run with --no-cache`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
