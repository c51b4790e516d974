import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';

// The vllm policy against the stand-in for `vllm serve` (test/fixtures/bin/vllm: vLLM's flags and
// LoRA routes, the OpenAI protocol through twentyq serve). No GPU here: what a real vLLM does is not tested.
const dir = mkdtempSync(join(tmpdir(), 'twentyq-vllm-policy-'));
const record = join(dir, 'record.jsonl');

describe('the vllm policy', () => {
  it('launches vllm serve once with LoRA, plays the base model, then loads an adapter under a versioned name for a later stage', async () => {
    process.env.VLLM_STANDIN_RECORD = record;
    const adapter = join(dir, 'adapter');
    mkdirSync(adapter);
    const vllm = resolve('test/fixtures/bin/vllm');
    const e = await parseExperiment(
      `name: vllm\nseed: 1\nstages:\n` +
        `  - evaluate: { name: base, games: 30, policies: [{ use: vllm, label: base, with: { model: Qwen/Qwen3-4B, executable: "${vllm}", max_lora_rank: 32, timeout_s: 60 } }] }\n` +
        `  - evaluate: { name: tuned, games: 30, policies: [{ use: vllm, label: tuned, with: { model: Qwen/Qwen3-4B, executable: "${vllm}", max_lora_rank: 32, timeout_s: 60, adapter: "${adapter}", format: tools } }] }\n`,
      join(dir, 'vllm.yaml'),
    );
    const result = await runExperiment(e, { workers: 1, runsDir: dir, progress: createProgress('silent'), cache: null });
    delete process.env.VLLM_STANDIN_RECORD;
    expect(result.status).toBe('completed');
    expect(result.rows.map((r) => [r.stage, r.metrics.success])).toEqual([
      ['base', 1],
      ['tuned', 1],
    ]);
    const events = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // one server for both stages, started with LoRA and runtime adapter loading
    const starts = events.filter((e) => e.event === 'start');
    expect(starts).toHaveLength(1);
    expect(starts[0]!.argv).toEqual(expect.arrayContaining(['serve', 'Qwen/Qwen3-4B', '--enable-lora', '--max-lora-rank', '32', '--max-loras', '1']));
    expect(starts[0]!.runtime_lora).toBe('True');
    // the adapter loaded once, under a versioned name, and played by the second stage
    const loads = events.filter((e) => e.event === 'load');
    expect(loads).toEqual([{ event: 'load', lora_name: expect.stringMatching(/^tuned-[0-9a-f]{10}$/), lora_path: adapter }]);
    const chats = events.filter((e) => e.event === 'chat');
    expect(new Set(chats.map((c) => c.model))).toEqual(new Set(['Qwen/Qwen3-4B', loads[0]!.lora_name]));
    // Qwen3 answers without thinking
    expect(chats.every((c) => (c.chat_template_kwargs as { enable_thinking?: boolean } | null)?.enable_thinking === false)).toBe(true);
    // and the server is gone at the end of the run
    expect(readFileSync(join(result.dir, 'servers', 'base.log'), 'utf8')).toMatch(/stopped/);
  });

  it('trl with serve: vllm plays a LoRA checkpoint on its base, with the chat template it was trained with', async () => {
    const events = join(dir, 'trl-record.jsonl');
    process.env.VLLM_STANDIN_RECORD = events;
    // a trl checkpoint: an adapter folder naming its base, with the training chat template beside it
    const adapter = join(dir, 'trl-adapter');
    mkdirSync(adapter);
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen3-4B', r: 16, lora_alpha: 32 }));
    writeFileSync(join(adapter, 'chat_template.jinja'), '{{ messages }}');
    // the plugin runs vllm from its Python's folder: a folder holding the stand-in (no Python runs: nothing to merge)
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    symlinkSync(resolve('test/fixtures/bin/vllm'), join(bin, 'vllm'));
    symlinkSync(process.execPath, join(bin, 'python'));
    const e = await parseExperiment(
      `name: trl-vllm\nseed: 1\nstages:\n` +
        `  - evaluate: { name: tuned, games: 10, policies: [{ use: trl, label: tuned, with: { checkpoint: "${adapter}", serve: vllm, python: "${join(bin, 'python')}", lora: { r: 16, alpha: 32, dropout: 0, target_modules: all-linear }, serve_timeout_s: 60 } }] }\n`,
      join(dir, 'trl-vllm.yaml'),
    );
    const result = await runExperiment(e, { workers: 1, runsDir: dir, progress: createProgress('silent'), cache: null });
    delete process.env.VLLM_STANDIN_RECORD;
    expect(result.status).toBe('completed');
    expect(result.rows[0]!.metrics.success).toBe(1);
    const recorded = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const starts = recorded.filter((r) => r.event === 'start');
    expect(starts).toHaveLength(1);
    const argv = starts[0]!.argv as string[];
    expect(argv).toEqual(expect.arrayContaining(['serve', 'Qwen/Qwen3-4B', '--enable-lora', '--max-lora-rank', '16', '--chat-template', join(adapter, 'chat_template.jinja')]));
    expect(argv[argv.indexOf('--lora-modules') + 1]).toBe(`tuned-adapter=${adapter}`);
    const chats = recorded.filter((r) => r.event === 'chat');
    expect(new Set(chats.map((c) => c.model))).toEqual(new Set(['tuned-adapter']));
    expect(chats.every((c) => (c.chat_template_kwargs as { enable_thinking?: boolean } | null)?.enable_thinking === false)).toBe(true);
  });
});
