import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAndResume, reference, type Trial } from '../../bench/faults-harness.js';
import type { RunRecord } from '../../framework/run/rundir.js';
import { Rng } from '../../framework/util/rng.js';
import type { ProcessRecord } from '../../framework/util/processes.js';
import type { UsageFigures, UsageLine } from '../../framework/llm/usage.js';
import { alive } from '../helpers.js';

// The small form of bench/faults.ts (npm run bench:faults): one kill -9 in each game and training stage.
const EXPERIMENT = 'test/fixtures/mini-pipeline.yaml';
const ARGS = ['--workers', '2'];

describe('kill -9, then --resume', () => {
  it('ends with the files of an uninterrupted run, whichever stage the kill hit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'twentyq-faults-'));
    const whole = reference(EXPERIMENT, join(root, 'whole'), ARGS);
    const seconds = new Map((JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as RunRecord).stages.map((s) => [s.name, s.seconds!]));
    const rng = new Rng(7);
    for (const [n, stage] of ['games', 'sft', 'dpo', 'grpo'].entries()) {
      let moment = Math.round(rng.next() * 0.9 * seconds.get(stage)! * 1000);
      let trial = await killAndResume(EXPERIMENT, join(root, `trial-${n}`), ARGS, { stage, moment }, whole);
      // a run that completed before its kill (a busy machine made the reference slow) is tried again sooner
      for (let again = 1; !trial.killed && trial.ended?.code === 0 && again <= 3; again++) {
        moment = Math.round(moment / 4);
        trial = await killAndResume(EXPERIMENT, join(root, `trial-${n}-${again}`), ARGS, { stage, moment }, whole);
      }
      expect(trial.killed, `${stage} +${moment} ms: the run ended first, ${JSON.stringify(trial.ended)}`).toBe(true);
      expect(trial.at, `${stage} +${moment} ms`).not.toMatch(/final:done/);
      expect(trial.resumeCode, `${stage} +${moment} ms`).toBe(0);
      expect(trial.differences, `${stage} +${moment} ms, killed at ${trial.at}`).toEqual([]);
    }
  }, 300_000); // five runs of a pipeline, each killed and resumed: minutes on a busy machine
});

