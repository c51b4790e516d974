import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import OpenAI from 'openai';
import { answererPrompt, readMove, renderPrompt } from '../../framework/game/chat.js';
import { animals90 } from '../helpers.js';

// `twentyq serve` as a launcher meets it: the built binary in a child process, read through its one line.
const BIN = resolve('bin/run.js');
const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
const domain = animals90();
const rules = { max_questions: 20, wrong_guess: 'continue' as const };

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts the server and waits for its line: "twentyq serve: listening on URL (models: ...)". */
async function serve(args: string[]): Promise<{ child: ChildProcess; url: string; models: string[]; output: () => { stdout: string; stderr: string } }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const m = /^twentyq serve: listening on (http:\/\/127\.0\.0\.1:\d+\/v1) \(models: (.*)\)$/m.exec(stdout);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url: line[1]!, models: line[2]!.split(', '), output: () => ({ stdout, stderr }) };
}

describe('twentyq serve', () => {
  it('prints its URL, plays and answers through it, and exits 0 on SIGTERM', async () => {
    const { child, url, models, output } = await serve(['--policy', '{use: infogain, label: expert}']);
    expect(models).toEqual(['expert', 'answerer:kb']);
    const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    const move = await client.chat.completions.create({ model: 'expert', messages: renderPrompt(domain, rules, []) });
    // the expert served beside kb reads its unknown three ways: its opening question is "Does it live in groups?"
    expect(readMove(move.choices[0]!.message.content!, domain)).toMatchObject({ kind: 'question', attribute: 'groups' });
    const answer = await client.chat.completions.create({
      model: 'answerer:kb',
      messages: [
        { role: 'system', content: answererPrompt(domain, domain.candidate('zebra')) },
        { role: 'user', content: 'Does it have stripes?' },
      ],
    });
    expect(answer.choices[0]!.message.content).toBe('Yes.');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output().stderr).toContain('twentyq serve: stopped (SIGTERM) after 2 requests: 2 completions');
  });

  it('exits 0 on Ctrl-C (SIGINT) too, even the moment it has printed its URL', async () => {
    const { child, output } = await serve([]);
    child.kill('SIGINT');
    const exit = await once(child, 'exit');
    expect(output().stderr).toContain('stopped (SIGINT)');
    expect(exit).toEqual([0, null]);
  });

  it('misbehaves as told: --fail-rate 1 with --fail-status 429', async () => {
    const { url } = await serve(['--fail-rate', '1', '--fail-status', '429']);
    const response = await fetch(`${url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'infogain', messages: renderPrompt(domain, rules, []) }) });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('1');
  });

  it('refuses bad options and a port in use with a clear message and exit code 1', async () => {
    const bad = spawnSync(process.execPath, [BIN, 'serve', '--fail-rate', '1.5'], { env, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--fail-rate must be a probability between 0 and 1, got "1.5"');
    const status = spawnSync(process.execPath, [BIN, 'serve', '--fail-status', '429,418'], { env, encoding: 'utf8' });
    expect(status.stderr).toContain('--fail-status takes 429, 500, 503 or a comma list of them, got "418"');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const taken = spawnSync(process.execPath, [BIN, 'serve', '--port', String(port)], { env, encoding: 'utf8' });
    blocker.close();
    expect(taken.status).toBe(1);
    expect(taken.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
  });
});

describe('twentyq serve: an API key and the address', () => {
  it('reads the key from the environment, requires it, and says so when it starts', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--api-key-env', 'MY_SERVE_KEY'], { env: { ...env, MY_SERVE_KEY: 'k-123' } });
    started.push(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const m = /listening on (\S+) \(models: .*\); API key required$/m.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    expect((await fetch(`${url}/models`)).status).toBe(401);
    expect((await fetch(`${url}/models`, { headers: { authorization: 'Bearer k-123' } })).status).toBe(200);
    // the key is never printed
    expect(stdout).not.toContain('k-123');
  });

  it('refuses --api-key-env naming a variable that is not set', () => {
    const env2: NodeJS.ProcessEnv = { ...env };
    delete env2.NOT_SET_KEY;
    const r = spawnSync(process.execPath, [BIN, 'serve', '--port', '0', '--api-key-env', 'NOT_SET_KEY'], { env: env2, encoding: 'utf8' });
    // a usage error, as for every bad option of serve (exit code 1)
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--api-key-env NOT_SET_KEY: the environment variable NOT_SET_KEY is not set');
  });

  it('warns when it listens beyond 127.0.0.1 without a key, and not on 127.0.0.1', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '0.0.0.0'], { env });
    started.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve()));
    expect(stderr).toContain('warning: listening on 0.0.0.0 without an API key');
    expect(stderr).toContain('TWENTYQ_SERVE_API_KEY');
    const local = await serve([]);
    expect(local.output().stderr).not.toContain('warning');
  });
});
