import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import OpenAI from 'openai';
import { renderPrompt } from '../../framework/game/chat.js';
import { launchServer, type LaunchedServer } from '../../framework/llm/launch.js';
import { adapterName, loadAdapter, modelExtraBody, swapAdapter, unloadAdapter, vllmLaunch, type VllmServe } from '../../plugins/policies/vllm/serve.js';
import { animals90 } from '../helpers.js';

// No GPU here: vLLM's lifecycle, flags and adapter calls are checked against a stand-in executable
// (test/fixtures/bin/vllm) that accepts vLLM's flags, records what it receives, and serves the
// protocol through `twentyq serve`. Real processes, real HTTP, the real openai client.
const STANDIN = resolve('test/fixtures/bin/vllm');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-vllm-'));

interface Recorded {
  event: string;
  argv?: string[];
  runtime_lora?: string | null;
  lora_name?: string;
  lora_path?: string;
  model?: string;
  chat_template_kwargs?: Record<string, unknown> | null;
}

const servers: LaunchedServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

/** Launches the stand-in with the command vllmLaunch builds; returns the server and what the stand-in recorded. */
async function vllm(options: Omit<VllmServe, 'executable'>, env: Record<string, string> = {}) {
  const dir = tmp();
  const record = join(dir, 'record.jsonl');
  const launch = vllmLaunch({ ...options, executable: STANDIN });
  const server = await launchServer({ ...launch, timeout_s: 60, env: { ...launch.env, VLLM_STANDIN_RECORD: record, ...env }, log: join(dir, 'vllm.log') });
  servers.push(server);
  const recorded = () =>
    readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Recorded);
  return { server, launch, recorded };
}

const models = async (base_url: string) => (await new OpenAI({ baseURL: base_url, apiKey: 'unused' }).models.list()).data.map((m) => ({ id: m.id, ...(m as unknown as { root: string; parent: string | null }) }));

