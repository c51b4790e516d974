import { Args } from '@oclif/core';
import { loadExperiment } from '../../config/load.js';
import { rewardWarnings } from '../../config/reward-check.js';
import { setFlag, TwentyqCommand } from '../shared.js';

export default class Validate extends TwentyqCommand {
  static override summary = 'Check an experiment file without running it.';
  static override description =
    'Parses the YAML, checks it against schemas/experiment.schema.json and every plugin against its own option schema, and prints each problem as file:line:column with what was expected. Exits with 1 when there is a problem. Then scores each reward the experiment uses on games played by script at the edges (a win at the first and the last question, losses by the budget with and without a guess, a wrong guess) and warns when a reward pays a loss more than a win, or a game that ends without a guess more than one that ends with a wrong guess (reward hacking).';
  static override examples = ['<%= config.bin %> validate experiments/quickstart.yaml', '<%= config.bin %> validate my.yaml --set seed=3'];
  static override args = { file: Args.string({ required: true, description: 'Experiment YAML file.' }) };
  static override flags = { set: setFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    const e = await loadExperiment(args.file, { set: flags.set ?? [] });
    const stages = e.stages.map((s) => s.name).join(', ');
    this.log(`${args.file}: ok. Experiment "${e.name}", seed ${e.seed}, ${e.stages.length} stage${e.stages.length === 1 ? '' : 's'} (${stages}).`);
    this.log(`domain ${e.domain.label}, answerer ${e.answerer.label}, policy ${e.policy.label}, reward ${e.reward.label}; max_questions ${e.game.max_questions}, wrong_guess ${e.game.wrong_guess}.`);
    // a valid file may still teach the wrong thing: said, not refused
    for (const warning of await rewardWarnings(e)) process.stderr.write(`${args.file}: warning: ${warning}\n`);
  }
}
