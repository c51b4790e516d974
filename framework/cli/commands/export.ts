import { once } from 'node:events';
import { Args, Flags } from '@oclif/core';
import { parse as parseYaml } from 'yaml';
import type { GrpoSet, TrainingSet } from '../../data/dataset.js';
import { readGames } from '../../data/games.js';
import { DEFAULT_PLUGINS, rowFormat } from '../../plugins/builtins.js';
import { AtomicFile } from '../../util/fs.js';
import { configFlag, factoryForGames } from '../games-context.js';
import { TwentyqCommand } from '../shared.js';

export default class Export extends TwentyqCommand {
  static override summary = "Turn a games file into training data in Hugging Face TRL's conversational formats.";
  static override description = `sft: {"messages": [...]} rows for SFTTrainer, made by the weighted-sft strategy (an efficient game repeats once per copy). dpo: {"prompt": [...], "chosen": [...], "rejected": [...]} rows for DPOTrainer, made by the dpo strategy. grpo: prompt-only rows for GRPOTrainer, one per animal in the games, with the secret animal in the extra columns "target" and "target_name". Every row is checked against schemas/trl-<format>.schema.json before it is written. Strategy options with --with (twentyq plugins strategy lists them).`;
  static override examples = [
    '<%= config.bin %> export runs/data/<run-id>/games.jsonl --format sft --out sft.jsonl',
    '<%= config.bin %> export games.jsonl --format sft --with factor=1 --with include_losses=true --out plain-sft.jsonl',
    '<%= config.bin %> export games.jsonl --format dpo --with kinds=[information] --no-candidates > dpo.jsonl',
  ];
  static override args = { file: Args.string({ required: true, description: 'JSONL file of games.' }) };
  static override flags = {
    format: Flags.option({ options: ['sft', 'dpo', 'grpo'] as const, required: true, description: 'TRL format to write.' })(),
    out: Flags.string({ char: 'o', description: 'Output file (default: standard output).' }),
    strategy: Flags.string({ description: 'Strategy plugin (default: weighted-sft for sft, dpo for dpo).' }),
    with: Flags.string({ multiple: true, helpValue: 'option=value', description: 'A strategy option; the value is read as YAML.' }),
    candidates: Flags.boolean({ default: true, allowNo: true, description: 'List the candidates in the system prompt (--no-candidates: open set).' }),
    config: configFlag,
    domain: Flags.string({ description: "Domain plugin (default: the config's, else animals90)." }),
    'max-questions': Flags.integer({ min: 1, description: 'Question budget stated in the prompt (default: from the run, else 20).' }),
    'wrong-guess': Flags.option({ options: ['continue', 'lose'] as const, description: 'Rule stated in the prompt (default: from the run, else continue).' })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Export);
    const games = () => readGames(args.file, { domain: factory.domain, max_questions: factory.rules.max_questions });
    const factory = await factoryForGames(args.file, flags);
    const options: Record<string, unknown> = {};
    for (const assignment of flags.with ?? []) {
      const eq = assignment.indexOf('=');
      if (eq <= 0) this.error(`--with ${assignment}: expected option=value`, { exit: 2 });
      options[assignment.slice(0, eq)] = parseYaml(assignment.slice(eq + 1));
    }
    let set: TrainingSet;
    if (flags.format === 'grpo') {
      const present = new Set<string>();
      let count = 0;
      for await (const game of games()) {
        if (game.outcome === 'error') continue; // a failed game says nothing about its target
        present.add(game.target);
        count++;
      }
      const targets = factory.domain.candidates.filter((c) => present.has(c.id)).map((c) => c.id);
      set = { kind: 'grpo', targets, stats: { games: count, prompts: targets.length } } satisfies GrpoSet;
    } else {
      const strategy = await factory.create('strategy', { use: flags.strategy ?? DEFAULT_PLUGINS.strategy[flags.format], with: options });
      set = await strategy.build(games);
      if (set.kind !== flags.format) this.error(`strategy ${flags.strategy} makes ${set.kind} data, not ${flags.format}`, { exit: 2 });
    }
    const format = await rowFormat();
    const game = { domain: factory.domain, rules: factory.rules, render: { show_candidates: flags.candidates } };
    let rows: number;
    if (flags.out) {
      // all or nothing: an existing file is replaced only once every row is written and checked
      const out = new AtomicFile(flags.out);
      try {
        rows = await format.write(set, game, (chunk) => out.write(chunk));
        out.commit();
      } catch (error) {
        out.abort();
        throw error;
      }
    } else {
      rows = await format.write(set, game, async (chunk) => {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      });
    }
    const figures = Object.entries(set.stats)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
      .join(', ');
    process.stderr.write(`${rows} ${format.title} ${set.kind} rows${flags.out ? ` -> ${flags.out}` : ''} (${figures})\n`);
  }
}
