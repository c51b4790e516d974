import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { findPython, requirementsFile } from '../../plugins/policies/trl/environment.js';

/** What the installed trl declares for an extra (its METADATA), e.g. ['vllm<=0.28.0,>=0.19.1', ...]. */
function trlRequires(extra: string): string[] {
  const code = `import importlib.metadata as m; print("\\n".join(r.split(";")[0].replace(" ", "") for r in m.requires("trl") if 'extra == "${extra}"' in r))`;
  const r = spawnSync(findPython(), ['-c', code], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split('\n');
}

/** name -> the version a requirements file pins (every line NAME[extras]==VERSION). */
function pins(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_.-]+)(\[[^\]]+\])?==(\S+)$/.exec(line.trim());
    expect(m, `${file}: "${line}" is not an exact pin`).not.toBeNull();
    out.set(m![1]!.toLowerCase(), m![3]!);
  }
  return out;
}

const version = (v: string) => v.split('.').map(Number);
const atMost = (a: string, b: string) => {
  const [x, y] = [version(a), version(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) < (y[i] ?? 0);
  return true;
};

describe('the GPU set is the CPU set with the CUDA build of the same torch, vLLM and DeepSpeed', () => {
  const cpu = pins(requirementsFile(false));
  const gpu = pins(requirementsFile(true));

  it("every pin exact; the CPU set's packages at the same versions; torch the same release", () => {
    for (const [name, v] of cpu) {
      if (name === 'torch') expect(gpu.get('torch')).toBe(v.replace('+cpu', ''));
      else expect(gpu.get(name), name).toBe(v);
    }
  });

  it("vLLM inside trl 1.13.0's declared range (>=0.19.1, <=0.28.0), DeepSpeed at or above its floor (0.18.6)", () => {
    expect(cpu.get('trl')).toBe('1.13.0');
    // what the installed trl itself declares (its METADATA), not a copy of it
    expect(trlRequires('vllm')).toContain('vllm<=0.28.0,>=0.19.1');
    expect(trlRequires('deepspeed')).toContain('deepspeed>=0.18.6');
    const vllm = gpu.get('vllm')!;
    expect(atMost('0.19.1', vllm) && atMost(vllm, '0.28.0')).toBe(true);
    expect(atMost('0.18.6', gpu.get('deepspeed')!)).toBe(true);
    // vLLM 0.28.0 pins torch 2.13.0 with torchvision 0.28.0 and torchaudio 2.11.0 (docs/scale.md: how this was checked)
    expect([gpu.get('torch'), gpu.get('torchvision'), gpu.get('torchaudio')]).toEqual(['2.13.0', '0.28.0', '2.11.0']);
  });
});
