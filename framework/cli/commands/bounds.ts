import { Command, Flags } from '@oclif/core';
import { boundEfficiency, optimalBound } from '../../game/bounds.js';
import { fixed, formatTable } from '../../metrics/table.js';

export default class Bounds extends Command {
  static override summary = 'The best any questioner can do: optimal mean questions and efficiency for N candidates.';
  static override description = `Computed by dynamic programming over the number of candidates left, for arbitrary yes/no questions (any subset of the candidates), every candidate equally likely and the final guess counted as a question. Under wrong_guess: continue a wrong guess is answered no; under lose it ends the game, so a perfect player guesses only when one candidate is left. Attribute questions can only do worse; a measured mean below the bound is a bug.`;
  static override examples = ['<%= config.bin %> bounds', '<%= config.bin %> bounds --candidates 128 --max-questions 10'];
  static override flags = {
    candidates: Flags.integer({ char: 'n', min: 1, max: 1_000_000, default: 90, description: 'Number of equally likely candidates.' }),
    'max-questions': Flags.integer({ min: 1, default: 20, description: 'Question budget, for the efficiency.' }),
    rule: Flags.option({ options: ['continue', 'lose', 'both'] as const, default: 'both', description: 'The wrong_guess rule.' })(),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Bounds);
    const rules = flags.rule === 'both' ? (['continue', 'lose'] as const) : ([flags.rule] as const);
    const bounds = rules.map((r) => optimalBound(flags.candidates, r));
    this.log(
      formatTable(
        ['wrong_guess', 'candidates', 'total', 'mean questions', 'worst', 'efficiency', 'questions: candidates'],
        bounds.map((b) => [
          b.rule,
          String(b.candidates),
          String(b.total),
          b.mean.toFixed(4),
          String(b.worst),
          fixed(boundEfficiency(b, flags['max-questions']), 4),
          b.histogram.map((n, q) => (n > 0 ? `${q}:${n}` : '')).filter(Boolean).join(' '),
        ]),
      ),
    );
    this.log(`\nentropy floor log2(${flags.candidates}) = ${bounds[0]!.entropy.toFixed(4)} (free final guess, perfect splits).`);
    for (const b of bounds) {
      if (b.worst > flags['max-questions']) this.log(`note: under ${b.rule} the optimal strategy needs up to ${b.worst} questions, more than the budget of ${flags['max-questions']}; the bound assumes no game runs out.`);
    }
  }
}
