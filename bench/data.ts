/**
 * Benchmark of the data half of the pipeline on 100,000 games: generate (noisy expert against a noisy
 * answerer, in the worker pool), audit, weighted SFT and DPO, each training set written in TRL format.
 * Runs experiments/data.yaml with the generate stage set to GAMES games.
 *
 * Then the large-file checks: the generated games copied (renumbered) into a file of BIG_MB megabytes,
 * `twentyq audit` and `twentyq export --format sft` run on it as child processes, each one's peak RSS
 * printed (target: at most 300 MB whatever the file's size); and a generate stage of RESUME_GAMES
 * games stopped half way, resumed, and timed against a fresh stage playing the same number of games
 * (target: the resume at most 1.2 times as long), ROUNDS times, the median ratio printed.
 *
 *   npm run bench:data       (GAMES=20000 BIG_MB=200 RESUME_GAMES=20000 for a shorter run)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../framework/config/load.js';
import type { Experiment } from '../framework/config/types.js';
import { jsonlLines } from '../framework/data/games.js';
import type { Progress } from '../framework/run/progress.js';
import { createProgress } from '../framework/run/progress.js';
import { runExperiment } from '../framework/run/runner.js';
import { RunDir, type RunRecord } from '../framework/run/rundir.js';
import { writeAll } from '../framework/util/fs.js';
import { packagePath } from '../framework/util/paths.js';

const GAMES = Number(process.env.GAMES ?? 100_000);
const WORKERS = Number(process.env.WORKERS ?? 2);
const BIG_MB = Number(process.env.BIG_MB ?? 1024);
const RESUME_GAMES = Number(process.env.RESUME_GAMES ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RSS_TARGET_MB = 300;

const experiment = await loadExperiment(packagePath('experiments/data.yaml'));
const [generate] = experiment.stages;
if (generate?.kind !== 'generate') throw new Error('experiments/data.yaml must start with its generate stage');
experiment.stages[0] = { ...generate, games: GAMES, games_per_animal: undefined };
const dir = mkdtempSync(join(tmpdir(), 'twentyq-bench-data-'));
const start = performance.now();
const result = await runExperiment(experiment, { workers: WORKERS, runsDir: dir, progress: createProgress('silent') });
const total = (performance.now() - start) / 1000;
const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')) as { stages: Record<string, Record<string, number>> };

console.log(`twentyq bench:data: experiments/data.yaml on ${GAMES} games, ${WORKERS} workers`);
for (const stage of run.stages) {
  const size = stage.files.reduce((s, f) => s + statSync(join(result.dir, f)).size, 0);
  const m = metrics.stages[stage.name] ?? {};
  const what =
    stage.kind === 'generate'
      ? `${m.games} games, ${(GAMES / stage.seconds!).toFixed(0)} games/s`
      : stage.kind === 'audit'
        ? `${m.games} games audited, ${(m.games! / stage.seconds!).toFixed(0)} games/s`
        : `${m.trl_rows} TRL rows from ${m.games} games, ${(m.games! / stage.seconds!).toFixed(0)} games/s`;
  console.log(`  ${stage.name.padEnd(10)} ${stage.kind.padEnd(9)} ${stage.seconds!.toFixed(2).padStart(7)} s  ${(size / 1e6).toFixed(1).padStart(6)} MB  ${what}`);
}
console.log(`  total: ${total.toFixed(2)} s for generate + audit + both strategies (${run.status})`);

/** The games file copied, game numbers running on, until it holds `mb` megabytes: valid games, quickly. */
async function bigGamesFile(from: string, file: string, mb: number): Promise<{ bytes: number; games: number }> {
  // each line as twentyq writes it, without its leading {"game":N (the number is written anew)
  const lines: string[] = [];
  for await (const line of jsonlLines(from)) lines.push(line.text.slice(line.text.indexOf(',')));
  const fd = openSync(file, 'w');
  let bytes = 0;
  let games = 0;
  while (bytes < mb * 1e6) {
    let chunk = '';
    for (const rest of lines) chunk += `{"game":${games++}${rest}\n`;
    writeAll(fd, chunk);
    bytes += Buffer.byteLength(chunk);
  }
  closeSync(fd);
  return { bytes, games };
}

