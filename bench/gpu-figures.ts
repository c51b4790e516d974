import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `node dist/bench/gpu-figures.js LABEL=RUN_DIR ...`: the figures bench/gpu.sh prints, from what each
 * run recorded: per stage its seconds, a train stage's tokens per second (the mean over its steps after
 * the first, which also pays for start-up), an evaluation's games per second and success.
 */

interface StageRecord {
  name: string;
  kind: string;
  seconds?: number;
  outcome?: { rows?: { metrics?: { games?: number; success?: number } }[] };
}

function tokensPerSecond(dir: string, stage: string): number | undefined {
  const file = join(dir, `${stage}.curve.jsonl`);
  if (!existsSync(file)) return undefined;
  const steps = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { step?: number; tokens_per_s?: number })
    .filter((p) => typeof p.step === 'number' && typeof p.tokens_per_s === 'number' && p.step > 1);
  return steps.length === 0 ? undefined : steps.reduce((a, p) => a + p.tokens_per_s!, 0) / steps.length;
}

/** A run folder, or the newest run under an experiment's folder. */
function runDir(path: string): string {
  if (existsSync(join(path, 'run.json'))) return path;
  const runs = existsSync(path)
    ? readdirSync(path)
        .filter((d) => existsSync(join(path, d, 'run.json')))
        .sort()
    : [];
  if (runs.length === 0) throw new Error(`${path} holds no run (run.json)`);
  return join(path, runs.at(-1)!);
}

export function figures(label: string, path: string): string[] {
  const dir = runDir(path);
  const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { status: string; stages: StageRecord[] };
  const lines: string[] = [];
  for (const s of run.stages) {
    if (s.kind === 'train') {
      const tps = tokensPerSecond(dir, s.name);
      lines.push(`${label}\t${s.name}\t${s.seconds?.toFixed(1) ?? '-'} s\t${tps === undefined ? '-' : `${tps.toFixed(0)} tokens/s`}`);
    } else if (s.kind === 'evaluate') {
      const m = s.outcome?.rows?.[0]?.metrics;
      const rate = m?.games && s.seconds ? `${(m.games / s.seconds).toFixed(2)} games/s, success ${((m.success ?? 0) * 100).toFixed(1)}%` : '-';
      lines.push(`${label}\t${s.name}\t${s.seconds?.toFixed(1) ?? '-'} s\t${rate}`);
    }
  }
  if (run.status !== 'completed') lines.push(`${label}\t(run ${run.status}: ${dir})`);
  return lines;
}

if (process.argv[1]?.endsWith('gpu-figures.js')) {
  const out = ['run\tstage\ttime\tthroughput'];
  for (const arg of process.argv.slice(2)) {
    const at = arg.indexOf('=');
    out.push(...figures(arg.slice(0, at), arg.slice(at + 1)));
  }
  console.log(out.join('\n'));
}