describe('kill -9 of a run with a launched server, then --resume', () => {
  it('stops the server the killed run left running (the same process, provably), and leaves no process behind', async () => {
    const out = mkdtempSync(join(tmpdir(), 'twentyq-faults-server-'));
    const BIN = join(process.cwd(), 'bin/run.js');
    const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
    // slow replies, so that the kill comes while the stage plays through the server
    const args = ['run', 'test/fixtures/launching.yaml', '--out', out, '--progress', 'none', '--set', 'stages.0.evaluate.policies.0.with.latency_ms=300'];
    const child = spawn(process.execPath, [BIN, ...args], { env, detached: true, stdio: 'ignore' });
    const records = () => {
      const [id] = existsSync(join(out, 'launching')) ? readdirSync(join(out, 'launching')) : [];
      const dir = id ? join(out, 'launching', id) : undefined;
      const files = dir && existsSync(join(dir, 'processes')) ? readdirSync(join(dir, 'processes')) : [];
      return { dir, records: files.map((f) => JSON.parse(readFileSync(join(dir!, 'processes', f), 'utf8')) as ProcessRecord) };
    };
    let seen = records();
    for (let waited = 0; seen.records.length === 0; waited += 50) {
      expect(waited, 'the server was never recorded').toBeLessThan(60_000);
      await new Promise((r) => setTimeout(r, 50));
      seen = records();
    }
    await new Promise((r) => setTimeout(r, 500));
    const [server] = seen.records;
    expect(server).toMatchObject({ label: 'served', pgid: server!.pid });
    expect(server!.command).toContain('serve --port');
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // the run is gone, its server is not (its own process group: the kill of the run's group missed it)
    expect(alive(server!.pid)).toBe(true);
    const resumed = spawnSync(process.execPath, [BIN, 'run', '--resume', seen.dir!, '--progress', 'lines'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resume: stopping served (pid ${server!.pid}, "${server!.command}"), left running by the run's last process`);
    expect(alive(server!.pid)).toBe(false);
    // the resumed run's own server was recorded and stopped too: no record, no process left
    expect(records().records).toEqual([]);
    const games = readFileSync(join(seen.dir!, '01-evaluate.jsonl'), 'utf8').trim().split('\n');
    expect(games).toHaveLength(9);
  });
});

describe('kill -9 during an api stage, then --resume', () => {
  it('reports the requests and tokens of the uninterrupted run: every call paid before the kill is counted', async () => {
    const root = mkdtempSync(join(tmpdir(), 'twentyq-faults-usage-'));
    const args = (cache: string) => ['--set', 'stages.0.evaluate.games_per_animal=3', '--cache', join(root, cache), '--workers', '1'];
    const whole = reference('experiments/api-local.yaml', join(root, 'whole'), args('whole.sqlite'));
    const seconds = (JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')) as RunRecord).stages[0]!.seconds!;
    const figures = (dir: string) => (JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { stages: Record<string, { usage: Record<string, UsageFigures> }> }).stages['01-evaluate']!.usage;
    let trial: Trial | undefined;
    // half way through the stage; sooner if the machine was faster than the reference run
    for (let moment = Math.round(seconds * 500), n = 0; n < 4; moment = Math.round(moment / 2), n++) {
      // the resumed process answers from the cache the killed one filled
      trial = await killAndResume('experiments/api-local.yaml', join(root, `trial-${n}`), args(`trial-${n}.sqlite`), { stage: '01-evaluate', moment }, whole, ['--cache', join(root, `trial-${n}.sqlite`)]);
      if (trial.killed) break;
    }
    expect(trial!.killed, 'every run ended before its kill').toBe(true);
    expect(trial!.resumeCode).toBe(0);
    // the games are the uninterrupted run's (their moves and answers; each move's latency and cache flag differ)
    const games = (dir: string) =>
      readFileSync(join(dir, '01-evaluate.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { game: number; policy: string; target: string; outcome: string; turns: { move: { text: string }; answer?: string }[] })
        .map((g) => [g.game, g.policy, g.target, g.outcome, g.turns.map((t) => [t.move.text, t.answer])])
        .sort((x, y) => String(x.slice(0, 2)).localeCompare(String(y.slice(0, 2))));
    expect(games(trial!.dir)).toEqual(games(whole));
    const [a, b] = [figures(whole), figures(trial!.dir)];
    // A reply is written to the ledger before the cache: one that came just before the kill and was not
    // cached yet is asked again, and paid again. Such repeats are real spend, and the ledger shows them
    // (the same request's key twice): beyond them, every figure is the uninterrupted run's.
    const calls = readFileSync(join(trial!.dir, 'usage.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as UsageLine);
    for (const label of ['api-text', 'api-tools']) {
      const seen = new Set<string | undefined>();
      const again: UsageLine[] = [];
      for (const c of calls.filter((c) => c.label === label && !c.cached)) {
        if (seen.has(c.key)) again.push(c);
        else seen.add(c.key);
      }
      expect(seen.has(undefined)).toBe(false);
      const extra = (field: 'requests' | 'prompt_tokens' | 'completion_tokens') => again.reduce((n, c) => n + c[field], 0);
      expect(again.length).toBeLessThanOrEqual(8);
      expect({
        requests: b[label]!.requests - extra('requests'),
        prompt_tokens: b[label]!.prompt_tokens - extra('prompt_tokens'),
        completion_tokens: b[label]!.completion_tokens - extra('completion_tokens'),
        errors: b[label]!.errors,
      }).toEqual({
        requests: a[label]!.requests,
        prompt_tokens: a[label]!.prompt_tokens,
        completion_tokens: a[label]!.completion_tokens,
        errors: 0,
      });
      // games in flight at the kill were played again from the cache: hits, not requests
      expect(b[label]!.calls).toBe(b[label]!.requests + b[label]!.cache_hits);
      expect(b[label]!.calls).toBeGreaterThanOrEqual(a[label]!.calls);
    }
  });
});
