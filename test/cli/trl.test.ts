import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, CLI_ENV, cli, jsonLines, runDirOf } from '../helpers.js';

// The trl backend end to end: the built CLI drives the Python package (the environment `npm test` sets
// up with `twentyq setup python`, or TWENTYQ_PYTHON) on the tiny model, on the CPU.
const env = CLI_ENV;
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-trl-'));

const lines = jsonLines;
const runDir = runDirOf;

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('the Python environment', () => {
  it('a missing environment is a clear error naming twentyq setup python', () => {
    const home = tmp();
    const { TWENTYQ_PYTHON: _python, ...bare } = env;
    const check = cli(['setup', 'python', '--check'], { env: { ...bare, TWENTYQ_HOME: home } });
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`there is no Python environment at ${join(home, 'python')}`);
    expect(check.stderr).toContain('run `twentyq setup python`');
    const run = cli(['run', 'test/fixtures/trl-sft.yaml', '--out', tmp(), '--no-cache'], { env: { ...bare, TWENTYQ_HOME: home } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('run `twentyq setup python`');
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const bogus = cli(['run', 'test/fixtures/trl-sft.yaml', '--out', tmp(), '--no-cache'], { env: { ...env, TWENTYQ_PYTHON: '/nowhere/bin/python' } });
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('TWENTYQ_PYTHON names /nowhere/bin/python, which does not exist');
  });
});

describe('a trl stage that cannot train', () => {
  it('a folder that is no model is refused before Python starts; a Python error fails the stage with its last lines', () => {
    const empty = tmp();
    const refused = cli(['run', 'test/fixtures/trl-sft.yaml', '--out', tmp(), '--no-cache', '--progress', 'none', '--set', `policy.with.model=${empty}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`sft: training sft with weighted-sft(factor=1,epochs=1,lr=0.002,batch_size=4) failed: model ${empty} holds no config.json`);
    // a config Python cannot read: the trainer raises, and the stage quotes its traceback's last lines
    const broken = tmp();
    writeFileSync(join(broken, 'config.json'), JSON.stringify({ model_type: 'qwen3', vocab_size: 'many' }));
    const out = tmp();
    const failed = cli(['run', 'test/fixtures/trl-sft.yaml', '--out', out, '--no-cache', '--progress', 'none', '--set', `policy.with.model=${broken}`]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/sft: training sft with .* failed: \S*python\S* -m twentyq_trl sft \S*sft\.job\.json exited with code 1; the last lines of its output \(all of it in \S*python\.log\):/);
    expect(failed.stderr).toContain("Field 'vocab_size' expected int");
    expect(failed.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(readFileSync(join(runDir(out, 'trl-sft'), 'sft.model', 'python.log'), 'utf8')).toContain('Traceback');
    expect(JSON.parse(readFileSync(join(runDir(out, 'trl-sft'), 'run.json'), 'utf8')).status).toBe('failed');
  });
});

describe('twentyq model tiny', () => {
  it('builds the same files twice for a seed, with the architecture asked for; refuses a shape that cannot be', () => {
    const [a, b] = [tmp(), tmp()];
    for (const out of [a, b]) {
      const r = cli(['model', 'tiny', '--hidden-size', '64', '--layers', '2', '--seed', '3', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(out);
    }
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8')) as Record<string, number>;
    expect([config.hidden_size, config.num_hidden_layers, config.vocab_size]).toEqual([64, 2, 606]); // 600 tokens learnt, 6 added (<think>, <tool_call> ...)
    for (const file of ['model.safetensors', 'tokenizer.json', 'config.json', 'chat_template.jinja']) expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file).toBe(true);
    const again = cli(['model', 'tiny', '--hidden-size', '64', '--layers', '2', '--seed', '3', '--out', a]);
    expect(again.stderr).toContain('built already');
    const bad = cli(['model', 'tiny', '--heads', '3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--heads 3 does not divide --hidden-size 128');
  });
});

describe('the trl policy on the tiny model', () => {
  it('SFT through twentyq run, then played through transformers serve', () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/trl-sft.yaml', '--out', out, '--workers', '2', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eval-sft\s+sft\s+6\s+\d+\s+0\s/);
    const dir = runDir(out, 'trl-sft');
    const curve = lines(join(dir, 'sft.curve.jsonl')).filter((p) => p.step !== undefined);
    expect(curve.length).toBeGreaterThan(2);
    // one epoch already drives the loss down from the random model's ln(vocabulary)
    expect(curve.at(-1)!.loss).toBeLessThan(curve[0]!.loss);
    const ckpt = JSON.parse(readFileSync(join(dir, 'sft.ckpt.json'), 'utf8'));
    expect(ckpt).toMatchObject({ format: 'twentyq-trl-checkpoint', model: 'sft.model/final', adapter: false, complete: true });
    expect(existsSync(join(dir, 'sft.model', 'final', 'config.json'))).toBe(true);
    // the rows trained on are the games rendered as chats without the candidates' list
    const rows = lines(join(dir, 'sft.model', 'data.jsonl'));
    expect(rows).toHaveLength(30);
    expect(rows[0]!.messages[0].content).toContain('I am thinking of an animal.');
    // evaluated by the api path, through a server of the trained weights
    expect(lines(join(dir, 'eval-sft.jsonl'))).toHaveLength(6);
    expect(readFileSync(join(dir, 'servers', 'sft.log'), 'utf8')).toMatch(/launching: \S*transformers serve \S*sft\.model\/final/);
  }, 300_000); // a training run, then a model server started and played: minutes on a busy machine

  it('its transformers serve is stopped before a training stage on its device and started again for the next evaluation; no two at once', () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/trl-servers.yaml', '--out', out, '--workers', '1', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    const dir = runDir(out, 'trl-servers');
    const events = lines(join(dir, 'servers', 'events.jsonl'));
    expect(events.map((e) => [e.event, e.server, e.stage, e.why])).toEqual([
      ['start', 'base', 'base', 'asked for'],
      // device auto is planned as cuda:0: the server gives the device back before the policy trains there
      ['stop', 'base', 'sft', 'stage sft trains on cuda:0'],
      ['start', 'base', 'again', 'asked for again'],
      ['stop', 'base', 'eval-sft', 'no later stage uses it'],
      ['start', 'sft', 'eval-sft', 'asked for'],
      ['stop', 'sft', 'eval-sft', 'the run ended'],
    ]);
    expect(events.every((e) => e.devices.join() === 'cuda:0' && /transformers serve/.test(e.command))).toBe(true);
    // one server up at a time: every start follows the stop of the one before
    expect(events.map((e) => e.event).join(' ')).toBe('start stop start stop start stop');
    // the trainer ran in stage sft, after the stop it waited for and before the start of the stage after it
    const trained = lines(join(dir, 'sft.curve.jsonl'));
    expect(trained.length).toBeGreaterThan(0);
    expect(r.stderr).toContain('servers: stopping base on cuda:0 (device: auto) in stage sft: stage sft trains on cuda:0');
    expect(r.stderr).toContain('servers: starting base on cuda:0 (device: auto) in stage again: asked for again');
    expect(readFileSync(join(dir, 'servers', 'base.log'), 'utf8').match(/launching: \S*transformers serve/g)).toHaveLength(2);
  }, 600_000); // three model servers started and a training run: minutes on a busy machine

  it('Ctrl-C during a trl training stage keeps its checkpoint; --resume finishes the stage from it', async () => {
    const out = tmp();
    const child = spawn(process.execPath, [BIN, 'run', 'test/fixtures/trl-resume.yaml', '--out', out, '--workers', '1', '--progress', 'lines', '--no-cache'], { env });
    started.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // wait for the trainer's first checkpoint
    const checkpoints = () => {
      try {
        return readdirSync(join(runDir(out, 'trl-resume'), 'sft.model', 'checkpoints')).filter((f) => f.startsWith('checkpoint-'));
      } catch {
        return [];
      }
    };
    const until = Date.now() + 240_000;
    while (checkpoints().length === 0 && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(checkpoints().length, stderr).toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    const dir = runDir(out, 'trl-resume');
    const record = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(record.status).toBe('interrupted');
    expect(JSON.parse(readFileSync(join(dir, 'sft.ckpt.json'), 'utf8')).complete).toBe(false);
    const stoppedAt = Math.max(...checkpoints().map((c) => Number(c.split('-')[1])));
    const total = 24; // 24 rows, batch 4, 4 epochs: 24 optimiser steps
    expect(stoppedAt).toBeLessThan(total);

    const resumed = cli(['run', '--resume', dir, '--workers', '1', '--no-cache']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // the resumed stage went on from the checkpoint, not from step 1
    expect(readFileSync(join(dir, 'sft.model', 'python.log'), 'utf8')).toContain(`resuming from ${join(dir, 'sft.model', 'checkpoints', `checkpoint-${stoppedAt}`)}`);
    // and its curve is whole: the first attempt's steps up to the checkpoint, then the resumed ones, each once
    const steps = lines(join(dir, 'sft.curve.jsonl'))
      .filter((p) => p.step !== undefined)
      .map((p) => p.step as number);
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(JSON.parse(readFileSync(join(dir, 'sft.ckpt.json'), 'utf8')).complete).toBe(true);
  });

  it("GRPO: the rewards the trainer reports are the reward plugin's scores of the games it played against the engine", () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/trl-grpo.yaml', '--out', out, '--workers', '1', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    const dir = runDir(out, 'trl-grpo');
    const games = lines(join(dir, 'grpo.model', 'games.jsonl'));
    const curve = lines(join(dir, 'grpo.curve.jsonl')).filter((p) => p.step !== undefined);
    expect(curve.map((p) => p.step)).toEqual([1, 2]);
    // 2 targets x 2 games a step, recorded in the order they finished: a step's games are together
    expect(games).toHaveLength(8);
    const score = (game: Record<string, any>) => game.turns.reduce((n: number, turn: any) => n + turn.move.text.length, 0) / 100;
    for (const game of games) expect(game.reward).toBeCloseTo(score(game), 12);
    curve.forEach((point, s) => {
      const step = games.slice(4 * s, 4 * s + 4);
      expect(point.reward).toBeCloseTo(step.reduce((n, g) => n + g.reward, 0) / 4, 5);
      // whether the step could teach: the groups (2 games of a target) whose rewards are equal, games cut, invalid moves
      const groups = [step.filter((g) => g.target === step[0]!.target), step.filter((g) => g.target !== step[0]!.target)];
      expect(point.zero_spread).toBe(groups.filter((g) => g[0]!.reward === g[1]!.reward).length / 2);
      expect(point.invalid_rate).toBeCloseTo(step.reduce((n, g) => n + g.invalid, 0) / step.reduce((n, g) => n + g.questions, 0), 9);
      expect(point.clipped).toEqual(expect.any(Number));
    });
  });
  it('GRPO whose moves are cut at the token limit: the alarm names max_new_tokens, in the log, the summary and metrics.json', () => {
    const out = tmp();
    const r = cli(['run', 'test/fixtures/trl-grpo-cut.yaml', '--out', out, '--workers', '1', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    const dir = runDir(out, 'trl-grpo-cut');
    const [point] = lines(join(dir, 'grpo.curve.jsonl')).filter((p) => p.step !== undefined);
    expect(point!.clipped).toBe(1);
    const { grpo } = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).stages.grpo;
    expect(grpo.alarms).toEqual([{ kind: 'clipped', step: 1, message: expect.stringContaining('100% of the games of step 1 were cut at a token limit') }]);
    expect(r.stderr + r.stdout).toContain(
      "warning: grpo: 100% of the games of step 1 were cut at a token limit (5.0% is the limit): they are scored as the model did not finish them. Raise the policy's max_new_tokens (a move) or max_length (a whole game)",
    );
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toContain('games cut 100% (most 100%)');
  });
});
