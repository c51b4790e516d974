import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { readGames } from '../../data/games.js';
import type { GameChecks } from '../../data/checks.js';
import { compare, largestDifferences, PairingError, recordOf, type GameRecord } from '../../metrics/paired.js';
import { fixed, formatTable, pct } from '../../metrics/table.js';
import { readRun } from '../../report/runs.js';
import { stageFiles } from '../../stages/index.js';
import { playKey } from '../../stages/play.js';
import { configFlag, factoryForGames } from '../games-context.js';
import { TwentyqCommand, UsageError } from '../shared.js';

/** One side of a comparison: a games file (or RUN_DIR/STAGE), and which policy in it (after @). */
interface Side {
  name: string;
  file: string;
  key?: string;
}

/** The games file a path names: the file itself, or RUN_DIR/STAGE (the stage's games file, as its run.json knows it). */
function gamesFile(path: string): string | undefined {
  return [path, stageGamesFile(path)].find((f) => f !== undefined && existsSync(f) && statSync(f).isFile());
}

/**
 * PATH, PATH@LABEL or PATH@LABEL@ANSWERER: the path ends at the first @ after which what comes before
 * names a games file (a folder of the path may hold an @ too), and the rest names the policy.
 */
function sideOf(arg: string): Side {
  for (let at = arg.indexOf('@'); at > 0; at = arg.indexOf('@', at + 1)) {
    const file = gamesFile(arg.slice(0, at));
    if (file) return { name: arg, file, key: arg.slice(at + 1) };
  }
  const file = gamesFile(arg);
  if (file) return { name: arg, file };
  const path = arg.includes('@') ? arg.slice(0, arg.indexOf('@')) : arg;
  throw new UsageError(
    `${arg}: no games file ${path} (nor a stage of that name with games in its run directory): give a stage's games file or RUN_DIR/STAGE, then @LABEL for one policy of several and @LABEL@ANSWERER for one answerer of several`,
  );
}

/** RUN_DIR/STAGE: the games file of the run's stage of that name, as its run.json knows it. */
function stageGamesFile(path: string): string | undefined {
  const stage = readRun(dirname(path)).record?.stages.find((s) => s.name === basename(path));
  const games = stage ? stageFiles(stage).games : undefined;
  return games ? join(dirname(path), games) : undefined;
}

/** The side's games, of its policy: named after @, or the only one in the file. */
async function gamesOf(side: Side, checks: GameChecks & { max_questions: number }): Promise<GameRecord[]> {
  const maxQuestions = checks.max_questions;
  const byKey = new Map<string, GameRecord[]>();
  for await (const t of readGames(side.file, checks)) {
    if (t.outcome === 'error') continue;
    const key = playKey(t);
    const list = byKey.get(key) ?? [];
    list.push(recordOf(t, maxQuestions));
    byKey.set(key, list);
  }
  const keys = [...byKey.keys()];
  const show = (k: string) => k.replace('\t', '@');
  // POLICY@ANSWERER names a policy's games against one of a stage's several answerers
  const wanted = side.key === undefined ? undefined : (keys.find((k) => k === side.key || show(k) === side.key) ?? keys.find((k) => k.split('\t')[0] === side.key && keys.filter((o) => o.split('\t')[0] === side.key).length === 1));
  if (side.key !== undefined && wanted === undefined) throw new UsageError(`${side.name}: no games of "${side.key}" in ${side.file}; it holds ${keys.map(show).join(', ')}`);
  if (wanted === undefined && keys.length !== 1) throw new UsageError(`${side.name}: ${side.file} holds the games of ${keys.length} policies (${keys.map(show).join(', ')}); name one: ${side.name}@LABEL`);
  return byKey.get(wanted ?? keys[0]!) ?? [];
}

