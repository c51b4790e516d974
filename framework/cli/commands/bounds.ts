import { Flags } from '@oclif/core';
import { boundEfficiency, optimalBound } from '../../game/bounds.js';
import type { Domain } from '../../game/domain.js';
import { searchTree, type Semantics, type TreeBound, type TreeProgress } from '../../game/tree.js';
import { DEFAULT_RULES } from '../../game/types.js';
import { fixed, formatTable } from '../../metrics/table.js';
import { DEFAULT_PLUGINS } from '../../plugins/builtins.js';
import { PluginFactory } from '../../plugins/factory.js';
import { gameSpecs } from '../../run/games.js';
import { refFromFlag } from '../interactive.js';
import { TwentyqCommand, UsageError } from '../shared.js';

/** "5:14 6:45 7:30": how many games need each number of questions (fractions under coin semantics). */
function histogramText(histogram: readonly number[]): string {
  return histogram
    .map((n, q) => (n > 1e-9 ? `${q}:${Number.isInteger(n) ? n : n.toFixed(2)}` : ''))
    .filter(Boolean)
    .join(' ');
}

/**
 * Progress of a search on stderr once it has run a second, then every second: on a terminal one line
 * rewritten in place, elsewhere a line each time.
 */
function searchProgress(label: string): (p: TreeProgress) => void {
  let next = 1000;
  return (p) => {
    if (p.ms < next) return;
    next = p.ms + 1000;
    const line = `searching ${label}: ${(p.ms / 1000).toFixed(0)} s, ${p.states.toLocaleString('en-US')} sets of candidates, best tree so far ${p.best.toFixed(4)} questions`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
}

export default class Bounds extends TwentyqCommand {
  static override summary = "The best any questioner can do: the exact optimal tree over a domain's own questions, beside the bound for arbitrary yes/no questions.";
  static override description = `For a domain (a built-in, a table file of your own, or a plugin), the rules and what the answerer does where the table's fact is unknown, the optimal decision tree over the domain's attribute questions and guesses: its mean questions (every target equally likely, the final guess counted), worst case and histogram. It is found by branch and bound with memoisation over sets of candidates, starting from the information-gain expert's tree: "exact" when the search proved it, otherwise (past --time-limit) the best tree found and the best lower bound proved, labelled as such. A search that runs past a second shows its progress on stderr.

Semantics: with "say" (the kb answerer's default) an unknown fact is answered "unknown", so a question splits the candidates three ways and the game can be won in fewer questions than any yes/no strategy; with "coin" it is answered yes or no at random, and such a candidate stays on both sides with half its weight. Under wrong_guess: continue a wrong guess is answered no; under lose it ends the game, so a perfect player guesses only a lone candidate, and of candidates that share every answer wins only one: the others' games are lost, counted as --max-questions each (as a run's average counts them).

Beside it: the bound for arbitrary yes/no questions (any subset of the candidates, by dynamic programming over their number) and the entropy floor. A policy's measured mean below the exact bound of the game it played (its targets, rules and answerer) is a bug.`;
  static override examples = [
    '<%= config.bin %> bounds',
    '<%= config.bin %> bounds --unknown coin --rule lose',
    '<%= config.bin %> bounds --games 5',
    '<%= config.bin %> bounds --domain ./my-table.csv',
    "<%= config.bin %> bounds --domain '{use: table, with: {file: ./diseases.yaml, noun: disease}}' --time-limit 300",
    '<%= config.bin %> bounds --candidates 128 --max-questions 10',
  ];
  static override flags = {
    domain: Flags.string({ default: DEFAULT_PLUGINS.domain, description: "Domain: a table file (.csv, .yaml), a plugin name or path, or YAML such as '{use: table, with: {file: t.csv, noun: fruit}}'." }),
    unknown: Flags.option({ options: ['say', 'coin', 'both'] as const, default: 'both', description: "What the answerer does where a fact is unknown (the kb answerer's unknown option)." })(),
    rule: Flags.option({ options: ['continue', 'lose', 'both'] as const, default: 'both', description: 'The wrong_guess rule.' })(),
    targets: Flags.string({ description: 'Only these targets (comma-separated names or ids): the bound of a stage that plays them.' }),
    games: Flags.integer({ min: 1, description: 'The targets of a stage with games: N (the candidates in turn; repeats weigh as many).' }),
    'time-limit': Flags.integer({ min: 0, default: 60, description: 'Seconds per search before it reports bounds instead of a proof.' }),
    'max-questions': Flags.integer({ min: 1, default: DEFAULT_RULES.max_questions, description: 'Question budget: for the efficiency, and what a game lost among candidates that share every answer counts under lose.' }),
    candidates: Flags.integer({ char: 'n', min: 1, max: 1_000_000, description: 'Only the bound for arbitrary yes/no questions over N equally likely candidates (no domain).' }),
    json: Flags.boolean({ description: 'Print the figures as JSON.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Bounds);
    const rules = flags.rule === 'both' ? (['continue', 'lose'] as const) : ([flags.rule] as const);
    const max = flags['max-questions'];
    if (flags.candidates !== undefined) return this.unrestricted(flags.candidates, rules, max, flags.json);
    const factory = await PluginFactory.forDomain(refFromFlag(flags.domain), DEFAULT_RULES, process.cwd());
    const domain = factory.domain;
    if (!domain.truth) throw new UsageError(`domain ${domain.name} has no truth table: only --candidates N applies`);
    const targets = this.targets(domain, flags.targets, flags.games);
    const semantics: Semantics[] = flags.unknown === 'both' ? ['say', 'coin'] : [flags.unknown];
    const trees: TreeBound[] = [];
    for (const s of semantics) {
      for (const rule of rules) trees.push(await searchTree(domain, { rule, semantics: s, targets, maxQuestions: max, timeLimitMs: flags['time-limit'] * 1000, onProgress: searchProgress(`${rule}/${s}`) }));
    }
    const distinct = trees[0]!.candidates;
    if (flags.json) {
      this.log(
        JSON.stringify(
          {
            domain: domain.name,
            targets: distinct,
            games: trees[0]!.games,
            trees: trees.map(({ tree: _, ...figures }) => figures),
            unrestricted: rules.map((r) => optimalBound(distinct, r)),
          },
          null,
          2,
        ),
      );
      return;
    }
    this.log(`${domain.name}: ${distinct} targets${trees[0]!.games !== distinct ? ` (${trees[0]!.games} games)` : ''}, ${domain.attributes.length} questions; the optimal tree over them:\n`);
    this.log(
      formatTable(
        ['wrong_guess', 'unknown', 'mean questions', 'lower bound', 'proof', 'worst', 'efficiency', 'questions: games', 'time'],
        trees.map((t) => [t.rule, t.semantics, t.mean.toFixed(4), t.lower.toFixed(4), t.proved ? 'exact' : 'time limit', String(t.worst), fixed(1 - t.mean / max, 4), histogramText(t.histogram), `${(t.ms / 1000).toFixed(2)} s`]),
      ),
    );
    if (trees.some((t) => !t.proved)) this.log(`\nnot proved within ${flags['time-limit']} s: the mean is the best tree found (an upper bound), the lower bound is proved.`);
    this.log(`\nwith arbitrary yes/no questions instead (any subset of the ${distinct} targets, equally likely):\n`);
    this.unrestricted(distinct, rules, max, false);
  }

  private targets(domain: Domain, list: string | undefined, games: number | undefined): number[] | undefined {
    if (list !== undefined && games !== undefined) throw new UsageError('give --targets or --games, not both');
    if (games !== undefined) return gameSpecs(0, 'bounds', { games }, domain).map((s) => domain.candidateIndexOf(s.target)!);
    if (list === undefined) return undefined;
    return list.split(',').map((name) => {
      const c = domain.candidateIndexOf(name.trim()) ?? (domain.findCandidate(name) ? domain.candidateIndexOf(domain.findCandidate(name)!.id) : undefined);
      if (c === undefined) throw new UsageError(`--targets: ${domain.name} has no candidate "${name.trim()}"`);
      return c;
    });
  }

  private unrestricted(candidates: number, rules: readonly ('continue' | 'lose')[], max: number, json: boolean): void {
    const bounds = rules.map((r) => optimalBound(candidates, r));
    if (json) return this.log(JSON.stringify({ unrestricted: bounds }, null, 2));
    this.log(
      formatTable(
        ['wrong_guess', 'candidates', 'total', 'mean questions', 'worst', 'efficiency', 'questions: candidates'],
        bounds.map((b) => [b.rule, String(b.candidates), String(b.total), b.mean.toFixed(4), String(b.worst), fixed(boundEfficiency(b, max), 4), histogramText(b.histogram)]),
      ),
    );
    this.log(`\nentropy floor log2(${candidates}) = ${bounds[0]!.entropy.toFixed(4)} (free final guess, perfect splits).`);
    for (const b of bounds) {
      if (b.worst > max) this.log(`note: under ${b.rule} the optimal strategy needs up to ${b.worst} questions, more than the budget of ${max}; the bound assumes no game runs out.`);
    }
  }
}
