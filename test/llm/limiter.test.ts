import { describe, expect, it } from 'vitest';
import { RateLimiter, type Permit } from '../../framework/llm/limiter.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('rate limiter', () => {
  it('serves callers in the order they asked, never more than `concurrency` at once', async () => {
    const limiter = new RateLimiter({ concurrency: 2 });
    const granted: number[] = [];
    const permits: Permit[] = [];
    const all = Array.from({ length: 5 }, (_, i) =>
      limiter.acquire(1).then((p) => {
        granted.push(i);
        permits.push(p);
      }),
    );
    await tick();
    expect(granted).toEqual([0, 1]);
    expect(limiter.waiting).toBe(3);
    permits[1]!.release();
    permits[1]!.release(); // a second release of one permit frees nothing more
    await tick();
    expect(granted).toEqual([0, 1, 2]);
    permits[0]!.release();
    permits[2]!.release();
    await tick();
    expect(granted).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(all);
  });

  it('an aborted waiter leaves the queue and the next one is served in its place', async () => {
    const limiter = new RateLimiter({ concurrency: 1 });
    const first = await limiter.acquire(1);
    const controller = new AbortController();
    const aborted = limiter.acquire(1, controller.signal);
    let third = false;
    const next = limiter.acquire(1).then(() => (third = true));
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(limiter.waiting).toBe(1);
    first.release();
    await next;
    expect(third).toBe(true);
    await expect(limiter.acquire(1, AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('tokens per minute: callers wait for the tokens they need, as the bucket refills', async () => {
    // 60000 tokens a minute: one token a millisecond; the bucket starts full
    const limiter = new RateLimiter({ concurrency: 10, tokens_per_minute: 60_000 });
    const t0 = performance.now();
    (await limiter.acquire(60_000)).release();
    const t1 = performance.now();
    (await limiter.acquire(100)).release();
    const t2 = performance.now();
    (await limiter.acquire(200)).release();
    const t3 = performance.now();
    console.log(`rate limiter: a full bucket in ${(t1 - t0).toFixed(0)} ms, then 100 tokens after ${(t2 - t1).toFixed(0)} ms and 300 after ${(t3 - t1).toFixed(0)} ms (100 and 300 expected)`);
    expect(t1 - t0).toBeLessThan(1000);
    expect(t2 - t1).toBeGreaterThanOrEqual(99);
    expect(t3 - t1).toBeGreaterThanOrEqual(299);
    // waiting no more than the tokens need, give or take a busy machine (a wrong bucket would wait a minute)
    expect(t3 - t1).toBeLessThan(900);
  });

  it('tokens per minute: the real usage corrects the estimate', async () => {
    const limiter = new RateLimiter({ concurrency: 10, tokens_per_minute: 60_000 });
    // estimated the whole bucket, used nothing: it is given back, the next caller does not wait
    (await limiter.acquire(60_000)).release(0);
    const t = performance.now();
    (await limiter.acquire(60_000)).release(60_060); // used 60 more than estimated: the bucket owes 60
    expect(performance.now() - t).toBeLessThan(1000);
    const t1 = performance.now();
    (await limiter.acquire(10)).release();
    expect(performance.now() - t1).toBeGreaterThanOrEqual(69);
  });

  it('tightening keeps the lower of each limit', () => {
    const limiter = new RateLimiter({ concurrency: 64, requests_per_minute: 600 });
    limiter.tighten({ concurrency: 128, requests_per_minute: 1000, tokens_per_minute: 5000 });
    expect(limiter.current).toEqual({ concurrency: 64, requests_per_minute: 600, tokens_per_minute: 5000 });
    expect(() => new RateLimiter({ concurrency: 0 })).toThrow(/concurrency must be at least 1/);
  });
});
