import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Preflight as a user meets it: the built CLI refuses a run this machine cannot do before it makes a
// run directory, saying what to install or set; `validate --preflight` says the same.
const BIN = resolve('bin/run.js');
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', FORCE_COLOR: '0' };
delete env.OPENAI_API_KEY;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-preflight-'));

describe('preflight, before a run makes its directory', () => {
  it('experiments/qwen3-4b.yaml on this machine (no GPU, the CPU set) is refused before anything runs, naming what to install', () => {
    const out = tmp();
    const run = cli(['run', 'experiments/qwen3-4b.yaml', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^experiments\/qwen3-4b\.yaml:\d+:\d+: policy\.with\.device: qwen3-4b \(trl\): device: cuda, but this machine has no NVIDIA driver/m);
    expect(run.stderr).toMatch(
      /^experiments\/qwen3-4b\.yaml:\d+:\d+: policy\.with\.serve: qwen3-4b \(trl\): serve: vllm plays the model with vLLM, and the Python environment of \S+ has none .*: install the GPU set: twentyq setup python --gpu/m,
    );
    expect(run.stderr).not.toMatch(/\bat .*\.js:\d+/);
    // nothing ran: no run directory, no game, no teacher stage
    expect(existsSync(join(out, 'qwen3-4b'))).toBe(false);
    expect(run.stderr).not.toContain('teacher');
    // validate says nothing of the machine, unless asked to
    expect(cli(['validate', 'experiments/qwen3-4b.yaml']).code).toBe(0);
    const checked = cli(['validate', 'experiments/qwen3-4b.yaml', '--preflight']);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toBe(run.stderr);
  });

  it('llm-child.yaml without OPENAI_API_KEY leaves no run directory behind, and names the variable where each plugin needs it', () => {
    const out = tmp();
    const run = cli(['run', 'experiments/llm-child.yaml', '--out', out]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^experiments\/llm-child\.yaml:\d+:\d+: stages\[0\]\.evaluate\.answerer\.with\.api_key_env: child \(llm\): api_key_env: the environment variable OPENAI_API_KEY is not set: export OPENAI_API_KEY=<your key> for https:\/\/api\.openai\.com\/v1/,
    );
    expect(lines[1]).toMatch(/^experiments\/llm-child\.yaml:\d+:\d+: stages\[1\]\.evaluate\.policies\[1\]\.with\.api_key_env: gpt-4\.1-mini \(api\): api_key_env: the environment variable OPENAI_API_KEY is not set/);
    expect(existsSync(join(out, 'llm-child'))).toBe(false);
    const checked = cli(['validate', 'experiments/llm-child.yaml', '--preflight']);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toBe(run.stderr);
  });

  it('an experiment the machine can run passes, and says so', () => {
    const ok = cli(['validate', 'experiments/quickstart.yaml', '--preflight']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('experiments/quickstart.yaml: ok, and this machine has what a run needs.');
  });
});
