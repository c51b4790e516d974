import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { renderPrompt, readMove } from '../../framework/game/chat.js';
import { compileSchema } from '../../framework/config/schema.js';
import { LaunchError, launchServer, type LaunchedServer, type LaunchSpec } from '../../framework/llm/launch.js';
import { LAUNCH_OPTIONS, Launches } from '../../framework/llm/launches.js';
import { ModelLayer } from '../../framework/llm/layer.js';
import { animals90 } from '../helpers.js';

// Real processes, real HTTP on 127.0.0.1 and the real openai client: `twentyq serve` (the built CLI)
// launched as a server, and small node servers that misbehave in the ways launched servers do.
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-launch-'));
const SERVE = ['node', 'bin/run.js', 'serve', '--port', '{PORT}'];
const spec = (command: LaunchSpec['command'], more: Partial<LaunchSpec> = {}): LaunchSpec => ({ command, timeout_s: 60, log: join(tmp(), 'server.log'), ...more });

const launched: LaunchedServer[] = [];
async function start(s: LaunchSpec): Promise<LaunchedServer> {
  const server = await launchServer(s);
  launched.push(server);
  return server;
}
afterAll(async () => {
  await Promise.all(launched.map((s) => s.stop()));
});

/** Whether any process of the group is left (a zombie not yet reaped counts until it is). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One move of a game asked of the server with the openai client, as the `api` policy asks it. */
async function firstMove(base_url: string): Promise<string> {
  const client = new OpenAI({ baseURL: base_url, apiKey: 'unused', maxRetries: 0 });
  const domain = animals90();
  const completion = await client.chat.completions.create({ model: 'infogain', messages: renderPrompt(domain, { max_questions: 20, wrong_guess: 'continue' }, []) });
  const text = completion.choices[0]!.message.content!;
  expect(readMove(text, domain).kind).toBe('question');
  return text;
}

describe('a launched server', () => {
  it('starts `twentyq serve` on a free port, answers a chat completion, and stop() ends its whole process group', async () => {
    // a helper process in the same group, as vLLM's engine cores are
    const s = spec(`sleep 600 & echo "helper $!"; exec ${SERVE.join(' ')}`);
    const server = await start(s);
    expect(server.base_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    await firstMove(server.base_url);
    const helper = Number(/helper (\d+)/.exec(readFileSync(s.log, 'utf8'))![1]);
    expect(alive(helper)).toBe(true);
    expect(groupAlive(server.pid)).toBe(true);
    await Promise.all([server.stop(), server.stop()]);
    expect(groupAlive(server.pid)).toBe(false);
    expect(alive(helper)).toBe(false);
    await server.stop(); // idempotent
    expect(server.failure).toBeUndefined();
    const log = readFileSync(s.log, 'utf8');
    expect(log).toContain(`pid ${server.pid}, its own process group`);
    expect(log).toContain('twentyq serve: stopped (SIGTERM)');
    expect(log.trimEnd().endsWith('stopped')).toBe(true);
  });

  it('takes the URL from the server\'s "listening on" line when the command has no {PORT} (twentyq serve --port 0)', async () => {
    const server = await start(spec('twentyq serve --port 0'));
    const printed = /listening on (\S+)/.exec(server.tail())![1];
    expect(server.base_url).toBe(printed);
    await firstMove(server.base_url);
  });

  it('a server that exits at once is an error with the last lines of its log', async () => {
    const s = spec(['node', '-e', 'console.log("loading the model"); console.error("CUDA out of memory"); process.exit(3)']);
    const error = await launchServer(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchError);
    const message = (error as Error).message;
    expect(message).toContain('exited with code 3 before it was ready');
    expect(message).toContain(`the last lines of its log ${s.log}`);
    expect(message).toContain('  CUDA out of memory');
    expect(message).toContain('  loading the model');
  });

  it('a server that never answers 200 in time is an error naming the URL, and is stopped', async () => {
    const s = spec(['node', '-e', 'require("http").createServer((q, s) => { s.statusCode = 503; s.end(); }).listen(Number(process.argv[1]), "127.0.0.1")', '{PORT}'], { timeout_s: 1 });
    const error = await launchServer(s).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/did not answer GET http:\/\/127\.0\.0\.1:\d+\/v1\/models with 200 within 1 s/);
    const pid = Number(/pid (\d+)/.exec(readFileSync(s.log, 'utf8'))![1]);
    expect(groupAlive(pid)).toBe(false);
  });

  it('without {PORT} and without a listening line, the timeout says where to put {PORT}', async () => {
    const error = await launchServer(spec(['node', '-e', 'setInterval(() => {}, 1000)'], { timeout_s: 1 })).catch((e: unknown) => e);
    expect((error as Error).message).toContain('printed no "listening on URL" line within 1 s, and its command has no {PORT}: put {PORT} where it takes its port');
  });

  it('a server killed while in use rejects `died` with the command and its log, and what it started is ended too', async () => {
    const command = `sleep 600 & echo "helper $!"; exec ${SERVE.join(' ')}`;
    const s = spec(command);
    const server = await start(s);
    const helper = Number(/helper (\d+)/.exec(readFileSync(s.log, 'utf8'))![1]);
    process.kill(server.pid, 'SIGKILL');
    const error = await server.died.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LaunchError);
    const message = (error as Error).message;
    expect(message).toContain(`launched server "${command}" was killed by SIGKILL while the run was using it`);
    expect(message).toContain('twentyq serve: listening on');
    expect(server.failure).toBe(error);
    for (let i = 0; i < 100 && alive(helper); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(helper)).toBe(false);
  });

  it('a command that is not there says so', async () => {
    const error = await launchServer(spec(['no-such-server-xyz', '--port', '{PORT}'])).catch((e: unknown) => e);
    expect((error as Error).message).toContain('launched server "no-such-server-xyz --port {PORT}" could not be started (spawn no-such-server-xyz ENOENT: is it installed, and on the PATH?)');
  });

  it('a server that ignores SIGTERM is killed after the grace period', async () => {
    const s = spec(['node', '-e', 'process.on("SIGTERM", () => {}); require("http").createServer((q, s) => s.end("{}")).listen(Number(process.argv[1]), "127.0.0.1")', '{PORT}'], { grace_ms: 300 });
    const server = await start(s);
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(groupAlive(server.pid)).toBe(false);
    expect(server.failure).toBeUndefined();
  });

  it('waits for a /health ready URL resolved on the server', async () => {
    const body = 'require("http").createServer((q, s) => { s.statusCode = q.url === "/health" ? 200 : 500; s.end(); }).listen(Number(process.argv[1]), "127.0.0.1")';
    const server = await start(spec(['node', '-e', body, '{PORT}'], { ready_url: '/health' }));
    expect(server.base_url).toMatch(/\/v1$/);
  });
});