export default class Compare extends TwentyqCommand {
  static override summary = 'Compare two stages or runs that played the same targets, game by game.';
  static override description = `Pairs the games of A and B by target (the k-th game of a target in A with the k-th in B; within one stage that is the same game) and reports the difference in success (exact McNemar test over targets: the targets where one won more of the target's games than the other; with one game a target, the games one won and the other lost) and in mean questions (95% paired bootstrap interval, resampling targets, seeded), and the animals where the two differ most. Refuses when A and B did not play the same targets as often, saying where they differ. A and B are a stage's games file or RUN_DIR/STAGE, followed by @LABEL when the file holds several policies (@LABEL@ANSWERER for one of several answerers).`;
  static override examples = [
    '<%= config.bin %> compare runs/pipeline/20261127-181805/expert@infogain runs/pipeline/20261127-181805/eval-grpo',
    '<%= config.bin %> compare runs/a/x/01-evaluate@random runs/a/x/01-evaluate@infogain --json',
    '<%= config.bin %> compare runs/pipeline/20261127-181805/transfer@grpo@coin-kb runs/pipeline/20261127-181805/transfer@grpo@kb',
    '<%= config.bin %> compare runs/pipeline/20261127-181805/eval-grpo.jsonl runs/pipeline/20261127-181805/expert.jsonl@optimal',
  ];
  static override args = {
    a: Args.string({ required: true, description: 'The policy compared (A - B).' }),
    b: Args.string({ required: true, description: 'The baseline.' }),
  };
  static override flags = {
    seed: Flags.integer({ default: 0, description: 'Seed of the bootstrap.' }),
    resamples: Flags.integer({ min: 100, default: 2000, description: 'Bootstrap resamples.' }),
    top: Flags.integer({ min: 0, default: 10, description: 'Animals listed where the two differ most.' }),
    json: Flags.boolean({ description: 'Print the figures as JSON.' }),
    config: configFlag,
    'max-questions': Flags.integer({ min: 1, description: "Question budget a lost game is charged (default: the run's config, else 20)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Compare);
    const [a, b] = [sideOf(args.a), sideOf(args.b)];
    const factory = await factoryForGames(a.file, flags);
    const max = factory.rules.max_questions;
    const checks = { domain: factory.domain, max_questions: max };
    const [ga, gb] = [await gamesOf(a, checks), await gamesOf(b, checks)];
    let c;
    try {
      c = compare(ga, gb, flags.seed, flags.resamples, [args.a, args.b]);
    } catch (error) {
      if (error instanceof PairingError) throw new UsageError(`cannot compare: ${error.message}`);
      throw error;
    }
    const most = largestDifferences(ga, gb, flags.top);
    if (flags.json) return this.log(JSON.stringify({ a: args.a, b: args.b, ...c, largest_differences: most }, null, 2));
    this.log(`A: ${args.a} (${ga.length} games)\nB: ${args.b} (${gb.length} games)\n${c.pairs} pairs over ${new Set(ga.map((g) => g.target)).size} targets\n`);
    this.log(
      formatTable(
        ['', 'A', 'B', 'A - B', 'test'],
        [
          [
            'success',
            pct(c.success),
            pct(c.baseline_success),
            `${c.success_diff >= 0 ? '+' : ''}${pct(c.success_diff)}`,
            `exact McNemar p = ${c.mcnemar_p.toPrecision(3)} over targets (games won only by A: ${c.wins_only_policy}, only by B: ${c.wins_only_baseline}; targets: ${c.targets_only_policy} : ${c.targets_only_baseline})`,
          ],
          [
            'avg questions',
            fixed(c.avg_questions, 3),
            fixed(c.baseline_avg_questions, 3),
            `${c.questions_diff >= 0 ? '+' : ''}${fixed(c.questions_diff, 3)}`,
            `95% CI ${fixed(c.questions_diff_ci[0], 3)} to ${fixed(c.questions_diff_ci[1], 3)} (paired bootstrap over targets, ${c.bootstrap.resamples} resamples, seed ${c.bootstrap.seed})`,
          ],
        ],
      ),
    );
    if (most.length > 0) {
      this.log('\nwhere they differ most (per target: mean questions A - B, wins A - B):\n');
      this.log(
        formatTable(
          ['target', 'games', 'avg q A - B', 'wins A - B'],
          most.map((d) => [d.target, String(d.games), `${d.questions_diff >= 0 ? '+' : ''}${fixed(d.questions_diff, 2)}`, String(d.wins_diff)]),
        ),
      );
    } else this.log('\nthe two played every target alike.');
  }
}
