import { Args, Flags } from '@oclif/core';
import { loadExperiment } from '../../config/load.js';
import { rewardWarnings } from '../../config/reward-check.js';
import { setFlag, TwentyqCommand } from '../shared.js';

export default class Validate extends TwentyqCommand {
  static override summary = 'Check an experiment file without running it.';
  static override description =
    'Parses the YAML, checks it against schemas/experiment.schema.json and every plugin against its own option schema, and prints each problem as file:line:column with what was expected. Exits with 1 when there is a problem. With --preflight it also checks what a run needs from this machine, as `twentyq run` does before it makes a run directory: API keys in the environment, the commands it launches, a CUDA GPU where one is asked for. Then scores each reward the experiment uses on games played by script at the edges (a win at the first and the last question, losses by the budget with and without a guess, a wrong guess) and warns when a reward pays a loss more than a win, or a game that ends without a guess more than one that ends with a wrong guess (reward hacking).';
  static override examples = ['<%= config.bin %> validate experiments/quickstart.yaml', '<%= config.bin %> validate my.yaml --set seed=3', '<%= config.bin %> validate experiments/qwen3-4b.yaml --preflight'];
  static override args = { file: Args.string({ required: true, description: 'Experiment YAML file.' }) };
  static override flags = {
    set: setFlag,
    preflight: Flags.boolean({ description: 'Also check this machine for what a run needs (the keys api_key_env names, launched commands, CUDA): the checks `twentyq run` makes before it starts.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Validate);
    const e = await loadExperiment(args.file, { set: flags.set ?? [], preflight: flags.preflight });
    const stages = e.stages.map((s) => s.name).join(', ');
    this.log(`${args.file}: ok${flags.preflight ? ', and this machine has what a run needs' : ''}. Experiment "${e.name}", seed ${e.seed}, ${e.stages.length} stage${e.stages.length === 1 ? '' : 's'} (${stages}).`);
    this.log(`domain ${e.domain.label}, answerer ${e.answerer.label}, policy ${e.policy.label}, reward ${e.reward.label}; max_questions ${e.game.max_questions}, wrong_guess ${e.game.wrong_guess}.`);
    // a valid file may still teach the wrong thing: said, not refused
    for (const warning of await rewardWarnings(e)) process.stderr.write(`${args.file}: warning: ${warning}\n`);
  }
}
