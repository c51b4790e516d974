import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateLimiter, type Permit } from '../../framework/llm/limiter.js';

// The limiter's clock (performance.now) and its timers are faked: waits are measured exactly, in no real time.
beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] }));
afterEach(() => vi.useRealTimers());

const tick = () => vi.advanceTimersByTimeAsync(5);

/** How long, on the fake clock, a caller waits for `tokens`, releasing them at once. */
async function waitFor(limiter: RateLimiter, tokens: number, used?: number): Promise<number> {
  const start = performance.now();
  const permit = limiter.acquire(tokens);
  await vi.runAllTimersAsync();
  (await permit).release(used);
  return performance.now() - start;
}

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
    expect(await waitFor(limiter, 60_000)).toBe(0);
    expect(await waitFor(limiter, 100)).toBe(100);
    expect(await waitFor(limiter, 200)).toBe(200);
  });

  it('tokens per minute: the real usage corrects the estimate', async () => {
    const limiter = new RateLimiter({ concurrency: 10, tokens_per_minute: 60_000 });
    // estimated the whole bucket, used nothing: it is given back, the next caller does not wait
    expect(await waitFor(limiter, 60_000, 0)).toBe(0);
    // used 60 more than estimated: the bucket owes 60, so 10 tokens come after 70 ms
    expect(await waitFor(limiter, 60_000, 60_060)).toBe(0);
    expect(await waitFor(limiter, 10)).toBe(70);
  });

  it('tightening keeps the lower of each limit', () => {
    const limiter = new RateLimiter({ concurrency: 64, requests_per_minute: 600 });
    limiter.tighten({ concurrency: 128, requests_per_minute: 1000, tokens_per_minute: 5000 });
    expect(limiter.current).toEqual({ concurrency: 64, requests_per_minute: 600, tokens_per_minute: 5000 });
    expect(() => new RateLimiter({ concurrency: 0 })).toThrow(/concurrency must be at least 1/);
  });
});
