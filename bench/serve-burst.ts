/**
 * A burst against `twentyq serve` in a child process: the hostile request of a fault probe (800,000
 * one-letter inputs in one 4 MB embeddings request) and large legal embeddings requests in flight at
 * once, while GET /v1/models is timed and the server's resident memory is sampled from /proc. Used by
 * `npm run bench:serve` (which prints the figures) and by test/llm/serve-limits.test.ts (which checks
 * the refusals and loose bounds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { packagePath } from '../framework/util/paths.js';

export interface BurstFigures {
  /** Resident memory of the server before, at its highest during the burst, and after it settled (MB). */
  rssBeforeMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  /** GET /v1/models answered during the burst: how many, their median and slowest latency (ms). */
  modelsAnswered: number;
  modelsP50Ms: number;
  modelsMaxMs: number;
  /** The hostile request's status and error code, and how long it took to be refused (ms). */
  hostileStatus: number;
  hostileCode: string;
  hostileMs: number;
  /** Legal requests answered with 200, and the vectors they held in all. */
  legalAnswered: number;
  legalVectors: number;
  burstSeconds: number;
}

export interface BurstOptions {
  /** Legal requests sent at once. */
  concurrent: number;
  /** Inputs per legal request and characters per input. */
  inputs: number;
  chars: number;
  /** Rounds of `concurrent` legal requests. */
  rounds: number;
}

export const DEFAULT_BURST: BurstOptions = { concurrent: 8, inputs: 2048, chars: 400, rounds: 3 };

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

function start(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [packagePath('bin/run.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const url = /listening on (http:\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child });
    });
    child.once('exit', (code) => reject(new Error(`twentyq serve exited with ${code}`)));
  });
}

const post = (url: string, body: string) => fetch(`${url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;

export async function measureBurst(options: BurstOptions = DEFAULT_BURST): Promise<BurstFigures> {
  const { url, child } = await start();
  const pid = child.pid!;
  try {
    // warm up: the routes compiled, a first vector built
    await (await post(url, JSON.stringify({ model: 'embed:hash', input: ['warm up'] }))).json();
    await new Promise((r) => setTimeout(r, 300));
    const rssBeforeMb = rssMb(pid);
    let rssPeakMb = rssBeforeMb;
    const probe = new Worker(new URL('./serve-probe.js', import.meta.url), { workerData: { url } });
    const latencies = new Promise<number[]>((resolve) => probe.once('message', resolve));
    const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, rssMb(pid))), 10);
    const began = performance.now();
    const hostileBody = JSON.stringify({ model: 'embed:hash', input: new Array(800_000).fill('a') });
    const hostile = (async () => {
      const t = performance.now();
      const res = await post(url, hostileBody).catch(() => undefined);
      const body = res ? ((await res.json().catch(() => ({}))) as { error?: { code?: string } }) : {};
      return { status: res?.status ?? 0, code: body.error?.code ?? '(connection closed)', ms: performance.now() - t };
    })();
    const text = (i: number) => `Does it live in water ${i}? `.repeat(Math.ceil(options.chars / 26)).slice(0, options.chars);
    const legalBody = JSON.stringify({ model: 'embed:hash', input: Array.from({ length: options.inputs }, (_, i) => text(i)), encoding_format: 'float' });
    let legalAnswered = 0;
    let legalVectors = 0;
    for (let round = 0; round < options.rounds; round++) {
      const replies = await Promise.all(
        Array.from({ length: options.concurrent }, async () => {
          const res = await post(url, legalBody);
          return { status: res.status, body: (await res.json()) as { data?: unknown[] } };
        }),
      );
      for (const r of replies) {
        if (r.status === 200) legalAnswered++;
        legalVectors += r.body.data?.length ?? 0;
      }
    }
    const refused = await hostile;
    const burstSeconds = (performance.now() - began) / 1000;
    clearInterval(sampler);
    probe.postMessage('stop');
    const times = await latencies;
    await probe.terminate();
    // settled: what the burst left behind once the server is idle again
    await new Promise((r) => setTimeout(r, 1500));
    return {
      rssBeforeMb,
      rssPeakMb,
      rssAfterMb: rssMb(pid),
      modelsAnswered: times.length,
      modelsP50Ms: percentile(times, 0.5),
      modelsMaxMs: Math.max(...times),
      hostileStatus: refused.status,
      hostileCode: refused.code,
      hostileMs: refused.ms,
      legalAnswered,
      legalVectors,
      burstSeconds,
    };
  } finally {
    child.kill('SIGTERM');
  }
}