describe('vllm serve, against the stand-in', () => {
  it('gets exactly the flags the builder produces, LoRA and tool calls enabled, runtime loading allowed; ready on /health', async () => {
    const { server, launch, recorded } = await vllm({ model: 'Qwen/Qwen3-4B', adapters: { policy: '/ckpt/sft', ref: '/ckpt/ref' }, max_lora_rank: 32, max_loras: 2, tools: true, args: ['--max-model-len', '4096'] });
    const port = new URL(server.base_url).port;
    expect(launch.command).toEqual([
      STANDIN,
      'serve',
      'Qwen/Qwen3-4B',
      '--host',
      '127.0.0.1',
      '--port',
      '{PORT}',
      '--enable-lora',
      '--max-lora-rank',
      '32',
      '--max-loras',
      '2',
      '--lora-modules',
      'policy=/ckpt/sft',
      'ref=/ckpt/ref',
      '--enable-auto-tool-choice',
      '--tool-call-parser',
      'hermes',
      '--max-model-len',
      '4096',
    ]);
    expect(launch.ready_url).toBe('/health');
    const [start] = recorded();
    expect(start).toEqual({ event: 'start', argv: (launch.command as string[]).slice(1).map((a) => (a === '{PORT}' ? port : a)), runtime_lora: 'True' });
    expect(await models(server.base_url)).toMatchObject([
      { id: 'Qwen/Qwen3-4B', parent: null },
      { id: 'policy', root: '/ckpt/sft', parent: 'Qwen/Qwen3-4B' },
      { id: 'ref', root: '/ckpt/ref', parent: 'Qwen/Qwen3-4B' },
    ]);
  });

  it('a new checkpoint is loaded under a new versioned name and the old one unloaded, without a restart; requests name it', async () => {
    const { server, recorded } = await vllm({ model: 'Qwen/Qwen3-4B', adapters: { [adapterName('policy', 0)]: '/ckpt/0' } });
    await swapAdapter(server.base_url, adapterName('policy', 120), '/ckpt/120', adapterName('policy', 0));
    expect(recorded().slice(1)).toEqual([
      { event: 'load', lora_name: 'policy-step-0120', lora_path: '/ckpt/120' },
      { event: 'unload', lora_name: 'policy-step-0000' },
    ]);
    expect((await models(server.base_url)).map((m) => m.id)).toEqual(['Qwen/Qwen3-4B', 'policy-step-0120']);
    expect(await loadAdapter(server.base_url, 'policy-step-0240', '/ckpt/240')).toBe("Success: LoRA adapter 'policy-step-0240' added successfully.");
    // the same name twice is vLLM's 400, with its message
    await expect(loadAdapter(server.base_url, 'policy-step-0240', '/ckpt/240')).rejects.toThrow(/load_lora_adapter answered 400: .*already been loaded/);
    await expect(unloadAdapter(server.base_url, 'policy-step-9999')).rejects.toThrow(/unload_lora_adapter answered 404: .*cannot be found/);

    // a game's request to the adapter, with Qwen3's thinking turned off by default
    const client = new OpenAI({ baseURL: server.base_url, apiKey: 'unused', maxRetries: 0 });
    const messages = renderPrompt(animals90(), { max_questions: 20, wrong_guess: 'continue' }, []) as OpenAI.Chat.ChatCompletionMessageParam[];
    const extra = modelExtraBody('Qwen/Qwen3-4B');
    const reply = await client.chat.completions.create({ model: 'policy-step-0120', messages, ...extra });
    expect(reply.choices[0]!.message.content).toMatch(/\?$/);
    expect(recorded().at(-1)).toEqual({ event: 'chat', model: 'policy-step-0120', chat_template_kwargs: { enable_thinking: false } });
  });

  it('without VLLM_ALLOW_RUNTIME_LORA_UPDATING, loading an adapter says what to set', async () => {
    const { server } = await vllm({ model: 'Qwen/Qwen3-4B' }, { VLLM_ALLOW_RUNTIME_LORA_UPDATING: 'False' });
    await expect(loadAdapter(server.base_url, 'policy-step-0001', '/ckpt/1')).rejects.toThrow('answered 404: this vLLM does not load adapters at runtime; start it with VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora');
  });

  it("a flag vLLM does not know fails the launch with argparse's message from the log", async () => {
    await expect(vllm({ model: 'm', args: ['--no-such-flag'] })).rejects.toThrow(/exited with code 2 before it was ready[\s\S]*vllm serve: error: unrecognized arguments: --no-such-flag/);
  });
});

describe('vLLM pieces', () => {
  it('refuses a LoRA rank vLLM would refuse, naming the ones it takes', () => {
    expect(() => vllmLaunch({ model: 'm', max_lora_rank: 4 })).toThrow('max_lora_rank 4 is not a rank vLLM accepts: use 1, 8, 16, 32, 64, 128, 256, 320, 512');
    expect(vllmLaunch({ model: 'm' }).command).toEqual(['vllm', 'serve', 'm', '--host', '127.0.0.1', '--port', '{PORT}', '--enable-lora', '--max-lora-rank', '16', '--max-loras', '1']);
  });

  it('versioned adapter names sort by step', () => {
    expect(adapterName('policy', 7)).toBe('policy-step-0007');
    expect(adapterName('policy', 12345)).toBe('policy-step-12345');
  });

  it('Qwen3 models get enable_thinking: false unless the experiment says otherwise; other models get extra_body unchanged', () => {
    expect(modelExtraBody('Qwen/Qwen3-4B')).toEqual({ chat_template_kwargs: { enable_thinking: false } });
    expect(modelExtraBody('qwen3-0.6b', { structured_outputs: { choice: ['Yes', 'No'] }, chat_template_kwargs: { foo: 1 } })).toEqual({
      structured_outputs: { choice: ['Yes', 'No'] },
      chat_template_kwargs: { enable_thinking: false, foo: 1 },
    });
    expect(modelExtraBody('Qwen/Qwen3-4B', { chat_template_kwargs: { enable_thinking: true } })).toEqual({ chat_template_kwargs: { enable_thinking: true } });
    expect(modelExtraBody('gpt-4.1-mini')).toBeUndefined();
    expect(modelExtraBody('Qwen/Qwen2.5-7B-Instruct', { seed_hint: 1 })).toEqual({ seed_hint: 1 });
  });
});
