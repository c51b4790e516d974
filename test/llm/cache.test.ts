import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheError, cacheKey, canonicalJson, defaultCachePath, ResponseCache } from '../../framework/llm/cache.js';
import { packagePath } from '../../framework/util/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'twentyq-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cache key', () => {
  const request = { model: 'm', messages: [{ role: 'user', content: 'Is it big?' }], temperature: 0, max_tokens: 8 };

  it('is the same for the same request whatever the order of its keys', () => {
    const reordered = { max_tokens: 8, temperature: 0, messages: [{ content: 'Is it big?', role: 'user' }], model: 'm' };
    expect(cacheKey('http://h/v1', reordered)).toBe(cacheKey('http://h/v1', request));
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 0 }] } })).toBe('{"a":{"c":[2,{"y":0,"z":1}]},"b":1}');
  });

  it('covers the endpoint, the model and every part of the request', () => {
    const base = cacheKey('http://h/v1', request);
    expect(cacheKey('http://h/v1/', request)).toBe(base); // a trailing slash is the same endpoint
    expect(cacheKey('http://other/v1', request)).not.toBe(base);
    expect(cacheKey('http://h/v1', { ...request, model: 'n' })).not.toBe(base);
    expect(cacheKey('http://h/v1', { ...request, max_tokens: 9 })).not.toBe(base);
    expect(cacheKey('http://h/v1', { ...request, extra_body: { chat_template_kwargs: { enable_thinking: false } } })).not.toBe(base);
  });

  it('holds the game position only when the request samples', () => {
    expect(cacheKey('http://h/v1', request, { seed: 1, turn: 2 })).toBe(cacheKey('http://h/v1', request));
    const hot = { ...request, temperature: 1 };
    expect(cacheKey('http://h/v1', hot)).toBeUndefined();
    expect(cacheKey('http://h/v1', hot, { seed: 1, turn: 2 })).not.toBe(cacheKey('http://h/v1', hot, { seed: 1, turn: 3 }));
    expect(cacheKey('http://h/v1', hot, { seed: 1, turn: 2 })).toBe(cacheKey('http://h/v1', hot, { turn: 2, seed: 1 }));
  });
});

describe('response cache', () => {
  it('lives in the user cache folder by default', () => {
    expect(defaultCachePath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/twentyq/responses.sqlite');
    expect(defaultCachePath({})).toMatch(/\/\.cache\/twentyq\/responses\.sqlite$/);
  });

  it('opens in WAL mode, creating its folder', () => {
    const file = join(dir, 'deep', 'er', 'responses.sqlite');
    const cache = new ResponseCache(file);
    cache.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('an unusable path is an error that names it and the flags to use', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const path = join(file, 'responses.sqlite');
    expect(() => new ResponseCache(path)).toThrow(`response cache ${path}: cannot open it (E`);
    expect(() => new ResponseCache(path)).toThrow(/give another file with --cache PATH, or run with --no-cache$/);
  });

  it('a file whose inner pages are damaged fails a lookup with an error naming it and the ways around it', () => {
    const file = join(dir, 'damaged.sqlite');
    const cache = new ResponseCache(file);
    const response = { text: 'Is it big? '.repeat(40), tool_calls: [], finish_reason: 'stop', model: 'm', usage: { prompt_tokens: 1, completion_tokens: 1 } };
    for (let i = 0; i < 400; i++) cache.set(`key-${i}`, response);
    cache.close();
    // the header page stays, the pages after it become noise
    const bytes = readFileSync(file);
    for (let at = 4096; at < bytes.length; at++) bytes[at] = (at * 7919) & 0xff;
    writeFileSync(file, bytes);
    const damaged = new ResponseCache(file);
    let error: unknown;
    try {
      for (let i = 0; i < 400; i++) damaged.get(`key-${i}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheError);
    expect((error as Error).message).toMatch(new RegExp(`^response cache ${file}: .*malformed.*; remove the file .*, give another with --cache PATH, or run with --no-cache$`));
    damaged.close();
  });

  it('two processes writing one cache at once stay consistent', async () => {
    const file = join(dir, 'shared.sqlite');
    const N = 400;
    const writer = (name: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', packagePath('test/fixtures/llm/cache-writer.ts'), file, name, String(N)], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const results = await Promise.all([writer('a'), writer('b')]);
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const cache = new ResponseCache(file);
    expect(cache.size).toBe(3 * N);
    for (let i = 0; i < N; i++) {
      expect(cache.get(`a-${i}`)?.text).toBe(`a ${i}`);
      expect(cache.get(`b-${i}`)?.text).toBe(`b ${i}`);
      // the first writer of a shared key keeps it: one of the two, whole
      expect(['a', 'b'].map((w) => `${w} ${i}`)).toContain(cache.get(`shared-${i}`)?.text);
    }
    const db = new Database(file, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    cache.close();
  });
});
