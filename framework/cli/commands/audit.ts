import { Args, Flags } from '@oclif/core';
import { readGames } from '../../data/games.js';
import { auditGames, auditSummary, auditTable } from '../../metrics/audit.js';
import { writeFileAtomic } from '../../util/fs.js';
import { configFlag, factoryForGames } from '../games-context.js';
import { TwentyqCommand } from '../shared.js';

export default class Audit extends TwentyqCommand {
  static override summary = 'Audit the coverage of a games file: games, wins and questions per candidate.';
  static override description = `Per candidate (animal, fruit: the domain's noun): games, wins, win rate, fewest and median questions of the wins, and answers that contradict the truth table (a noisy answerer's footprint). A candidate with no winning game is an error (exit code 1) unless --on-gap warn; fewer than --min-wins wins is a warning. The domain and rules come from --config, else from the run directory's config.yaml when the file sits in one (run.json beside it), else from the flags; --domain overrides the domain. Which is used is said on stderr.`;
  static override examples = ['<%= config.bin %> audit runs/data/20261127-090156/games.jsonl', '<%= config.bin %> audit games.jsonl --min-wins 5 --json audit.json'];
  static override args = { file: Args.string({ required: true, description: "JSONL file of games (a generate or evaluate stage's output)." }) };
  static override flags = {
    'min-wins': Flags.integer({ min: 1, default: 1, description: 'Fewer winning games than this is a warning.' }),
    'on-gap': Flags.option({ options: ['fail', 'warn'] as const, default: 'fail', description: 'What a candidate with no winning game does.' })(),
    json: Flags.string({ description: 'Also write the audit as JSON to this file.' }),
    config: configFlag,
    domain: Flags.string({ description: "Domain plugin (default: the config's, else animals90)." }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Audit);
    const factory = await factoryForGames(args.file, flags);
    const report = await auditGames(readGames(args.file, { domain: factory.domain, max_questions: factory.rules.max_questions }), factory.domain, flags['min-wins']);
    this.log(auditTable(report.animals, report.noun));
    this.log('');
    this.log(auditSummary(report));
    if (flags.json) writeFileAtomic(flags.json, JSON.stringify(report, null, 2) + '\n');
    if (report.gaps.length > 0 && flags['on-gap'] === 'fail') {
      process.stderr.write(`audit failed: ${report.gaps.length} ${report.gaps.length === 1 ? `${report.noun} has` : `${report.plural} have`} no winning game: ${report.gaps.join(', ')}\n`);
      return this.exit(1);
    }
  }
}