/** Runs the CLI in a child process; returns its peak resident memory (MB), its time and exit code. */
function cliPeak(args: string[]): { mb: number; seconds: number; code: number | null; stderr: string } {
  // the child reports its own peak (getrusage) as it exits, whatever path it exits by
  // (node -e leaves no script name in argv, where oclif expects one)
  const probe = `process.argv.splice(1, 0, 'twentyq'); process.on('exit', () => process.stderr.write('maxrss ' + process.resourceUsage().maxRSS + '\\n')); await import(${JSON.stringify(packagePath('bin/run.js'))});`;
  const devnull = openSync('/dev/null', 'w');
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe, '--', ...args], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  closeSync(devnull);
  const kb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { mb: kb / 1024, seconds, code: r.status, stderr: r.stderr.replace(/maxrss \d+\n/, '').trim() };
}

const big = join(dir, 'big', 'games.jsonl');
rmSync(join(dir, 'big'), { recursive: true, force: true });
mkdirSync(join(dir, 'big'));
const made = await bigGamesFile(join(result.dir, 'games.jsonl'), big, BIG_MB);
console.log(`\nlarge file: ${made.games} games, ${(made.bytes / 1e6).toFixed(0)} MB (the ${GAMES} games above, copied and renumbered)`);
rmSync(result.dir, { recursive: true, force: true });
for (const [what, args] of [
  ['audit', ['audit', big, '--on-gap', 'warn']],
  ['export sft > /dev/null', ['export', big, '--format', 'sft']],
] as const) {
  const r = cliPeak([...args]);
  const verdict = r.mb <= RSS_TARGET_MB ? 'ok' : 'OVER TARGET';
  console.log(`  ${what.padEnd(22)} peak RSS ${r.mb.toFixed(0).padStart(5)} MB  ${r.seconds.toFixed(1).padStart(6)} s  exit ${r.code}  (target <= ${RSS_TARGET_MB} MB: ${verdict})`);
  if (r.code !== 0) console.log(r.stderr.replace(/^/gm, '    '));
}
rmSync(join(dir, 'big'), { recursive: true, force: true });

/** A progress sink that fires `stop` once the stage has played `after` games. */
function stopAfter(after: number, stop: AbortController): Progress {
  return { start() {}, update: (done) => void (done >= after && stop.abort()), stop() {}, log() {} };
}

const single = (games: number): Experiment => ({ ...experiment, stages: [{ ...generate, games, games_per_animal: undefined }] });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await work();
  return [value, (performance.now() - start) / 1000];
};
const ratios: number[] = [];
console.log(`\nresume of a half-played ${RESUME_GAMES}-game generate stage against playing its missing half (${WORKERS} workers; the two alternate which goes first):`);
for (let round = 0; round < ROUNDS; round++) {
  const stop = new AbortController();
  const cut = await runExperiment(single(RESUME_GAMES), { workers: WORKERS, runsDir: dir, progress: stopAfter(RESUME_GAMES / 2, stop), stop: stop.signal });
  const kept = (JSON.parse(readFileSync(join(cut.dir, 'metrics.json'), 'utf8')) as { stages: Record<string, { games: number }> }).stages.games!.games;
  const resume = () =>
    timed(async () => {
      const { run: again, experiment: same } = await RunDir.resume(cut.dir, WORKERS);
      return (await runExperiment(same, { workers: WORKERS, resume: again, progress: createProgress('silent') })).status;
    });
  const fresh = () => timed(async () => (await runExperiment(single(RESUME_GAMES - kept), { workers: WORKERS, runsDir: join(dir, 'fresh'), progress: createProgress('silent') })).status);
  let resumed: [string, number];
  let played: [string, number];
  if (round % 2 === 0) {
    resumed = await resume();
    played = await fresh();
  } else {
    played = await fresh();
    resumed = await resume();
  }
  rmSync(cut.dir, { recursive: true, force: true });
  rmSync(join(dir, 'fresh'), { recursive: true, force: true });
  ratios.push(resumed[1] / played[1]);
  console.log(
    `  round ${round + 1}: ${kept} games kept; resume ${resumed[1].toFixed(2)} s (${resumed[0]}), fresh stage of the ${RESUME_GAMES - kept} missing games ${played[1].toFixed(2)} s (${played[0]}), ratio ${ratios.at(-1)!.toFixed(2)}`,
  );
}
console.log(`  median ratio ${median(ratios).toFixed(2)} (target <= 1.2: ${median(ratios) <= 1.2 ? 'ok' : 'OVER TARGET'})`);
rmSync(dir, { recursive: true, force: true });