describe('the registry of launched servers', () => {
  it('the same launch is one server; another environment is another; close ends them all, and only its own', async () => {
    const launches = new Launches({ runDir: tmp() });
    const other = new Launches({ runDir: tmp() });
    const [a, b] = await Promise.all([launches.acquire(SERVE, 'a'), launches.acquire(SERVE, 'b')]);
    expect(b).toBe(a);
    const c = await launches.acquire({ command: SERVE, env: { SOMETHING: '1' } }, 'c');
    expect(c.pid).not.toBe(a.pid);
    // another run's registry: its own server for the same command, untouched when the first closes
    const o = await other.acquire(SERVE, 'a');
    expect(o.pid).not.toBe(a.pid);
    await launches.close();
    expect(groupAlive(a.pid)).toBe(false);
    expect(groupAlive(c.pid)).toBe(false);
    expect(groupAlive(o.pid)).toBe(true);
    await other.close();
    expect(groupAlive(o.pid)).toBe(false);
  });

  it('a launched server logs to servers/<label>.log in the run directory; a later run on the same cache finds its answers, whatever its port, unless the weights differ', async () => {
    const runDir = tmp();
    const cache = join(tmp(), 'responses.sqlite');
    const ask = async (layer: ModelLayer, weights?: string) => {
      const endpoint = await layer
        .models()
        .endpoint({ base_url: 'unused', model: 'infogain', api_key_env: null, timeout: 60, max_retries: 0, concurrency: 4, launch: SERVE.join(' '), ...(weights === undefined ? {} : { weights }) }, 'api(model=Qwen/Qwen3-4B)');
      const reply = await endpoint.chat({ model: 'infogain', temperature: 0, messages: renderPrompt(animals90(), { max_questions: 20, wrong_guess: 'continue' }, []) }, { timeout: 60, max_retries: 0 });
      return { reply, server: await layer.launches.acquire(SERVE.join(' '), 'again') };
    };
    const first = new ModelLayer({ cache, runDir });
    const { reply, server } = await ask(first);
    expect(reply.cached).toBe(false);
    expect(server.log).toBe(join(runDir, 'servers', 'api_model_Qwen_Qwen3-4B_.log'));
    expect(readFileSync(server.log, 'utf8')).toContain('launching: node bin/run.js serve --port {PORT}');
    await first.close();
    expect(groupAlive(server.pid)).toBe(false);
    const second = new ModelLayer({ cache, runDir: tmp() });
    const again = await ask(second);
    expect(again.reply).toMatchObject({ cached: true, text: reply.text });
    await second.close();
    // the same command serving other weights (a stage trained again at the same path) is asked afresh
    const third = new ModelLayer({ cache, runDir: tmp() });
    expect((await ask(third, 'model.safetensors:100:1')).reply.cached).toBe(false);
    expect((await ask(third, 'model.safetensors:100:1')).reply.cached).toBe(true);
    expect((await ask(third, 'model.safetensors:100:2')).reply.cached).toBe(false);
    await third.close();
  });

  it('the launch option: a command, a list, or an object with timeout_s filled in; anything else refused', () => {
    const validate = compileSchema({ type: 'object', additionalProperties: false, properties: { ...LAUNCH_OPTIONS.properties } });
    for (const launch of ['vllm serve m --port {PORT}', ['vllm', 'serve', 'm']]) expect(validate({ launch })).toBe(true);
    const options = { launch: { command: 'twentyq serve --port {PORT}', ready_url: '/health', env: { HF_HOME: '/data' } } };
    expect(validate(options)).toBe(true);
    expect(options.launch).toMatchObject({ timeout_s: 120 });
    expect(validate({ launch: { command: 'x', device: 'cuda:0,cuda:1' } })).toBe(true);
    for (const launch of ['', [], { ready_url: '/health' }, { command: 'x', timeout_s: 0 }, { command: 'x', env: { A: 1 } }, { command: 'x', port: 8000 }, { command: 'x', device: '' }, 42]) {
      expect(validate({ launch }), JSON.stringify(launch)).toBe(false);
    }
  });
});

describe('a run stops the servers its plugins launched (the CLI, a fixture policy behind `twentyq serve`)', () => {
  // see test/fixtures/launching.yaml and plugins/launching.js
  const env = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };

  function run(out: string, ...set: string[]) {
    const child = spawn(process.execPath, ['bin/run.js', 'run', 'test/fixtures/launching.yaml', '--out', out, '--workers', '1', '--progress', 'none', ...set.flatMap((s) => ['--set', s])], { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    return { child, exited, stderr: () => stderr };
  }
  /** The server's log, once the server is up, and its pid. */
  async function serverOf(out: string): Promise<{ log: string; pid: number }> {
    for (;;) {
      const parent = join(out, 'launching');
      const [id] = existsSync(parent) ? readdirSync(parent) : [];
      const log = id && join(parent, id, 'servers', 'served.log');
      if (log && existsSync(log) && readFileSync(log, 'utf8').includes('listening on')) return { log, pid: Number(/pid (\d+)/.exec(readFileSync(log, 'utf8'))![1]) };
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('at the end of a completed run', async () => {
    const out = tmp();
    const { exited } = run(out);
    expect(await exited).toBe(0);
    const { log, pid } = await serverOf(out);
    expect(groupAlive(pid)).toBe(false);
    expect(readFileSync(log, 'utf8')).toContain('twentyq serve: stopped (SIGTERM) after');
  });

  it('when the run fails', async () => {
    const out = tmp();
    const { exited, stderr } = run(out, 'stages.0.evaluate.policies.0.with.fail=true');
    expect(await exited).toBe(1);
    expect(stderr()).toContain('this fixture fails every move');
    const { log, pid } = await serverOf(out);
    expect(groupAlive(pid)).toBe(false);
    expect(readFileSync(log, 'utf8')).toContain('twentyq serve: stopped (SIGTERM) after');
  });

  it('after Ctrl-C, and after a second Ctrl-C that exits at once', async () => {
    for (const presses of [1, 2]) {
      const out = tmp();
      // twice: requests that outlast the first Ctrl-C by seconds, so that the second comes while the run still waits
      const slow = presses === 1 ? ['latency_ms=20'] : ['latency_ms=3000', 'deaf=true'];
      const { child, exited, stderr } = run(out, 'stages.0.evaluate.games=900', ...slow.map((s) => `stages.0.evaluate.policies.0.with.${s}`));
      const { log, pid } = await serverOf(out);
      child.kill('SIGINT');
      if (presses === 2) {
        while (!stderr().includes('interrupting (SIGINT)')) await new Promise((r) => setTimeout(r, 20));
        child.kill('SIGINT');
      }
      expect(await exited).toBe(130);
      // the exit hook of a second Ctrl-C signals without waiting: the group is gone moments later
      for (let i = 0; i < 100 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
      expect(groupAlive(pid), `${presses} Ctrl-C`).toBe(false);
      // the first Ctrl-C lets the run end and stop its server gracefully (after a second one, whether the
      // server still gets to say so depends on the machine's timing: only its end is asserted above)
      if (presses === 1) expect(readFileSync(log, 'utf8')).toContain('twentyq serve: stopped (SIGTERM) after');
    }
  });
});
